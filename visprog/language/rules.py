"""What programs may touch, as data shared by the checker and the runtime: per-type
attribute and method allow-lists, and the names of the safe built-ins."""

from __future__ import annotations

import ast
from typing import Any

from visprog.language.syntax import FORBIDDEN_NAMES
from visprog.values.core import Box, Detections, Image, Mask

_STR_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join",
     "replace", "startswith", "endswith", "find", "rfind", "count", "title", "capitalize",
     "isdigit", "isalpha", "isalnum", "isnumeric", "isspace", "islower", "isupper", "index"}
)


_LIST_METHODS = frozenset({"append", "extend", "index", "count", "pop", "insert", "remove", "copy", "reverse", "sort"})


_TUPLE_METHODS = frozenset({"index", "count"})


_DICT_METHODS = frozenset({"get", "keys", "values", "items", "pop", "copy", "update"})


#: Method names callable on each type (exact type; subclasses are not looked up).
METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    list: _LIST_METHODS,
    tuple: _TUPLE_METHODS,
    dict: _DICT_METHODS,
    Box: frozenset({"iou"}),
}


#: Data attributes readable on each type.
ATTRIBUTES: dict[type, frozenset[str]] = {
    Image: frozenset({"width", "height", "size"}),
    Box: frozenset({"x1", "y1", "x2", "y2", "label", "score", "width", "height", "area", "center", "cx", "cy", "mask"}),
    Detections: frozenset({"boxes", "labels", "scores"}),
    Mask: frozenset({"area", "box", "label", "score"}),
}


_SCALARS = (type(None), bool, int, float, str)


_VALUE_CLASSES = (Image, Box, Detections, Mask, range)


def is_sandbox_value(value: Any, depth: int = 0) -> bool:
    """True when ``value`` is made only of types a program may hold."""
    kind = type(value)
    if kind in _SCALARS or kind in _VALUE_CLASSES:
        return True
    if depth > 20:
        return False
    if kind in (list, tuple):
        return all(is_sandbox_value(v, depth + 1) for v in value)
    if kind is dict:
        return all(type(k) in _SCALARS and is_sandbox_value(v, depth + 1) for k, v in value.items())
    return False


def all_attribute_names() -> frozenset[str]:
    names: set[str] = set()
    for table in (METHODS, ATTRIBUTES):
        for allowed in table.values():
            names |= allowed
    return frozenset(names)


def method_only_names() -> frozenset[str]:
    """Names that are methods on every type that has them (never readable data)."""
    methods: set[str] = set().union(*METHODS.values())
    data: set[str] = set().union(*ATTRIBUTES.values())
    return frozenset(methods - data)


def ast_depth(tree: ast.AST) -> int:
    """Depth of a syntax tree, computed without recursion."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def construct_name(node: ast.AST) -> str:
    return FORBIDDEN_NAMES.get(type(node), type(node).__name__)
