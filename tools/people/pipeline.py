"""MediaPipe's pose and hand pipelines, re-done over ``ai-edge-litert``.

The steps follow MediaPipe's CPU graphs (``pose_detection_cpu``,
``pose_detection_to_roi``, ``pose_landmark_by_roi_cpu``,
``tensors_to_pose_landmarks_and_segmentation``, ``palm_detection_cpu``,
``palm_detection_detection_to_roi``, ``hand_landmark_cpu``) in static-image mode:

1. detector: the whole image letterboxed (kept aspect, zero border) into the model's
   square input; SSD anchors; sigmoid scores; weighted non-maximum suppression (IoU 0.3);
   the letterbox removed.
2. region of interest: a rotated square from two key points (pose: hip centre to the
   full-body scale point, x1.25; palm: the detection box, rotated from the wrist to the
   middle finger's knuckle, shifted half up, x2.6).
3. landmark model on that rotated crop (``cv2.warpPerspective``, replicated border);
   landmarks refined from the heatmap (pose) and projected back; the pose model's 256x256
   person mask is warped back into the image.

Unlike ``mp.solutions`` (one pose, two hands), every detection after suppression gets its
landmarks, so several people are found. Coordinates here are pixels of the array given
(x right, y down, origin at the top-left pixel's corner).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

#: Detector score threshold (MediaPipe's); the landmark model's presence threshold
#: (MediaPipe's 0.5) for hands.
MIN_DETECTION_SCORE = 0.5
MIN_PRESENCE = 0.5
#: The pose landmark model's presence score a person must reach. MediaPipe uses 0.5;
#: on benchmarks/people.py's photos without people (a fish, a rendered monkey head, a
#: rocket) the landmark model said 0.65..0.89 while real people scored 0.95 and more.
MIN_PERSON_PRESENCE = 0.9
NMS_IOU = 0.3
#: At most this many people (pose detections) or hands per image.
MAX_PEOPLE = 10
MAX_HANDS = 10


@dataclass(frozen=True)
class Rect:
    """A rotated rectangle in pixels: centre, size, rotation (radians, clockwise on screen)."""

    cx: float
    cy: float
    width: float
    height: float
    rotation: float


@dataclass(frozen=True)
class PoseFound:
    """One person: 33 landmarks ``(x, y, z, visibility, presence)`` in pixels (z in the
    crop's scale), the detector score, the presence score, the crop used, and the
    person-probability mask over the whole image (``(H, W)`` float32 in [0, 1])."""

    landmarks: np.ndarray
    score: float
    presence: float
    rect: Rect
    mask: np.ndarray


@dataclass(frozen=True)
class HandFound:
    """One hand: 21 landmarks ``(x, y, z)`` in pixels; the palm detector's score, the
    landmark model's presence score, and the probability that it is the person's left
    hand in an unmirrored photo (1 - MediaPipe's "Left" score, which assumes a mirror)."""

    landmarks: np.ndarray
    score: float
    presence: float
    left_score: float
    rect: Rect


# -- SSD detector decoding -----------------------------------------------------------


def ssd_anchors(input_size: int, strides: list[int]) -> np.ndarray:
    """Anchor centres ``(N, 2)`` in [0, 1] as MediaPipe's ``SsdAnchorsCalculator`` builds
    them with ``fixed_anchor_size``, one aspect ratio (1.0) plus the interpolated one:
    two anchors per layer per cell; layers with equal strides share a grid."""
    centres: list[tuple[float, float]] = []
    layer = 0
    while layer < len(strides):
        same = layer
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
        per_cell = 2 * (same - layer)
        cells = math.ceil(input_size / strides[layer])
        for y in range(cells):
            for x in range(cells):
                centres.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell)
        layer = same
    return np.asarray(centres, dtype=np.float32)


def decode_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, size: int,
                      keypoints: int, min_score: float = MIN_DETECTION_SCORE) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """``TensorsToDetectionsCalculator`` + weighted NMS: ``[(score, box, keypoints)]``
    best first; box ``(xmin, ymin, xmax, ymax)`` and keypoints ``(K, 2)`` in the input
    tensor's [0, 1] coordinates."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1).astype(np.float64), -100.0, 100.0)))
    keep = np.nonzero(scores >= min_score)[0]
    if not len(keep):
        return []
    raw = raw_boxes.reshape(len(anchors), -1)[keep].astype(np.float64)
    anchor = anchors[keep].astype(np.float64)
    cx = raw[:, 0] / size + anchor[:, 0]
    cy = raw[:, 1] / size + anchor[:, 1]
    w = raw[:, 2] / size
    h = raw[:, 3] / size
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    points = raw[:, 4 : 4 + 2 * keypoints].reshape(-1, keypoints, 2) / size + anchor[:, None, :]
    return weighted_nms(scores[keep], boxes, points)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_nms(scores: np.ndarray, boxes: np.ndarray, points: np.ndarray,
                 iou: float = NMS_IOU) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """MediaPipe's WEIGHTED non-maximum suppression: the best box absorbs every box
    overlapping it by more than ``iou``; the result is their score-weighted average,
    with the best box's score."""
    order = np.argsort(-scores, kind="stable")
    out = []
    while len(order):
        best = order[0]
        overlap = _iou(boxes[best], boxes[order])
        group = order[overlap > iou]
        rest = order[overlap <= iou]
        if not len(group):
            group = order[:1]
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(axis=0) / weights.sum()
        pts = (points[group] * weights[:, :, None]).sum(axis=0) / weights.sum()
        out.append((float(scores[best]), box, pts))
        if len(rest) == len(order):
            break
        order = rest
    return out


# -- crops -----------------------------------------------------------------------------


def _normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def letterbox(width: int, height: int) -> tuple[Rect, float, float]:
    """The square region (centred, padded) a whole ``width x height`` image is fitted
    into, and the horizontal and vertical padding as fractions of its side (each side)."""
    side = max(width, height)
    return Rect(width / 2, height / 2, side, side, 0.0), (side - width) / 2 / side, (side - height) / 2 / side


def rect_matrix(rect: Rect, out_w: int, out_h: int) -> np.ndarray:
    """The 3x3 transform from image pixels to the ``out_w x out_h`` crop of ``rect``
    (MediaPipe's ``ImageToTensorConverter``: the rect's corners to the output's)."""
    import cv2

    corners = cv2.boxPoints(((rect.cx, rect.cy), (rect.width, rect.height), math.degrees(rect.rotation)))
    target = np.array([[0, out_h], [0, 0], [out_w, 0], [out_w, out_h]], dtype=np.float32)
    return np.asarray(cv2.getPerspectiveTransform(corners.astype(np.float32), target), dtype=np.float64)


def crop_tensor(rgb: np.ndarray, rect: Rect, size: int, low: float, high: float, zero_border: bool) -> np.ndarray:
    """The ``(1, size, size, 3)`` float32 input of ``rect`` (uint8 pixels warped, then
    scaled into ``[low, high]``)."""
    import cv2

    border = cv2.BORDER_CONSTANT if zero_border else cv2.BORDER_REPLICATE
    warped = cv2.warpPerspective(rgb, rect_matrix(rect, size, size), (size, size), flags=cv2.INTER_LINEAR, borderMode=border)
    tensor = warped.astype(np.float32) * ((high - low) / 255.0) + low
    return tensor[None]


def project(points: np.ndarray, rect: Rect) -> np.ndarray:
    """Points ``(N, 2)`` in the crop's [0, 1] coordinates -> image pixels
    (``LandmarkProjectionCalculator``)."""
    x = points[:, 0] - 0.5
    y = points[:, 1] - 0.5
    cos, sin = math.cos(rect.rotation), math.sin(rect.rotation)
    return np.stack([(cos * x - sin * y) * rect.width + rect.cx, (sin * x + cos * y) * rect.height + rect.cy], axis=1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0))), dtype=np.float64)


def refine_from_heatmap(points: np.ndarray, heatmap: np.ndarray, kernel: int = 7, min_confidence: float = 0.5) -> np.ndarray:
    """``RefineLandmarksFromHeatmapCalculator``: each point (crop [0, 1] coordinates)
    moves to the confidence-weighted mean cell of its heatmap channel around it, when
    that window's largest confidence reaches ``min_confidence``."""
    rows, cols, _ = heatmap.shape
    out = points.copy()
    half = (kernel - 1) // 2
    for i in range(len(points)):
        col, row = int(points[i, 0] * cols), int(points[i, 1] * rows)
        if col < 0 or col >= cols or row < 0 or row >= rows:
            continue
        r0, r1 = max(0, row - half), min(rows, row + half + 1)
        c0, c1 = max(0, col - half), min(cols, col + half + 1)
        conf = _sigmoid(heatmap[r0:r1, c0:c1, i].astype(np.float64))
        total = conf.sum()
        if conf.max() >= min_confidence and total > 0:
            rr, cc = np.mgrid[r0:r1, c0:c1]
            out[i, 0] = (cc * conf).sum() / cols / total
            out[i, 1] = (rr * conf).sum() / rows / total
    return out


def _keypoint_rect(centre: np.ndarray, scale_point: np.ndarray, width: int, height: int, scale: float) -> Rect:
    """``AlignmentPointsRectsCalculator`` + ``RectTransformationCalculator`` (square_long):
    a square centred on ``centre`` with side ``2 * |scale_point - centre| * scale``, turned
    so that centre -> scale_point points up. Points in pixels."""
    dx, dy = float(scale_point[0] - centre[0]), float(scale_point[1] - centre[1])
    side = 2 * math.hypot(dx, dy) * scale
    rotation = _normalize_radians(math.pi / 2 - math.atan2(-dy, dx))
    return Rect(float(centre[0]), float(centre[1]), side, side, rotation)


def _palm_rect(box: np.ndarray, wrist: np.ndarray, knuckle: np.ndarray) -> Rect:
    """``DetectionsToRectsCalculator`` + ``RectTransformationCalculator`` for a palm
    (scale 2.6, shift_y -0.5, square_long). Box and points in pixels."""
    rotation = _normalize_radians(math.pi / 2 - math.atan2(-(knuckle[1] - wrist[1]), knuckle[0] - wrist[0]))
    width, height = float(box[2] - box[0]), float(box[3] - box[1])
    cx, cy = float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2
    shift = -0.5
    cx += -height * shift * math.sin(rotation)
    cy += height * shift * math.cos(rotation)
    side = max(width, height) * 2.6
    return Rect(cx, cy, side, side, rotation)


def _mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = int(np.count_nonzero(a | b))
    return int(np.count_nonzero(a & b)) / union if union else 0.0


def _to_pixels(points: np.ndarray, pad_x: float, pad_y: float, width: int, height: int) -> np.ndarray:
    """Detector [0, 1] coordinates on the letterboxed square -> image pixels."""
    x = (points[..., 0] - pad_x) / (1 - 2 * pad_x) * width
    y = (points[..., 1] - pad_y) / (1 - 2 * pad_y) * height
    return np.stack([x, y], axis=-1)


# -- the models --------------------------------------------------------------------------


class _Model:
    """One TFLite interpreter (single thread) behind a lock."""

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]

        self.interpreter: Any = Interpreter(model_path=str(path), num_threads=1)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.outputs = [d["index"] for d in self.interpreter.get_output_details()]
        self.lock = threading.Lock()

    def __call__(self, tensor: np.ndarray) -> list[np.ndarray]:
        with self.lock:
            self.interpreter.set_tensor(self.input, np.ascontiguousarray(tensor, dtype=np.float32))
            self.interpreter.invoke()
            return [np.array(self.interpreter.get_tensor(i)) for i in self.outputs]


class PeopleModels:
    """The four MediaPipe models, loaded once (``ModelManager`` keeps one per folder).

    Args:
        folder: the folder holding the files of :data:`visprog_tools.people.weights.FILES`.
    """

    POSE_ANCHORS = ssd_anchors(224, [8, 16, 32, 32, 32])
    PALM_ANCHORS = ssd_anchors(192, [8, 16, 16, 16])

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._models: dict[str, _Model] = {}
        self._lock = threading.Lock()

    def _model(self, name: str) -> _Model:
        """The interpreter of ``name``.tflite, created on first use (pose tools never
        load the hand models)."""
        with self._lock:
            if name not in self._models:
                self._models[name] = _Model(self.folder / f"{name}.tflite")
            return self._models[name]

    @property
    def pose_detector(self) -> _Model:
        return self._model("pose_detection")

    @property
    def pose_landmarks(self) -> _Model:
        return self._model("pose_landmark_full")

    @property
    def palm_detector(self) -> _Model:
        return self._model("palm_detection_full")

    @property
    def hand_landmarks(self) -> _Model:
        return self._model("hand_landmark_full")

    # -- pose ----------------------------------------------------------------
    def pose_detections(self, rgb: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """Pose detector: ``[(score, keypoints (4, 2) in pixels)]`` best first (hip
        centre, full-body scale point, shoulder centre, upper-body scale point)."""
        height, width = rgb.shape[:2]
        square, pad_x, pad_y = letterbox(width, height)
        boxes, scores = self.pose_detector(crop_tensor(rgb, square, 224, -1.0, 1.0, zero_border=True))
        found = decode_detections(boxes, scores, self.POSE_ANCHORS, 224, keypoints=4)
        return [(score, _to_pixels(points, pad_x, pad_y, width, height)) for score, _, points in found[:MAX_PEOPLE]]

    def pose_in_rect(self, rgb: np.ndarray, rect: Rect, score: float, min_presence: float = MIN_PERSON_PRESENCE) -> PoseFound | None:
        """Landmarks and mask of the person in ``rect``, or None when the landmark
        model's presence score is under ``min_presence``."""
        import cv2

        landmarks, flag, segmentation, heatmap, _ = self.pose_landmarks(crop_tensor(rgb, rect, 256, 0.0, 1.0, zero_border=False))
        presence = float(flag.reshape(-1)[0])
        if presence < min_presence:
            return None
        raw = landmarks.reshape(39, 5).astype(np.float64)
        points = refine_from_heatmap(raw[:, :2] / 256.0, heatmap[0])
        pixels = project(points, rect)
        out = np.zeros((33, 5))
        out[:, :2] = pixels[:33]
        out[:, 2] = raw[:33, 2] / 256.0 * rect.width
        out[:, 3] = _sigmoid(raw[:33, 3])
        out[:, 4] = _sigmoid(raw[:33, 4])
        height, width = rgb.shape[:2]
        probability = _sigmoid(segmentation[0, :, :, 0].astype(np.float64)).astype(np.float32)
        mask = cv2.warpPerspective(
            probability, rect_matrix(rect, 256, 256), (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=0,
        )
        return PoseFound(out, score, presence, rect, np.asarray(mask, dtype=np.float32))

    def pose_candidates(self, rgb: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """Pose detections of the whole image first, then of square tiles (side: the
        short side, half overlapping) when the image is wider or taller than 1.2:1, so
        that a wide picture is not squeezed into one small letterboxed square (people
        that the whole image misses are found in a tile). Keypoints in pixels."""
        height, width = rgb.shape[:2]
        found = list(self.pose_detections(rgb))
        side = min(width, height)
        long = max(width, height)
        if long > 1.2 * side:
            starts = sorted({*range(0, long - side, max(1, side // 2)), long - side})
            tiled: list[tuple[float, np.ndarray]] = []
            for start in starts:
                if width >= height:
                    tile = np.ascontiguousarray(rgb[:, start : start + side])
                    shift = np.array([start, 0.0])
                else:
                    tile = np.ascontiguousarray(rgb[start : start + side])
                    shift = np.array([0.0, start])
                tiled.extend((score, points + shift) for score, points in self.pose_detections(tile))
            found.extend(sorted(tiled, key=lambda item: -item[0]))
        return found

    def poses(self, rgb: np.ndarray, max_people: int = MAX_PEOPLE, min_presence: float = MIN_PERSON_PRESENCE,
              tiles: bool = True) -> list[PoseFound]:
        """Every person found in an ``(H, W, 3)`` uint8 RGB array: the whole image's
        detections first (best first), then people found only in tiles. A candidate whose
        crop centre lies within a quarter crop of one already taken, or whose mask
        overlaps one already taken by IoU > 0.5, is the same person."""
        height, width = rgb.shape[:2]
        out: list[PoseFound] = []
        candidates = self.pose_candidates(rgb) if tiles else self.pose_detections(rgb)
        for score, keypoints in candidates:
            if len(out) >= max_people:
                break
            rect = _keypoint_rect(keypoints[0], keypoints[1], width, height, 1.25)
            if rect.width < 1:
                continue
            if any(math.hypot(rect.cx - p.rect.cx, rect.cy - p.rect.cy) < 0.25 * max(rect.width, p.rect.width) for p in out):
                continue
            found = self.pose_in_rect(rgb, rect, score, min_presence)
            if found is None:
                continue
            mine = found.mask > 0.5
            if any(_mask_iou(mine, p.mask > 0.5) > 0.5 for p in out):
                continue
            out.append(found)
        return out

    # -- hands -----------------------------------------------------------------
    def palm_detections(self, rgb: np.ndarray) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """Palm detector: ``[(score, box (4,) in pixels, keypoints (7, 2) in pixels)]``."""
        height, width = rgb.shape[:2]
        square, pad_x, pad_y = letterbox(width, height)
        boxes, scores = self.palm_detector(crop_tensor(rgb, square, 192, 0.0, 1.0, zero_border=True))
        found = decode_detections(boxes, scores, self.PALM_ANCHORS, 192, keypoints=7)
        out = []
        for score, box, points in found[:MAX_HANDS]:
            corners = _to_pixels(box.reshape(2, 2), pad_x, pad_y, width, height).reshape(4)
            out.append((score, corners, _to_pixels(points, pad_x, pad_y, width, height)))
        return out

    def hand_in_rect(self, rgb: np.ndarray, rect: Rect, score: float) -> HandFound | None:
        """Landmarks of the hand in ``rect``, or None when the model says there is none."""
        landmarks, flag, handedness, _ = self.hand_landmarks(crop_tensor(rgb, rect, 224, 0.0, 1.0, zero_border=False))
        presence = float(flag.reshape(-1)[0])
        if presence < MIN_PRESENCE:
            return None
        raw = landmarks.reshape(21, 3).astype(np.float64)
        pixels = project(raw[:, :2] / 224.0, rect)
        out = np.concatenate([pixels, raw[:, 2:3] / 224.0 * rect.width], axis=1)
        # The model's score is for label 0 of MediaPipe's handedness.txt, "Left", which
        # assumes a mirrored (selfie-camera) picture: in an unmirrored photo that hand is
        # the person's right one (TensorsToClassificationCalculator, binary).
        mirrored_left = float(handedness.reshape(-1)[0])
        return HandFound(out, score, presence, 1.0 - mirrored_left, rect)

    def hands(self, rgb: np.ndarray, max_hands: int = MAX_HANDS) -> list[HandFound]:
        """Every hand found in an ``(H, W, 3)`` uint8 RGB array, best palm first."""
        out = []
        for score, box, points in self.palm_detections(rgb)[:max_hands]:
            rect = _palm_rect(box, points[0], points[2])
            if rect.width < 1:
                continue
            found = self.hand_in_rect(rgb, rect, score)
            if found is not None:
                out.append(found)
        return out
