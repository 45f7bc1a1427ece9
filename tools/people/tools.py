"""People tools: person boxes with per-person masks (PERSONDET), body pose (POSE) and
hands (HANDS), on MediaPipe's models (:mod:`visprog_tools.people.weights`); plus the
offline person answers of ``detect`` and ``segment`` (:func:`person_detections`,
:func:`person_masks`).

Every coordinate is root-image pixels (origin top-left, x2/y2 exclusive for boxes);
masks are root-sized. A crop is searched on its own pixels and the results placed back
at its offset.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from visprog_tools.people.pipeline import PeopleModels, PoseFound, Rect
from visprog_tools.people.values import HAND_JOINTS, POSE_JOINTS, Hand, Joint, Pose
from visprog_tools.people.weights import PEOPLE

from visprog.errors import ToolError
from visprog.models.manager import ModelSpec, model_manager
from visprog.toolkit.context import note
from visprog.toolkit.tool import tool
from visprog.values.core import Box, Detections, Image, Mask

#: Queries (lower case, singular or plural) that mean "a person" for ``detect``'s offline answer.
PERSON_WORDS = frozenset({
    "person", "people", "persons", "human", "humans", "man", "men", "woman", "women", "child", "children", "kid",
    "kids", "boy", "boys", "girl", "girls", "guy", "guys", "lady", "ladies", "player", "players", "someone",
    "anyone", "everyone", "baby", "babies", "adult", "adults", "pedestrian", "pedestrians", "astronaut",
    "astronauts", "athlete", "athletes", "body", "bodies", "figure", "figures",
})
#: A pixel belongs to a person when the pose model's mask says at least this.
MASK_THRESHOLD = 0.5


def is_person_query(query: str) -> bool:
    """``query`` names people ("person", "a man", "the women", "people")."""
    words = query.strip().lower().split()
    while words and words[0] in ("a", "an", "the", "some", "any", "all", "every"):
        words = words[1:]
    return " ".join(words) in PERSON_WORDS


def people_ready() -> bool:
    """The people models can run here now (library and weights present)."""
    return model_manager().availability(PEOPLE, probe=False).ready


def cannot_run(spec: ModelSpec) -> bool:
    """``spec``'s model is neither here nor downloadable now (a short probe decides)."""
    return not model_manager().availability(spec).can_run(allow_downloads=True)


def _models() -> PeopleModels:
    models: PeopleModels = model_manager().load(PEOPLE)
    return models


def _rgb(image: Image) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(image.pil.convert("RGB")))


def _person_box(found: PoseFound, image: Image) -> Box | None:
    """The person's box (its mask's extent, else its seen joints'), with its root mask;
    None when neither lies inside the image."""
    local = found.mask >= MASK_THRESHOLD
    dx, dy = image.offset
    mask = Mask(image.mask_to_root(local), "person", found.score)
    extent = mask.box
    if extent is None:
        seen = found.landmarks[found.landmarks[:, 3] >= 0.5]
        if not len(seen):
            return None
        x1 = float(np.clip(seen[:, 0].min(), 0, image.width)) + dx
        y1 = float(np.clip(seen[:, 1].min(), 0, image.height)) + dy
        x2 = float(np.clip(seen[:, 0].max() + 1, 0, image.width)) + dx
        y2 = float(np.clip(seen[:, 1].max() + 1, 0, image.height)) + dy
        if x2 - x1 < 1 or y2 - y1 < 1:
            return None
        return Box(x1, y1, x2, y2, label="person", score=found.score)
    return Box(extent.x1, extent.y1, extent.x2, extent.y2, label="person", score=found.score, mask=mask)


def _people(image: Image, min_score: float) -> list[tuple[PoseFound, Box]]:
    if not 0.0 <= min_score <= 1.0:
        raise ToolError(f"min_score must be in [0, 1], got {min_score}", argument="min_score")
    out = []
    for found in _models().poses(_rgb(image)):
        if found.score < min_score:
            continue
        box = _person_box(found, image)
        if box is not None:
            out.append((found, box))
    return out


def _salt() -> str:
    return "people/1 mediapipe-0.10.21 tiles nms0.3 mask0.5"


@tool(family="vision", requires=("ai_edge_litert",), cacheable=True, models=[PEOPLE], cache_salt=_salt)
def detect_people(image: Image, min_score: float = 0.5) -> Detections:
    """Find people (person boxes, each with the person's mask), best first.

    MediaPipe's pose detector finds each person from the face and body (people whose
    head is hidden or who are under ~1/10 of the image's height are often missed); the
    pose model then checks that a person is really there and gives the mask. Wide
    images are also searched in square tiles.

    Args:
        image: where to look (root or crop); boxes and masks come back in root
            coordinates (pixels, origin top-left, x2/y2 exclusive); masks are root-sized.
        min_score: smallest detector confidence kept, in [0, 1]; the detector itself
            keeps nothing under 0.5.

    Returns:
        Detections labelled "person", best first; each box is the person's mask extent
        and carries that mask (``box.mask``); empty when nobody is found.
    """
    return Detections([box for _, box in _people(image, min_score)])


def _joints(points: np.ndarray, names: Sequence[str], image: Image, visibility: np.ndarray | None) -> tuple[Joint, ...]:
    dx, dy = image.offset
    return tuple(
        Joint(name, float(points[i, 0]) + dx, float(points[i, 1]) + dy, 1.0 if visibility is None else float(visibility[i]))
        for i, name in enumerate(names)
    )


@tool(family="vision", requires=("ai_edge_litert",), cacheable=True, models=[PEOPLE], cache_salt=_salt)
def pose(image: Image, min_score: float = 0.5) -> list[Pose]:
    """Body pose of every person found (as in ``detect_people``), best first.

    Args:
        image: where to look (root or crop); joints come back in root pixels.
        min_score: smallest detector confidence kept, in [0, 1].

    Returns:
        One Pose per person: ``box`` (with mask), ``score``, 33 named joints
        (``nose``, ``left_wrist``, ... with ``x``, ``y``, ``visibility``; left/right are
        the person's own), and facts: ``raising_hand`` (a seen wrist above the seen nose
        by at least half the shoulder width), ``raising_left_hand``, ``raising_right_hand``.
    """
    out = []
    for found, box in _people(image, min_score):
        joints = _joints(found.landmarks[:, :2], POSE_JOINTS, image, found.landmarks[:, 3])
        out.append(Pose(box, found.score, found.presence, joints))
    return out


@tool(family="vision", requires=("ai_edge_litert",), cacheable=True, models=[PEOPLE], cache_salt=_salt)
def hands(image: Image, min_score: float = 0.5) -> list[Hand]:
    """Find hands: boxes, 21 named points and handedness, best first.

    MediaPipe's palm detector finds hands that are large in the picture (a close-up, a
    hand over ~1/10 of the image); small hands in a group photo are often missed.

    Args:
        image: where to look (root or crop); points come back in root pixels.
        min_score: smallest palm-detector confidence kept, in [0, 1].

    Returns:
        One Hand per hand: ``box`` (the points' extent, labelled "left hand" or "right
        hand"), ``handedness`` ("left"/"right": the person's own hand in an unmirrored
        photo), ``score``, and 21 joints (``wrist``, ``thumb_tip``, ``index_finger_tip``, ...).
    """
    if not 0.0 <= min_score <= 1.0:
        raise ToolError(f"min_score must be in [0, 1], got {min_score}", argument="min_score")
    dx, dy = image.offset
    out = []
    for found in _models().hands(_rgb(image)):
        if found.score < min_score:
            continue
        points = found.landmarks
        x1 = float(np.clip(points[:, 0].min(), 0, image.width))
        y1 = float(np.clip(points[:, 1].min(), 0, image.height))
        x2 = float(np.clip(points[:, 0].max() + 1, 0, image.width))
        y2 = float(np.clip(points[:, 1].max() + 1, 0, image.height))
        if x2 - x1 < 1 or y2 - y1 < 1:
            continue
        side = "left" if found.left_score > 0.5 else "right"
        box = Box(x1 + dx, y1 + dy, x2 + dx, y2 + dy, label=f"{side} hand", score=found.score)
        confidence = found.left_score if side == "left" else 1 - found.left_score
        out.append(Hand(box, side, float(confidence), found.score, _joints(points[:, :2], HAND_JOINTS, image, None)))
    return out


# -- offline answers of detect and segment ----------------------------------------------------


#: Queries that mean "a hand" for ``detect``'s offline answer.
HAND_WORDS = frozenset({"hand", "hands", "palm", "palms"})


def is_hand_query(query: str) -> bool:
    """``query`` names hands ("hand", "the hands", "a palm")."""
    words = query.strip().lower().split()
    while words and words[0] in ("a", "an", "the", "some", "any", "all", "every"):
        words = words[1:]
    return " ".join(words) in HAND_WORDS


def offline_detections(image: Image, queries: Sequence[str], detector: ModelSpec) -> Detections | None:
    """``detect``'s answer when the open-vocabulary ``detector`` can neither run nor be
    downloaded here and every query names people (person boxes with their masks) or
    every query names hands (hand boxes); noted on the trace. None otherwise (``detect``
    then fails as usual, naming the detector's model)."""
    people_query = all(is_person_query(q) for q in queries)
    hand_query = all(is_hand_query(q) for q in queries)
    if not (people_query or hand_query) or not people_ready() or not cannot_run(detector):
        return None
    label = queries[0]
    if people_query:
        note(f"the open-vocabulary detector is not available here: '{label}' answered with the people "
             "tools' person boxes (MediaPipe pose detector)")
        return Detections([
            Box(b.x1, b.y1, b.x2, b.y2, label=label, score=b.score, mask=b.mask) for _, b in _people(image, 0.5)
        ])
    note(f"the open-vocabulary detector is not available here: '{label}' answered with the people "
         "tools' hand boxes (MediaPipe palm detector)")
    return Detections([
        Box(h.box.x1, h.box.y1, h.box.x2, h.box.y2, label=label, score=h.score) for h in hands.func(image=image, min_score=0.5)
    ])


def person_masks(image: Image, boxes: Sequence[Box]) -> Detections:
    """``segment``'s offline answer for person boxes: each box's person mask (root-sized),
    kept inside the box.

    A box that carries a mask already keeps it. Otherwise the person the people tools
    find with the largest overlap (box IoU >= 0.5) gives the mask; failing that, the pose
    model runs on a square 1.5x the box's longer side around it and must report a
    person (presence >= 0.5). A box in which no person is found is left out (never a
    mask of something else).
    """
    rgb = _rgb(image)
    models = _models()
    dx, dy = image.offset
    found_people: list[tuple[PoseFound, Box]] | None = None
    out = []
    for box in boxes:
        if box.mask is not None:
            out.append(box)
            continue
        if found_people is None:
            found_people = _people(image, 0.5)
        best = max(found_people, key=lambda item: item[1].iou(box), default=None)
        found: PoseFound | None = None
        if best is not None and best[1].iou(box) >= 0.5:
            found = best[0]
        else:
            side = max(box.width, box.height) * 1.5
            if side >= 4:
                rect = Rect((box.x1 + box.x2) / 2 - dx, (box.y1 + box.y2) / 2 - dy, side, side, 0.0)
                found = models.pose_in_rect(rgb, rect, box.score if box.score is not None else 1.0, min_presence=0.5)
        if found is None:
            continue
        root = image.mask_to_root(found.mask >= MASK_THRESHOLD)
        inside = np.zeros_like(root)
        inside[max(0, math.floor(box.y1)) : math.ceil(box.y2), max(0, math.floor(box.x1)) : math.ceil(box.x2)] = True
        root &= inside
        if not root.any():
            continue
        mask = Mask(root, box.label, found.presence)
        out.append(Box(box.x1, box.y1, box.x2, box.y2, label=box.label, score=found.presence, mask=mask))
    return Detections(out)
