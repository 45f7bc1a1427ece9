"""Every demo notebook runs headless, offline, without an error cell."""

from __future__ import annotations

from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

DEMOS = sorted((Path(__file__).resolve().parent.parent / "demos").glob("*.ipynb"))


def test_there_is_a_demo_per_family():
    names = {p.stem for p in DEMOS}
    assert names == {"01_questions", "02_image_pairs", "03_editing", "04_knowledge_tagging", "05_reading_text"}


@pytest.mark.slow
@pytest.mark.parametrize("path", DEMOS, ids=lambda p: p.stem)
def test_demo_runs_without_errors(path, tmp_path, monkeypatch, artifacts):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first error cell
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    nbformat.write(notebook, artifacts / f"{path.stem}.executed.ipynb")
