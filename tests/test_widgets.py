"""The notebook trace widget's state, driven by a run's step events, and batch runs."""

from __future__ import annotations

import pytest

from visprog import Trace, run_batch, run_program

pytest.importorskip("anywidget")

PROGRAM = "B=LOC(image=IMAGE,object='LEFT')\nC=CROP(image=IMAGE,box=B)\nN=COUNT(box=B)\nFINAL=RESULT(var=N)"


def test_trace_view_fills_in_as_steps_finish(small_image):
    from visprog.present.widgets import TraceView
    from visprog.values.core import load_image

    view = TraceView()
    image = load_image(small_image)
    view.start(PROGRAM, {"IMAGE": image})
    seen_lines = []
    view.observe(lambda change: seen_lines.append(change["new"]), names="current_line")
    result = run_program(PROGRAM, image, listeners=[view.on_event])
    assert result.error is None
    assert seen_lines == [1, 2, 3, 4]
    assert [s["line"] for s in view.steps] == [1, 2, 3, 4]
    assert view.steps[0]["thumb"].startswith("data:image/jpeg;base64,")  # boxes drawn on the image
    assert view.steps[1]["image"].startswith("data:image/jpeg;base64,")
    assert view.variables["N"] == "1" and view.variables["IMAGE"] == "Image(120x80)"
    assert view.status == "4 step(s) done"


def test_trace_view_shows_a_saved_trace_and_errors(small_image):
    from visprog.present.widgets import TraceView

    failed = run_program("B=LOC(image=IMAGE,object='LEFT')\nC=CROP(image=IMAGE,box=B,margin=-1.0)\nFINAL=RESULT(var=C)", small_image)
    view = TraceView()
    view.set_trace(Trace.from_json(failed.trace.to_json()))
    assert view.status.startswith("error:") and view.steps[-1]["error"]
    assert view.current_line == 2


def test_results_render_in_notebooks(small_image):
    result = run_program(PROGRAM, small_image)
    html = result._repr_html_()
    assert html.startswith('<div class="visprog-trace">') and "<!DOCTYPE" not in html


def test_run_batch_keeps_going_after_a_failure(small_image, capsys):
    import numpy as np

    images = [small_image, np.zeros((10, 10, 3), dtype=np.uint8), small_image]
    program = "B=LOC(image=IMAGE,object='LEFT')\nW=COUNT(box=B) * 1200 // (IMAGE.width - 10)\nFINAL=RESULT(var=W)"
    results = run_batch(program, images, progress=True)
    assert [r.error is None for r in results] == [True, False, True]
    assert "ZeroDivisionError" in results[1].error.message
    assert results[0].result == 10 and "100%" in capsys.readouterr().out


def _bundle(view):
    bundle = view._repr_mimebundle_()
    return bundle[0] if isinstance(bundle, tuple) else bundle


def test_trace_view_carries_a_static_html_fallback(small_image):
    """Exported or offline notebooks cannot run the widget; its display bundle also holds
    the trace as static HTML, which shows the steps so far and, after the run, the result."""
    from visprog.present.widgets import TraceView
    from visprog.values.core import load_image

    view = TraceView()
    image = load_image(small_image)
    view.start(PROGRAM, {"IMAGE": image})
    midway = []

    def listener(event):
        view.on_event(event)
        if event.kind == "end" and event.step.index == 1:
            midway.append(_bundle(view)["text/html"])

    result = run_program(PROGRAM, image, listeners=[listener])
    view.set_trace(result.trace)
    data = _bundle(view)
    assert "application/vnd.jupyter.widget-view+json" in data
    html = data["text/html"]
    assert html.startswith('<div class="visprog-trace">') and "<script" not in html
    assert 'id="step-3"' in html and 'id="result"' in html and "Steps (4)" in html
    assert 'id="step-1"' in midway[0] and 'id="step-2"' not in midway[0] and 'id="result"' in midway[0]


def test_a_shown_view_leaves_the_finished_trace_as_static_html_only(small_image):
    """After the run, the displayed widget is replaced by static HTML (what exports and
    repository pages show: with saved widget state, nbconvert would pick the widget view,
    which draws nothing without a kernel) and the widget is closed, its state emptied."""
    from visprog.present.widgets import TraceView
    from visprog.values.core import load_image

    class Handle:
        def __init__(self):
            self.updates = []

        def update(self, obj, **kwargs):
            self.updates.append((obj, kwargs))

    view = TraceView()
    image = load_image(small_image)
    view.start(PROGRAM, {"IMAGE": image})
    handle = view._handle = Handle()
    result = run_program(PROGRAM, image, listeners=[view.on_event])
    assert handle.updates == []  # live while it runs
    view.set_trace(result.trace)
    [(shown, kwargs)] = handle.updates
    assert kwargs == {"raw": True} and set(shown) == {"text/html", "text/plain"}
    assert shown["text/html"].startswith('<div class="visprog-trace">') and 'id="step-3"' in shown["text/html"]
    assert "<img" in shown["text/html"] and shown["text/plain"] == "visprog trace: result: 1"
    assert view.comm is None and view.steps == [] and view.program == ""


def test_batch_progress_leaves_one_line_of_text_when_the_batch_ends(monkeypatch):
    """The ipywidgets bar shows while the batch runs; then static text replaces it (an
    export of a notebook re-run by nbconvert would show the bar's widget view as a blank)."""
    import IPython.display

    from visprog.present.widgets import BatchProgress

    updates = []

    class Handle:
        def update(self, obj, **kwargs):
            updates.append((obj, kwargs))

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kwargs: shown.append((obj, kwargs)) or Handle())
    progress = BatchProgress(3)
    [(bar, kwargs)] = shown
    assert bar is progress.bar and kwargs == {"display_id": True}
    for _ in range(3):
        progress.advance()
    assert updates == []
    progress.close()
    assert updates == [({"text/plain": "images: 3 of 3 done", "text/html": "<pre>images: 3 of 3 done</pre>"}, {"raw": True})]
    assert progress.bar.comm is None
