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
* how to draw it for a trace (a PIL picture over a base image), if it can be drawn;
* the variable-name prefix the offline planner's grammar uses for it (``BOX``, ``IMAGE``).

Scalars, lists, tuples, dicts and ranges are built in; they are not registered here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from visprog.errors import RegistryError

__all__ = [
    "SCALAR_TYPES",
    "ValueType",
    "is_sandbox_value",
    "register_value_type",
    "value_type",
    "value_type_named",
    "value_types",
]

#: Types of plain values a program may hold besides registered value types.
SCALAR_TYPES: frozenset[type] = frozenset({type(None), bool, int, float, str})

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
        picture: ``(value, base) -> PIL image or None`` drawing for traces.
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
