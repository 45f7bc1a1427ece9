"""The demo notebooks: committed with their outputs, and those outputs are what a fresh
run gives (volatile fields normalised: timings, memory addresses, widget ids, cache
hits; pictures compared by size and pixels, within JPEG noise)."""

from __future__ import annotations

import base64
import importlib.util
import io
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import pytest

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
DEMOS = sorted((ROOT / "demos").glob("*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
DATA_URL = re.compile(r"data:image/(?:png|jpeg);base64,([A-Za-z0-9+/=]+)")
VOLATILE = [
    (re.compile(r"0x[0-9a-fA-F]+"), "0x…"),
    (re.compile(r"\b\d+(?:\.\d+)?(?:e-?\d+)?\s?(?:ms|s)\b"), "<time>"),
    (re.compile(r"duration_s=[0-9.e-]+"), "duration_s=<time>"),
    (re.compile(r"\s?\(cached(?: reply)?\)"), ""),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),
]


def _picture(payload: str) -> PIL.Image.Image:
    image = PIL.Image.open(io.BytesIO(base64.b64decode(payload)))
    image.load()
    return image.convert("RGB")


def normalise(notebook: Any) -> list[list[tuple[Any, ...]]]:
    """Per code cell, its outputs with volatile text replaced and each picture replaced
    by a ``("picture", PIL image)`` entry (compared with a tolerance)."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs: list[tuple[Any, ...]] = []
        for output in cell.get("outputs", []):
            kind = output["output_type"]
            if kind == "stream":
                outputs.append((kind, output["name"], _text(output["text"], outputs)))
            elif kind in ("display_data", "execute_result"):
                for mime, value in sorted(output["data"].items()):
                    if mime == WIDGET:
                        outputs.append((kind, mime))
                    elif mime.startswith("image/"):
                        outputs.append(("picture", _picture(value)))
                    else:
                        outputs.append((kind, mime, _text(value, outputs)))
            else:
                outputs.append((kind, output.get("ename"), output.get("evalue")))
        cells.append(outputs)
    return cells


def _text(value: Any, pictures: list[tuple[Any, ...]]) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)

    def picture(match: re.Match[str]) -> str:
        pictures.append(("picture", _picture(match.group(1))))
        return "<picture>"

    text = DATA_URL.sub(picture, text)
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _same_picture(a: PIL.Image.Image, b: PIL.Image.Image) -> bool:
    if a.size != b.size:
        return False
    diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).max(axis=2)
    # JPEG noise moves many pixels a little; a changed drawing moves some pixels a lot.
    return float(diff.mean()) <= 8.0 and float((diff > 48).mean()) <= 0.002


def _differences(committed: list[list[tuple[Any, ...]]], fresh: list[list[tuple[Any, ...]]]) -> list[str]:
    problems = []
    if len(committed) != len(fresh):
        return [f"{len(committed)} code cells committed, {len(fresh)} ran"]
    for number, (old, new) in enumerate(zip(committed, fresh), start=1):
        old_text = [o for o in old if o[0] != "picture"]
        new_text = [o for o in new if o[0] != "picture"]
        if old_text != new_text:
            problems.append(f"code cell {number}: committed {str(old_text)[:400]!r} vs fresh {str(new_text)[:400]!r}")
        old_pics = [o[1] for o in old if o[0] == "picture"]
        new_pics = [o[1] for o in new if o[0] == "picture"]
        if len(old_pics) != len(new_pics) or not all(_same_picture(a, b) for a, b in zip(old_pics, new_pics)):
            problems.append(f"code cell {number}: its pictures differ ({len(old_pics)} committed, {len(new_pics)} fresh)")
    return problems


def test_there_is_a_demo_per_family():
    names = {p.stem for p in DEMOS}
    assert names == {"01_questions", "02_image_pairs", "03_editing", "04_knowledge_tagging", "05_reading_text"}


@pytest.mark.parametrize("path", DEMOS, ids=lambda p: p.stem)
def test_demo_is_committed_with_outputs_and_small(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), f"{path.name}: run demos/update_outputs.py and commit the outputs"
    assert sum(bool(c.get("outputs")) for c in code) >= len(code) - 1  # only the set-up cell is silent
    assert all(o["output_type"] != "error" for c in code for o in c.outputs)
    assert path.stat().st_size < 800_000


def test_pictures_compare_within_jpeg_noise_but_not_across_a_changed_drawing():
    from skimage import data

    photo = PIL.Image.fromarray(data.astronaut()).resize((256, 256))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=85)
    recompressed = PIL.Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    edited = photo.copy()
    edited.paste((255, 220, 0), (100, 40, 140, 80))  # a 40x40 patch: 2.4% of the picture
    assert _same_picture(photo, recompressed)
    assert not _same_picture(photo, edited)


def test_the_normaliser_catches_a_changed_answer_and_ignores_timings():
    cell = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="answer yes in 12.5 ms at 0x7f00\n")])
    same = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="answer yes in 3 ms at 0x7f99\n")])
    other = nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("stream", name="stdout", text="answer no in 3 ms at 0x7f99\n")])
    book = lambda c: nbformat.v4.new_notebook(cells=[c])  # noqa: E731
    assert _differences(normalise(book(cell)), normalise(book(same))) == []
    assert _differences(normalise(book(cell)), normalise(book(other)))


def test_an_exported_notebook_shows_the_trace_widget_as_static_html(tmp_path):
    """nbconvert, offline: the cell with display=True shows its trace, not a blank (the
    finished run leaves static HTML in place of the live widget; a notebook re-run by
    nbconvert is tested in tests/test_notebook_export.py)."""
    nbconvert = pytest.importorskip("nbconvert")
    notebook = nbformat.read(ROOT / "demos" / "03_editing.ipynb", as_version=4)
    widget_cell = next(c for c in notebook.cells if c.cell_type == "code" and "display=True" in c.source)
    assert not any(WIDGET in o.get("data", {}) for o in widget_cell.outputs)
    assert any("text/html" in o.get("data", {}) for o in widget_cell.outputs)
    page, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    start = page.index("display=True")
    shown = page[start : page.index("side_by_side", start)]
    assert 'class="visprog-trace"' in shown and "<img" in shown and "EMOJI" in shown
    assert "unpkg.com" not in page  # no widget state saved: nothing to fetch from a CDN


@pytest.mark.slow
@pytest.mark.parametrize("path", DEMOS, ids=lambda p: p.stem)
def test_committed_outputs_match_a_fresh_run(path, artifacts, tmp_path):
    """Runs the notebook offline in a fresh kernel, as demos/update_outputs.py does, and
    compares what it shows with what is committed."""
    spec = importlib.util.spec_from_file_location("update_outputs", ROOT / "demos" / "update_outputs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("update_outputs", module)
    spec.loader.exec_module(module)
    committed = nbformat.read(path, as_version=4)
    fresh = module.execute(path, tmp_path / "cache")  # raises CellExecutionError on an error cell
    nbformat.write(fresh, artifacts / f"{path.stem}.executed.ipynb")
    problems = _differences(normalise(committed), normalise(fresh))
    assert problems == [], (
        f"{path.name}: the committed outputs are stale; run `.venv/bin/python demos/update_outputs.py {path.stem}` "
        "and commit the notebook. " + " | ".join(problems)
    )


def test_the_readmes_jupyter_lab_command_starts_for_this_user(tmp_path):
    """The README's notebook command for this user (root gets its own: Jupyter refuses
    root without --allow-root) starts a server; it is stopped once it says so."""
    import os
    import shlex
    import signal
    import socket
    import subprocess
    import time

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"`(\.venv/bin/jupyter lab[^`]*)`", readme)
    as_root = os.geteuid() == 0
    chosen = [c for c in found if ("--allow-root" in c) == as_root]
    assert chosen, f"the README has no jupyter lab command for {'root' if as_root else 'a user'}: {found}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [*shlex.split(chosen[0]), "--no-browser", f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1"]
    env = {**os.environ, "HOME": str(tmp_path), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    log: list[str] = []
    try:
        deadline = time.monotonic() + 300  # a busy machine starts Jupyter slowly
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
            log.append(line)
            if "is running at" in line or f":{port}/lab" in line:
                break
        text = "".join(log)
        assert process.poll() is None, f"{chosen[0]!r} exited {process.returncode}:\n{text[-2000:]}"
        assert "is running at" in text or f":{port}/lab" in text, text[-2000:]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
