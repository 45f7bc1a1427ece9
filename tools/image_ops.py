"""Image operations that need no model: crops (VisProg's semantics), counting, drawing.

All boxes are in root-image pixels (see :mod:`visprog.values`). An operation on a crop
computes in root coordinates and cuts from the crop it was given.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from visprog.errors import ToolError
from visprog.toolkit.context import current_context, note
from visprog.toolkit.tool import tool
from visprog.trace.render import draw_boxes
from visprog.values.core import Box, Detections, Image

Side = Literal["TOP", "BOTTOM", "LEFT", "RIGHT"]


def first_box(box: Box | Detections) -> Box | None:
    """VisProg's convention: a step given several boxes uses the first (best) one."""
    if isinstance(box, Detections):
        return box[0] if len(box) else None
    return box


def half_box(image: Image, side: str) -> Box:
    """The half of ``image`` named by ``side`` (TOP, BOTTOM, LEFT, RIGHT), in root coordinates."""
    x1, y1, x2, y2 = image.root_box.as_tuple()
    cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
    halves = {
        "TOP": (x1, y1, x2, cy), "BOTTOM": (x1, cy, x2, y2),
        "LEFT": (x1, y1, cx, y2), "RIGHT": (cx, y1, x2, y2),
    }
    return Box(*halves[side], label=side.lower())


def _cut(image: Image, region: Box) -> Image:
    limits = current_context().limits
    if region.area > limits.max_image_pixels:
        raise ToolError(f"crop of {region.area:.0f} pixels exceeds max_image_pixels", argument="box")
    try:
        return image.crop(region)
    except ValueError as exc:
        raise ToolError(str(exc), argument="box") from None


@tool(family="image", cacheable=False)
def crop(image: Image, box: Box | Detections, margin: float = 1.5) -> Image:
    """Cut out a box with some context around it (VisProg's CROP).

    The box is scaled by ``margin`` about its center and clipped to the image. Given
    Detections, the first (best) box is used; given none, the whole image is returned.

    Args:
        image: the image to cut from (the root image or a crop of it).
        box: a Box, or Detections whose first box is used.
        margin: scale factor of the box about its center; 1.0 cuts the box exactly.

    Returns:
        The cropped Image; it remembers its place in the root image.
    """
    if margin <= 0:
        raise ToolError("margin must be positive", argument="margin")
    chosen = first_box(box)
    if chosen is None:
        return image
    cx, cy = chosen.center
    dw, dh = margin * chosen.width / 2, margin * chosen.height / 2
    region = Box(cx - dw, cy - dh, cx + dw, cy + dh)
    x1, y1, x2, y2 = image.root_box.as_tuple()
    if region.x2 <= x1 or region.x1 >= x2 or region.y2 <= y1 or region.y1 >= y2:
        shown = ", ".join(f"{v:g}" for v in chosen.as_tuple())
        raise ToolError(
            f"the box ({shown}) lies outside the image ({x1:g}, {y1:g}, {x2:g}, {y2:g}): nothing to crop", argument="box"
        )
    lx1, ly1, lx2, ly2 = image.to_local(region)
    if lx1 == lx2 or ly1 == ly2:
        # Scaled by a small margin, the region is narrower than a pixel (it rounds to no
        # pixels): cut the pixels it touches instead, at least one each way.
        fx1 = max(x1, math.floor(region.x1))
        fy1 = max(y1, math.floor(region.y1))
        region = Box(fx1, fy1, min(x2, max(math.ceil(region.x2), fx1 + 1)), min(y2, max(math.ceil(region.y2), fy1 + 1)))
        note(f"CROP: the box scaled by margin {margin:g} is under a pixel wide or high; cut the pixels it touches, {region.width:g}x{region.height:g}")
    return _cut(image, region)


def _relative(image: Image, box: Box | Detections, side: Side) -> Image:
    chosen = first_box(box)
    x1, y1, x2, y2 = image.root_box.as_tuple()
    if chosen is None:
        return _cut(image, half_box(image, side))
    cx, cy = int(chosen.cx), int(chosen.cy)
    regions = {
        "LEFT": Box(x1, y1, max(cx, x1 + 1), y2), "RIGHT": Box(min(cx, x2 - 1), y1, x2, y2),
        "TOP": Box(x1, y1, x2, max(cy, y1 + 1)), "BOTTOM": Box(x1, min(cy, y2 - 1), x2, y2),
    }
    return _cut(image, regions[side])


@tool(family="image")
def crop_left_of(image: Image, box: Box | Detections) -> Image:
    """The part of the image left of the box's center (VisProg's CROP_LEFTOF).

    Given no box, the left half.

    Args:
        image: the image to cut from.
        box: a Box, or Detections whose first box is used.

    Returns:
        The region from the image's left edge to the box's center x.
    """
    return _relative(image, box, "LEFT")


@tool(family="image")
def crop_right_of(image: Image, box: Box | Detections) -> Image:
    """The part of the image right of the box's center (VisProg's CROP_RIGHTOF).

    Given no box, the right half.

    Args:
        image: the image to cut from.
        box: a Box, or Detections whose first box is used.

    Returns:
        The region from the box's center x to the image's right edge.
    """
    return _relative(image, box, "RIGHT")


@tool(family="image")
def crop_above(image: Image, box: Box | Detections) -> Image:
    """The part of the image above the box's center (VisProg's CROP_ABOVE).

    Given no box, the top half.

    Args:
        image: the image to cut from.
        box: a Box, or Detections whose first box is used.

    Returns:
        The region from the image's top edge to the box's center y.
    """
    return _relative(image, box, "TOP")


@tool(family="image")
def crop_below(image: Image, box: Box | Detections) -> Image:
    """The part of the image below the box's center (VisProg's CROP_BELOW).

    Given no box, the bottom half.

    Args:
        image: the image to cut from.
        box: a Box, or Detections whose first box is used.

    Returns:
        The region from the box's center y to the image's bottom edge.
    """
    return _relative(image, box, "BOTTOM")


@tool(family="image")
def crop_in_front_of(image: Image, box: Box | Detections) -> Image:
    """The region in front of an object (VisProg's CROP_FRONTOF/CROP_INFRONT/CROP_INFRONTOF).

    A single image has no depth, so, as in VisProg, this is the object's crop with
    context (CROP with margin 1.5).

    Args:
        image: the image to cut from.
        box: a Box, or Detections whose first box is used.

    Returns:
        The cropped Image.
    """
    cropped: Image = crop.func(image=image, box=box, margin=1.5)
    return cropped


@tool(family="image")
def crop_behind(image: Image, box: Box | Detections) -> Image:
    """The region behind an object (VisProg's CROP_BEHIND/CROP_AHEAD).

    As in VisProg, this is the object's crop with context (CROP with margin 1.5).

    Args:
        image: the image to cut from.
        box: a Box, or Detections whose first box is used.

    Returns:
        The cropped Image.
    """
    cropped: Image = crop.func(image=image, box=box, margin=1.5)
    return cropped


@tool(family="image")
def count(boxes: Detections | list[Any]) -> int:
    """How many objects (VisProg's COUNT).

    Args:
        boxes: Detections, or any list.

    Returns:
        The number of items.
    """
    return len(boxes)


@tool(family="image")
def image_half(image: Image, side: Side) -> Detections:
    """One half of the image as a box (LOC's special queries TOP, BOTTOM, LEFT, RIGHT).

    Args:
        image: the image.
        side: "TOP", "BOTTOM", "LEFT" or "RIGHT".

    Returns:
        Detections holding the one half box, in root coordinates.
    """
    return Detections([half_box(image, side)])


@tool(family="image")
def tag(image: Image, objects: Detections | Box) -> Image:
    """Draw labelled boxes on the image (VisProg's TAG).

    Args:
        image: the image to draw on.
        objects: boxes; each box's label (and score) is written on it.

    Returns:
        A new Image with the boxes drawn.
    """
    boxes = Detections([objects]) if isinstance(objects, Box) else objects
    return image.with_pixels(draw_boxes(image, boxes))
