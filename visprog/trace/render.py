"""Rendering of values and traces: drawn images, self-contained HTML, rich terminal output.

Only host code renders, and only for known value types; anything else is shown by its
type name. HTML is built with escaping everywhere a program-controlled string appears.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageDraw

from visprog.trace.records import StepRecord, Trace
from visprog.values.codec import png_data_url
from visprog.values.core import Box, Detections, Image, Mask

__all__ = ["draw_boxes", "draw_masks", "render_value_image", "summarize", "trace_to_html", "trace_to_rich"]

PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60)]


def draw_boxes(image: Image, boxes: Iterable[Box], *, width: int = 3, labels: bool = True) -> PIL.Image.Image:
    """A copy of ``image`` with ``boxes`` (root coordinates) outlined and labelled."""
    canvas = image.pil.copy()
    draw = PIL.ImageDraw.Draw(canvas)
    ox, oy = image.offset
    for i, box in enumerate(boxes):
        color = PALETTE[i % len(PALETTE)]
        rect = (box.x1 - ox, box.y1 - oy, box.x2 - ox - 1, box.y2 - oy - 1)
        if rect[2] < rect[0] or rect[3] < rect[1]:
            continue
        draw.rectangle(rect, outline=color, width=width)
        if labels and box.label:
            text = box.label if box.score is None else f"{box.label} {box.score:.2f}"
            left, top, right, bottom = draw.textbbox((rect[0], rect[1]), text)
            draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=color)
            draw.text((rect[0], rect[1]), text, fill=(255, 255, 255))
    return canvas


def draw_masks(image: Image, masks: Iterable[Mask], *, alpha: float = 0.45) -> PIL.Image.Image:
    """A copy of ``image`` with each mask (root-aligned) tinted in its own color."""
    pixels = np.asarray(image.pil).astype(np.float32)
    ox, oy = image.offset
    h, w = pixels.shape[:2]
    for i, mask in enumerate(masks):
        region = mask.array[oy : oy + h, ox : ox + w]
        if region.shape != (h, w):
            continue
        color = np.array(PALETTE[i % len(PALETTE)], dtype=np.float32)
        pixels[region] = pixels[region] * (1 - alpha) + color * alpha
    return PIL.Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def render_value_image(value: Any, base: Image | None) -> PIL.Image.Image | None:
    """A picture of a value: the image itself, or boxes/masks drawn on ``base``."""
    if isinstance(value, Image):
        return value.pil
    if base is None:
        return None
    if isinstance(value, Box):
        value = Detections([value])
    if isinstance(value, Detections):
        masks = [b.mask for b in value if b.mask is not None]
        canvas = base.with_pixels(draw_masks(base, masks)) if masks else base
        return draw_boxes(canvas, value)
    if isinstance(value, Mask):
        return draw_masks(base, [value])
    if isinstance(value, list) and value and all(isinstance(v, Mask) for v in value):
        return draw_masks(base, value)
    return None


def summarize(value: Any, limit: int = 120) -> str:
    """One line describing a value, for tables and variable views."""
    try:
        if isinstance(value, (Image, Box, Detections, Mask)):
            text = repr(value)
        elif isinstance(value, float):
            text = f"{value:.4g}"
        else:
            text = repr(value) if isinstance(value, str) else str(value)
    except RecursionError:  # a program can nest lists deeper than repr goes
        text = f"<{type(value).__name__} nested too deeply to show>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def thumbnail(pil: PIL.Image.Image, max_side: int = 512) -> PIL.Image.Image:
    if max(pil.size) <= max_side:
        return pil
    copy = pil.copy()
    copy.thumbnail((max_side, max_side))
    return copy


def base_image(step: StepRecord, inputs: Mapping[str, Any]) -> Image | None:
    """The image a step's boxes and masks are drawn on: its first Image argument, else the
    main input image, else any input image."""
    for call in step.calls:
        for arg in call.arguments.values():
            if isinstance(arg, Image):
                return arg
    root = inputs.get("IMAGE") or inputs.get("image")
    if isinstance(root, Image):
        return root
    return next((v for v in inputs.values() if isinstance(v, Image)), None)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem;color:#1d1d1f;background:#fafafa}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin:.2rem 0}
pre.program{background:#fff;border:1px solid #ddd;padding:.6rem;border-radius:6px;overflow-x:auto}
pre.program span.line{display:block}pre.program span.failed{background:#fde2e2}
pre.program span.ran{background:#eef7ee}pre.program i{color:#999;font-style:normal;user-select:none}
.step{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.8rem 0}
.step.error{border-color:#d33}.meta{color:#666;font-size:.85rem}
.error-box{color:#a00;font-weight:600}table.args{border-collapse:collapse;margin:.3rem 0}
table.args td{border-top:1px solid #eee;padding:.2rem .5rem;vertical-align:top;font-size:.9rem}
img.value{max-width:160px;max-height:160px;border:1px solid #ccc;display:block;margin:.2rem 0}
.out img.value,.result img.value{max-width:360px;max-height:360px}
.call-body{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start}
.result{font-size:1.1rem;background:#eef5ff;border:1px solid #9bc;padding:.6rem;border-radius:6px}
code{background:#f2f2f2;padding:0 .2rem;border-radius:3px}
"""


def _value_html(value: Any, base: Image | None, cache: dict[int, tuple[Any, str]] | None = None) -> str:
    picture = render_value_image(value, base)
    text = html.escape(summarize(value, 400))
    if picture is None:
        return f"<code>{text}</code>"
    # The same image object (the input, most often) is encoded once per page; the cache
    # keeps each picture alive so that its id cannot be reused by another.
    key = id(picture)
    if cache is not None and key in cache:
        url = cache[key][1]
    else:
        url = png_data_url(thumbnail(picture))
        if cache is not None:
            cache[key] = (picture, url)
    return f'<img class="value" alt="{text}" src="{url}"><span class="meta">{text}</span>'


def trace_to_html(trace: Trace, *, title: str = "visprog trace", standalone: bool = True) -> str:
    """The trace as HTML: request, program with each step's line marked, each step with its
    arguments, outputs (images inline, boxes and masks drawn) and timing, then the result.
    With ``standalone`` it is a complete page that needs nothing else (no scripts, no network)."""
    failed_lines = {s.line for s in trace.steps if s.error}
    if trace.error and trace.error.line:
        failed_lines.add(trace.error.line)
    ran_lines = {line for s in trace.steps for line in range(s.line, s.end_line + 1)}
    program_lines = []
    for number, text in enumerate(trace.program.splitlines(), start=1):
        cls = "line failed" if number in failed_lines else "line ran" if number in ran_lines else "line"
        program_lines.append(f'<span class="{cls}" id="L{number}"><i>{number:>3} </i>{html.escape(text)}</span>')
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if trace.request:
        parts.append(f"<p><b>Request:</b> {html.escape(trace.request)}</p>")
    inputs = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{_value_html(v, None)}</td></tr>" for k, v in trace.inputs.items()
    )
    if inputs:
        parts.append(f'<h2>Inputs</h2><table class="args">{inputs}</table>')
    parts.append(f'<h2>Program</h2><pre class="program">{"".join(program_lines)}</pre>')
    if trace.attempts:
        rows = "".join(
            f"<tr><td>{a.index + 1}</td><td>{a.duration_s:.2f} s</td><td>{html.escape('; '.join(a.diagnostics) or a.runtime_error or 'ok')}</td></tr>"
            for a in trace.attempts
        )
        parts.append(f'<h2>Planner attempts</h2><table class="args">{rows}</table>')
    parts.append(f"<h2>Steps ({len(trace.steps)})</h2>")
    images: dict[int, tuple[Any, str]] = {}
    for step in trace.steps:
        base = base_image(step, trace.inputs)
        rows = []
        for call in step.calls:
            args = "".join(
                f"<tr><td><code>{html.escape(name)}</code></td><td>{_value_html(value, base, images)}</td></tr>"
                for name, value in call.arguments.items()
            )
            cached = " (cached)" if call.cached else ""
            rows.append(
                f'<div class="call"><b>{html.escape(call.name)}</b>'
                f'<span class="meta"> → {html.escape(call.tool)}, {call.duration_s * 1000:.1f} ms{cached}</span>'
                f'<div class="call-body"><table class="args">{args}</table>'
                f'<div class="out"><b>output</b>{_value_html(call.output, base, images)}</div></div></div>'
            )
        error = f'<div class="error-box">{html.escape(str(step.error))}</div>' if step.error else ""
        targets = ", ".join(step.targets)
        parts.append(
            f'<div class="step{" error" if step.error else ""}" id="step-{step.index}" data-line="{step.line}">'
            f'<div class="meta">step {step.index + 1} · <a href="#L{step.line}">line {step.line}</a> · {step.duration_s * 1000:.1f} ms'
            f'{" · assigns " + html.escape(targets) if targets else ""}</div>'
            f"<pre>{html.escape(step.source)}</pre>{''.join(rows)}{error}</div>"
        )
    if trace.error:
        parts.append(f'<div class="step error"><div class="error-box">Run stopped: {html.escape(str(trace.error))}</div></div>')
    else:
        parts.append(f'<h2>Result</h2><div class="result">{_value_html(trace.result, _root(trace))}</div>')
    parts.append(f'<p class="meta">Total {trace.duration_s:.3f} s</p>')
    body = "\n".join(parts)
    if not standalone:
        return f'<div class="visprog-trace"><style>{_CSS}</style>{body}</div>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def _root(trace: Trace) -> Image | None:
    value = trace.inputs.get("IMAGE") or trace.inputs.get("image")
    return value if isinstance(value, Image) else None


def trace_to_rich(trace: Trace) -> Any:
    """A rich renderable: the steps as a table, then the result or the error."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(title="visprog trace", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("line", justify="right")
    table.add_column("statement")
    table.add_column("output")
    table.add_column("ms", justify="right")
    for step in trace.steps:
        output = Text(str(step.error), style="red") if step.error else Text(summarize(step.output, 60))
        table.add_row(str(step.index + 1), str(step.line), Text(step.source[:70]), output, f"{step.duration_s * 1000:.1f}")
    footer = (
        Text(f"error: {trace.error}", style="bold red")
        if trace.error
        else Text(f"result: {summarize(trace.result, 200)}", style="bold green")
    )
    return Group(table, footer)
