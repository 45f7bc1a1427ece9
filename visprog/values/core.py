"""Value types that flow between tools.

Coordinate convention (used everywhere in visprog):
    Pixels, origin at the top-left corner of the *root* image (the image given to the
    program, before any crop), x to the right, y down. A box is ``(x1, y1, x2, y2)``
    with ``x1 <= x2`` and ``y1 <= y2``; ``(x1, y1)`` is inclusive and ``(x2, y2)`` is
    exclusive, exactly like a PIL crop box, so ``width = x2 - x1``.

An :class:`Image` cut out of another remembers its ``offset`` in root coordinates.
Tools that find boxes or masks in a crop add that offset, so every Box and Mask a
program sees is in root coordinates, and ``crop(image, box)`` works whether ``image``
is the root image or a crop of it.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, overload

import numpy as np
import PIL.Image

from visprog.errors import InputError

__all__ = ["Box", "Detections", "Image", "Mask", "load_image"]


class Image:
    """An RGB image plus where it sits in the root image.

    Args:
        pil: the pixels; converted to RGB.
        offset: ``(x, y)`` of this image's top-left pixel in root-image coordinates.
        root_size: ``(width, height)`` of the root image; defaults to this image's size.
    """

    __slots__ = ("pil", "offset", "root_size", "__dict__")

    def __init__(
        self,
        pil: PIL.Image.Image,
        offset: tuple[int, int] = (0, 0),
        root_size: tuple[int, int] | None = None,
    ) -> None:
        self.pil = pil if pil.mode == "RGB" else pil.convert("RGB")
        self.offset = (int(offset[0]), int(offset[1]))
        self.root_size = root_size if root_size is not None else self.pil.size

    @property
    def width(self) -> int:
        return self.pil.width

    @property
    def height(self) -> int:
        return self.pil.height

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return self.pil.size

    @property
    def is_root(self) -> bool:
        return self.offset == (0, 0) and self.root_size == self.pil.size

    @property
    def root_box(self) -> Box:
        """This image's extent in root coordinates."""
        x, y = self.offset
        return Box(x, y, x + self.width, y + self.height)

    def to_local(self, box: Box) -> tuple[int, int, int, int]:
        """Integer PIL crop box of ``box`` (root coordinates) in this image, clipped."""
        x0, y0 = self.offset
        x1 = min(max(int(round(box.x1 - x0)), 0), self.width)
        y1 = min(max(int(round(box.y1 - y0)), 0), self.height)
        x2 = min(max(int(round(box.x2 - x0)), x1), self.width)
        y2 = min(max(int(round(box.y2 - y0)), y1), self.height)
        return x1, y1, x2, y2

    def crop(self, box: Box) -> Image:
        """The part of this image under ``box`` (root coordinates), as a new Image."""
        x1, y1, x2, y2 = self.to_local(box)
        if x2 <= x1 or y2 <= y1:
            raise ValueError(f"box {box.as_tuple()} does not overlap the image {self.root_box.as_tuple()}")
        return Image(
            self.pil.crop((x1, y1, x2, y2)),
            offset=(self.offset[0] + x1, self.offset[1] + y1),
            root_size=self.root_size,
        )

    def with_pixels(self, pil: PIL.Image.Image) -> Image:
        """Same place in the root image, new pixels (for edits that keep the size)."""
        return Image(pil, offset=self.offset, root_size=self.root_size)

    def to_array(self) -> np.ndarray:
        """Pixels as an ``(H, W, 3)`` uint8 array."""
        return np.asarray(self.pil)

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of size, offset and pixels: the key of the tool-result cache."""
        digest = hashlib.sha256()
        digest.update(repr((self.pil.size, self.offset, self.root_size)).encode())
        digest.update(self.pil.tobytes())
        return digest.hexdigest()

    def __repr__(self) -> str:
        where = "" if self.is_root else f" at {self.offset}"
        return f"Image({self.width}x{self.height}{where})"


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in root-image pixels; see the module docstring.

    Attributes:
        x1, y1: top-left corner (inclusive).
        x2, y2: bottom-right corner (exclusive).
        label: what the box holds (a detector query, a class name), if known.
        score: confidence in ``[0, 1]``, if known.
        mask: the object's segmentation mask, when a segmenter produced it.
    """

    x1: float
    y1: float
    x2: float
    y2: float
    label: str | None = None
    score: float | None = None
    mask: Mask | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (self.x1 <= self.x2 and self.y1 <= self.y2):
            raise ValueError(f"invalid box ({self.x1}, {self.y1}, {self.x2}, {self.y2}): need x1 <= x2 and y1 <= y2")

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)

    @property
    def cx(self) -> float:
        return (self.x1 + self.x2) / 2

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    def iou(self, other: Box) -> float:
        """Intersection over union with ``other``, in ``[0, 1]``."""
        ix = max(0.0, min(self.x2, other.x2) - max(self.x1, other.x1))
        iy = max(0.0, min(self.y2, other.y2) - max(self.y1, other.y1))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def shifted(self, dx: float, dy: float) -> Box:
        """The same box moved by ``(dx, dy)``; used to map crop coordinates to root ones."""
        return replace(self, x1=self.x1 + dx, y1=self.y1 + dy, x2=self.x2 + dx, y2=self.y2 + dy)

    def with_label(self, label: str | None, score: float | None = None) -> Box:
        return replace(self, label=label, score=self.score if score is None else score)


class Detections(Sequence[Box]):
    """An ordered, immutable list of boxes (best first, when a detector made it).

    Supports ``len``, indexing, slicing (gives Detections), iteration and ``+``.
    """

    __slots__ = ("_boxes",)

    def __init__(self, boxes: Sequence[Box] = ()) -> None:
        items = tuple(boxes)
        for item in items:
            if not isinstance(item, Box):
                raise TypeError(f"Detections holds Box values, got {type(item).__name__}")
        self._boxes = items

    @overload
    def __getitem__(self, index: int) -> Box: ...
    @overload
    def __getitem__(self, index: slice) -> Detections: ...
    def __getitem__(self, index: int | slice) -> Box | Detections:
        if isinstance(index, slice):
            return Detections(self._boxes[index])
        return self._boxes[index]

    def __len__(self) -> int:
        return len(self._boxes)

    def __iter__(self) -> Iterator[Box]:
        return iter(self._boxes)

    def __add__(self, other: object) -> Detections:
        if not isinstance(other, Detections):
            return NotImplemented
        return Detections(self._boxes + other._boxes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Detections) and self._boxes == other._boxes

    def __hash__(self) -> int:
        return hash(self._boxes)

    @property
    def boxes(self) -> list[Box]:
        return list(self._boxes)

    @property
    def labels(self) -> list[str | None]:
        return [b.label for b in self._boxes]

    @property
    def scores(self) -> list[float | None]:
        return [b.score for b in self._boxes]

    def __repr__(self) -> str:
        return f"Detections({len(self._boxes)} boxes)"


class Mask:
    """A binary mask aligned with the root image.

    Args:
        array: ``(H, W)`` boolean array, ``H, W`` = root image height and width.
        label: what the mask covers, if known.
        score: confidence in ``[0, 1]``, if known.
    """

    __slots__ = ("array", "label", "score", "__dict__")

    def __init__(self, array: np.ndarray, label: str | None = None, score: float | None = None) -> None:
        if array.ndim != 2:
            raise ValueError(f"a mask is a 2-D (H, W) array, got shape {array.shape}")
        self.array = array.astype(bool, copy=False)
        self.label = label
        self.score = score

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.array.shape[0]), int(self.array.shape[1]))

    @cached_property
    def area(self) -> int:
        """Number of pixels in the mask."""
        return int(self.array.sum())

    @cached_property
    def box(self) -> Box | None:
        """Tight bounding box of the mask (root coordinates), or None when empty."""
        ys, xs = np.nonzero(self.array)
        if len(xs) == 0:
            return None
        return Box(float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1), self.label, self.score)

    @classmethod
    def from_box(cls, box: Box, root_size: tuple[int, int]) -> Mask:
        """A rectangle mask covering ``box`` in a root image of ``(width, height)``."""
        w, h = root_size
        array = np.zeros((h, w), dtype=bool)
        x1, y1 = max(int(round(box.x1)), 0), max(int(round(box.y1)), 0)
        x2, y2 = min(int(round(box.x2)), w), min(int(round(box.y2)), h)
        array[y1:y2, x1:x2] = True
        return cls(array, box.label, box.score)

    def __repr__(self) -> str:
        label = f" {self.label!r}" if self.label else ""
        return f"Mask({self.shape[1]}x{self.shape[0]}{label}, area={self.area})"


def load_image(source: Any, *, max_pixels: int = 50_000_000) -> Image:
    """Make an :class:`Image` from a path, bytes, PIL image, ``(H, W, 3)`` array or Image.

    Raises:
        InputError: the file is missing or not a readable image, or it is larger than
            ``max_pixels`` (checked from the header, before the pixels are decoded).
    """
    if isinstance(source, Image):
        return source
    if isinstance(source, PIL.Image.Image):
        return Image(source)
    if isinstance(source, np.ndarray):
        if source.ndim not in (2, 3):
            raise InputError(f"an image array must be (H, W) or (H, W, C), got shape {source.shape}")
        return Image(PIL.Image.fromarray(source.astype(np.uint8, copy=False)))
    if isinstance(source, bytes):
        return _decode(io.BytesIO(source), "<bytes>", max_pixels)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"image not found: {path}")
        with path.open("rb") as handle:
            return _decode(handle, str(path), max_pixels)
    raise InputError(f"cannot make an image from {type(source).__name__}")


def _decode(handle: Any, name: str, max_pixels: int) -> Image:
    try:
        pil = PIL.Image.open(handle)
        width, height = pil.size
        if width * height > max_pixels:
            raise InputError(f"{name}: image of {width}x{height} pixels is larger than the limit of {max_pixels}")
        pil.load()
    except InputError:
        raise
    except Exception as exc:  # PIL raises many types for corrupt files
        raise InputError(f"{name}: not a readable image ({exc})") from None
    return Image(pil)
