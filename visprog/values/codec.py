"""JSON codec of program values (traces, the result cache): images as PNG data URLs."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
import PIL.Image

from visprog.values.core import Box, Detections, Image, Mask


def png_data_url(pil: PIL.Image.Image) -> str:
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _png_from_data_url(url: str) -> PIL.Image.Image:
    payload = url.split(",", 1)[1]
    pil = PIL.Image.open(io.BytesIO(base64.b64decode(payload)))
    pil.load()
    return pil


def _number(value: float) -> Any:
    return value if math.isfinite(value) else str(value)


MAX_DEPTH = 50


def encode_value(value: Any, images: dict[int, str] | None = None, depth: int = 0) -> Any:
    """A JSON-able encoding of a program value, tagged by type. Containers nested deeper
    than ``MAX_DEPTH`` (a program can build them) are cut off, not recursed into."""
    images = {} if images is None else images
    if depth > MAX_DEPTH:
        return {"type": "unknown", "repr": "nested too deeply"}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"type": "float", "value": _number(value)}
    if isinstance(value, Image):
        key = id(value.pil)
        if key not in images:
            images[key] = png_data_url(value.pil)
        return {"type": "Image", "offset": list(value.offset), "root_size": list(value.root_size), "png": images[key]}
    if isinstance(value, Box):
        return {
            "type": "Box", "xyxy": [_number(float(v)) for v in value.as_tuple()], "label": value.label,
            "score": None if value.score is None else _number(float(value.score)),
            "mask": encode_value(value.mask, images) if value.mask is not None else None,
        }
    if isinstance(value, Detections):
        return {"type": "Detections", "boxes": [encode_value(b, images) for b in value]}
    if isinstance(value, Mask):
        pil = PIL.Image.fromarray(value.array.astype(np.uint8) * 255, mode="L").convert("1")
        return {"type": "Mask", "label": value.label, "score": value.score, "png": png_data_url(pil)}
    if isinstance(value, range):
        return {"type": "range", "args": [value.start, value.stop, value.step]}
    if isinstance(value, tuple):
        return {"type": "tuple", "items": [encode_value(v, images, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode_value(v, images, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"type": "dict", "items": [[encode_value(k, images, depth + 1), encode_value(v, images, depth + 1)] for k, v in value.items()]}
    return {"type": "unknown", "repr": type(value).__name__}


def decode_value(data: Any) -> Any:
    """Inverse of :func:`encode_value`."""
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    kind = data.get("type")
    if kind == "float":
        return float(data["value"])
    if kind == "Image":
        return Image(_png_from_data_url(data["png"]), tuple(data["offset"]), tuple(data["root_size"]))
    if kind == "Box":
        mask = decode_value(data["mask"]) if data.get("mask") else None
        score = None if data["score"] is None else float(data["score"])
        return Box(*(float(v) for v in data["xyxy"]), label=data["label"], score=score, mask=mask)
    if kind == "Detections":
        return Detections([decode_value(b) for b in data["boxes"]])
    if kind == "Mask":
        return Mask(np.asarray(_png_from_data_url(data["png"]).convert("L")) > 127, data["label"], data["score"])
    if kind == "range":
        return range(*data["args"])
    if kind == "tuple":
        return tuple(decode_value(v) for v in data["items"])
    if kind == "dict":
        return {decode_value(k): decode_value(v) for k, v in data["items"]}
    return f"<{data.get('repr', 'unknown')}>"
