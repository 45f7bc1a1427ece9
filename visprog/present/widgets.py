"""Notebook views: a live trace widget (anywidget) and a progress bar for batch runs.

``run_program(..., display=True)`` shows a :class:`TraceView` that fills in as steps
finish: the program with the current line highlighted, each step with thumbnails of
its images (boxes and masks drawn), its output and time, and the variables; clicking a
step enlarges its picture. The view is a plain anywidget: it also works in JupyterLab,
VS Code and Colab.

Once the run has ended, the displayed widget is replaced by the finished trace as static
HTML (the same as the result's ``_repr_html_``), and the widget is closed. A notebook
re-run without a browser (``jupyter nbconvert --execute``, papermill, nbclient) saves the
widgets' state, and nbconvert's HTML exporter then prefers a widget view to every other
form of the output; with no kernel behind the exported page the widget draws nothing.
An output that holds only HTML shows the same everywhere: in JupyterLab, in exports and
on repository pages.
"""

from __future__ import annotations

import html
from typing import Any

try:
    import anywidget
    import traitlets
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("visprog.present.widgets needs anywidget: pip install anywidget") from exc

from visprog.runtime.execution import StepEvent
from visprog.trace.records import StepRecord, Trace
from visprog.trace.render import base_image, jpeg_data_url, render_value_image, summarize, thumbnail, trace_to_html

__all__ = ["BatchProgress", "TraceView"]

_ESM = """
function render({ model, el }) {
  el.classList.add("visprog-trace-view");
  const draw = () => {
    el.innerHTML = "";
    const status = document.createElement("div");
    status.className = "vp-status";
    status.textContent = model.get("status");
    el.appendChild(status);
    const current = model.get("current_line");
    const program = document.createElement("pre");
    program.className = "vp-program";
    model.get("program").split("\\n").forEach((text, i) => {
      const line = document.createElement("div");
      line.textContent = String(i + 1).padStart(3, " ") + "  " + text;
      if (i + 1 === current) line.className = "vp-current";
      program.appendChild(line);
    });
    el.appendChild(program);
    const steps = document.createElement("div");
    steps.className = "vp-steps";
    const selected = model.get("selected");
    model.get("steps").forEach((step) => {
      const card = document.createElement("div");
      card.className = "vp-step" + (step.error ? " vp-error" : "") + (step.index === selected ? " vp-selected" : "");
      const head = document.createElement("div");
      head.textContent = `${step.index + 1}. line ${step.line} · ${step.tool} · ${step.ms.toFixed(1)} ms`;
      card.appendChild(head);
      if (step.thumb) {
        const img = document.createElement("img");
        img.src = step.index === selected && step.image ? step.image : step.thumb;
        card.appendChild(img);
      }
      const out = document.createElement("code");
      out.textContent = step.error || step.output;
      card.appendChild(out);
      card.onclick = () => { model.set("selected", step.index === selected ? -1 : step.index); model.save_changes(); };
      steps.appendChild(card);
    });
    el.appendChild(steps);
    const vars = document.createElement("table");
    vars.className = "vp-vars";
    Object.entries(model.get("variables")).forEach(([name, value]) => {
      const row = vars.insertRow();
      row.insertCell().textContent = name;
      row.insertCell().textContent = value;
    });
    el.appendChild(vars);
  };
  ["change:steps", "change:current_line", "change:variables", "change:status", "change:program", "change:selected"]
    .forEach((name) => model.on(name, draw));
  draw();
}
export default { render };
"""

_CSS = """
.visprog-trace-view { font-family: system-ui, sans-serif; font-size: 13px; }
.visprog-trace-view .vp-program { background: #f7f7f7; padding: 6px; border-radius: 4px; }
.visprog-trace-view .vp-current { background: #fff3b0; }
.visprog-trace-view .vp-steps { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.visprog-trace-view .vp-step { border: 1px solid #ccc; border-radius: 4px; padding: 4px; max-width: 340px; cursor: pointer; }
.visprog-trace-view .vp-step img { display: block; max-width: 100%; margin: 4px 0; }
.visprog-trace-view .vp-selected { border-color: #36c; box-shadow: 0 0 0 2px #36c3; }
.visprog-trace-view .vp-error { border-color: #c33; }
.visprog-trace-view .vp-vars td { padding: 1px 8px; border-top: 1px solid #eee; }
"""


def step_view(step: StepRecord, inputs: dict[str, Any]) -> dict[str, Any]:
    """A step as plain JSON for the widget: text, timing, thumbnail and large picture."""
    picture = render_value_image(step.output, base_image(step, inputs))
    return {
        "index": step.index,
        "line": step.line,
        "source": step.source,
        "tool": step.tool,
        "ms": step.duration_s * 1000,
        "output": summarize(step.output, 200),
        "error": str(step.error) if step.error else "",
        "thumb": jpeg_data_url(thumbnail(picture, 160)) if picture is not None else "",
        "image": jpeg_data_url(thumbnail(picture, 640)) if picture is not None else "",
    }


class TraceView(anywidget.AnyWidget):
    """A live view of a run. Pass :meth:`on_event` as a listener, or show a finished trace
    with :meth:`set_trace`."""

    _esm = _ESM
    _css = _CSS
    program = traitlets.Unicode("").tag(sync=True)
    steps: traitlets.List[dict[str, Any]] = traitlets.List([]).tag(sync=True)
    variables = traitlets.Dict({}).tag(sync=True)
    current_line = traitlets.Int(0).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._inputs: dict[str, Any] = {}
        self._values: dict[str, Any] = {}
        self._records: list[StepRecord] = []
        self._trace: Trace | None = None
        self._handle: Any = None

    def show(self) -> None:
        """Display the view in a notebook, live while the program runs; :meth:`set_trace`
        then replaces this display with the finished trace as static HTML and closes the
        widget (see the module's docstring for why)."""
        from IPython.display import display

        self._handle = display(self, display_id=True)  # type: ignore[no-untyped-call]

    def static_trace(self) -> Trace:
        """What the view shows, as a trace: the finished one, or the steps so far."""
        if self._trace is not None:
            return self._trace
        return Trace(program=self.program, steps=list(self._records), inputs=dict(self._inputs))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view plus a static HTML rendering of the same trace: exported,
        offline or not-trusted notebooks (and repository pages) show the HTML where the
        live widget cannot run."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = {**data, "text/html": self.static_html()}
        return (data, metadata) if isinstance(bundle, tuple) else data

    def static_html(self) -> str:
        """What the view shows, as static HTML (a ``<div>``: no scripts, images inline)."""
        return trace_to_html(self.static_trace(), title="visprog trace", standalone=False)

    def _finish_display(self) -> None:
        """Replace the display made by :meth:`show` with the finished trace as static HTML,
        then close the widget. Its traits are emptied first: a kernel client that saves
        widget state (nbclient) keeps the last state of every widget it saw, closed or not,
        and the pictures need not be saved twice."""
        if self._handle is None:
            return
        status = self.status
        self._handle.update({"text/html": self.static_html(), "text/plain": f"visprog trace: {status}"}, raw=True)
        self._handle = None
        with self.hold_sync():
            self.steps = []
            self.variables = {}
            self.program = ""
        self.close()

    def on_event(self, event: StepEvent) -> None:
        """Listener for :func:`visprog.run_program`: updates the view as steps run."""
        step = event.step
        if event.kind == "start":
            self.current_line = step.line
            self.status = f"running line {step.line}: {step.source[:80]}"
            return
        self._records.append(step)
        self.steps = [*self.steps, step_view(step, self._inputs)]
        for name in step.targets:
            self._values[name] = summarize(step.output, 120)
        self.variables = dict(self._values)
        self.status = f"{len(self.steps)} step(s) done" + (f"; failed: {step.error}" if step.error else "")

    def start(self, program: str, inputs: dict[str, Any]) -> None:
        self.program = program
        self._inputs = dict(inputs)
        self._values = {k: summarize(v, 120) for k, v in inputs.items()}
        self.variables = dict(self._values)
        self.steps = []
        self._records = []
        self._trace = None
        self.status = "starting"

    def set_trace(self, trace: Trace) -> None:
        """Show a whole trace (after the run, or loaded from JSON)."""
        self.program = trace.program
        self._inputs = dict(trace.inputs)
        self.steps = [step_view(s, self._inputs) for s in trace.steps]
        values = {k: summarize(v, 120) for k, v in trace.inputs.items()}
        for s in trace.steps:
            for name in s.targets:
                values[name] = summarize(s.output, 120)
        self.variables = values
        self.current_line = trace.steps[-1].line if trace.steps else 0
        self.status = f"error: {trace.error}" if trace.error else f"result: {summarize(trace.result, 200)}"
        self._trace = trace
        self._records = list(trace.steps)
        self._finish_display()


class BatchProgress:
    """Progress of a batch run in a notebook: an ipywidgets bar while it runs, replaced by
    one line of static text when it ends (as :class:`TraceView`: an export of a notebook
    re-run by nbconvert would show the bar's widget view as a blank)."""

    def __init__(self, total: int, description: str = "images") -> None:
        import ipywidgets

        self.total = total
        self.description = description
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=total, description=description)
        from IPython.display import display

        self._handle: Any = display(self.bar, display_id=True)  # type: ignore[no-untyped-call]

    def advance(self) -> None:
        self.bar.value += 1

    def close(self) -> None:
        """The run has ended: the bar gives way to ``images: 3 of 3 done`` and is closed."""
        text = f"{self.description}: {self.bar.value} of {self.total} done"
        if self._handle is not None:
            self._handle.update({"text/plain": text, "text/html": f"<pre>{html.escape(text)}</pre>"}, raw=True)
            self._handle = None
        self.bar.close()
