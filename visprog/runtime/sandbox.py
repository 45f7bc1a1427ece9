"""Sandbox operations: attribute reads and method calls through the allow-lists, size
guards that run *before* C-level work, bounded formatting, and the safe built-ins."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from visprog.errors import BudgetExceeded, ProgramRuntimeError, SandboxViolation
from visprog.language.limits import Limits
from visprog.language.rules import ATTRIBUTES, METHODS


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
