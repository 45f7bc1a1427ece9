"""Face detection with OpenCV's Haar cascade, whose weights ship inside
opencv-python-headless 4.x, so it runs offline on any machine."""

from __future__ import annotations

from visprog.models import model_manager
from visprog.registry import tool
from visprog.values import Box, Detections, Image

from visprog_tools.vision.specs import FACES


@tool(family="vision", requires=("cv2",), cacheable=True, models=[FACES])
def detect_faces(image: Image, min_size: int = 24) -> Detections:
    """Find faces (VisProg's FACEDET), largest first.

    Args:
        image: where to look (root or crop); boxes come back in root coordinates.
        min_size: smallest face side, in pixels.

    Returns:
        Detections labelled "face" (the cascade gives no calibrated score).
    """
    import cv2
    import numpy as np

    cascade = model_manager().load(FACES)
    gray = cv2.equalizeHist(cv2.cvtColor(np.asarray(image.pil), cv2.COLOR_RGB2GRAY))
    found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_size, min_size))
    dx, dy = image.offset
    boxes = [Box(float(x + dx), float(y + dy), float(x + w + dx), float(y + h + dy), label="face") for x, y, w, h in found]
    return Detections(sorted(boxes, key=lambda b: -b.area))
