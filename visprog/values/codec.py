"""JSON codec of program values (traces, the result cache), through the value-type
protocol: each registered type encodes itself; this module adds the ``"type"`` tag and
handles scalars and containers. Images become PNG data URLs, each encoded once per call.
"""

from __future__ import annotations

import math
from typing import Any

from visprog.values import builtin as _builtin  # registers Image, Box, Detections, Mask
from visprog.values.protocol import value_type, value_type_named

__all__ = ["MAX_DEPTH", "decode_value", "encode_value", "png_data_url"]

png_data_url = _builtin.png_data_url

#: Containers nested deeper than this (a program can build them) are cut off.
MAX_DEPTH = 50
#: Integers longer than this many digits are kept as a summary, not as digits.
MAX_INT_DIGITS = 4_000


def _number(value: float) -> Any:
    return value if math.isfinite(value) else str(value)


def encode_value(value: Any, images: dict[int, Any] | None = None, depth: int = 0) -> Any:
    """A JSON-able encoding of a program value, tagged by type.

    Args:
        value: any program value.
        images: memo of values already encoded in this call (by ``id``), so an image that
            appears in many steps is stored once per call.
        depth: nesting depth so far (deeper than :data:`MAX_DEPTH` is cut off).
    """
    memo: dict[int, Any] = {} if images is None else images
    if depth > MAX_DEPTH:
        return {"type": "unknown", "repr": "nested too deeply"}
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        if value.bit_length() > MAX_INT_DIGITS * 3.33:
            return {"type": "unknown", "repr": f"int of about {int(value.bit_length() / 3.33)} digits"}
        return value
    if kind is float:
        return {"type": "float", "value": _number(value)}
    if kind is range:
        return {"type": "range", "args": [value.start, value.stop, value.step]}
    if kind is tuple:
        return {"type": "tuple", "items": [encode_value(v, memo, depth + 1) for v in value]}
    if kind is list:
        return [encode_value(v, memo, depth + 1) for v in value]
    if kind is set or kind is frozenset:
        items = sorted((encode_value(v, memo, depth + 1) for v in value), key=repr)
        return {"type": "set", "items": items}
    if kind is dict:
        return {"type": "dict", "items": [[encode_value(k, memo, depth + 1), encode_value(v, memo, depth + 1)] for k, v in value.items()]}
    spec = value_type(kind)
    if spec is None or spec.encode is None:
        return {"type": "unknown", "repr": kind.__name__}
    key = id(value)
    if key not in memo:
        memo[key] = {"type": spec.name, **spec.encode(value, lambda v: encode_value(v, memo, depth + 1))}
    return memo[key]


def decode_value(data: Any) -> Any:
    """Inverse of :func:`encode_value`. Values that could not be encoded come back as a
    ``"<...>"`` string naming what they were."""
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    kind = data.get("type")
    if kind == "float":
        return float(data["value"])
    if kind == "range":
        return range(*data["args"])
    if kind == "tuple":
        return tuple(decode_value(v) for v in data["items"])
    if kind == "dict":
        return {decode_value(k): decode_value(v) for k, v in data["items"]}
    if kind == "set":
        return {decode_value(v) for v in data["items"]}
    spec = value_type_named(kind) if isinstance(kind, str) else None
    if spec is not None and spec.decode is not None:
        return spec.decode(data, decode_value)
    return f"<{data.get('repr', 'unknown')}>"
