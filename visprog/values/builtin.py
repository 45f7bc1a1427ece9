"""The built-in value types, registered with the value-type protocol: Image, Box,
Detections and Mask (see :mod:`visprog.values.core` for their meaning and coordinates).
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import numpy as np
import PIL.Image

from visprog.values.core import Box, Detections, Image, Mask
from visprog.values.protocol import Decoder, Encoder, ValueType, approx_bytes, cache_token, register_value_type
from visprog.values.show import box_text, draw_boxes, draw_masks

__all__ = ["png_data_url", "png_from_data_url"]


def png_data_url(pil: PIL.Image.Image) -> str:
    """``data:image/png;base64,...`` of a PIL image."""
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def png_from_data_url(url: str) -> PIL.Image.Image:
    payload = url.split(",", 1)[1]
    pil = PIL.Image.open(io.BytesIO(base64.b64decode(payload)))
    pil.load()
    return pil


def _number(value: float | None) -> Any:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else str(value)


def _encode_image(value: Image, nested: Encoder) -> dict[str, Any]:
    return {"offset": list(value.offset), "root_size": list(value.root_size), "png": png_data_url(value.pil)}


def _decode_image(data: dict[str, Any], nested: Decoder) -> Image:
    return Image(png_from_data_url(data["png"]), (int(data["offset"][0]), int(data["offset"][1])),
                 (int(data["root_size"][0]), int(data["root_size"][1])))


def _encode_box(value: Box, nested: Encoder) -> dict[str, Any]:
    return {
        "xyxy": [_number(v) for v in value.as_tuple()], "label": value.label, "score": _number(value.score),
        "mask": nested(value.mask) if value.mask is not None else None,
    }


def _decode_box(data: dict[str, Any], nested: Decoder) -> Box:
    mask = nested(data["mask"]) if data.get("mask") else None
    score = None if data["score"] is None else float(data["score"])
    x1, y1, x2, y2 = (float(v) for v in data["xyxy"])
    return Box(x1, y1, x2, y2, label=data["label"], score=score, mask=mask)


def _encode_mask(value: Mask, nested: Encoder) -> dict[str, Any]:
    pil = PIL.Image.fromarray(value.array.astype(np.uint8) * 255, mode="L").convert("1")
    return {"label": value.label, "score": _number(value.score), "png": png_data_url(pil)}


def _decode_mask(data: dict[str, Any], nested: Decoder) -> Mask:
    score = None if data["score"] is None else float(data["score"])
    return Mask(np.asarray(png_from_data_url(data["png"]).convert("L")) > 127, data["label"], score)


def _mask_token(value: Mask) -> Any:
    return [hashlib.sha256(np.packbits(value.array).tobytes()).hexdigest(), list(value.shape)]


def _box_token(value: Box) -> Any:
    return [[repr(v) for v in value.as_tuple()], value.label, repr(value.score), cache_token(value.mask)]


def _draw_detections(boxes: list[Box] | Detections, base: Image | None) -> PIL.Image.Image | None:
    """Boxes (and their masks) drawn on ``base``; None without a base."""
    if base is None:
        return None
    masks = [b.mask for b in boxes if b.mask is not None]
    canvas = base.with_pixels(draw_masks(base, masks)) if masks else base
    return draw_boxes(canvas, boxes)


def _draw_masks(masks: list[Mask], base: Image | None) -> PIL.Image.Image | None:
    return None if base is None else draw_masks(base, masks)


def _detections_text(value: Detections) -> str:
    count = len(value)
    noun = "box" if count == 1 else "boxes"
    if count == 0:
        return f"Detections({count} {noun})"
    shown = ", ".join(box_text(b) for b in list(value)[:3])
    more = f", ... {count - 3} more" if count > 3 else ""
    return f"Detections({count} {noun}: {shown}{more})"


IMAGE = register_value_type(ValueType(
    Image, "Image", attributes=frozenset({"width", "height", "size"}),
    attribute_kinds={"width": "int", "height": "int", "size": "list"},
    encode=_encode_image, decode=_decode_image, token=lambda v: v.content_hash,
    picture=lambda v, base: v.pil, summary=repr, nbytes=lambda v: v.width * v.height * 4 + 256,
    pixels=lambda v: v.width * v.height,
    raster=lambda v: (v.pil, {"offset": list(v.offset), "root_size": list(v.root_size)}),
    from_raster=lambda pil, meta: Image(pil, (int(meta["offset"][0]), int(meta["offset"][1])),
                                        (int(meta["root_size"][0]), int(meta["root_size"][1]))),
    prefix="IMAGE", description="an RGB image (a crop remembers where it sits in the input image)",
))
BOX = register_value_type(ValueType(
    Box, "Box",
    attributes=frozenset({"x1", "y1", "x2", "y2", "label", "score", "width", "height", "area", "center", "cx", "cy", "mask"}),
    methods=frozenset({"iou"}),
    attribute_kinds={"x1": "float", "y1": "float", "x2": "float", "y2": "float", "label": "str", "score": "float",
                     "width": "float", "height": "float", "area": "float", "center": "list", "cx": "float", "cy": "float",
                     "mask": "Mask"},
    encode=_encode_box, decode=_decode_box, token=_box_token,
    picture=lambda v, base: _draw_detections([v], base), picture_many=_draw_detections,
    summary=lambda v: f"Box({box_text(v)})",
    nbytes=lambda v: 200 + (approx_bytes(v.mask) if v.mask is not None else 0), boxes=lambda v: [v],
    prefix="OBJ", description="a box in input-image pixels (x1, y1, x2, y2), with label and score",
))
DETECTIONS = register_value_type(ValueType(
    Detections, "Detections", attributes=frozenset({"boxes", "labels", "scores"}),
    attribute_kinds={"boxes": "list", "labels": "list", "scores": "list"},
    encode=lambda v, nested: {"boxes": [nested(b) for b in v]},
    decode=lambda d, nested: Detections([nested(b) for b in d["boxes"]]),
    token=lambda v: [cache_token(b) for b in v],
    picture=_draw_detections, summary=_detections_text,
    nbytes=lambda v: 64 + sum(approx_bytes(b) for b in v), boxes=list, item_kind="Box",
    prefix="BOX", description="an ordered list of boxes (best first)",
))
MASK = register_value_type(ValueType(
    Mask, "Mask", attributes=frozenset({"area", "box", "label", "score"}),
    attribute_kinds={"area": "int", "box": "Box", "label": "str", "score": "float"},
    encode=_encode_mask, decode=_decode_mask, token=_mask_token,
    picture=lambda v, base: _draw_masks([v], base), picture_many=_draw_masks, summary=repr,
    nbytes=lambda v: int(v.array.nbytes) + 256,
    prefix="MASK", description="a boolean mask aligned with the input image",
))
