"""Sandbox operations: attribute reads and method calls through the per-type
allow-lists (:mod:`visprog.language.rules`), size guards that run *before* C-level
work, bounded formatting, and the safe built-ins.

Everything is an allow-list: a type, attribute, method or built-in that is not listed
is refused, whatever it is. Guards take the run's :class:`~visprog.runtime.budgets.Budget`
so that each sequence built also counts towards the run's cumulative totals.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from visprog.errors import BudgetExceeded, ProgramRuntimeError, SandboxViolation
from visprog.language.rules import attributes_of, format_fields, methods_of
from visprog.runtime.budgets import Budget, key_depth_ok
from visprog.values.protocol import SCALAR_TYPES

__all__ = [
    "BUILTINS", "KeyFunction", "call_method", "check_key", "check_set_items", "format_string", "format_value", "get_attribute",
    "guard_binop", "guard_compare",
]


class KeyFunction:
    """The ``key=`` of ``sorted``/``min``/``max``/``list.sort``, made by the evaluator from
    a program's one-parameter lambda. Only the evaluator creates one, only those four
    receive one, and none of them keeps it: the lambda never becomes a program value.

    Args:
        call: evaluates the lambda's body with its parameter bound to the item.
    """

    __slots__ = ("call",)

    def __init__(self, call: Callable[[Any], Any]) -> None:
        self.call = call

    def __call__(self, item: Any) -> Any:
        return self.call(item)


def _key_argument(owner: str, kwargs: dict[str, Any]) -> None:
    """Refuse a ``key=`` that is not a program lambda (a host callable must never get in)."""
    if "key" in kwargs and type(kwargs["key"]) is not KeyFunction:
        raise SandboxViolation(f"{owner}: key= takes a lambda, e.g. key=lambda item: item.horizontal_center")


def get_attribute(obj: Any, name: str) -> Any:
    """Read a data attribute allowed for ``type(obj)``."""
    if name.startswith("_"):
        raise SandboxViolation(f"attribute '{name}' is private")
    cls = type(obj)
    if name not in attributes_of(cls):
        if name in methods_of(cls):
            raise SandboxViolation(f"method '{name}' of {cls.__name__} must be called, not read")
        raise SandboxViolation(f"{cls.__name__} has no attribute '{name}' available to programs")
    return getattr(obj, name)


def call_method(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any], budget: Budget) -> Any:
    """Call a host method allowed for ``type(obj)``, after size guards."""
    if name.startswith("_"):
        raise SandboxViolation(f"attribute '{name}' is private")
    cls = type(obj)
    if name not in methods_of(cls):
        if name in attributes_of(cls):
            raise SandboxViolation(f"'{name}' of {cls.__name__} is not callable")
        raise SandboxViolation(f"{cls.__name__} has no method '{name}' available to programs")
    if cls is str:
        _guard_str_method(obj, name, args, budget)
        if name == "format":
            return format_string(obj, args, kwargs, budget)
    elif cls is list:
        if name == "extend" and args and hasattr(args[0], "__len__"):
            budget.length(len(obj) + len(args[0]))
        elif name == "sort":
            if args or kwargs.keys() - {"reverse", "key"}:
                raise SandboxViolation("list.sort only takes key= and reverse=")
            _key_argument("list.sort", kwargs)
            guard_sort(obj, budget, "list.sort")
        elif name == "copy":
            budget.length(len(obj))
    elif cls is set:
        _guard_set_method(obj, name, args, budget)
    elif cls is dict:
        if name == "update" and args and type(args[0]) is dict:
            budget.length(len(obj) + len(args[0]))
            for key in args[0]:
                check_key(key, budget)
            guard_hashing(list(args[0]), budget, "dict.update")
        elif name in ("get", "pop") and args:
            check_key(args[0], budget)
    result = getattr(obj, name)(*args, **kwargs)
    if cls is dict and name in ("keys", "values", "items"):
        # Views would hand a host iterator object to the program: give lists.
        return [tuple(x) for x in result] if name == "items" else list(result)
    return result


def _guard_set_method(items: set[Any], name: str, args: list[Any], budget: Budget) -> None:
    """Sets hold plain hashable values only; what a method adds or hashes is checked first."""
    if name in ("add", "discard", "remove"):
        if len(args) == 1:
            check_key(args[0], budget, what="set items")
        return
    growing = name in ("update", "union", "symmetric_difference")
    total = len(items)
    for other in args:
        if type(other) not in _SET_SOURCES:
            raise ProgramRuntimeError(f"set.{name}() takes lists, tuples, sets or strings, not {type(other).__name__}")
        if type(other) is not set:
            check_set_items(other, budget)
        guard_hashing(other, budget, f"set.{name}")
        total += len(other)
    if growing or name == "copy":
        budget.length(total)


_SET_SOURCES = (list, tuple, set, str, range, dict)


def check_set_items(items: Any, budget: Budget) -> None:
    """Refuse items a set may not hold (anything but plain values and tuples of them)."""
    if type(items) is set or type(items) is range or type(items) is str:
        return
    for item in items:
        check_key(item, budget, what="set items")


def format_string(template: str, args: list[Any], kwargs: dict[str, Any], budget: Budget) -> str:
    """``template.format(*args, **kwargs)`` with plain fields only (see
    :func:`visprog.language.rules.format_fields`), each value formatted by
    :func:`format_value`; the result's length is checked as it grows. The template's
    fields are never looked up as attributes or items: this builds the text itself."""
    try:
        parts = format_fields(template)
    except ValueError as exc:
        raise SandboxViolation(str(exc)) from None
    out: list[str] = []
    total = 0
    automatic: bool | None = None
    position = 0
    for literal, field, spec in parts:
        pieces = [literal]
        if field is not None:
            if field == "" or field.isdigit():
                if automatic is None:
                    automatic = field == ""
                elif automatic != (field == ""):
                    raise ProgramRuntimeError("format fields cannot mix automatic {} and numbered {0} fields")
                index = position if field == "" else int(field)
                position += field == ""
                if index >= len(args):
                    raise ProgramRuntimeError(f"format field {{{field}}} needs positional argument {index}, but only {len(args)} were given")
                value = args[index]
            elif field in kwargs:
                value = kwargs[field]
            else:
                raise ProgramRuntimeError(f"format field {{{field}}} has no keyword argument {field}=")
            pieces.append(format_value(value, spec, budget))
        for piece in pieces:
            total += len(piece)
            budget.length(total)
            out.append(piece)
    return "".join(out)


def _guard_str_method(text: str, name: str, args: list[Any], budget: Budget) -> None:
    if name == "join" and args:
        items = args[0]
        if type(items) is str:
            budget.length(len(items) + len(text) * max(len(items) - 1, 0))
        elif type(items) in (list, tuple):
            total = sum(len(x) for x in items if type(x) is str) + len(text) * max(len(items) - 1, 0)
            budget.length(total)
    elif name == "replace" and len(args) >= 2 and type(args[0]) is str and type(args[1]) is str:
        old, new = args[0], args[1]
        hits = text.count(old) if old else len(text) + 1
        budget.length(len(text) + hits * max(len(new) - len(old), 0))
    elif name in ("split", "rsplit", "splitlines", "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip"):
        budget.length(len(text))


def check_key(key: Any, budget: Budget, what: str = "dict keys") -> None:
    """Refuse dict keys (or set items: ``what``) that are not plain values, or tuples
    nested too deeply to hash."""
    kind = type(key)
    if kind in SCALAR_TYPES:
        return
    if kind is not tuple:
        raise ProgramRuntimeError(f"{what} must be plain values, not {kind.__name__}")
    if not key_depth_ok(key, budget.limits.max_container_depth):
        raise BudgetExceeded(
            "max_container_depth",
            f"a {what[:-1] if what.endswith('s') else what} nests tuples more than {budget.limits.max_container_depth} deep "
            "(budget max_container_depth)",
        )


# ---------------------------------------------------------------------------
# Size guards for operators: decide from the operands' sizes before computing.

_INTS = (int, bool)
_SEQUENCES = (str, list, tuple)


def guard_binop(op: str, left: Any, right: Any, budget: Budget) -> None:
    """Refuse operations whose result would exceed the size budgets."""
    lt, rt = type(left), type(right)
    limits = budget.limits
    if op == "+":
        if lt is rt and lt in _SEQUENCES:
            budget.length(len(left) + len(right))
        elif lt not in _INTS and lt is not float and lt is not str and lt not in (list, tuple):
            # value types that support + (Detections) count their items too
            size = getattr(left, "__len__", None)
            if size is not None and getattr(right, "__len__", None) is not None:
                budget.length(len(left) + len(right))
    elif op == "*":
        if lt in _INTS and rt in _INTS:
            if left.bit_length() + right.bit_length() > limits.max_int_bits:
                raise BudgetExceeded("max_int_bits", f"product exceeds the limit (max_int_bits) of {limits.max_int_bits} bits")
        elif lt in _SEQUENCES and rt in _INTS:
            budget.length(len(left) * max(right, 0))
        elif rt in _SEQUENCES and lt in _INTS:
            budget.length(len(right) * max(left, 0))
    elif op == "**" and lt in _INTS and rt in _INTS:
        if right > 0 and abs(left) > 1:
            bits = left.bit_length() * right
            if bits > limits.max_int_bits:
                raise BudgetExceeded(
                    "max_int_bits", f"{left} ** {right} would have about {bits} bits; the limit (max_int_bits) is {limits.max_int_bits}"
                )
    elif op == "<<" and lt in _INTS and rt in _INTS:
        if right > 0 and left.bit_length() + right > limits.max_int_bits:
            raise BudgetExceeded("max_int_bits", f"<< by {right} exceeds the limit (max_int_bits) of {limits.max_int_bits} bits")
    elif op == "%" and lt is str:
        raise SandboxViolation("'%' formatting of strings is not allowed; use an f-string")
    elif (op == "|" or op == "^") and lt is set and rt is set:
        budget.length(len(left) + len(right))


# ---------------------------------------------------------------------------
# Work guards. One C-level operation (comparing two containers, a containment test,
# a sort, min/max, a set built from many keys) runs to its end once started: no
# deadline can stop it. Its work is estimated from the operands and refused before it
# starts (budget max_operation_work): items visited plus characters compared.

_CONTAINERS = (list, tuple, dict, set)
_ORDERED_COMPARISONS = frozenset({"Eq", "NotEq", "Lt", "LtE", "Gt", "GtE"})


def work_size(value: Any, cap: int) -> int:
    """Items a walk of ``value`` visits plus the characters of its strings, counted
    until the total passes ``cap`` (then that partial total is returned). Repeated
    references count each time, since comparisons visit them each time."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            total += len(item) + 1
        elif kind is list or kind is tuple or kind is set:
            total += len(item) + 1
            stack.extend(sub for sub in item if type(sub) is not int and type(sub) is not float)
        elif kind is dict:
            total += 2 * len(item) + 1
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            total += 1
        if total > cap:
            return total
    return total


def _refuse_work(what: str, work: str, budget: Budget) -> BudgetExceeded:
    limit = budget.limits.max_operation_work
    return BudgetExceeded(
        "max_operation_work",
        f"{what} would do {work} units of work (items visited plus characters compared); "
        f"the limit for one operation (max_operation_work) is {limit:,}",
    )


def guard_work(value: Any, budget: Budget, what: str, factor: int = 1) -> None:
    """Refuse one pass over ``value`` (times ``factor``) that would exceed the budget."""
    if type(value) not in _CONTAINERS:
        return
    cap = budget.limits.max_operation_work // max(factor, 1)
    if work_size(value, cap) > cap:
        raise _refuse_work(what, f"more than {cap * max(factor, 1):,}", budget)


def guard_sort(items: Any, budget: Budget, what: str) -> None:
    """A sort compares about n·log2(n) times, each up to an item's size."""
    if type(items) in _CONTAINERS and len(items) > 1:
        guard_work(items, budget, what, factor=max(1, math.ceil(math.log2(len(items)))))


def guard_hashing(keys: Any, budget: Budget, what: str) -> None:
    """Refuse building a set or dict from ``keys`` when hashing them, or the keys whose
    hashes collide (each insertion compares with every earlier key of the same hash),
    would exceed the budget. Only the full hash matters: equal hashes are what make
    CPython's probing compare key by key."""
    if type(keys) not in _CONTAINERS or len(keys) < 64:
        return
    guard_work(keys, budget, what)
    limit = budget.limits.max_operation_work
    counts = Counter(hash(key) for key in keys)
    colliding = sum(n * n for n in counts.values() if n > 1)
    if colliding > limit:
        raise _refuse_work(f"{what} ({len(keys):,} keys, {len(keys) - len(counts):,} sharing a hash)", f"about {colliding:,}", budget)


def guard_compare(op: str, left: Any, right: Any, budget: Budget) -> None:
    """Refuse a comparison (``op`` names the ast operator) whose C-level work would
    exceed the budget: equality and ordering of two containers walk both at most as far
    as the smaller; ``in`` over a list or tuple compares with every item."""
    if op in _ORDERED_COMPARISONS:
        if type(left) in _CONTAINERS and type(right) in _CONTAINERS:
            cap = budget.limits.max_operation_work
            if work_size(left, cap) > cap and work_size(right, cap) > cap:
                raise _refuse_work(f"comparing two {type(left).__name__}s", f"more than {cap:,}", budget)
    elif (op == "In" or op == "NotIn") and (type(right) is list or type(right) is tuple):
        if type(left) in _CONTAINERS or type(left) is str:
            guard_work(right, budget, "an 'in' test")


_FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?$")
_REPR_SAFE = (str, int, float, bool, type(None))


def to_text(value: Any, budget: Budget) -> str:
    """``str(value)`` with its size bounded before it is built: containers are measured
    (items and nesting) first, since their text is built in C all at once."""
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is int:
        if value.bit_length() > 33_000:  # about 10,000 digits; CPython refuses more anyway
            raise BudgetExceeded("max_sequence_length", "integer too large to turn into text")
        return str(value)
    if kind in (list, tuple, dict, set):
        budget.length(_text_size_estimate(value, budget))
    return str(value)


def _text_size_estimate(value: Any, budget: Budget) -> int:
    """An upper-bound-ish estimate of ``len(str(value))`` computed without building it."""
    total = 0
    stack = [(value, 0)]
    depth_limit = budget.limits.max_container_depth
    while stack:
        item, depth = stack.pop()
        if depth > depth_limit:
            raise BudgetExceeded("max_container_depth", f"value nests more than {depth_limit} deep to turn into text")
        kind = type(item)
        if kind is str:
            total += len(item) + 4
        elif kind in (list, tuple, set):
            total += 2 + 2 * len(item)
            stack.extend((sub, depth + 1) for sub in item)
        elif kind is dict:
            total += 2 + 4 * len(item)
            for key, sub in item.items():
                stack.append((key, depth + 1))
                stack.append((sub, depth + 1))
        elif kind is int:
            total += item.bit_length() // 3 + 2
        else:
            total += 40
        if total > budget.limits.max_sequence_length:
            return total
    return total


def format_value(value: Any, spec: str, budget: Budget) -> str:
    """``format(value, spec)`` for f-strings, with the spec's width and precision bounded."""
    if not spec:
        return to_text(value, budget)
    match = _FORMAT_SPEC.match(spec)
    if match is None:
        raise SandboxViolation(f"format spec {spec!r} is not allowed")
    width = int(match.group(1) or 0)
    precision = int(match.group(2) or 0)
    limit = budget.limits.max_format_width
    if width > limit or precision > limit:
        raise BudgetExceeded(
            "max_format_width", f"format width/precision {max(width, precision)} exceeds the limit (max_format_width) of {limit}"
        )
    if type(value) not in (int, float, bool, str):
        raise SandboxViolation(f"format specs apply to numbers and strings, not {type(value).__name__}")
    return format(value, spec)


# ---------------------------------------------------------------------------
# Safe built-ins. Each takes the run's budget first so it can check sizes.

def _range(budget: Budget, *args: Any) -> range:
    if not 1 <= len(args) <= 3 or not all(type(a) in _INTS for a in args):
        raise ProgramRuntimeError("range() takes 1 to 3 integers")
    result = range(*args)
    if len(result) > budget.limits.max_range_length:
        raise BudgetExceeded(
            "max_range_length", f"range of {len(result)} items exceeds the limit (max_range_length) of {budget.limits.max_range_length}"
        )
    return result


def _sized(budget: Budget, args: tuple[Any, ...]) -> None:
    if args and hasattr(args[0], "__len__"):
        budget.length(len(args[0]))


def _listify(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(budget: Budget, *args: Any, **kwargs: Any) -> Any:
        _sized(budget, args)
        return list(fn(*args, **kwargs))

    return call


def _plain(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(budget: Budget, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return call


def _sum(budget: Budget, *args: Any) -> Any:
    items = args[0] if args else ()
    if any(type(x) in (list, tuple, str) for x in items) or (len(args) > 1 and type(args[1]) in (list, tuple, str)):
        # sum(lists, []) builds a new list at every step: quadratic, and unbounded.
        raise SandboxViolation("sum() adds numbers only; join lists with a comprehension")
    return sum(*args)


def _sorted(budget: Budget, *args: Any, **kwargs: Any) -> Any:
    _key_argument("sorted()", kwargs)
    _sized(budget, args)
    if args:
        guard_sort(args[0], budget, "sorted()")
    return sorted(*args, **kwargs)


def _extreme(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(budget: Budget, *args: Any, **kwargs: Any) -> Any:
        _key_argument(f"{fn.__name__}()", kwargs)
        guard_work(args[0] if len(args) == 1 else args, budget, f"{fn.__name__}()")
        return fn(*args, **kwargs)

    return call


def _set(budget: Budget, *args: Any) -> set[Any]:
    if len(args) > 1:
        raise ProgramRuntimeError("set() takes at most one argument")
    if not args:
        return set()
    items = args[0]
    if type(items) not in _SET_SOURCES:
        raise ProgramRuntimeError(f"set() takes a list, tuple, set, range or string, not {type(items).__name__}")
    check_set_items(items, budget)
    budget.length(len(items))
    guard_hashing(items, budget, "set()")
    return set(items)


def _str(budget: Budget, *args: Any) -> str:
    if len(args) != 1:
        raise ProgramRuntimeError("str() takes one argument here")
    return to_text(args[0], budget)


def _int(budget: Budget, *args: Any) -> int:
    if len(args) != 1:
        raise ProgramRuntimeError("int() takes one argument here")
    if type(args[0]) is str and len(args[0]) > 4_300:
        raise BudgetExceeded("max_int_bits", "int() of a string with more than 4,300 digits")
    return int(args[0])


def _list(budget: Budget, *args: Any) -> list[Any]:
    _sized(budget, args)
    return list(*args)


#: name -> implementation(budget, *args, **kwargs); keywords are in rules.BUILTIN_KEYWORDS.
BUILTINS: dict[str, Callable[..., Any]] = {
    "len": _plain(len), "min": _extreme(min), "max": _extreme(max), "sum": _sum, "sorted": _sorted,
    "abs": _plain(abs), "round": _plain(round), "any": _plain(any), "all": _plain(all),
    "enumerate": _listify(enumerate), "zip": _listify(zip), "range": _range, "str": _str, "int": _int,
    "float": _plain(float), "bool": _plain(bool), "list": _list, "set": _set,
}
