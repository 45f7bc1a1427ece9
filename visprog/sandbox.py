"""What a program may touch: budgets, per-type attribute allow-lists, safe built-ins,
and size guards that run *before* any C-level work that could exhaust memory or time.

Everything here is an allow-list. A value type, attribute, method or built-in that is
not listed is refused, whatever it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from visprog.errors import BudgetExceeded, ProgramRuntimeError, SandboxViolation
from visprog.values import Box, Detections, Image, Mask

__all__ = ["ATTRIBUTES", "BUILTINS", "METHODS", "Limits", "is_sandbox_value"]


@dataclass(frozen=True)
class Limits:
    """Budgets for one run. Exceeding any stops the run with ``BudgetExceeded`` naming it.

    Attributes:
        max_statements: statements executed, all frames together.
        max_loop_iterations: iterations of for/while loops and comprehensions, together.
        max_wall_time_s: seconds of wall time (checked between statements, iterations
            and tool calls; a tool call already running is not interrupted).
        max_source_chars: program length in characters.
        max_nesting_depth: depth of the program's syntax tree.
        max_int_bits: size of any integer an operator may produce (``**``, ``<<``, ``*``).
        max_sequence_length: length of any string or list an operator or method may build.
        max_range_length: length of a ``range``.
        max_image_pixels: pixels of an image a tool may create or load.
        max_format_width: width/precision in f-string format specs.
    """

    max_statements: int = 100_000
    max_loop_iterations: int = 100_000
    max_wall_time_s: float = 600.0
    max_source_chars: int = 50_000
    max_nesting_depth: int = 40
    max_int_bits: int = 100_000
    max_sequence_length: int = 1_000_000
    max_range_length: int = 1_000_000
    max_image_pixels: int = 50_000_000
    max_format_width: int = 1_000

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


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


def get_attribute(obj: Any, name: str) -> Any:
    """Read a data attribute allowed for ``type(obj)``."""
    if name.startswith("_"):
        raise SandboxViolation(f"attribute '{name}' is private")
    allowed = ATTRIBUTES.get(type(obj), frozenset())
    if name not in allowed:
        if name in METHODS.get(type(obj), frozenset()):
            raise SandboxViolation(f"method '{name}' of {_kind(obj)} must be called, not read")
        raise SandboxViolation(f"{_kind(obj)} has no attribute '{name}' available to programs")
    return getattr(obj, name)


def call_method(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any], limits: Limits) -> Any:
    """Call a method allowed for ``type(obj)``, after size guards."""
    if name.startswith("_"):
        raise SandboxViolation(f"attribute '{name}' is private")
    if name not in METHODS.get(type(obj), frozenset()):
        if name in ATTRIBUTES.get(type(obj), frozenset()):
            raise SandboxViolation(f"'{name}' of {_kind(obj)} is not callable")
        raise SandboxViolation(f"{_kind(obj)} has no method '{name}' available to programs")
    if type(obj) is str:
        _guard_str_method(obj, name, args, limits)
    elif type(obj) is list:
        if name == "extend" and args and hasattr(args[0], "__len__"):
            check_length(len(obj) + len(args[0]), limits)
        if name == "sort" and kwargs.keys() - {"reverse"}:
            raise SandboxViolation("list.sort only takes reverse=")
    elif type(obj) is dict and name == "update" and args and isinstance(args[0], dict):
        check_length(len(obj) + len(args[0]), limits)
    return getattr(obj, name)(*args, **kwargs)


def _guard_str_method(text: str, name: str, args: list[Any], limits: Limits) -> None:
    if name == "join" and args:
        items = args[0]
        if isinstance(items, (list, tuple)):
            total = sum(len(x) for x in items if isinstance(x, str)) + len(text) * max(len(items) - 1, 0)
            check_length(total, limits)
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        hits = text.count(old) if old else len(text) + 1
        check_length(len(text) + hits * max(len(new) - len(old), 0), limits)


def check_length(length: int, limits: Limits) -> None:
    if length > limits.max_sequence_length:
        raise BudgetExceeded(
            "max_sequence_length",
            f"would build a sequence of {length} items; the limit (max_sequence_length) is {limits.max_sequence_length}",
        )


def _kind(obj: Any) -> str:
    return type(obj).__name__


# ---------------------------------------------------------------------------
# Size guards for operators: decide from the operands' sizes before computing.

def guard_binop(op: str, left: Any, right: Any, limits: Limits) -> None:
    """Refuse operations whose result would exceed the size budgets."""
    lt, rt = type(left), type(right)
    if op == "**" and lt in (int, bool) and rt in (int, bool):
        if right > 0 and abs(left) > 1:
            bits = left.bit_length() * right
            if bits > limits.max_int_bits:
                raise BudgetExceeded(
                    "max_int_bits", f"{left} ** {right} would have about {bits} bits; the limit (max_int_bits) is {limits.max_int_bits}"
                )
    elif op == "<<" and lt in (int, bool) and rt in (int, bool):
        if right > 0 and left.bit_length() + right > limits.max_int_bits:
            raise BudgetExceeded("max_int_bits", f"<< by {right} exceeds the limit (max_int_bits) of {limits.max_int_bits} bits")
    elif op == "*":
        if lt in (int, bool) and rt in (int, bool):
            if left.bit_length() + right.bit_length() > limits.max_int_bits:
                raise BudgetExceeded("max_int_bits", f"product exceeds the limit (max_int_bits) of {limits.max_int_bits} bits")
        elif lt in (str, list, tuple) and rt in (int, bool):
            check_length(len(left) * max(right, 0), limits)
        elif rt in (str, list, tuple) and lt in (int, bool):
            check_length(len(right) * max(left, 0), limits)
    elif op == "+" and lt in (str, list, tuple) and rt is lt:
        check_length(len(left) + len(right), limits)
    elif op == "%" and lt is str:
        raise SandboxViolation("'%' formatting of strings is not allowed; use an f-string")


_FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?$")


def format_value(value: Any, spec: str, limits: Limits) -> str:
    """``format(value, spec)`` for f-strings, with the spec's width and precision bounded."""
    if spec:
        match = _FORMAT_SPEC.match(spec)
        if match is None:
            raise SandboxViolation(f"format spec {spec!r} is not allowed")
        width = int(match.group(1) or 0)
        precision = int(match.group(2) or 0)
        if width > limits.max_format_width or precision > limits.max_format_width:
            raise BudgetExceeded(
                "max_format_width", f"format width/precision {max(width, precision)} exceeds the limit (max_format_width) of {limits.max_format_width}"
            )
        if type(value) not in (int, float, bool, str):
            raise SandboxViolation(f"format specs apply to numbers and strings, not {_kind(value)}")
    else:
        return str(value) if type(value) is not str else value
    return format(value, spec)


# ---------------------------------------------------------------------------
# Safe built-ins. Each takes the run's limits first so it can check sizes.

def _range(limits: Limits, *args: Any) -> range:
    if not 1 <= len(args) <= 3 or not all(type(a) in (int, bool) for a in args):
        raise ProgramRuntimeError("range() takes 1 to 3 integers")
    result = range(*args)
    if len(result) > limits.max_range_length:
        raise BudgetExceeded(
            "max_range_length", f"range of {len(result)} items exceeds the limit (max_range_length) of {limits.max_range_length}"
        )
    return result


def _listify(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(limits: Limits, *args: Any, **kwargs: Any) -> Any:
        return list(fn(*args, **kwargs))

    return call


def _plain(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(limits: Limits, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return call


def _int(limits: Limits, *args: Any) -> int:
    if len(args) > 1:
        raise ProgramRuntimeError("int() takes one argument here")
    return int(*args)


def _list(limits: Limits, *args: Any) -> list[Any]:
    if args and isinstance(args[0], (dict, str)):
        check_length(len(args[0]), limits)
    return list(*args)


#: name -> (implementation(limits, *args, **kwargs), allowed keyword names)
BUILTINS: dict[str, tuple[Callable[..., Any], frozenset[str]]] = {
    "len": (_plain(len), frozenset()),
    "min": (_plain(min), frozenset({"default"})),
    "max": (_plain(max), frozenset({"default"})),
    "sum": (_plain(sum), frozenset()),
    "sorted": (_plain(sorted), frozenset({"reverse"})),
    "abs": (_plain(abs), frozenset()),
    "round": (_plain(round), frozenset()),
    "any": (_plain(any), frozenset()),
    "all": (_plain(all), frozenset()),
    "enumerate": (_listify(enumerate), frozenset({"start"})),
    "zip": (_listify(zip), frozenset()),
    "range": (_range, frozenset()),
    "str": (_plain(str), frozenset()),
    "int": (_int, frozenset()),
    "float": (_plain(float), frozenset()),
    "bool": (_plain(bool), frozenset()),
    "list": (_list, frozenset()),
}
