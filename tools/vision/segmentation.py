"""Segment Anything (SEG, and masks for SELECT/COLORPOP/BGBLUR/REPLACE).

Like SAM's own ``SamPredictor``: the image embedding is computed once per image
(``set_image``) and every box or point prompt on that image after it is cheap.

References, and where this module differs from them:

* ``segment`` with boxes: ``SamPredictor.predict_torch(boxes=..., multimask_output=False)``,
  as SAM's notebook ``predictor_example.ipynb`` does for boxes.
* ``segment`` with points: one point is ambiguous, so SAM returns three masks
  (``multimask_output=True``) and the best-scoring one is kept; several points are given
  with ``multimask_output=False`` and SAM's single mask is kept, as the notebook does
  ("when specifying multiple prompts, a single mask is usually better").
* ``segment_all``: ``SamAutomaticMaskGenerator`` with SAM's thresholds, except two
  defaults chosen for speed on a CPU: ``points_per_side=16`` (SAM: 32, four times the
  prompts) and ``min_stability=0.92`` (SAM's ``stability_score_thresh``: 0.95, relaxed
  because a sparser grid finds fewer, less stable masks). ``min_score`` is SAM's
  ``pred_iou_thresh``, 0.88. Pass 32 and 0.95 for SAM's own results.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from visprog_tools.people import tools as people
from visprog_tools.vision.specs import SEGMENTER

from visprog.errors import ToolError
from visprog.models.manager import model_manager
from visprog.toolkit.context import note
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image, Mask

_REQUIRES = ("torch", "segment_anything")


class _PredictorSession:
    """One SamPredictor per loaded SAM model, remembering which image it embedded."""

    def __init__(self, sam: Any) -> None:
        from segment_anything import SamPredictor

        self.sam = sam
        self.predictor = SamPredictor(sam)
        self.image_key: str | None = None
        self.lock = threading.Lock()

    def use(self, image: Image) -> Any:
        if self.image_key != image.content_hash:
            self.predictor.set_image(image.to_array())
            self.image_key = image.content_hash
        return self.predictor


_SESSIONS: dict[int, _PredictorSession] = {}


def _session() -> _PredictorSession:
    sam = model_manager().load(SEGMENTER)
    session = _SESSIONS.get(id(sam))
    if session is None or session.sam is not sam:
        session = _SESSIONS[id(sam)] = _PredictorSession(sam)
    return session


def _boxed(mask: Mask, label: str | None, score: float | None, fallback: Box | None = None) -> Box | None:
    box = mask.box or fallback
    if box is None:
        return None
    return Box(box.x1, box.y1, box.x2, box.y2, label=label, score=score, mask=mask)


@tool(family="vision", requires=_REQUIRES, cacheable=True, models=[SEGMENTER])
def segment(image: Image, objects: Detections | Box | None = None, points: list[list[float]] | None = None) -> Detections:
    """Masks for given objects (box prompts) or for the object under given points.

    Args:
        image: the image (root or crop); masks come back aligned with the root image.
        objects: boxes to segment, one mask each, in one batched pass.
        points: ``[[x, y], ...]`` in root pixels, all on one object; used when no
            objects are given. One point: the best of SAM's three masks; several: SAM's
            single mask (``multimask_output=False``).

    Returns:
        Detections: each box carries its mask (``box.mask``), label and SAM's score.
    """
    if objects is not None:
        listed = [objects] if isinstance(objects, Box) else list(objects)
        if listed and all(b.label and people.is_person_query(b.label) for b in listed) and people.cannot_run(SEGMENTER) \
                and people.people_ready():
            note("SAM is not available here: person masks from the people tools' pose model")
            return people.person_masks(image, listed)
    import torch

    session = _session()
    with session.lock:
        predictor = session.use(image)
        dx, dy = image.offset
        if objects is not None:
            boxes = [objects] if isinstance(objects, Box) else list(objects)
            if not boxes:
                return Detections([])
            local = torch.tensor([[b.x1 - dx, b.y1 - dy, b.x2 - dx, b.y2 - dy] for b in boxes], dtype=torch.float, device=predictor.device)
            transformed = predictor.transform.apply_boxes_torch(local, (image.height, image.width))
            with torch.inference_mode():
                masks, scores, _ = predictor.predict_torch(None, None, boxes=transformed, multimask_output=False)
            out = []
            for box, mask, score in zip(boxes, masks[:, 0].cpu().numpy(), scores[:, 0].cpu().tolist()):
                m = Mask(image.mask_to_root(mask), box.label, float(score))
                out.append(Box(box.x1, box.y1, box.x2, box.y2, label=box.label, score=float(score), mask=m))
            return Detections(out)
        if not points:
            raise ToolError("give objects (boxes) or points to segment", argument="objects")
        if not all(len(p) == 2 for p in points):
            raise ToolError("points are [x, y] pairs", argument="points")
        coords = np.array([[x - dx, y - dy] for x, y in points], dtype=np.float32)
        masks, scores, _ = predictor.predict(point_coords=coords, point_labels=np.ones(len(coords)), multimask_output=len(coords) == 1)
        best = int(np.argmax(scores))
        mask = Mask(image.mask_to_root(masks[best]), None, float(scores[best]))
        found = _boxed(mask, None, float(scores[best]))
        return Detections([found] if found else [])


@tool(family="vision", requires=_REQUIRES, cacheable=True, models=[SEGMENTER])
def segment_all(image: Image, points_per_side: int = 16, min_score: float = 0.88, min_stability: float = 0.92) -> Detections:
    """Every object SAM finds, unprompted (VisProg's SEG), largest first.

    Args:
        image: the image (root or crop); masks come back aligned with the root image.
        points_per_side: density of SAM's prompt grid; higher finds smaller objects,
            slower (SAM's default: 32).
        min_score: minimum predicted IoU of a mask, in [0, 1] (SAM's ``pred_iou_thresh``).
        min_stability: minimum stability score of a mask, in [0, 1] (SAM's
            ``stability_score_thresh`` defaults to 0.95).

    Returns:
        Detections whose boxes carry masks (unlabelled; SELECT or CLASSIFY name them).
    """
    if not 1 <= points_per_side <= 64:
        raise ToolError("points_per_side must be within 1..64", argument="points_per_side")
    from segment_anything import SamAutomaticMaskGenerator

    session = _session()
    generator = SamAutomaticMaskGenerator(
        session.sam, points_per_side=points_per_side, pred_iou_thresh=min_score, stability_score_thresh=min_stability
    )
    with session.lock:
        found = generator.generate(image.to_array())
    out = []
    for item in sorted(found, key=lambda r: -r["area"]):
        mask = Mask(image.mask_to_root(item["segmentation"]), None, float(item["predicted_iou"]))
        boxed = _boxed(mask, None, float(item["predicted_iou"]))
        if boxed is not None:
            out.append(boxed)
    return Detections(out)
