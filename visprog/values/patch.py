"""``ImagePatch``: ViperGPT's image patch as a visprog value type.

ViperGPT programs (``def execute_command(image): image_patch = ImagePatch(image) ...``)
describe the picture through patches: rectangles with edges ``left, lower, right,
upper``, methods that ask models about them (``find``, ``simple_query``, ...) and a few
plain geometry methods. This module holds the class, its geometry and its registration
with the value-type protocol; the model-backed methods are *tool methods* routed to the
tools of ``visprog_tools.viper`` (``patch.find('cup')`` runs the tool
``patch_find(patch, 'cup')``), so they are traced, cached and budgeted like every tool
call. See ``docs/viper_api.md`` for the whole API.

Coordinates: two conventions, and the mapping between them
-----------------------------------------------------------

*visprog* (everywhere outside this API, see :mod:`visprog.values.core`): pixels of the
**root** image, origin top-left, x right, **y down**; a box ``(x1, y1, x2, y2)`` holds
columns ``x1 .. x2-1`` and rows ``y1 .. y2-1`` (``x2``/``y2`` exclusive, like a PIL crop box).

*ViperGPT* (inside the patch API only): the same pixel grid and x axis, but **y up**,
counted from the bottom edge of the patch's *frame*: the image given to
``ImagePatch(image)``. For the program's input image (the usual case) the frame is the
whole root image; for a crop given to ``ImagePatch``, it is that crop (as ViperGPT's
documented semantics say: the coordinates of a new ImagePatch start at its image).

For a frame at root offset ``(ox, oy)`` with height ``H`` (``ox = oy = 0`` and ``H`` the
root height for the input image), a patch over the root box ``(x1, y1, x2, y2)`` has::

    left  = x1 - ox             x1 = ox + left
    right = x2 - ox             x2 = ox + right
    lower = oy + H - y2         y2 = oy + H - lower
    upper = oy + H - y1         y1 = oy + H - upper
    width  = x2 - x1 = right - left
    height = y2 - y1 = upper - lower
    horizontal_center = (left + right) / 2
    vertical_center   = (lower + upper) / 2      (larger = higher in the picture)

These are *edge* coordinates, so no ``- 1`` appears: the patch holds root rows
``y1 .. y2-1``. Example, root height 480: the visprog box ``(100, 180, 170, 260)`` is
``left=100, lower=220, right=170, upper=300`` and ``vertical_center=260``; a lamp at
``(280, 20, 360, 100)`` has ``vertical_center=420``: above means a *larger*
``vertical_center`` here, a *smaller* ``y`` in visprog.

A patch's edges are whole pixels (the root box is rounded, as ``Image.crop`` rounds), so
``left``, ``lower``, ``right``, ``upper``, ``width`` and ``height`` are ints and
``cropped_image`` holds exactly ``width x height`` pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from visprog.errors import InputError, ProgramRuntimeError
from visprog.values.core import Box, Image
from visprog.values.protocol import Decoder, Encoder, ValueType, register_value_type

__all__ = ["IMAGE_PATCH", "PATCH_TOOL_METHODS", "VIDEO_SEGMENT", "ImagePatch", "VideoSegment"]

#: ViperGPT method -> the tool that runs it (in ``visprog_tools.viper``).
PATCH_TOOL_METHODS: dict[str, str] = {
    "find": "patch_find",
    "exists": "patch_exists",
    "verify_property": "patch_verify_property",
    "best_text_match": "patch_best_text_match",
    "simple_query": "patch_simple_query",
    "compute_depth": "patch_compute_depth",
    "llm_query": "patch_llm_query",
    "forward": "patch_forward",
}

Frame = tuple[int, int, int, int]
"""``(ox, oy, width, height)``: the root-pixel rectangle a patch's coordinates count from."""


def _edge(owner: str, name: str, value: Any) -> float:
    """A coordinate given by a program: a plain finite number."""
    if type(value) not in (int, float):
        raise ProgramRuntimeError(f"{owner}: {name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or abs(value) > 1e9:
        raise ProgramRuntimeError(f"{owner}: {name} = {value!r} is not a usable pixel coordinate")
    return float(value)


def _whole(value: float) -> int:
    return int(round(value))


class ImagePatch:
    """A rectangle of an image, with ViperGPT's ``ImagePatch`` API (y up inside it).

    Programs make patches with the ``ImagePatch(image)`` tool and get more from ``find``
    and ``crop``; Python code can build them directly.

    Args:
        image: the image the patch is cut from (its pixels); the patch's frame (where
            ``left``/``lower`` count from) is this image unless ``frame`` is given.
        box: the patch in root pixels (visprog's convention, y down); default: the whole
            image. Corners are rounded to whole pixels.
        frame: ``(ox, oy, width, height)`` of the frame in root pixels; default: the
            image's own place in the root image. Only decoding a trace needs it.

    Raises:
        InputError: ``image`` is not an Image, ``box`` not a Box, or the rounded box has
            no area or does not lie inside the image.

    Attributes:
        image: the image the pixels come from.
        box: the patch in root pixels, y down (label and score from the detector, if any).
        frame: ``(ox, oy, width, height)`` that ViperGPT's coordinates count from.
    """

    __slots__ = ("image", "box", "frame", "_cropped")

    image: Image
    box: Box
    frame: Frame
    _cropped: Image | None

    def __init__(self, image: Image, box: Box | None = None, frame: Frame | None = None) -> None:
        if type(image) is not Image:
            raise InputError(f"ImagePatch needs an Image, got {type(image).__name__}")
        area = image.root_box
        if box is None:
            box = area
        elif type(box) is not Box:
            raise InputError(f"ImagePatch box must be a Box, got {type(box).__name__}")
        x1, y1, x2, y2 = (_whole(v) for v in box.as_tuple())
        if not (x1 < x2 and y1 < y2):
            raise InputError(f"ImagePatch box {box.as_tuple()} has no area once rounded to whole pixels")
        if x1 < area.x1 or y1 < area.y1 or x2 > area.x2 or y2 > area.y2:
            raise InputError(f"ImagePatch box {(x1, y1, x2, y2)} does not lie inside its image {area.as_tuple()}")
        if (x1, y1, x2, y2) != box.as_tuple():
            box = Box(x1, y1, x2, y2, label=box.label, score=box.score)
        if frame is None:
            frame = (image.offset[0], image.offset[1], image.width, image.height)
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "box", box)
        object.__setattr__(self, "frame", tuple(int(v) for v in frame))
        object.__setattr__(self, "_cropped", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ImagePatch is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ImagePatch is immutable (cannot delete {name!r})")

    # -- ViperGPT's coordinates (y up, from the frame's bottom-left corner) -----------
    @property
    def left(self) -> int:
        """x of the left edge, from the frame's left edge."""
        return int(self.box.x1) - self.frame[0]

    @property
    def right(self) -> int:
        """x of the right edge (exclusive, like visprog's ``x2``)."""
        return int(self.box.x2) - self.frame[0]

    @property
    def lower(self) -> int:
        """y of the bottom edge, counted **up** from the frame's bottom edge."""
        return self.frame[1] + self.frame[3] - int(self.box.y2)

    @property
    def upper(self) -> int:
        """y of the top edge, counted **up** from the frame's bottom edge."""
        return self.frame[1] + self.frame[3] - int(self.box.y1)

    @property
    def width(self) -> int:
        return int(self.box.x2 - self.box.x1)

    @property
    def height(self) -> int:
        return int(self.box.y2 - self.box.y1)

    @property
    def horizontal_center(self) -> float:
        """``(left + right) / 2``: larger is further right."""
        return (self.left + self.right) / 2

    @property
    def vertical_center(self) -> float:
        """``(lower + upper) / 2``: larger is higher up in the picture."""
        return (self.lower + self.upper) / 2

    @property
    def cropped_image(self) -> Image:
        """The patch's pixels, as an Image that remembers its place in the root image."""
        cropped: Image | None = self._cropped
        if cropped is None:
            cropped = self.image.crop(self.box)
            object.__setattr__(self, "_cropped", cropped)
        return cropped

    # -- conversions ---------------------------------------------------------------------
    def root_box(self, left: Any, lower: Any, right: Any, upper: Any, *, owner: str = "ImagePatch") -> Box:
        """The root-pixel box (y down) of the rectangle ``left, lower, right, upper`` given
        in this patch's frame (y up).

        Raises:
            ProgramRuntimeError: a coordinate is not a number, or the edges are reversed.
        """
        values = [_edge(owner, n, v) for n, v in (("left", left), ("lower", lower), ("right", right), ("upper", upper))]
        left_, lower_, right_, upper_ = values
        if left_ > right_ or lower_ > upper_:
            raise ProgramRuntimeError(
                f"{owner}: need left <= right and lower <= upper (y points up), got left={left!r}, lower={lower!r}, "
                f"right={right!r}, upper={upper!r}"
            )
        ox, oy, _, fh = self.frame
        return Box(ox + left_, oy + fh - upper_, ox + right_, oy + fh - lower_)

    # -- ViperGPT's host methods (pure geometry) -------------------------------------
    def crop(self, left: Any, lower: Any, right: Any, upper: Any) -> ImagePatch:
        """A new patch for the rectangle with these edges, in the same frame (y up), as
        ViperGPT documents ``crop``. Edges are rounded to whole pixels.

        Raises:
            ProgramRuntimeError: the rectangle is empty or reaches outside this patch.
        """
        box = self.root_box(left, lower, right, upper, owner="ImagePatch.crop")
        x1, y1, x2, y2 = (_whole(v) for v in box.as_tuple())
        if not (x1 < x2 and y1 < y2):
            raise ProgramRuntimeError(f"ImagePatch.crop({left!r}, {lower!r}, {right!r}, {upper!r}) has no area")
        px1, py1, px2, py2 = (int(v) for v in self.box.as_tuple())
        if x1 < px1 or y1 < py1 or x2 > px2 or y2 > py2:
            raise ProgramRuntimeError(
                f"ImagePatch.crop({left!r}, {lower!r}, {right!r}, {upper!r}) reaches outside the patch "
                f"(left={self.left}, lower={self.lower}, right={self.right}, upper={self.upper}); "
                "clip the edges with max()/min() first"
            )
        return ImagePatch(self.image, Box(x1, y1, x2, y2), self.frame)

    def overlaps_with(self, left: Any, lower: Any, right: Any, upper: Any) -> bool:
        """Whether the rectangle with these edges (this frame, y up) overlaps this patch;
        touching edges count, as in ViperGPT."""
        owner = "ImagePatch.overlaps_with"
        left_, lower_ = _edge(owner, "left", left), _edge(owner, "lower", lower)
        right_, upper_ = _edge(owner, "right", right), _edge(owner, "upper", upper)
        return self.left <= right_ and self.right >= left_ and self.lower <= upper_ and self.upper >= lower_

    # -- identity ----------------------------------------------------------------------
    def _key(self) -> tuple[Any, ...]:
        return (self.frame, self.box.as_tuple())

    def __eq__(self, other: object) -> bool:
        if type(other) is not ImagePatch:
            return NotImplemented
        if self._key() != other._key():
            return False
        return self.image is other.image or self.image.content_hash == other.image.content_hash

    def __hash__(self) -> int:
        return hash(self._key())

    def __copy__(self) -> ImagePatch:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ImagePatch:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (ImagePatch, (self.image, self.box, self.frame))

    def __repr__(self) -> str:
        label = f" {self.box.label!r}" if self.box.label else ""
        return f"ImagePatch{label}(left={self.left}, lower={self.lower}, right={self.right}, upper={self.upper})"


def _encode(value: ImagePatch, nested: Encoder) -> dict[str, Any]:
    # Only the patch's own pixels are stored (a trace may hold many patches of one image).
    return {"crop": nested(value.cropped_image), "box": nested(value.box), "frame": list(value.frame)}


def _decode(data: dict[str, Any], nested: Decoder) -> ImagePatch:
    frame = tuple(int(v) for v in data["frame"])
    return ImagePatch(nested(data["crop"]), nested(data["box"]), (frame[0], frame[1], frame[2], frame[3]))


def _token(value: ImagePatch) -> Any:
    return ["ImagePatch", value.image.content_hash, list(value.frame), list(value.box.as_tuple())]


IMAGE_PATCH = register_value_type(ValueType(
    ImagePatch, "ImagePatch",
    attributes=frozenset({
        "left", "lower", "right", "upper", "width", "height", "horizontal_center", "vertical_center", "cropped_image", "box",
    }),
    methods=frozenset({"crop", "overlaps_with"}),
    tool_methods=PATCH_TOOL_METHODS,
    attribute_kinds={
        "left": "int", "lower": "int", "right": "int", "upper": "int", "width": "int", "height": "int",
        "horizontal_center": "float", "vertical_center": "float", "cropped_image": "Image", "box": "Box",
    },
    encode=_encode, decode=_decode, token=_token,
    picture=lambda value, base: value.cropped_image.pil,
    prefix="PATCH",
    description="a rectangle of an image with ViperGPT's ImagePatch API (left, lower, right, upper: y points up)",
))


# -- VideoSegment ---------------------------------------------------------------------

class VideoSegment:
    """ViperGPT's ``VideoSegment``: frames ``start .. end-1`` of a video, each frame an
    :class:`Image` (a video reaches a program as a list of frames, e.g. from
    ``visprog_tools.viper.load_video``). Frames come out as ImagePatches.

    Args:
        frames: every frame of the video, in order.
        start: index of the segment's first frame in ``frames`` (default 0).
        end: one past its last frame (default: the end of the video).

    Raises:
        InputError: a frame is not an Image, or ``start``/``end`` are not within the video.

    Attributes:
        frames: the whole video's frames (a segment keeps them to trim again).
        start, end: the segment, as frame indices of the whole video (``end`` exclusive).
    """

    __slots__ = ("frames", "start", "end")

    frames: tuple[Image, ...]
    start: int
    end: int

    def __init__(self, frames: Sequence[Image], start: int = 0, end: int | None = None) -> None:
        frames = tuple(frames)
        if not all(type(f) is Image for f in frames):
            raise InputError("a video is a list of Images, one per frame")
        end = len(frames) if end is None else end
        if type(start) is not int or type(end) is not int or not 0 <= start <= end <= len(frames):
            raise InputError(f"video segment {start!r}..{end!r} is not within the video's {len(frames)} frames")
        object.__setattr__(self, "frames", frames)
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"VideoSegment is immutable (cannot set {name!r})")

    @property
    def num_frames(self) -> int:
        return self.end - self.start

    def frame_from_index(self, index: Any) -> ImagePatch:
        """The frame at ``index`` of the segment (negative counts from its end), as a patch.

        Raises:
            ProgramRuntimeError: the index is not an int within the segment.
        """
        if type(index) is not int:
            raise ProgramRuntimeError(f"VideoSegment.frame_from_index: index must be an int, got {type(index).__name__}")
        if not -self.num_frames <= index < self.num_frames:
            raise ProgramRuntimeError(f"VideoSegment.frame_from_index({index}): the segment has {self.num_frames} frames")
        return ImagePatch(self.frames[self.start + index % self.num_frames])

    def frame_iterator(self) -> list[ImagePatch]:
        """Every frame of the segment, in order, as patches (a list: ViperGPT's programs
        loop over it with ``for i, frame in enumerate(...)``)."""
        return [ImagePatch(frame) for frame in self.frames[self.start : self.end]]

    def trim(self, start: Any = None, end: Any = None) -> VideoSegment:
        """Frames ``start .. end-1`` of this segment (indices within it, clamped to it, as
        ViperGPT clamps); None keeps the segment's own start or end.

        Raises:
            ProgramRuntimeError: an index is not an int or None.
        """
        for name, value in (("start", start), ("end", end)):
            if value is not None and type(value) is not int:
                raise ProgramRuntimeError(f"VideoSegment.trim: {name} must be an int or None, got {type(value).__name__}")
        first = 0 if start is None else min(max(start, 0), self.num_frames)
        last = self.num_frames if end is None else min(max(end, first), self.num_frames)
        return VideoSegment(self.frames, self.start + first, self.start + max(last, first))

    def __eq__(self, other: object) -> bool:
        if type(other) is not VideoSegment:
            return NotImplemented
        return (self.start, self.end) == (other.start, other.end) and (
            self.frames is other.frames or [f.content_hash for f in self.frames] == [f.content_hash for f in other.frames]
        )

    def __hash__(self) -> int:
        return hash((self.start, self.end, len(self.frames)))

    def __copy__(self) -> VideoSegment:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> VideoSegment:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (VideoSegment, (self.frames, self.start, self.end))

    def __repr__(self) -> str:
        return f"VideoSegment(frames {self.start}..{self.end} of {len(self.frames)})"


VIDEO_SEGMENT = register_value_type(ValueType(
    VideoSegment, "VideoSegment",
    attributes=frozenset({"start", "end", "num_frames"}),
    methods=frozenset({"frame_from_index", "frame_iterator", "trim"}),
    tool_methods={"select_answer": "video_select_answer"},
    attribute_kinds={"start": "int", "end": "int", "num_frames": "int"},
    # A trace keeps the segment's own frames; the rest of the video is not stored.
    encode=lambda value, nested: {"frames": [nested(f) for f in value.frames[value.start : value.end]], "start": value.start},
    decode=lambda data, nested: _decoded_segment([nested(f) for f in data["frames"]], int(data["start"])),
    token=lambda value: ["VideoSegment", [f.content_hash for f in value.frames], value.start, value.end],
    picture=lambda value, base: value.frames[value.start].pil if value.num_frames else None,
    prefix="VIDEO",
    description="frames start..end-1 of a video, with ViperGPT's VideoSegment API",
))


def _decoded_segment(frames: list[Image], start: int) -> VideoSegment:
    """A decoded segment: its frames at their original indices (earlier frames are not
    stored, so they are filled with the first stored frame)."""
    if not frames:
        return VideoSegment((), 0, 0)
    return VideoSegment([frames[0]] * start + frames, start, start + len(frames))

