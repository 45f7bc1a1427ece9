"""Value types of the people tools: ``Joint``, ``Pose`` and ``Hand`` (one module, one
registration each through :func:`visprog.values.register_value_type`).

Coordinates are root-image pixels (origin top-left, x right, y down), like every box.
Left and right are the *person's* own left and right (MediaPipe's convention for the
pose; for hands this module un-mirrors MediaPipe's selfie-camera labels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import PIL.Image
import PIL.ImageDraw

from visprog.values.core import Box
from visprog.values.protocol import Decoder, Encoder, ValueType, register_value_type

#: MediaPipe's 33 pose landmarks, in model order.
POSE_JOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
#: MediaPipe's 21 hand landmarks, in model order.
HAND_JOINTS = (
    "wrist", "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip", "index_finger_mcp", "index_finger_pip",
    "index_finger_dip", "index_finger_tip", "middle_finger_mcp", "middle_finger_pip", "middle_finger_dip",
    "middle_finger_tip", "ring_finger_mcp", "ring_finger_pip", "ring_finger_dip", "ring_finger_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)
#: A joint counts as seen when its visibility reaches this (for derived facts).
VISIBLE = 0.5


@dataclass(frozen=True)
class Joint:
    """One named landmark.

    Attributes:
        name: the joint's name (``"left_wrist"``, ``"index_finger_tip"``).
        x, y: position in root-image pixels (may lie outside the image for a joint
            the model places beyond the border).
        visibility: how likely the joint is visible (not occluded, inside the image), in
            [0, 1]; hand joints have no such score and carry 1.0.
    """

    name: str
    x: float
    y: float
    visibility: float


def _joint_map(joints: tuple[Joint, ...]) -> dict[str, Joint]:
    return {j.name: j for j in joints}


@dataclass(frozen=True, eq=False)
class Pose:
    """One person's body pose.

    Attributes:
        box: the person (label "person", score = detector score), with the person's
            mask when the pose model gave one.
        score: the pose detector's confidence in [0, 1].
        presence: the landmark model's confidence that a person is in the crop, [0, 1].
        joints: the 33 joints in MediaPipe's order (also readable by name:
            ``pose.left_wrist``).
    """

    box: Box
    score: float
    presence: float
    joints: tuple[Joint, ...]

    def __getattr__(self, name: str) -> Joint:
        if name in POSE_JOINTS:
            return _joint_map(self.joints)[name]
        raise AttributeError(name)

    def _seen(self, name: str) -> Joint | None:
        joint = _joint_map(self.joints)[name]
        return joint if joint.visibility >= VISIBLE else None

    @property
    def shoulder_width(self) -> float:
        """Distance between the shoulders in pixels."""
        left, right = _joint_map(self.joints)["left_shoulder"], _joint_map(self.joints)["right_shoulder"]
        return math.hypot(left.x - right.x, left.y - right.y)

    def _raising(self, side: str) -> bool:
        wrist, nose = self._seen(f"{side}_wrist"), self._seen("nose")
        if wrist is None or nose is None:
            return False
        return nose.y - wrist.y >= 0.5 * self.shoulder_width

    @property
    def raising_left_hand(self) -> bool:
        """The left wrist is seen above the nose by at least half a shoulder width."""
        return self._raising("left")

    @property
    def raising_right_hand(self) -> bool:
        """The right wrist is seen above the nose by at least half a shoulder width."""
        return self._raising("right")

    @property
    def raising_hand(self) -> bool:
        """Either wrist is raised (see :attr:`raising_left_hand`)."""
        return self.raising_left_hand or self.raising_right_hand

    @property
    def visible_joints(self) -> list[str]:
        """Names of the joints with visibility >= 0.5, in model order."""
        return [j.name for j in self.joints if j.visibility >= VISIBLE]

    def __repr__(self) -> str:
        return f"Pose(box={self.box.as_tuple()}, score={self.score:.2f}, raising_hand={self.raising_hand})"


@dataclass(frozen=True, eq=False)
class Hand:
    """One hand.

    Attributes:
        box: the hand's extent from its 21 points (label "left hand" or "right hand",
            score = palm detector score).
        handedness: "left" or "right": the person's own hand, for an unmirrored photo.
        handedness_score: confidence of that label in [0.5, 1].
        score: the palm detector's confidence in [0, 1].
        joints: the 21 points in MediaPipe's order (also by name: ``hand.thumb_tip``).
    """

    box: Box
    handedness: str
    handedness_score: float
    score: float
    joints: tuple[Joint, ...]

    def __getattr__(self, name: str) -> Joint:
        if name in HAND_JOINTS:
            return _joint_map(self.joints)[name]
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"Hand({self.handedness}, box={self.box.as_tuple()}, score={self.score:.2f})"


# -- registration --------------------------------------------------------------------


def _encode_joint(value: Joint, nested: Encoder) -> dict[str, Any]:
    return {"name": value.name, "x": value.x, "y": value.y, "visibility": value.visibility}


def _decode_joint(data: dict[str, Any], nested: Decoder) -> Joint:
    return Joint(str(data["name"]), float(data["x"]), float(data["y"]), float(data["visibility"]))


def _joints_data(joints: tuple[Joint, ...]) -> list[list[float]]:
    return [[j.x, j.y, j.visibility] for j in joints]


def _joints_from(data: list[list[float]], names: tuple[str, ...]) -> tuple[Joint, ...]:
    return tuple(Joint(name, float(x), float(y), float(v)) for name, (x, y, v) in zip(names, data))


def _encode_pose(value: Pose, nested: Encoder) -> dict[str, Any]:
    return {"box": nested(value.box), "score": value.score, "presence": value.presence, "joints": _joints_data(value.joints)}


def _decode_pose(data: dict[str, Any], nested: Decoder) -> Pose:
    return Pose(nested(data["box"]), float(data["score"]), float(data["presence"]), _joints_from(data["joints"], POSE_JOINTS))


def _encode_hand(value: Hand, nested: Encoder) -> dict[str, Any]:
    return {"box": nested(value.box), "handedness": value.handedness, "handedness_score": value.handedness_score,
            "score": value.score, "joints": _joints_data(value.joints)}


def _decode_hand(data: dict[str, Any], nested: Decoder) -> Hand:
    return Hand(nested(data["box"]), str(data["handedness"]), float(data["handedness_score"]), float(data["score"]),
                _joints_from(data["joints"], HAND_JOINTS))


#: Bones drawn in trace pictures (pairs of joint indices).
_POSE_BONES = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24), (23, 25), (25, 27),
               (24, 26), (26, 28), (0, 2), (0, 5))
_HAND_BONES = ((0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (5, 9), (9, 10), (10, 11), (11, 12),
               (9, 13), (13, 14), (14, 15), (15, 16), (13, 17), (0, 17), (17, 18), (18, 19), (19, 20))


def _skeleton(joints: tuple[Joint, ...], bones: tuple[tuple[int, int], ...], base: Any) -> PIL.Image.Image | None:
    """The joints and bones drawn over ``base`` (a root-sized image), or None without one."""
    pil = getattr(base, "pil", base)
    if not isinstance(pil, PIL.Image.Image):
        return None
    canvas = pil.convert("RGB").copy()
    draw = PIL.ImageDraw.Draw(canvas)
    seen = [j.visibility >= VISIBLE for j in joints]
    for a, b in bones:
        if seen[a] and seen[b]:
            draw.line([(joints[a].x, joints[a].y), (joints[b].x, joints[b].y)], fill=(0, 220, 0), width=2)
    for joint, ok in zip(joints, seen):
        if ok:
            draw.ellipse([joint.x - 3, joint.y - 3, joint.x + 3, joint.y + 3], fill=(255, 60, 60))
    return canvas


JOINT = register_value_type(ValueType(
    Joint, "Joint", attributes=frozenset({"name", "x", "y", "visibility"}),
    attribute_kinds={"name": "str", "x": "float", "y": "float", "visibility": "float"},
    encode=_encode_joint, decode=_decode_joint, token=lambda j: ["Joint", j.name, j.x, j.y, j.visibility],
    prefix="JOINT", description="a named body or hand landmark in input-image pixels, with visibility",
))
POSE = register_value_type(ValueType(
    Pose, "Pose",
    attributes=frozenset({"box", "score", "presence", "joints", "shoulder_width", "raising_hand", "raising_left_hand",
                          "raising_right_hand", "visible_joints", *POSE_JOINTS}),
    attribute_kinds={"box": "Box", "score": "float", "presence": "float", "joints": "list", "shoulder_width": "float",
                     "raising_hand": "bool", "raising_left_hand": "bool", "raising_right_hand": "bool",
                     "visible_joints": "list", **{name: "Joint" for name in POSE_JOINTS}},
    encode=_encode_pose, decode=_decode_pose, token=None,
    picture=lambda value, base: _skeleton(value.joints, _POSE_BONES, base),
    prefix="POSE", description="a person's body pose: 33 named joints in input-image pixels, raising_hand and other facts",
))
HAND = register_value_type(ValueType(
    Hand, "Hand",
    attributes=frozenset({"box", "handedness", "handedness_score", "score", "joints", *HAND_JOINTS}),
    attribute_kinds={"box": "Box", "handedness": "str", "handedness_score": "float", "score": "float",
                     "joints": "list", **{name: "Joint" for name in HAND_JOINTS}},
    encode=_encode_hand, decode=_decode_hand, token=None,
    picture=lambda value, base: _skeleton(value.joints, _HAND_BONES, base),
    prefix="HAND", description="a hand: box, 21 named points in input-image pixels, handedness (left/right)",
))
