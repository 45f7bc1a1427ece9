"""Value types that flow between tools, and the one input normaliser that makes images.

Coordinate convention (used everywhere in visprog):
    Pixels, origin at the top-left corner of the *root* image (the image given to the
    program, before any crop), x to the right, y down. A box is ``(x1, y1, x2, y2)``
    with ``x1 <= x2`` and ``y1 <= y2``; ``(x1, y1)`` is inclusive and ``(x2, y2)`` is
    exclusive, exactly like a PIL crop box, so ``width = x2 - x1``.

An :class:`Image` cut out of another remembers its ``offset`` in root coordinates.
Tools that find boxes or masks in a crop add that offset, so every Box and Mask a
program sees is in root coordinates, and ``crop(image, box)`` works whether ``image``
is the root image or a crop of it.

Values are immutable: an Image's attributes cannot be reassigned, a Mask's array is a
read-only copy, a Box is a frozen dataclass and Detections a tuple of Boxes. Their
constructors validate every field (plain finite numbers, ``str`` labels, exact value
types inside), so a tool cannot hand a program a module or a numpy scalar through a
value's field.

:func:`load_image` is the one normaliser for images from outside (paths, bytes, file
objects, PIL images, numpy arrays); its rules are in its docstring.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import numbers
import os
import re
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, overload

import numpy as np
import PIL.Image
import PIL.ImageOps

from visprog.errors import InputError

__all__ = ["DEFAULT_MAX_PIXELS", "MAX_COORDINATE", "Box", "Detections", "Image", "Mask", "load_image"]

#: Default pixel budget of :func:`load_image` (the default ``Limits.max_image_pixels``).
DEFAULT_MAX_PIXELS = 50_000_000

#: Largest absolute value of a box coordinate, in pixels. No image comes near it; a
#: coordinate beyond it is a bug (or an attack on size guards), not a place.
MAX_COORDINATE = 1e9

_EXIF_ORIENTATION = 0x0112
_ORIENTATIONS = {
    2: "mirrored left-right",
    3: "rotated 180°",
    4: "mirrored top-bottom",
    5: "mirrored along the main diagonal",
    6: "rotated 90° clockwise",
    7: "mirrored along the anti-diagonal",
    8: "rotated 90° counter-clockwise",
}
_URL_PREFIXES = ("http://", "https://", "ftp://", "data:", "file://", "s3://", "gs://")


# -- field validation ------------------------------------------------------------

def _plain_number(owner: str, name: str, value: Any, *, limit: float | None = None) -> int | float:
    """``value`` as a plain ``int`` or ``float`` (numpy scalars converted), finite and
    within ``limit`` in absolute value.

    Raises:
        InputError: not a real number, a bool, not finite, or too large.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(f"{owner} {name} must be a number, got {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        number: int | float = int(value)
        too_big = limit is not None and abs(number) > limit
    else:
        number = float(value)
        if not math.isfinite(number):
            raise InputError(f"{owner} {name} must be finite, got {number}")
        too_big = limit is not None and abs(number) > limit
    if too_big:
        raise InputError(f"{owner} {name} = {_short(number)} is beyond ±{limit:g} pixels")
    return number


def _plain_label(owner: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{owner} label must be a str or None, got {type(value).__name__}")
    return str(value) if type(value) is not str else value  # numpy.str_ and other subclasses become str


def _plain_score(owner: str, value: Any) -> float | None:
    if value is None:
        return None
    return float(_plain_number(owner, "score", value))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _plain_pair(owner: str, name: str, value: Any) -> tuple[int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InputError(f"{owner} {name} must be a pair of integers, got {_short(value)}")
    out = []
    for item in value:
        whole = isinstance(item, numbers.Integral) or (isinstance(item, numbers.Real) and float(item).is_integer())
        if isinstance(item, (bool, np.bool_)) or not whole or abs(float(item)) > MAX_COORDINATE:
            raise InputError(f"{owner} {name} must be a pair of integers, got {_short(value)}")
        out.append(int(item))
    return out[0], out[1]


# -- Image ---------------------------------------------------------------------

class Image:
    """An RGB image plus where it sits in the root image. Immutable.

    Args:
        pil: the pixels. Any mode other than RGB is converted by the rules of
            :func:`load_image` (16-bit and float modes scaled by their range, alpha
            composited over white), never by PIL's clipping.
        offset: ``(x, y)`` of this image's top-left pixel in root-image coordinates.
        root_size: ``(width, height)`` of the root image; defaults to this image's size.
        notes: what was done to make these pixels from their source (EXIF rotation,
            range scaling, transparency flattened), one sentence each, for the trace.

    Raises:
        InputError: ``pil`` is not a PIL image, has no pixels, or its mode cannot be
            converted; ``offset``/``root_size`` are not integer pairs.
    """

    __slots__ = ("pil", "offset", "root_size", "notes", "__dict__")

    pil: PIL.Image.Image
    offset: tuple[int, int]
    root_size: tuple[int, int]
    notes: tuple[str, ...]

    def __init__(
        self,
        pil: PIL.Image.Image,
        offset: tuple[int, int] = (0, 0),
        root_size: tuple[int, int] | None = None,
        notes: Sequence[str] = (),
    ) -> None:
        if not isinstance(pil, PIL.Image.Image):
            raise InputError(f"Image needs a PIL image, got {type(pil).__name__}")
        if pil.width < 1 or pil.height < 1:
            raise InputError(f"an image needs at least one pixel, got {pil.width}x{pil.height}")
        all_notes = tuple(str(n) for n in notes)
        if pil.mode != "RGB":
            pil, converted = _pil_to_rgb(pil)
            all_notes += converted
        size = _plain_pair("Image", "root_size", root_size) if root_size is not None else pil.size
        object.__setattr__(self, "pil", pil)
        object.__setattr__(self, "offset", _plain_pair("Image", "offset", offset))
        object.__setattr__(self, "root_size", size)
        object.__setattr__(self, "notes", all_notes)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Image is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Image is immutable (cannot delete {name!r})")

    def __copy__(self) -> Image:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Image:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Image, (self.pil, self.offset, self.root_size, self.notes))

    def copy_on_write(self) -> Image:
        """The same pixels, offset and notes in a new Image whose PIL image copies itself
        before any in-place change (``ImageDraw``, ``paste``, ``putpixel``; writes through
        ``load()``'s pixel access are refused by Pillow). Tools receive their images this
        way, so a tool that paints into ``.pil`` changes neither the caller's image nor the
        trace's record of its input. Costs no pixel copy until something writes."""
        source = self.pil
        source.load()
        view = source._new(source.im)  # shares the pixel core; readonly makes Pillow copy on write
        view.readonly = 1
        clone = Image.__new__(Image)
        object.__setattr__(clone, "pil", view)
        object.__setattr__(clone, "offset", self.offset)
        object.__setattr__(clone, "root_size", self.root_size)
        object.__setattr__(clone, "notes", self.notes)
        return clone

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
    def pixels(self) -> int:
        """``width * height``."""
        return self.pil.width * self.pil.height

    @property
    def is_root(self) -> bool:
        return self.offset == (0, 0) and self.root_size == self.pil.size

    @property
    def root_box(self) -> Box:
        """This image's extent in root coordinates."""
        x, y = self.offset
        return Box(x, y, x + self.width, y + self.height)

    def mask_to_root(self, local: np.ndarray) -> np.ndarray:
        """A boolean mask of this image's pixels (``(height, width)``, or smaller from its
        top-left) placed into a root-sized ``(root_height, root_width)`` array at this
        image's offset; False elsewhere."""
        width, height = self.root_size
        out = np.zeros((height, width), dtype=bool)
        x, y = self.offset
        out[y : y + local.shape[0], x : x + local.shape[1]] = local
        return out

    def to_local(self, box: Box) -> tuple[int, int, int, int]:
        """Integer PIL crop box of ``box`` (root coordinates) in this image, clipped."""
        x0, y0 = self.offset
        x1 = min(max(int(round(box.x1 - x0)), 0), self.width)
        y1 = min(max(int(round(box.y1 - y0)), 0), self.height)
        x2 = min(max(int(round(box.x2 - x0)), x1), self.width)
        y2 = min(max(int(round(box.y2 - y0)), y1), self.height)
        return x1, y1, x2, y2

    def crop(self, box: Box) -> Image:
        """The part of this image under ``box`` (root coordinates), as a new Image.

        Raises:
            ValueError: the box does not overlap the image.
        """
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
        """Pixels as an ``(H, W, 3)`` uint8 array (a read-only view; copy to edit)."""
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


# -- Box, Detections, Mask ------------------------------------------------------

@dataclass(frozen=True)
class Box:
    """An axis-aligned box in root-image pixels; see the module docstring.

    Fields are validated and normalised on construction: coordinates become plain
    ``int``/``float`` (numpy scalars converted), finite and within ±:data:`MAX_COORDINATE`;
    ``label`` is a plain ``str`` or None; ``score`` a finite ``float`` or None; ``mask``
    a :class:`Mask` or None.

    Attributes:
        x1, y1: top-left corner (inclusive).
        x2, y2: bottom-right corner (exclusive).
        label: what the box holds (a detector query, a class name), if known.
        score: confidence (``[0, 1]`` for detectors; a similarity for some tools), if known.
        mask: the object's segmentation mask, when a segmenter produced it.

    Raises:
        InputError: a field of the wrong type, not finite, too large, or ``x1 > x2`` /
            ``y1 > y2``.
    """

    x1: float
    y1: float
    x2: float
    y2: float
    label: str | None = None
    score: float | None = None
    mask: Mask | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("x1", "y1", "x2", "y2"):
            object.__setattr__(self, name, _plain_number("Box", name, getattr(self, name), limit=MAX_COORDINATE))
        object.__setattr__(self, "label", _plain_label("Box", self.label))
        object.__setattr__(self, "score", _plain_score("Box", self.score))
        if self.mask is not None and type(self.mask) is not Mask:
            raise InputError(f"Box mask must be a Mask or None, got {type(self.mask).__name__}")
        if not (self.x1 <= self.x2 and self.y1 <= self.y2):
            raise InputError(f"invalid box ({self.x1}, {self.y1}, {self.x2}, {self.y2}): need x1 <= x2 and y1 <= y2")

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

    Raises:
        InputError: an item is not exactly a :class:`Box` (subclasses are refused: a
            subclass could override a field with a property returning anything).
    """

    __slots__ = ("_boxes",)

    def __init__(self, boxes: Sequence[Box] = ()) -> None:
        if isinstance(boxes, (str, bytes)):
            raise InputError("Detections holds Box values, got a string")
        items = tuple(boxes)
        for item in items:
            if type(item) is not Box:
                raise InputError(f"Detections holds Box values, got {type(item).__name__}")
        self._boxes = items

    def __copy__(self) -> Detections:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Detections:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Detections, (self._boxes,))

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
        n = len(self._boxes)
        return f"Detections({n} box{'' if n == 1 else 'es'})"


class Mask:
    """A binary mask aligned with the root image. Immutable: ``array`` is a read-only copy.

    Args:
        array: ``(H, W)`` array, ``H, W`` = root image height and width. Boolean arrays
            are taken as they are; integer arrays mean "nonzero is inside"; float arrays
            are refused (threshold a soft mask yourself: ``probs > 0.5``).
        label: what the mask covers, if known (a plain ``str``).
        score: confidence, if known (a finite number).

    Raises:
        InputError: not a 2-D non-empty array of bools or integers, or a bad label/score.
    """

    __slots__ = ("array", "label", "score", "__dict__")

    array: np.ndarray
    label: str | None
    score: float | None

    def __init__(self, array: np.ndarray, label: str | None = None, score: float | None = None) -> None:
        if not isinstance(array, np.ndarray):
            raise InputError(f"a mask is a 2-D numpy array, got {type(array).__name__}")
        if array.ndim != 2 or array.size == 0:
            raise InputError(f"a mask is a non-empty 2-D (H, W) array, got shape {array.shape}")
        if array.dtype == np.bool_:
            pixels = np.array(array, dtype=bool, copy=True)
        elif np.issubdtype(array.dtype, np.integer):
            pixels = array != 0
        else:
            raise InputError(
                f"a mask holds bools (or integers, nonzero = inside), got dtype {array.dtype}; "
                "threshold a soft mask first, e.g. probs > 0.5"
            )
        pixels.flags.writeable = False
        object.__setattr__(self, "array", pixels)
        object.__setattr__(self, "label", _plain_label("Mask", label))
        object.__setattr__(self, "score", _plain_score("Mask", score))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Mask is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Mask is immutable (cannot delete {name!r})")

    def __copy__(self) -> Mask:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Mask:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Mask, (np.array(self.array), self.label, self.score))

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


# -- the input normaliser -------------------------------------------------------

def load_image(source: Any, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
    """Make an :class:`Image` from anything image-like: the one input normaliser.

    Sources:
        * ``str`` or ``os.PathLike``: a path to an image file (``~`` expanded). URLs are
          refused (download the file first); directories and non-regular files (FIFOs,
          devices) are refused.
        * ``bytes``, ``bytearray``, ``memoryview``, or a binary file object: encoded
          image data (any format Pillow reads).
        * ``PIL.Image.Image``: copied, so later changes by the caller do not reach the run.
        * ``numpy.ndarray``: pixels, see below; always copied.
        * :class:`Image`: used as it is (it is immutable), after the pixel budget check.

    Pixel budget: ``width * height <= max_pixels`` is checked before anything is
    decoded, copied or converted (from a file's header; from an array's shape). An
    image over it is refused with one line: its size, the limit, and how to raise it.
    ``max_pixels`` is what counts, also above Pillow's own decompression-bomb limit
    (``PIL.Image.MAX_IMAGE_PIXELS``, about 89 million pixels; Pillow refuses files of
    twice that): Pillow has only that module-wide setting, so when ``max_pixels`` is
    above it, the setting is raised to ``max_pixels`` while the file is opened and
    decoded, then put back (a lock keeps concurrent loads consistent; other threads
    using Pillow meanwhile see the raised value, never a lower one). A value someone
    else set meanwhile is left as they set it.

    Orientation: an EXIF Orientation tag (2-8, phone photos) is applied, so pixels are
    upright as a viewer shows them; the Image's ``notes`` say so ("rotated by EXIF
    orientation 6 (rotated 90° clockwise)"). Of a multi-frame file (GIF, TIFF) the first
    frame is used, with a note.

    Array shapes: ``(H, W)`` and ``(H, W, 1)`` are grey; ``(H, W, 2)`` grey + alpha;
    ``(H, W, 3)`` RGB (not BGR: reverse OpenCV arrays with ``a[..., ::-1]``);
    ``(H, W, 4)`` RGBA. Anything else (channel-first ``(3, H, W)``, 1-D, 4-D, empty) is
    an InputError that names the shape.

    Values, by dtype (PIL modes map to the same rules: ``I;16*`` = uint16, ``I`` =
    int32, ``F`` = float32, ``1`` = bool):
        * uint8: as is.
        * bool: False -> 0, True -> 255.
        * float (any width): must be finite and within ``[0, 1]`` (a tolerance of 1e-3
          is clipped); scaled by 255 and rounded. Floats outside ``[0, 1]`` are refused
          with an InputError naming their range (divide by 255, or convert to uint8):
          guessing the range would silently change the picture.
        * uint16: the full 16-bit range, ``round(v / 257)`` (65535 -> 255), with a note.
        * other integers (int8/16/32/64, uint32/64): by the values: within ``[0, 255]``
          as is; within ``[0, 65535]`` as 16-bit data (``v / 257``, with a note); an
          int16 array with negative values is mapped from ``[-32768, 32767]`` to
          ``[0, 255]`` (with a note); anything else is refused. Never modulo 256.
        * complex, object, string dtypes: refused.

    Alpha: transparent pixels are composited over white (the usual page background),
    with a note when any pixel is not fully opaque. Premultiplied modes are
    un-premultiplied first. CMYK, LAB and HSV images are converted by Pillow (without
    a colour profile), with a note.

    Raises:
        InputError: one line naming the source and what is wrong: missing, a directory,
            a URL, not a readable image (corrupt or truncated), larger than
            ``max_pixels``, or an array of unsupported shape, dtype or range.
    """
    if isinstance(source, Image):
        _check_budget(source.width, source.height, max_pixels, "image")
        return source
    if isinstance(source, PIL.Image.Image):
        _check_budget(source.width, source.height, max_pixels, "PIL image")
        try:
            source.load()
        except Exception as exc:  # noqa: BLE001 - a closed file, truncated data, ...
            raise InputError(f"PIL image: cannot read its pixels ({_reason(exc)})") from None
        return _from_pil(source, "PIL image", copy=True)
    if isinstance(source, np.ndarray):
        rgb, notes = _array_to_rgb(source, "array", max_pixels)
        return Image(PIL.Image.fromarray(rgb, mode="RGB"), notes=notes)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise InputError("<bytes>: empty, not an image")
        return _decode(io.BytesIO(data), "<bytes>", max_pixels)
    if isinstance(source, (str, os.PathLike)):
        return _decode_path(source, max_pixels)
    if callable(getattr(source, "read", None)):
        return _decode(source, str(getattr(source, "name", "<file object>")), max_pixels)
    raise InputError(
        f"cannot make an image from {type(source).__name__}: give a path, bytes, a PIL image, "
        "an (H, W, 3) numpy array or a visprog Image"
    )


def _check_budget(width: int, height: int, max_pixels: int, name: str) -> None:
    if width * height > max_pixels:
        raise InputError(_too_large(name, f"{width}x{height} = {width * height:,} pixels", max_pixels))


def _too_large(name: str, size: str, max_pixels: int) -> str:
    """One line for an image over the pixel budget: its size, the limit, how to raise it."""
    return (
        f"{name}: the image is {size}, larger than the limit of {max_pixels:,} pixels (max_image_pixels); "
        "shrink it, or raise the limit: load_image(..., max_pixels=N), Limits(max_image_pixels=N) "
        "for run_program and the others, --max-image-pixels N on the command line"
    )


class _PillowLimit:
    """Raises of Pillow's decompression-bomb limit, one module-wide setting
    (``PIL.Image.MAX_IMAGE_PIXELS``), by loads whose budget is above it: while any of them
    runs the highest of their budgets is in force, and Pillow's value comes back after
    the last one. A value someone else sets meanwhile (the CLI's ``--max-image-pixels``,
    a user) is kept. ``lock`` also serialises :func:`_open`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.raises: list[int] = []  # the budgets of the loads in progress that raised it
        self.before: int | None = None  # Pillow's value before the first of them
        self.set_to: int | None = None  # the value they set

    @contextlib.contextmanager
    def allows(self, max_pixels: int) -> Iterator[None]:
        """Within the block, Pillow lets through images of up to ``max_pixels``."""
        with self.lock:
            base = self.before if self.raises else PIL.Image.MAX_IMAGE_PIXELS
            held = base is not None and max_pixels > base
            if held:
                if not self.raises:
                    self.before = base
                self.raises.append(max_pixels)
                current = PIL.Image.MAX_IMAGE_PIXELS
                if current is not None and current < max_pixels:
                    PIL.Image.MAX_IMAGE_PIXELS = max_pixels
                self.set_to = PIL.Image.MAX_IMAGE_PIXELS
        try:
            yield
        finally:
            if held:
                with self.lock:
                    self.raises.remove(max_pixels)
                    if PIL.Image.MAX_IMAGE_PIXELS != self.set_to:  # changed by someone else: theirs stands
                        self.before = self.set_to = PIL.Image.MAX_IMAGE_PIXELS
                    elif self.raises:
                        self.set_to = PIL.Image.MAX_IMAGE_PIXELS = max(self.raises)
                    else:
                        PIL.Image.MAX_IMAGE_PIXELS = self.before


_PILLOW_LIMIT = _PillowLimit()
_PILLOW_PIXELS = re.compile(r"\((\d+) pixels\)")


def _open(handle: Any, name: str, max_pixels: int) -> PIL.Image.Image:
    """``PIL.Image.open`` (the header only), inside :meth:`_PillowLimit.allows`. An image
    over Pillow's limit is over the budget too, and the caller's check refuses it with one
    line, so Pillow's DecompressionBombWarning is not shown. Warnings filters are
    process-wide: the lock keeps visprog's own loads from racing on them (another
    thread's ``warnings.catch_warnings`` at the same moment can still interleave, as
    with any use of it before Python 3.14)."""
    try:
        with _PILLOW_LIMIT.lock, warnings.catch_warnings():
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            return PIL.Image.open(handle)
    except PIL.Image.DecompressionBombError as exc:
        # Pillow refuses images over twice its limit before they have a size; its message
        # has the pixel count ("Image size (400000000 pixels) exceeds ...").
        found = _PILLOW_PIXELS.search(str(exc))
        if found and int(found.group(1)) <= max_pixels:  # Pillow's limit was lowered by someone else
            raise InputError(
                f"{name}: the image is {int(found.group(1)):,} pixels, within the limit of {max_pixels:,} pixels, but "
                f"Pillow's own limit (PIL.Image.MAX_IMAGE_PIXELS = {PIL.Image.MAX_IMAGE_PIXELS}) refuses it"
            ) from None
        size = f"{int(found.group(1)):,} pixels" if found else "too large for Pillow to open"
        raise InputError(_too_large(name, size, max_pixels)) from None
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for unreadable data
        raise InputError(f"{name}: not a readable image ({_reason(exc)})") from None


def _decode_path(source: str | os.PathLike[str], max_pixels: int) -> Image:
    text = os.fspath(source)
    if not isinstance(text, str):
        raise InputError("image paths must be text, got a bytes path")
    if text.strip().lower().startswith(_URL_PREFIXES):
        raise InputError(f"{text}: URLs are not read; download the image and give the file's path")
    if not text.strip():
        raise InputError("the image path is empty")
    path = Path(text).expanduser()
    try:
        if not path.exists():
            raise InputError(f"image not found: {text}")
        if path.is_dir():
            raise InputError(f"{text} is a directory, not an image file")
        if not path.is_file():
            raise InputError(f"{text} is not a regular file")
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{text}: cannot open ({exc.strerror or type(exc).__name__})") from None
    with handle:
        return _decode(handle, text, max_pixels)


def _decode(handle: Any, name: str, max_pixels: int) -> Image:
    with _PILLOW_LIMIT.allows(max_pixels):
        return _decode_within(handle, name, max_pixels)


def _decode_within(handle: Any, name: str, max_pixels: int) -> Image:
    pil = _open(handle, name, max_pixels)
    with pil:
        _check_budget(pil.width, pil.height, max_pixels, name)
        notes: list[str] = []
        frames = int(getattr(pil, "n_frames", 1) or 1)
        if frames > 1:
            notes.append(f"first of {frames} frames used")
        try:
            pil.load()
        except Exception as exc:  # noqa: BLE001 - truncated or corrupt data
            raise InputError(f"{name}: not a readable image ({_reason(exc)})") from None
        image = _from_pil(pil, name, copy=False, notes=notes)
    return image


def _reason(exc: BaseException) -> str:
    text = _first_line(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _first_line(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = ""
    # PIL messages can name the file object (its repr); keep one short line.
    line = (text.strip().splitlines() or [""])[0]
    if "<_io." in line or "BytesIO object" in line:
        line = line.split("<_io.")[0].split("<_io")[0].rstrip(" :") or "unknown format"
    return line if len(line) <= 200 else line[:197] + "..."


def _from_pil(pil: PIL.Image.Image, name: str, *, copy: bool, notes: Sequence[str] = ()) -> Image:
    """EXIF orientation, then mode rules; always returns pixels the caller cannot change."""
    all_notes = list(notes)
    oriented, note = _apply_exif(pil, name)
    if note:
        all_notes.append(note)
    if oriented.mode == "RGB":
        return Image(oriented.copy() if copy and oriented is pil else oriented, notes=all_notes)
    converted, mode_notes = _pil_to_rgb(oriented)
    return Image(converted, notes=[*all_notes, *mode_notes])


def _apply_exif(pil: PIL.Image.Image, name: str) -> tuple[PIL.Image.Image, str | None]:
    try:
        orientation = pil.getexif().get(_EXIF_ORIENTATION)
    except Exception:  # noqa: BLE001 - corrupt EXIF blocks
        return pil, "EXIF data unreadable; orientation not applied"
    if orientation is None or orientation == 1:
        return pil, None
    if orientation not in _ORIENTATIONS:
        return pil, f"EXIF orientation {orientation!r} is not valid (1-8); ignored"
    try:
        turned = PIL.ImageOps.exif_transpose(pil)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{name}: cannot apply EXIF orientation {orientation} ({_reason(exc)})") from None
    return turned, f"rotated by EXIF orientation {orientation} ({_ORIENTATIONS[orientation]})"


def _pil_to_rgb(pil: PIL.Image.Image) -> tuple[PIL.Image.Image, tuple[str, ...]]:
    """A non-RGB PIL image as RGB, by the rules of :func:`load_image`."""
    mode = pil.mode
    if mode in ("1", "L", "RGBX"):
        return pil.convert("RGB"), ()
    if mode == "P":
        if "transparency" in pil.info:
            return _flatten(pil.convert("RGBA"))
        return pil.convert("RGB"), ()
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        return _flatten(pil.convert("RGBA") if mode != "RGBA" else pil)
    if mode in ("CMYK", "LAB", "HSV", "YCbCr"):
        note = () if mode == "YCbCr" else (f"converted from {mode} to RGB without a colour profile",)
        return pil.convert("RGB"), note
    if mode.startswith(("I;16", "I", "F")):
        rgb, notes = _array_to_rgb(np.asarray(pil), f"{mode} image", None)
        return PIL.Image.fromarray(rgb, mode="RGB"), notes
    try:
        return pil.convert("RGB"), (f"converted from mode {mode} to RGB",)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"cannot convert an image of mode {mode} to RGB ({_reason(exc)})") from None


def _flatten(rgba: PIL.Image.Image) -> tuple[PIL.Image.Image, tuple[str, ...]]:
    alpha = rgba.getchannel("A")
    low, _ = alpha.getextrema()
    if low == 255:
        return rgba.convert("RGB"), ()
    background = PIL.Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba.convert("RGB"), mask=alpha)
    return background, ("transparent pixels composited over white",)


def _array_to_rgb(array: np.ndarray, name: str, max_pixels: int | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """``(H, W, 3)`` uint8 pixels from an array, by the rules of :func:`load_image`."""
    shape = tuple(int(n) for n in array.shape)
    if array.ndim == 3 and shape[0] in (1, 3, 4) and shape[2] not in (1, 2, 3, 4):
        raise InputError(
            f"{name} of shape {shape} looks channel-first; give (H, W, C), e.g. a.transpose(1, 2, 0)"
        )
    if array.ndim not in (2, 3) or (array.ndim == 3 and shape[2] not in (1, 2, 3, 4)):
        raise InputError(f"{name} of shape {shape}: an image array is (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)")
    if shape[0] < 1 or shape[1] < 1:
        raise InputError(f"{name} of shape {shape} has no pixels")
    if max_pixels is not None:
        _check_budget(shape[1], shape[0], max_pixels, name)
    pixels, notes = _to_uint8(array, name)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    channels = pixels.shape[2]
    if channels == 1:
        return np.repeat(pixels, 3, axis=2), notes
    if channels == 3:
        return np.ascontiguousarray(pixels), notes
    grey_alpha = channels == 2
    colour = np.repeat(pixels[:, :, :1], 3, axis=2) if grey_alpha else pixels[:, :, :3]
    alpha = pixels[:, :, -1]
    if int(alpha.min()) == 255:
        return np.ascontiguousarray(colour), notes
    weight = alpha.astype(np.float32)[:, :, None] / 255.0
    flat = colour.astype(np.float32) * weight + 255.0 * (1.0 - weight)
    return np.clip(np.rint(flat), 0, 255).astype(np.uint8), (*notes, "transparent pixels composited over white")


_FLOAT_TOLERANCE = 1e-3


def _to_uint8(array: np.ndarray, name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    dtype = array.dtype
    if dtype == np.uint8:
        return array, ()
    if dtype == np.bool_:
        return array.astype(np.uint8) * np.uint8(255), ()
    if np.issubdtype(dtype, np.floating):
        if not np.isfinite(array).all():
            raise InputError(f"{name} of dtype {dtype} holds NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < -_FLOAT_TOLERANCE or high > 1 + _FLOAT_TOLERANCE:
            raise InputError(
                f"{name} of dtype {dtype} has values in [{low:g}, {high:g}]; float images must lie in [0, 1] "
                "(divide by 255, or give uint8)"
            )
        scaled = np.clip(array.astype(np.float32), 0.0, 1.0) * np.float32(255.0)
        return np.rint(scaled).astype(np.uint8), ()
    if np.issubdtype(dtype, np.integer):
        if dtype.itemsize == 2 and np.issubdtype(dtype, np.unsignedinteger):
            return _from_16bit(array), ("16-bit values scaled to 8 bits (value / 257)",)
        low, high = int(array.min()), int(array.max())
        if low >= 0 and high <= 255:
            return array.astype(np.uint8), ()
        if low >= 0 and high <= 65535:
            return _from_16bit(array), (f"{dtype} values in [{low}, {high}] read as 16-bit and scaled to 8 bits (value / 257)",)
        if dtype == np.int16:
            shifted = (array.astype(np.int32) + 32768 + 128) // 257
            return np.clip(shifted, 0, 255).astype(np.uint8), ("int16 values scaled from [-32768, 32767] to [0, 255]",)
        raise InputError(
            f"{name} of dtype {dtype} has values in [{low}, {high}], outside 8- and 16-bit ranges; "
            "scale it to uint8 first"
        )
    raise InputError(f"{name} of dtype {dtype} is not an image (need uint8, bool, integer or float in [0, 1])")


def _from_16bit(array: np.ndarray) -> np.ndarray:
    return ((array.astype(np.uint32) + 128) // 257).astype(np.uint8)
