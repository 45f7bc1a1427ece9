"""A notebook re-run without a browser (``jupyter nbconvert --execute``) exports its
``display=True`` cells with the trace showing (and run_batch's progress as text): nbclient saves the widgets' state, and
nbconvert's HTML exporter then prefers the widget view (which draws nothing without a
kernel) to the static HTML beside it, so the finished run must leave static HTML only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbconvert")
pytest.importorskip("anywidget")

ROOT = Path(__file__).resolve().parent.parent
HIDDEN = re.compile(r"<(script|style)\b[^>]*>.*?</\1>", re.DOTALL)

CELL = """\
from visprog import run_program
result = run_program("F=FACEDET(image=IMAGE)\\nC=CROP_LEFTOF(image=IMAGE,box=F)\\nR=RESULT(var=C)", {image!r}, display=True)
print("ran:", [step.tool for step in result.trace.steps], result.error)
"""
BATCH = """\
from visprog import run_batch
print("batch:", [r.error for r in run_batch("F=FACEDET(image=IMAGE)\\nR=RESULT(var=F)", [{image!r}])])
"""


@pytest.mark.slow
def test_a_notebook_run_by_nbconvert_exports_its_trace_as_visible_html(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    image = str(ROOT / "demos" / "images" / "astronaut.jpg")
    notebook.cells = [nbformat.v4.new_code_cell(CELL.format(image=image)), nbformat.v4.new_code_cell(BATCH.format(image=image))]
    path = tmp_path / "trace.ipynb"
    nbformat.write(notebook, path)
    env = {
        **os.environ,
        "VISPROG_MODEL_FACES": "haar",  # OpenCV's cascade: quick to load, ships with opencv
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--execute", "--to", "html", str(path), "--output-dir", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "trace.html").read_text(encoding="utf-8")
    assert "ran: ['FACEDET', 'CROP_LEFTOF', 'RESULT'] None" in page
    # What a reader sees: the page without its scripts (the saved widget state, the
    # widget manager's loader) and styles, from the cell's output on.
    shown = HIDDEN.sub("", page)
    output = shown[shown.index("jp-OutputArea-output") :]
    assert 'class="visprog-trace"' in output, "the display=True cell exported without its static trace"
    trace = output[output.index('class="visprog-trace"') :]
    assert "FACEDET" in trace and "CROP_LEFTOF" in trace and "<img" in trace
    assert "batch: [None]" in page and "images: 1 of 1 done" in output  # run_batch's progress bar, as text
    assert '<script type="application/vnd.jupyter.widget-view+json">' not in page  # no widget view left to draw nothing
