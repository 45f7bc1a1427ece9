"""Reading text with PP-OCR through rapidocr-onnxruntime (weights ship in the package)."""

from __future__ import annotations

from visprog_tools.vision.specs import OCR

from visprog.models.manager import model_manager
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image


@tool(family="vision", requires=("rapidocr_onnxruntime",), cacheable=True, models=[OCR])
def read_text(image: Image, min_score: float = 0.5) -> Detections:
    """Find and read text, top to bottom then left to right.

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
        lines.append(Box(min(xs) + dx, min(ys) + dy, max(xs) + dx, max(ys) + dy, label=str(text), score=float(score)))
    lines.sort(key=lambda b: (round(b.cy / max(b.height, 1.0)), b.x1))
    return Detections(lines)
