"""The value-type protocol: everything the rest of visprog needs to know about a value
type, registered once, so that a new type (a depth map, an image patch) is one module.

A :class:`ValueType` says:

* which attributes programs may read and which methods they may call (the sandbox's
  allow-lists, and the checker's type inference);
* which methods are *tool methods*: calls that the runtime routes through a registered
  tool (so they are traced, cached, budgeted and checked for availability like any
  other tool call), e.g. ``patch.find('cup')`` → tool ``patch_find(patch, 'cup')``;
* how to encode it as JSON and decode it back (traces, the result cache);
* its cache token (what identifies it in a result-cache key);
* how to copy it at the sandbox boundary (None for immutable types);
* how to draw it for a trace (a PIL picture over a base image), if it can be drawn,
  alone and as a list of its kind;
* its one-line text for trace tables and variable views;
* how many bytes it holds in memory (the result cache's memory bound) and how many
  pixels of image data it brings into a run (the run's pixel budget);
* the boxes its picture draws, for the trace's numbered legend;
* whether it is one raster picture plus a little metadata (an image): then a trace
  stores the picture once in its image table (scaled and lossy unless ``full``);
* whether it is a sequence of other values (``Detections`` of ``Box``): then programs
  may index and iterate it, the checker knows what an item is, and its length counts
  against the per-call item budget;
* the variable-name prefix the offline planner's grammar uses for it (``BOX``, ``IMAGE``).

Scalars, lists, tuples, dicts and ranges are built in; they are not registered here.
The functions below (:func:`approx_bytes`, :func:`count_pixels`, :func:`item_count`,
:func:`cache_token`, :func:`copy_value`) walk those containers and ask the protocol for
everything else: no caller special-cases a value type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from visprog.errors import RegistryError

__all__ = [
    "COPY_DEPTH",
    "IMMUTABLE_TYPES",
    "SCALAR_TYPES",
    "ValueType",
    "approx_bytes",
    "cache_token",
    "copy_value",
    "count_pixels",
    "drawn_boxes",
    "is_sandbox_value",
    "item_count",
    "sequence_item_kind",
    "register_value_type",
    "value_type",
    "value_type_named",
    "value_types",
]

#: Types of plain values a program may hold besides registered value types.
SCALAR_TYPES: frozenset[type] = frozenset({type(None), bool, int, float, str})
#: Values shared, never copied, at the sandbox boundary, in traces and in the cache.
IMMUTABLE_TYPES: frozenset[type] = frozenset({type(None), bool, int, float, str, range})
#: Containers nested deeper than this are shared below that depth, not copied (program
#: values nest at most 20 levels: see :func:`is_sandbox_value`).
COPY_DEPTH = 40

Encoder = Callable[[Any], Any]
"""Encodes a nested value (for value types holding other values, e.g. a Box's mask)."""
Decoder = Callable[[Any], Any]


@dataclass(frozen=True)
class ValueType:
    """What visprog knows about one value type.

    Attributes:
        cls: the Python class (looked up by exact type, never by subclass).
        name: the name programs, stubs and the checker use (``"Box"``).
        attributes: data attributes programs may read.
        methods: host methods programs may call directly (pure, bounded work).
        tool_methods: method name → tool name; ``obj.m(*a, **k)`` runs tool
            ``name(obj, *a, **k)`` through the one tool-call path.
        attribute_kinds: coarse type of each attribute, for the checker (``"float"``,
            ``"Box"``, ...); missing means unknown.
        encode: ``(value, encode_nested) -> JSON`` (a dict; the codec adds ``"type"``).
        decode: ``(data, decode_nested) -> value``.
        token: ``value -> JSON-able`` identity for result-cache keys, or None when the
            value cannot be part of a key.
        copy: ``value -> value`` copy for the sandbox boundary; None for immutable types.
        picture: ``(value, base) -> PIL image or None`` drawing for traces (``base``: the
            image the step works on, or None).
        picture_many: ``(values, base) -> PIL image or None``: a drawing of a non-empty
            list whose items are all of this type (several boxes on one image).
        summary: ``value -> str``: one line of text (default: ``repr``).
        nbytes: ``value -> int``: bytes it holds in memory. Default: the bytes of the
            numpy arrays and PIL images among its attributes (plus nested value types).
        pixels: ``value -> int``: pixels of image data it brings into a run, counted
            against ``Limits.max_total_pixels`` (default 0).
        boxes: ``value -> list of Box``: the boxes its picture draws, in drawing order
            (numbered from 1 in the trace's legend and the REPL's ``show``); None: none.
        raster: ``value -> (PIL image, JSON metadata)``: the value is that picture (with
            the metadata to rebuild it), so a trace stores the picture in its image
            table, once, and the metadata inline; needs ``from_raster``.
        from_raster: ``(PIL image, metadata) -> value``: the inverse of ``raster``.
        item_kind: the value type is a read-only sequence of values of this kind
            (``"Box"`` for Detections): indexable, iterable, ``len()``; its length counts
            against ``Limits.max_items_per_call``. None: not a sequence.
        prefix: variable-name prefix for the offline planner's grammar.
        description: one line for prompts and docs.
    """

    cls: type
    name: str
    attributes: frozenset[str] = frozenset()
    methods: frozenset[str] = frozenset()
    tool_methods: Mapping[str, str] = field(default_factory=dict)
    attribute_kinds: Mapping[str, str] = field(default_factory=dict)
    encode: Callable[[Any, Encoder], dict[str, Any]] | None = None
    decode: Callable[[dict[str, Any], Decoder], Any] | None = None
    token: Callable[[Any], Any] | None = None
    copy: Callable[[Any], Any] | None = None
    picture: Callable[[Any, Any], Any] | None = None
    picture_many: Callable[[list[Any], Any], Any] | None = None
    summary: Callable[[Any], str] | None = None
    nbytes: Callable[[Any], int] | None = None
    pixels: Callable[[Any], int] | None = None
    boxes: Callable[[Any], list[Any]] | None = None
    raster: Callable[[Any], tuple[Any, dict[str, Any]]] | None = None
    from_raster: Callable[[Any, dict[str, Any]], Any] | None = None
    item_kind: str | None = None
    prefix: str = "VALUE"
    description: str = ""


_BY_CLASS: dict[type, ValueType] = {}
_BY_NAME: dict[str, ValueType] = {}


def register_value_type(spec: ValueType, *, override: bool = False) -> ValueType:
    """Make ``spec.cls`` a value type programs may hold. Returns ``spec``.

    Raises:
        RegistryError: the class or name is registered already (unless ``override``),
            or an attribute or method name is private.
    """
    for name in (*spec.attributes, *spec.methods, *spec.tool_methods):
        if name.startswith("_"):
            raise RegistryError(f"value type {spec.name}: '{name}' is private and cannot be exposed to programs")
    if not override and (spec.cls in _BY_CLASS or spec.name in _BY_NAME):
        raise RegistryError(f"value type {spec.name} is registered already")
    _BY_CLASS[spec.cls] = spec
    _BY_NAME[spec.name] = spec
    return spec


def value_type(cls: type) -> ValueType | None:
    """The registered value type of exactly ``cls``, or None."""
    return _BY_CLASS.get(cls)


def value_type_named(name: str) -> ValueType | None:
    return _BY_NAME.get(name)


def value_types() -> list[ValueType]:
    """Every registered value type, in registration order."""
    return list(_BY_CLASS.values())


def is_sandbox_value(value: Any, depth: int = 0) -> bool:
    """True when ``value`` is made only of types a program may hold (iteratively
    bounded: containers nested deeper than 20 levels are refused)."""
    kind = type(value)
    if kind in SCALAR_TYPES or kind in _BY_CLASS or kind is range:
        return True
    if depth > 20:
        return False
    if kind is list or kind is tuple:
        return all(is_sandbox_value(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) in SCALAR_TYPES and is_sandbox_value(v, depth + 1) for k, v in value.items())
    return False


def drawn_boxes(value: Any) -> list[Any]:
    """The boxes a value's picture draws (``ValueType.boxes``), in drawing order; for a
    non-empty list of one value type drawn together (``picture_many``), its items'
    boxes in turn. Empty for anything else."""
    if type(value) is list:
        spec = _BY_CLASS.get(type(value[0])) if value else None
        if spec is None or spec.boxes is None or spec.picture_many is None or not all(type(v) is spec.cls for v in value):
            return []
        return [box for item in value for box in spec.boxes(item)]
    spec = _BY_CLASS.get(type(value))
    return list(spec.boxes(value)) if spec is not None and spec.boxes is not None else []


def sequence_item_kind(cls: type) -> str | None:
    """The item kind of a registered sequence value type (``"Box"`` for Detections), else None."""
    spec = _BY_CLASS.get(cls)
    return spec.item_kind if spec is not None else None


def item_count(value: Any) -> int:
    """How many items a call argument carries: the length of a list, tuple or sequence
    value type; 0 for anything else."""
    kind = type(value)
    if kind is list or kind is tuple:
        return len(value)
    spec = _BY_CLASS.get(kind)
    if spec is not None and spec.item_kind is not None:
        return len(value)
    return 0


def count_pixels(value: Any) -> int:
    """Pixels of image data in a tool's output: its own (``ValueType.pixels``) or those
    of the items of a list or tuple."""
    kind = type(value)
    if kind is list or kind is tuple:
        return sum(_pixels_of(item) for item in value)
    return _pixels_of(value)


def _pixels_of(value: Any) -> int:
    spec = _BY_CLASS.get(type(value))
    return int(spec.pixels(value)) if spec is not None and spec.pixels is not None else 0


def approx_bytes(value: Any, depth: int = 0) -> int:
    """About how many bytes ``value`` holds in memory: containers walked (bounded
    depth), value types by their ``nbytes`` (or, without one, the numpy arrays and PIL
    images among their attributes)."""
    if depth > COPY_DEPTH:
        return 0
    kind = type(value)
    if kind is str:
        return 50 + len(value)
    if kind is int:
        return 28 + int(value.bit_length()) // 8
    if kind is list or kind is tuple:
        return 64 + sum(8 + approx_bytes(v, depth + 1) for v in value)
    if kind is dict:
        return 64 + sum(16 + approx_bytes(k, depth + 1) + approx_bytes(v, depth + 1) for k, v in value.items())
    spec = _BY_CLASS.get(kind)
    if spec is not None:
        if spec.nbytes is not None:
            return int(spec.nbytes(value))
        return max(64, _attribute_bytes(value, depth))
    return 64


def _attribute_bytes(value: Any, depth: int) -> int:
    """Bytes of the arrays, pictures and nested value types among a value's attributes."""
    import numpy as np
    import PIL.Image

    names: list[str] = list(getattr(value, "__dict__", {}))
    for klass in type(value).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    total = 0
    for name in dict.fromkeys(names):
        if name.startswith("__"):
            continue
        try:
            item = object.__getattribute__(value, name)
        except AttributeError:
            continue
        if isinstance(item, np.ndarray):
            total += int(item.nbytes)
        elif isinstance(item, PIL.Image.Image):
            total += item.width * item.height * len(item.getbands())
        elif type(item) in _BY_CLASS or type(item) in (list, tuple, dict):
            total += approx_bytes(item, depth + 1)
    return total


def cache_token(value: Any, depth: int = 0) -> Any:
    """A JSON-able identity of a value for result-cache keys (containers walked, value
    types by their ``token``, tagged with their name), or None when it has none."""
    if depth > COPY_DEPTH:
        return None
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return ["float", repr(value)]
    if kind is list or kind is tuple:
        tokens = [cache_token(v, depth + 1) for v in value]
        if any(t is None and v is not None for t, v in zip(tokens, value)):
            return None
        return [kind.__name__, tokens]
    if kind is dict:
        items = []
        for k, v in value.items():
            token = cache_token(v, depth + 1)
            if token is None and v is not None:
                return None
            items.append([repr(k), cache_token(k, depth + 1), token])
        return ["dict", sorted(items, key=lambda item: str(item[0]))]
    if kind is range:
        return ["range", value.start, value.stop, value.step]
    spec = _BY_CLASS.get(kind)
    if spec is not None and spec.token is not None:
        try:
            token = spec.token(value)
        except Exception:  # noqa: BLE001 - a failing token means "not cacheable"
            return None
        return None if token is None else [spec.name, token]
    return None


def copy_value(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` safe to hand to a program, keep in a trace or in the cache:
    containers are rebuilt down to :data:`COPY_DEPTH` levels; immutable values and value
    types without a ``copy`` in their protocol entry are shared."""
    kind = type(value)
    if kind in IMMUTABLE_TYPES or depth > COPY_DEPTH:
        return value
    if kind is list:
        return [copy_value(v, depth + 1) for v in value]
    if kind is tuple:
        return tuple(copy_value(v, depth + 1) for v in value)
    if kind is dict:
        return {k: copy_value(v, depth + 1) for k, v in value.items()}
    if kind is set:
        return set(value)  # members are plain hashable values
    spec = _BY_CLASS.get(kind)
    if spec is not None and spec.copy is not None:
        return spec.copy(value)
    return value
