"""Reading text with PP-OCR through rapidocr-onnxruntime (weights ship in the package)."""

from __future__ import annotations

from typing import Any

from visprog_tools.vision.specs import OCR

from visprog.models.manager import model_manager
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image

#: Lines shorter than this (pixels) are read again from a copy scaled up to it: PP-OCR's
#: recogniser drops the spaces between words of small text ("OPEN24HOURS").
REREAD_HEIGHT = 64


@tool(family="vision", requires=("rapidocr_onnxruntime",), cacheable=True, models=[OCR])
def read_text(image: Image, min_score: float = 0.5) -> Detections:
    """Find and read text lines, in reading order: rows top to bottom (boxes whose
    vertical extents overlap by half the smaller height are one row), left to right
    within a row. Each label is a line as PP-OCR reads it, spaces between words kept.

    Args:
        image: where to read (root or crop); boxes come back in root coordinates.
        min_score: minimum recognition confidence in [0, 1].

    Returns:
        Detections whose labels are the text lines read (``.labels`` lists them).
    """
    import numpy as np

    engine = model_manager().load(OCR)
    found, _ = engine(np.asarray(image.pil))
    dx, dy = image.offset
    lines = []
    for quad, text, score in found or []:
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        if float(score) < min_score or not str(text).strip():
            continue
        local = (min(xs), min(ys), max(xs), max(ys))
        read = _with_spaces(engine, image, local, str(text))
        lines.append(Box(local[0] + dx, local[1] + dy, local[2] + dx, local[3] + dy, label=read, score=float(score)))
    return Detections(reading_order(lines))


def reading_order(boxes: list[Box]) -> list[Box]:
    """Rows top to bottom, left to right within a row. A box joins a row when its
    vertical extent overlaps the row's by at least half the smaller of the two heights
    (so a small line under a big one is not put before it, as sorting by center/height
    did: "$4.99 SALE" for "SALE / $4.99")."""
    rows: list[tuple[float, float, list[Box]]] = []
    for box in sorted(boxes, key=lambda b: (b.y1, b.x1)):
        for index, (top, bottom, members) in enumerate(rows):
            overlap = min(bottom, box.y2) - max(top, box.y1)
            if overlap >= 0.5 * min(bottom - top, box.height):
                members.append(box)
                rows[index] = (min(top, box.y1), max(bottom, box.y2), members)
                break
        else:
            rows.append((box.y1, box.y2, [box]))
    rows.sort(key=lambda row: row[0])
    return [box for _, _, members in rows for box in sorted(members, key=lambda b: b.x1)]


def _with_spaces(engine: Any, image: Image, box: tuple[float, float, float, float], text: str) -> str:
    """``text`` read again from the line scaled up to :data:`REREAD_HEIGHT` pixels when it
    is smaller; the new reading is kept only when it has the same characters apart from
    spaces (the recogniser finds the word gaps at that size), else ``text``."""
    import numpy as np
    import PIL.Image

    x1, y1, x2, y2 = box
    height = y2 - y1
    if height <= 0 or height >= REREAD_HEIGHT:
        return text
    pad = 0.15 * height
    crop = image.pil.crop((
        max(0, int(x1 - pad)), max(0, int(y1 - pad)),
        min(image.width, int(x2 + pad) + 1), min(image.height, int(y2 + pad) + 1),
    ))
    scale = REREAD_HEIGHT / height
    crop = crop.convert("RGB").resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))), PIL.Image.Resampling.BICUBIC)
    found, _ = engine(np.asarray(crop), use_det=False, use_cls=False, use_rec=True)
    if not found:
        return text
    again = str(found[0][0])
    if again.replace(" ", "") == text.replace(" ", "") and again.count(" ") > text.count(" "):
        return again
    return text
