"""Rendering of values and traces: drawn images, self-contained HTML, rich terminal output.

Only host code renders, and only for known value types; anything else is shown by its
type name. HTML is built with escaping everywhere a program-controlled string appears;
terminal text goes through :func:`printable`, so escape sequences a program writes
(ESC, OSC, other C0/C1 controls) are shown, never obeyed.

Output is bounded whatever the program did: values are summarised with :mod:`reprlib`
limits (a 20,000-digit integer is described, not printed), pictures are downscaled
JPEG thumbnails, and a page embeds at most :data:`MAX_PICTURES` pictures and
:data:`MAX_PICTURE_BYTES` bytes of them.

Coordinates: boxes and masks are in root-image pixels (see :mod:`visprog.values.core`);
they are drawn on an image by subtracting that image's ``offset``.
"""

from __future__ import annotations

import base64
import html
import io
import math
import reprlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import PIL.Image

from visprog.errors import ErrorRecord
from visprog.values.core import Box, Image
from visprog.values.protocol import drawn_boxes, value_type
from visprog.values.show import PALETTE, coordinate, draw_boxes, draw_masks, printable

if TYPE_CHECKING:  # records import this module for rendering; types only here
    from visprog.trace.records import StepRecord, ToolCall, Trace

__all__ = [
    "MAX_PICTURES",
    "MAX_PICTURE_BYTES",
    "PALETTE",
    "base_image",
    "box_rows",
    "draw_boxes",
    "draw_masks",
    "jpeg_data_url",
    "printable",
    "render_value_image",
    "summarize",
    "thumbnail",
    "trace_to_html",
    "trace_to_rich",
]

#: At most this many pictures are embedded in one HTML page; later ones are named, not shown.
MAX_PICTURES = 120
#: At most this many bytes of embedded pictures in one HTML page.
MAX_PICTURE_BYTES = 12_000_000
#: Largest side of a step's picture and of the result's picture in HTML, in pixels.
STEP_PICTURE_SIDE = 320
ARGUMENT_PICTURE_SIDE = 200
RESULT_PICTURE_SIDE = 640
#: Boxes listed in a legend before "... and N more".
MAX_LEGEND_ROWS = 40

# -- text ---------------------------------------------------------------------------

def _int_summary(value: int) -> str | None:
    """A description of an integer too long to print (Python refuses to convert ints of
    more than 4,300 digits to text), or None for ordinary ones."""
    bits = abs(value).bit_length()
    if bits <= 13_000:  # about 3,900 digits
        return None
    digits = int(bits * math.log10(2)) + 1
    sign = "-" if value < 0 else ""
    return f"<{sign}int of about {digits:,} digits>"


class _Repr(reprlib.Repr):
    """reprlib with visprog's value types and numbers that cannot be printed."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxlevel = 4
        self.maxlist = self.maxtuple = self.maxset = self.maxdeque = self.maxarray = 12
        self.maxdict = 12
        self.maxstring = max(limit, 20)
        self.maxlong = 60
        self.maxother = 80

    def repr_int(self, x: int, level: int) -> str:
        return _int_summary(x) or super().repr_int(x, level)

    def repr_float(self, x: float, level: int) -> str:
        return f"{x:.4g}"

    def repr_bool(self, x: bool, level: int) -> str:
        return repr(x)

    def repr1(self, x: Any, level: int) -> str:
        spec = value_type(type(x))
        if spec is not None:  # a value type says how it reads (default: its repr)
            return spec.summary(x) if spec.summary is not None else repr(x)
        return super().repr1(x, level)


def summarize(value: Any, limit: int = 120) -> str:
    """One line describing a value, for tables and variable views: at most ``limit``
    characters, control characters escaped, never raises (huge integers, deeply nested
    or enormous containers are described, not printed in full)."""
    try:
        if isinstance(value, bool) or value is None:
            text = repr(value)
        elif isinstance(value, int):
            text = _int_summary(value) or str(value)
        elif isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, str):
            text = repr(value[: limit + 1])
        else:
            text = _Repr(limit).repr(value)
    except (RecursionError, ValueError, MemoryError):
        text = f"<{type(value).__name__} too large to show>"
    except Exception as exc:  # noqa: BLE001 - a value's own repr failed; say so, keep going
        text = f"<{type(value).__name__}: cannot be shown ({type(exc).__name__})>"
    text = printable(text)
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def box_rows(value: Any) -> list[tuple[int, Box]]:
    """The boxes a value's picture draws (its value type's ``boxes``: a Box, Detections,
    a list of boxes ...), numbered from 1 in drawing order; empty for anything else."""
    return list(enumerate(drawn_boxes(value), start=1))


# -- pictures -----------------------------------------------------------------------


def render_value_image(value: Any, base: Image | None) -> PIL.Image.Image | None:
    """A picture of a value, as its value type draws it (``ValueType.picture``; a list
    of one value type: ``ValueType.picture_many``): an image itself, boxes or masks drawn
    on ``base``, an image patch's crop. None when it has no picture."""
    drawer = _drawer(value)
    if drawer is None:
        return None
    try:
        picture = drawer(value, base)
    except Exception:  # noqa: BLE001 - a picture is a nicety; the value is shown as text anyway
        return None
    return picture if isinstance(picture, PIL.Image.Image) else None


def _drawer(value: Any) -> Callable[[Any, Any], Any] | None:
    spec = value_type(type(value))
    if spec is not None:
        return spec.picture
    if type(value) is list and value:
        spec = value_type(type(value[0]))
        if spec is not None and spec.picture_many is not None and all(type(v) is spec.cls for v in value):
            return spec.picture_many
    return None


def thumbnail(pil: PIL.Image.Image, max_side: int = 512) -> PIL.Image.Image:
    """``pil`` scaled down (aspect kept) so that its longer side is at most ``max_side``."""
    if max(pil.size) <= max_side:
        return pil
    copy = pil.copy()
    copy.thumbnail((max_side, max_side))
    return copy


def jpeg_data_url(pil: PIL.Image.Image, quality: int = 85) -> str:
    """``data:image/jpeg;base64,...`` of a PIL image (RGB)."""
    buffer = io.BytesIO()
    picture = pil if pil.mode in ("RGB", "L") else pil.convert("RGB")
    picture.save(buffer, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def base_image(step: StepRecord, inputs: Mapping[str, Any]) -> Image | None:
    """The image a step's boxes and masks are drawn on: its first Image argument, else the
    main input image, else any input image."""
    for call in step.calls:
        for arg in call.arguments.values():
            if isinstance(arg, Image):
                return arg
    root = _root(inputs)
    if root is not None:
        return root
    return next((v for v in inputs.values() if isinstance(v, Image)), None)


def _root(inputs: Mapping[str, Any]) -> Image | None:
    for name in ("IMAGE", "image"):
        value = inputs.get(name)
        if isinstance(value, Image):
            return value
    return None


class _Pictures:
    """Embeds pictures once per page, within :data:`MAX_PICTURES` and
    :data:`MAX_PICTURE_BYTES`. The same value drawn on the same base at the same size is
    embedded once; later uses link to it."""

    def __init__(self) -> None:
        self.anchors: dict[tuple[int, int, int], str] = {}
        self.keep: list[Any] = []  # keeps keyed objects alive so that their ids stay theirs
        self.count = 0
        self.bytes = 0
        self.omitted = 0
        self.last_omitted = False

    def embed(self, value: Any, base: Image | None, side: int) -> tuple[str | None, str | None]:
        """``(data URL, anchor)`` of a new picture; ``(None, anchor)`` when this picture
        is on the page already; ``(None, None)`` when the value has no picture or the
        page is full (then :attr:`last_omitted` is True)."""
        self.last_omitted = False
        key = (id(value), id(base), side)
        if key in self.anchors:
            return None, self.anchors[key]
        if _drawer(value) is None:
            return None, None
        if self.count >= MAX_PICTURES or self.bytes >= MAX_PICTURE_BYTES:
            self.omitted += 1
            self.last_omitted = True
            return None, None
        picture = render_value_image(value, base)
        if picture is None:
            return None, None
        url = jpeg_data_url(thumbnail(picture, side))
        self.count += 1
        self.bytes += len(url)
        anchor = f"pic-{self.count}"
        self.anchors[key] = anchor
        self.keep.append((value, base))
        return url, anchor


# -- HTML -------------------------------------------------------------------------------

_CSS = """
.visprog-trace{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d1d1f}
body{margin:1rem 1.5rem;background:#fafafa}
.visprog-trace h1{font-size:1.25rem;margin:.2rem 0 .5rem}.visprog-trace h2{font-size:1.05rem;margin:1rem 0 .3rem}
.summary{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start;background:#fff;border:1px solid #ccd;border-radius:8px;padding:.8rem}
.summary .answer{flex:0 1 auto;min-width:14rem;max-width:660px}.summary .source{flex:1 1 22rem;min-width:0}
.summary .request{font-size:1.05rem;margin:0 0 .5rem}.label{color:#666;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}
.result{font-size:1.1rem;background:#eef5ff;border:1px solid #9bc;padding:.6rem;border-radius:6px;overflow-wrap:anywhere}
.result.failed{background:#fdecec;border-color:#d33}.answer-text{font-size:1.35rem;font-weight:600;white-space:pre-wrap}
pre.program{background:#fff;border:1px solid #ddd;padding:.5rem;border-radius:6px;overflow-x:auto;margin:.2rem 0;max-height:22rem}
pre.program span.line{display:block}pre.program span.failed{background:#fde2e2}
pre.program span.ran{background:#eef7ee}pre.program i{color:#999;font-style:normal;user-select:none}
.step{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.8rem 0}
.step.error{border-color:#d33}.meta{color:#666;font-size:.85rem}
.error-box{color:#a00;font-weight:600;overflow-wrap:anywhere}
.error-box table{font-weight:400;color:#1d1d1f}
table.args{border-collapse:collapse;margin:.3rem 0}
table.args td{border-top:1px solid #eee;padding:.2rem .5rem;vertical-align:top;font-size:.9rem}
img.value{max-width:320px;max-height:320px;border:1px solid #ccc;display:block;margin:.2rem 0}
table.args img.value{max-width:200px;max-height:200px}
.result img.value{max-width:640px;max-height:360px}
.call-body{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start}
table.legend{border-collapse:collapse;font-size:.85rem;margin:.2rem 0}
table.legend td{padding:.05rem .4rem;border-top:1px solid #eee}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:middle}
.note{color:#7a5a00;background:#fff8e1;border-left:3px solid #e0b000;padding:.1rem .4rem;margin:.2rem 0;font-size:.88rem}
code{background:#f2f2f2;padding:0 .2rem;border-radius:3px;overflow-wrap:anywhere}
"""


def _legend(value: Any) -> str:
    rows = box_rows(value)
    if not rows:
        return ""
    cells = []
    for number, box in rows[:MAX_LEGEND_ROWS]:
        r, g, b = PALETTE[(number - 1) % len(PALETTE)]
        label = html.escape(printable(box.label)) if box.label is not None else "<i>no label</i>"
        score = f"{box.score:.2f}" if box.score is not None else ""
        coords = ", ".join(coordinate(v) for v in box.as_tuple())
        cells.append(
            f'<tr><td><span class="swatch" style="background:rgb({r},{g},{b})"></span> {number}</td>'
            f"<td>{label}</td><td>{score}</td><td><code>({coords})</code></td></tr>"
        )
    more = f'<tr><td colspan="4">... and {len(rows) - MAX_LEGEND_ROWS} more</td></tr>' if len(rows) > MAX_LEGEND_ROWS else ""
    return f'<table class="legend"><tr class="meta"><td>#</td><td>label</td><td>score</td><td>x1, y1, x2, y2</td></tr>{"".join(cells)}{more}</table>'


def _value_html(value: Any, base: Image | None, pictures: _Pictures, side: int = STEP_PICTURE_SIDE) -> str:
    text = html.escape(summarize(value, 400))
    url, anchor = pictures.embed(value, base, side)
    if url is not None:
        return f'<img class="value" id="{anchor}" alt="{text}" src="{url}"><span class="meta">{text}</span>{_legend(value)}'
    if anchor is not None:
        return f'<a class="same" href="#{anchor}">(picture above)</a> <span class="meta">{text}</span>{_legend(value)}'
    note = ""
    if pictures.last_omitted:
        note = f' <span class="meta">(picture not embedded: this page already holds {pictures.count} pictures)</span>'
    return f"<code>{text}</code>{note}{_legend(value)}"


def _error_html(error: ErrorRecord, prefix: str = "") -> str:
    fields = [
        (name, getattr(error, name))
        for name in ("kind", "line", "column", "tool", "argument", "budget")
        if getattr(error, name) is not None
    ]
    rows = "".join(f"<tr><td>{name}</td><td><code>{html.escape(printable(str(v)))}</code></td></tr>" for name, v in fields)
    return (
        f'<div class="error-box">{html.escape(prefix)}{html.escape(printable(error.message))}'
        f'<table class="args">{rows}</table></div>'
    )


def _call_html(call: ToolCall, base: Image | None, pictures: _Pictures) -> str:
    args = "".join(
        f"<tr><td><code>{html.escape(name)}</code></td><td>{_value_html(value, base, pictures, ARGUMENT_PICTURE_SIDE)}</td></tr>"
        for name, value in call.arguments.items()
    )
    cached = " (cached)" if call.cached else ""
    notes = "".join(f'<div class="note">note: {html.escape(printable(n))}</div>' for n in getattr(call, "notes", ()))
    if call.error is not None:
        out = f'<div class="out"><b>error</b>{_error_html(call.error)}</div>'
    else:
        out = f'<div class="out"><b>output</b>{_value_html(call.output, base, pictures)}</div>'
    return (
        f'<div class="call"><b>{html.escape(call.name)}</b>'
        f'<span class="meta"> → {html.escape(call.tool)}, {call.duration_s * 1000:.1f} ms{cached}</span>'
        f'<div class="call-body"><table class="args">{args}</table>{out}</div>{notes}</div>'
    )


def _program_html(trace: Trace) -> str:
    failed_lines = {s.line for s in trace.steps if s.error}
    if trace.error and trace.error.line:
        failed_lines.add(trace.error.line)
    ran_lines = {line for s in trace.steps for line in range(s.line, s.end_line + 1)}
    lines = []
    for number, text in enumerate(trace.program.splitlines(), start=1):
        cls = "line failed" if number in failed_lines else "line ran" if number in ran_lines else "line"
        lines.append(f'<span class="{cls}" id="L{number}"><i>{number:>3} </i>{html.escape(printable(text))}</span>')
    return f'<pre class="program">{"".join(lines)}</pre>'


def _summary_html(trace: Trace, title: str, pictures: _Pictures) -> str:
    if trace.error is not None:
        where = f' <a href="#L{trace.error.line}">line {trace.error.line}</a>' if trace.error.line else ""
        answer = f'<div class="result failed" id="result"><div class="label">Run failed{where}</div>{_error_html(trace.error)}</div>'
    elif isinstance(trace.result, str):
        text = trace.result if len(trace.result) <= 2000 else trace.result[:2000] + f"... ({len(trace.result):,} characters)"
        answer = (
            f'<div class="result" id="result"><div class="label">Result</div>'
            f'<div class="answer-text">{html.escape(printable(text, newlines=True))}</div></div>'
        )
    else:
        answer = (
            f'<div class="result" id="result"><div class="label">Result</div>'
            f"{_value_html(trace.result, _root(trace.inputs), pictures, RESULT_PICTURE_SIDE)}</div>"
        )
    request = (
        f'<p class="request"><span class="label">Request</span><br>{html.escape(printable(trace.request))}</p>'
        if trace.request
        else ""
    )
    stats = f"{len(trace.steps)} step(s), {trace.duration_s:.3f} s"
    notes = "".join(f'<div class="note">note: {html.escape(printable(n))}</div>' for n in getattr(trace, "notes", ()))
    program = _program_html(trace) if trace.program.strip() else f'<p class="meta">{html.escape(_no_program(trace))}</p>'
    return (
        f"<h1>{html.escape(title)}</h1>"
        f'<section class="summary"><div class="answer">{request}{answer}{notes}<p class="meta">{stats}</p></div>'
        f'<div class="source"><div class="label">Program</div>{program}</div></section>'
    )


def _refused(trace: Trace) -> bool:
    """A planned request answered before any chat-model call (e.g. a needed model is
    missing): no program, no attempt, an error."""
    return bool(trace.request) and not trace.attempts and not trace.program.strip() and trace.error is not None


def _no_program(trace: Trace) -> str:
    if _refused(trace):
        return "None: the request was refused before planning (the reason is above)."
    return "None was written."


def trace_to_html(trace: Trace, *, title: str = "visprog trace", standalone: bool = True) -> str:
    """The trace as HTML, bounded in size whatever the program did.

    At the top, a summary card: the request, the result (or the error that stopped the
    run) and the program with each line that ran or failed marked. Below: the inputs,
    the planner's attempts, then each step with its tool calls (arguments, output or
    error record, timing); boxes are drawn numbered on their image with a legend of
    labels, scores and coordinates. With ``standalone`` it is a complete page that needs
    nothing else (no scripts, no network); otherwise a ``<div>`` for notebooks.
    """
    pictures = _Pictures()
    parts = [_summary_html(trace, title, pictures)]
    root = _root(trace.inputs)
    inputs = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{_value_html(v, root, pictures)}</td></tr>" for k, v in trace.inputs.items()
    )
    if inputs:
        parts.append(f'<h2>Inputs</h2><table class="args">{inputs}</table>')
    if trace.attempts:
        rows = "".join(
            f"<tr><td>{a.index + 1}</td><td>{a.duration_s:.2f} s</td>"
            f"<td>{html.escape(printable('; '.join(a.diagnostics) or a.runtime_error or 'ok'))}</td></tr>"
            for a in trace.attempts
        )
        parts.append(f'<h2>Planner attempts</h2><table class="args">{rows}</table>')
    elif _refused(trace):
        parts.append('<h2>Planner attempts</h2><p class="meta">None: the chat model was not asked.</p>')
    if trace.steps or trace.program.strip():
        parts.append(f"<h2>Steps ({len(trace.steps)})</h2>")
    for step in trace.steps:
        base = base_image(step, trace.inputs)
        calls = "".join(_call_html(call, base, pictures) for call in step.calls)
        error = ""
        if step.error is not None and all(call.error != step.error for call in step.calls):
            error = _error_html(step.error, "Step failed: ")
        targets = ", ".join(step.targets)
        value = ""
        if step.error is None and step.targets and len(step.calls) != 1:
            value = f'<div class="out"><b>{html.escape(targets)}</b> = {_value_html(step.output, base, pictures)}</div>'
        parts.append(
            f'<div class="step{" error" if step.error else ""}" id="step-{step.index}" data-line="{step.line}">'
            f'<div class="meta">step {step.index + 1} · <a href="#L{step.line}">line {step.line}</a> · {step.duration_s * 1000:.1f} ms'
            f"{' · assigns ' + html.escape(targets) if targets else ''}</div>"
            f"<pre>{html.escape(printable(step.source, newlines=True))}</pre>{calls}{value}{error}</div>"
        )
    if trace.error is not None and trace.steps and not any(s.error for s in trace.steps):
        # The run stopped between steps (a budget, Ctrl-C): say where, after the steps.
        # Without steps the summary above is the only place the error needs to be.
        parts.append(f'<div class="step error">{_error_html(trace.error, "Run stopped: ")}</div>')
    if pictures.omitted:
        parts.append(
            f'<p class="meta">{pictures.omitted} picture(s) not embedded: a page holds at most {MAX_PICTURES} pictures '
            f"and {MAX_PICTURE_BYTES // 1_000_000} MB of them. The JSON trace (--json --full) has every image.</p>"
        )
    body = "\n".join(parts)
    if not standalone:
        return f'<div class="visprog-trace"><style>{_CSS}</style>{body}</div>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title><style>{_CSS}</style></head><body class="visprog-trace">\n{body}\n</body></html>\n'
    )


# -- terminal -------------------------------------------------------------------------


def trace_to_rich(trace: Trace, *, show_error: bool = True, show_result: bool = True) -> Any:
    """A rich renderable: the steps as a table (when any ran), then the result or the
    error, then the notes. The command line says the error once, in its own ``visprog:
    program failed: ...`` line (``show_error=False``), and the result once, as the last
    line of standard output (``show_result=False``). Every program-controlled string has
    its control characters escaped."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    if trace.steps:
        table = Table(title="visprog trace", show_lines=False)
        table.add_column("#", justify="right")
        table.add_column("line", justify="right")
        table.add_column("statement")
        table.add_column("output")
        table.add_column("ms", justify="right")
        for step in trace.steps:
            if step.error is None:
                output = Text(summarize(step.output, 60))
            elif not show_error and step.error == trace.error:
                output = Text(f"{step.error.kind} (the error below)", style="red")
            else:
                output = Text(printable(str(step.error)), style="red")
            source = printable(step.source.splitlines()[0] if step.source else "")
            table.add_row(str(step.index + 1), str(step.line), Text(source[:70]), output, f"{step.duration_s * 1000:.1f}")
        parts.append(table)
    if trace.error is None:
        if show_result:
            parts.append(Text(f"result: {summarize(trace.result, 200)}", style="bold green"))
    elif show_error:
        parts.append(Text(f"error: {printable(str(trace.error))}", style="bold red"))
    parts.extend(Text(f"note: {printable(n)}", style="yellow") for n in getattr(trace, "notes", ()))
    return Group(*parts)
