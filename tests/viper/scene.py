"""Scenes with known answers, for ViperGPT-style programs run on fake model tools.

A :class:`Scene` lists its objects (:class:`Thing`) with boxes in visprog's root pixels
(origin top-left, y down, ``(x1, y1, x2, y2)`` with ``x2``/``y2`` exclusive), colours,
attributes, depths (larger = farther, as ViperGPT's ``compute_depth``), text, and the
answers a VQA model or a chat model would give. ``tests/viper/scene_tools.py`` turns a
scene into fake ``detect``/``vqa``/``classify``/``depth``/... tools and a picture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

BoxTuple = tuple[int, int, int, int]
"""``(x1, y1, x2, y2)`` in root pixels, y down, ``x2``/``y2`` exclusive."""


@dataclass(frozen=True)
class Thing:
    """One object in a scene.

    Attributes:
        id: unique within the scene, e.g. ``"cup_red"``; expected answers name it.
        label: what the detector finds it as, e.g. ``"cup"``.
        box: where it is, root pixels ``(x1, y1, x2, y2)``, y down.
        names: other names the detector also finds it by (``"mug"``, ``"man"``).
        color: its colour name (also used to draw it).
        attributes: visual properties (``"wooden"``, ``"standing"``).
        depth: distance from the camera; larger is farther.
        text: what is written on it, if anything.
        answers: VQA answers about this object, question -> answer; questions are
            matched case-insensitively, ignoring a final '?'.
        score: the detector's confidence; detections come best first, so the order of
            ``find`` is by score, not by position.
    """

    id: str
    label: str
    box: BoxTuple
    names: tuple[str, ...] = ()
    color: str | None = None
    attributes: tuple[str, ...] = ()
    depth: float = 10.0
    text: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    score: float = 0.9

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.label, *self.names)

    @property
    def area(self) -> int:
        x1, y1, x2, y2 = self.box
        return (x2 - x1) * (y2 - y1)


@dataclass(frozen=True)
class Scene:
    """A picture's contents and the answers models would give about it.

    Attributes:
        name: a short name.
        size: ``(width, height)`` in pixels.
        things: the objects, in detector-score order when scores tie.
        answers: VQA answers about the whole picture (question -> answer).
        tags: words that describe the whole picture (for CLIP-like matching).
        llm: chat-model replies: a reply is chosen when its key occurs in the prompt
            (the longest such key wins).
        background_depth: depth where no object is.
        background: background colour name.
    """

    name: str
    size: tuple[int, int]
    things: tuple[Thing, ...]
    answers: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    llm: Mapping[str, str] = field(default_factory=dict)
    background_depth: float = 50.0
    background: str = "lightgray"

    def thing(self, thing_id: str) -> Thing:
        for t in self.things:
            if t.id == thing_id:
                return t
        raise KeyError(f"scene {self.name!r} has no thing {thing_id!r}")

    def __post_init__(self) -> None:
        ids = [t.id for t in self.things]
        if len(set(ids)) != len(ids):
            raise ValueError(f"scene {self.name!r}: duplicate thing ids")
        width, height = self.size
        for t in self.things:
            x1, y1, x2, y2 = t.box
            if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
                raise ValueError(f"scene {self.name!r}: {t.id} box {t.box} is not inside {self.size}")


@dataclass(frozen=True)
class ThingRef:
    """Expected answer "this object": a returned patch (or its ``cropped_image``) must
    cover the scene object ``id`` better than any other (by IoU)."""

    id: str


Expected = str | int | float | bool | list[str] | ThingRef


@dataclass(frozen=True)
class Case:
    """One ViperGPT-style program with a scene and its answer, computed by hand.

    Attributes:
        name: unique, e.g. ``"kitchen_nearest_cup_color"``.
        question: the request the program answers.
        source: the program, ``def execute_command(image) -> ...:`` over ``ImagePatch``.
        scene: the picture it runs on.
        expected: the answer: text, a number, a bool, a list, or :class:`ThingRef`.
        why: how the answer follows from the scene (the hand computation).
    """

    name: str
    question: str
    source: str
    scene: Scene
    expected: Expected
    why: str


def viper_box(box: BoxTuple | tuple[float, float, float, float], height: int) -> tuple[float, float, float, float]:
    """visprog ``(x1, y1, x2, y2)`` (y down) -> ViperGPT ``(left, lower, right, upper)`` (y up)."""
    x1, y1, x2, y2 = box
    return (x1, height - y2, x2, height - y1)


def visprog_box(left: float, lower: float, right: float, upper: float, height: int) -> tuple[float, float, float, float]:
    """ViperGPT ``(left, lower, right, upper)`` (y up) -> visprog ``(x1, y1, x2, y2)`` (y down)."""
    return (left, height - upper, right, height - lower)
