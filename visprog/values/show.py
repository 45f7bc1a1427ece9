"""How the built-in values are shown: one-line text and pictures (boxes and masks drawn
on an image). The value types register these through the protocol
(:mod:`visprog.values.builtin`); traces, the REPL, widgets and tools ask the protocol.

Coordinates: boxes and masks are in root-image pixels (see :mod:`visprog.values.core`);
they are drawn on an image by subtracting that image's ``offset``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont

from visprog.values.core import Box, Image, Mask

__all__ = ["PALETTE", "box_text", "coordinate", "draw_boxes", "draw_masks", "printable"]

PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 160, 160), (240, 50, 230), (128, 128, 0)]

_BIDI = {0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` safe for a terminal: C0 and C1 control characters (ESC, OSC, BEL, CR, ...),
    DEL and bidirectional overrides become visible escapes such as ``\\x1b``.

    Args:
        text: any text (program output, a file name, an error message).
        newlines: keep ``\\n`` as a line break (for multi-line text); otherwise it is
            escaped too, so the result is one line.
    """
    if text.isprintable():
        return text
    out = []
    for char in text:
        code = ord(char)
        if char == "\n" and newlines:
            out.append(char)
        elif char == "\t":
            out.append("\\t" if not newlines else char)
        elif code < 0x20 or 0x7F <= code <= 0x9F or code in _BIDI or unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def coordinate(value: float) -> str:
    """A coordinate as text: an integer when it is one, else one decimal."""
    return str(int(round(value))) if math.isfinite(value) and float(value).is_integer() else f"{value:.1f}"


def box_text(box: Box) -> str:
    """``'face' 0.93 [10, 20, 50, 60]``: label, score and integer-rounded coordinates."""
    parts = []
    if box.label is not None:
        parts.append(repr(box.label))
    if box.score is not None:
        parts.append(f"{box.score:.2f}")
    parts.append("[" + ", ".join(coordinate(v) for v in box.as_tuple()) + "]")
    return " ".join(parts)


def _font(size: int) -> PIL.ImageFont.ImageFont | PIL.ImageFont.FreeTypeFont:
    try:
        return PIL.ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the small bitmap font
        return PIL.ImageFont.load_default()


def draw_boxes(image: Image, boxes: Iterable[Box], *, width: int | None = None, labels: bool = True) -> PIL.Image.Image:
    """A copy of ``image`` with ``boxes`` (root coordinates) outlined, each tagged with
    its number (1, 2, ...) and, where it fits, its label and score.

    Line width and text size grow with the image, so that both stay readable once the
    picture is shown as a thumbnail.
    """
    canvas = image.pil.copy()
    draw = PIL.ImageDraw.Draw(canvas)
    ox, oy = image.offset
    side = max(canvas.size)
    line = width or max(2, round(side / 160))
    font = _font(max(11, round(side / 22)))
    for i, box in enumerate(boxes):
        color = PALETTE[i % len(PALETTE)]
        rect = (box.x1 - ox, box.y1 - oy, box.x2 - ox - 1, box.y2 - oy - 1)
        if rect[2] < rect[0] or rect[3] < rect[1]:
            continue
        draw.rectangle(rect, outline=color, width=line)
        if not labels:
            continue
        text = str(i + 1)
        if box.label:
            caption = printable(box.label)[:40]
            text = f"{i + 1} {caption}" if box.score is None else f"{i + 1} {caption} {box.score:.2f}"
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        tw, th = right - left, bottom - top
        x = min(max(rect[0], 0), max(canvas.width - tw - 4, 0))
        y = rect[1] - th - 4 if rect[1] - th - 4 >= 0 else rect[1]
        draw.rectangle((x, y, x + tw + 4, y + th + 4), fill=color)
        draw.text((x + 2 - left, y + 2 - top), text, fill=(255, 255, 255), font=font)
    return canvas


def draw_masks(image: Image, masks: Iterable[Mask], *, alpha: float = 0.45) -> PIL.Image.Image:
    """A copy of ``image`` with each mask (root-aligned ``(H, W)`` bool) tinted in its own color."""
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
