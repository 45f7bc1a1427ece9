"""Expression evaluation inside the sandbox.

Only node types with a handler in :attr:`Evaluator._handlers` are evaluated; anything
else is refused by name. Errors are positioned once, in :meth:`Evaluator.eval`: an
error raised while evaluating a node gets that node's line and column unless an inner
node already gave it one, and host exceptions (TypeError, ZeroDivisionError, ...)
become :class:`~visprog.errors.ProgramRuntimeError` holding only text.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from visprog.errors import BudgetExceeded, ProgramRuntimeError, RunError, SandboxViolation
from visprog.language.rules import BUILTIN_KEYWORDS, KEY_BUILTINS, STARRED_CALL, construct_name, tool_method_of
from visprog.runtime.budgets import Budget
from visprog.runtime.sandbox import (
    BUILTINS,
    KeyFunction,
    call_method,
    check_key,
    format_value,
    get_attribute,
    guard_binop,
    guard_compare,
    to_text,
)
from visprog.toolkit.tool import describe_exception
from visprog.values.protocol import SCALAR_TYPES, sequence_item_kind

__all__ = ["Evaluator"]

_BINOPS: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv), ast.FloorDiv: ("//", operator.floordiv), ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", operator.pow), ast.LShift: ("<<", operator.lshift), ast.RShift: (">>", operator.rshift),
    ast.BitAnd: ("&", operator.and_), ast.BitOr: ("|", operator.or_), ast.BitXor: ("^", operator.xor),
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_, ast.Invert: operator.invert,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
# Comparisons whose C-level work is estimated first (runtime/sandbox.py, guard_compare).
_WORK_GUARDED = (list, tuple, dict, set)
# Value types that are sequences (Detections) say so through the protocol (item_kind).
_INDEXABLE = (list, tuple, str, dict, range)
_ITERABLE = (list, tuple, str, dict, range, set)


def position(exc: RunError, node: ast.AST) -> RunError:
    """Give ``exc`` the position of ``node`` unless it has one already."""
    if exc.line is None:
        exc.line = getattr(node, "lineno", None)
        exc.column = getattr(node, "col_offset", -1) + 1
    return exc


class Evaluator:
    """Evaluates expressions over a stack of scopes. Subclasses provide tool calls
    (:meth:`call_tool`, :meth:`resolve`) and the budget."""

    budget: Budget
    scopes: list[dict[str, Any]]

    def __init__(self) -> None:
        self._handlers: dict[type, Callable[[Any], Any]] = {
            ast.Constant: self._constant, ast.Name: self._name, ast.BinOp: self._binop,
            ast.UnaryOp: self._unaryop, ast.BoolOp: self._boolop, ast.Compare: self._compare,
            ast.IfExp: self._ifexp, ast.Call: self._call, ast.Attribute: self._attribute,
            ast.Subscript: self._subscript, ast.List: self._list, ast.Tuple: self._tuple,
            ast.Dict: self._dict, ast.Set: self._set, ast.ListComp: self._listcomp, ast.GeneratorExp: self._listcomp,
            ast.DictComp: self._dictcomp, ast.JoinedStr: self._joinedstr,
        }

    # -- hooks ----------------------------------------------------------------
    def resolve(self, name: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def call_tool(self, node: ast.Call, resolved: Any, first: tuple[Any, ...] = ()) -> Any:  # pragma: no cover
        raise NotImplementedError

    def call_tool_method(self, node: ast.Call, obj: Any, tool_name: str) -> Any:  # pragma: no cover
        raise NotImplementedError

    # -- dispatch -------------------------------------------------------------
    def eval(self, node: ast.expr) -> Any:
        handler = self._handlers.get(type(node))
        if handler is None:
            raise SandboxViolation(
                f"{construct_name(node)} is not allowed", line=getattr(node, "lineno", None),
                column=getattr(node, "col_offset", -1) + 1,
            )
        try:
            return handler(node)
        except RunError as exc:
            position(exc, node)
            raise
        except Exception as exc:  # noqa: BLE001 - host errors become program errors, as text
            raise ProgramRuntimeError(describe_exception(exc), line=node.lineno, column=node.col_offset + 1) from None

    # -- leaves ---------------------------------------------------------------
    def _constant(self, node: ast.Constant) -> Any:
        value = node.value
        if type(value) not in SCALAR_TYPES:
            raise SandboxViolation(f"constants of type {type(value).__name__} are not allowed")
        return value

    def _name(self, node: ast.Name) -> Any:
        name = node.id
        if name[0] == "_":
            raise SandboxViolation(f"name '{name}' is private")
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in BUILTINS or self.resolve(name) is not None:
            raise SandboxViolation(f"'{name}' can only be called, not used as a value")
        raise ProgramRuntimeError(f"name '{name}' is not defined")

    # -- operators ----------------------------------------------------------------
    def _binop(self, node: ast.BinOp) -> Any:
        return self.apply_binop(node.op, self.eval(node.left), self.eval(node.right))

    def apply_binop(self, op: ast.operator, left: Any, right: Any) -> Any:
        entry = _BINOPS.get(type(op))
        if entry is None:
            raise SandboxViolation(f"{construct_name(op)} is not allowed")
        symbol, fn = entry
        guard_binop(symbol, left, right, self.budget)
        return fn(left, right)

    def _unaryop(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.eval(node.operand))

    def _boolop(self, node: ast.BoolOp) -> Any:
        is_and = type(node.op) is ast.And
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if is_and and not value:
                return value
            if not is_and and value:
                return value
        return value

    def _compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if (type(right) is dict or type(right) is set) and type(op) in (ast.In, ast.NotIn):
                check_key(left, self.budget)
            elif type(right) in _WORK_GUARDED or type(left) in _WORK_GUARDED:
                guard_compare(type(op).__name__, left, right, self.budget)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _ifexp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    # -- access ---------------------------------------------------------------
    def _attribute(self, node: ast.Attribute) -> Any:
        return get_attribute(self.eval(node.value), node.attr)

    def _subscript(self, node: ast.Subscript) -> Any:
        container = self.eval(node.value)
        kind = type(container)
        if kind not in _INDEXABLE and sequence_item_kind(kind) is None:
            raise ProgramRuntimeError(f"{kind.__name__} cannot be indexed")
        index_node = node.slice
        if type(index_node) is ast.Slice:
            parts = [None if p is None else self.eval(p) for p in (index_node.lower, index_node.upper, index_node.step)]
            if not all(p is None or type(p) in (int, bool) for p in parts):
                raise ProgramRuntimeError("slice bounds must be integers")
            return container[slice(*parts)]
        key = self.eval(index_node)
        if kind is dict:
            check_key(key, self.budget)
        return container[key]

    def iterable(self, value: Any) -> Any:
        if type(value) in _ITERABLE or sequence_item_kind(type(value)) is not None:
            return value
        raise ProgramRuntimeError(f"cannot iterate over {type(value).__name__}")

    # -- displays ---------------------------------------------------------------
    def _list(self, node: ast.List) -> list[Any]:
        return [self.eval(e) for e in node.elts]

    def _tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.eval(e) for e in node.elts)

    def _dict(self, node: ast.Dict) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                raise SandboxViolation("** unpacking is not allowed")
            key = self.eval(key_node)
            check_key(key, self.budget)
            result[key] = self.eval(value_node)
        return result

    def _set(self, node: ast.Set) -> set[Any]:
        result: set[Any] = set()
        budget = self.budget
        for element in node.elts:
            item = self.eval(element)
            check_key(item, budget, what="set items")
            result.add(item)
        budget.length(len(result))
        return result

    def _comprehension(self, generators: list[ast.comprehension], emit: Callable[[], None]) -> None:
        self.scopes.append({})
        try:
            self._generate(generators, 0, emit)
        finally:
            self.scopes.pop()

    def _generate(self, generators: list[ast.comprehension], index: int, emit: Callable[[], None]) -> None:
        if index == len(generators):
            emit()
            return
        gen = generators[index]
        if gen.is_async:
            raise SandboxViolation("async comprehensions are not allowed")
        budget = self.budget
        for item in self.iterable(self.eval(gen.iter)):
            budget.iteration()
            self.assign(gen.target, item, [])
            if all(self.eval(cond) for cond in gen.ifs):
                self._generate(generators, index + 1, emit)

    def _listcomp(self, node: ast.ListComp | ast.GeneratorExp) -> list[Any]:
        out: list[Any] = []
        elt = node.elt
        budget = self.budget

        def emit() -> None:
            budget.length(1)
            out.append(self.eval(elt))

        self._comprehension(node.generators, emit)
        return out

    def _dictcomp(self, node: ast.DictComp) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        budget = self.budget

        def emit() -> None:
            key = self.eval(node.key)
            check_key(key, budget)
            budget.length(1)
            out[key] = self.eval(node.value)

        self._comprehension(node.generators, emit)
        return out

    def _joinedstr(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        total = 0
        for value in node.values:
            if type(value) is ast.Constant:
                text = str(value.value)
            elif type(value) is ast.FormattedValue:
                inner = self.eval(value.value)
                if value.conversion == ord("r"):
                    inner = repr(inner) if type(inner) in SCALAR_TYPES else to_text(inner, self.budget)
                elif value.conversion == ord("a"):
                    raise SandboxViolation("!a conversion is not allowed")
                spec = self._joinedstr(value.format_spec) if value.format_spec is not None else ""  # type: ignore[arg-type]
                text = format_value(inner, spec, self.budget)
            else:
                raise SandboxViolation(f"{construct_name(value)} is not allowed in an f-string")
            total += len(text)
            self.budget.length(len(text))
            parts.append(text)
        return "".join(parts)

    # -- assignment -------------------------------------------------------------
    def assign(self, target: ast.expr, value: Any, names: list[str]) -> None:
        kind = type(target)
        if kind is ast.Name:
            name = target.id  # type: ignore[attr-defined]
            if name[0] == "_":
                raise position(SandboxViolation(f"name '{name}' is private"), target)
            if name in BUILTINS or (self.resolve(name) is not None and len(self.scopes) < 2):
                # Inside the entry function a local variable may take a tool's name, as in
                # Python (ViperGPT programs write `count = 0`); calls still reach the tool.
                raise position(SandboxViolation(f"cannot assign to '{name}': it names a tool or built-in"), target)
            self.scopes[-1][name] = value
            names.append(name)
        elif kind is ast.Tuple or kind is ast.List:
            elts = target.elts  # type: ignore[attr-defined]
            if type(value) not in (list, tuple) or len(value) != len(elts):
                have = len(value) if type(value) in (list, tuple) else type(value).__name__
                raise position(ProgramRuntimeError(f"cannot unpack {have} into {len(elts)} names"), target)
            for sub, item in zip(elts, value):
                self.assign(sub, item, names)
        elif kind is ast.Subscript:
            container = self.eval(target.value)  # type: ignore[attr-defined]
            if type(container) not in (list, dict):
                raise position(SandboxViolation(
                    f"item assignment only into lists and dicts, not {type(container).__name__}"), target)
            key = self.eval(target.slice)  # type: ignore[attr-defined]
            if type(container) is dict:
                check_key(key, self.budget)
            elif type(key) not in (int, bool):
                raise position(ProgramRuntimeError("list indices must be integers"), target)
            try:
                container[key] = value
            except (IndexError, TypeError, KeyError) as exc:
                raise position(ProgramRuntimeError(describe_exception(exc)), target) from None
        elif kind is ast.Attribute:
            raise position(SandboxViolation(f"assigning to attribute '{target.attr}' is not allowed: values are read-only"), target)  # type: ignore[attr-defined]
        else:
            raise position(SandboxViolation(f"cannot assign to {construct_name(target)}"), target)

    # -- calls ------------------------------------------------------------------
    def _call(self, node: ast.Call) -> Any:
        func = node.func
        for kw in node.keywords:
            if kw.arg is None:
                raise SandboxViolation("** arguments are not allowed")
        if type(func) is ast.Name:
            name = func.id
            resolved = self.resolve(name)
            if resolved is not None:
                return self.call_tool(node, resolved)
            builtin = BUILTINS.get(name)
            if builtin is not None:
                return self._call_builtin(node, name, builtin)
            raise SandboxViolation(f"'{name}' is not a registered tool or an allowed built-in")
        if type(func) is ast.Attribute:
            obj = self.eval(func.value)
            tool_name = tool_method_of(type(obj), func.attr)
            if tool_name is not None:
                return self.call_tool_method(node, obj, tool_name)
            args = self.spread(node.args) if getattr(node, STARRED_CALL, False) else [self.eval(a) for a in node.args]
            keyed = func.attr == "sort" and type(obj) is list
            kwargs = {kw.arg: self._keyword(kw, keyed) for kw in node.keywords}
            return call_method(obj, func.attr, args, kwargs, self.budget)  # type: ignore[arg-type]
        raise SandboxViolation("only tools, built-ins and methods can be called")

    # -- restricted constructs: key= lambdas and * arguments ------------------------
    def _keyword(self, kw: ast.keyword, keyed: bool) -> Any:
        """A keyword argument's value; a lambda only as the ``key=`` of a call that takes one."""
        value = kw.value
        if type(value) is ast.Lambda:
            if keyed and kw.arg == "key":
                return self._key_function(value)
            raise position(SandboxViolation("lambda is only allowed as the key= of sorted(), min(), max() or list.sort()"), value)
        return self.eval(value)

    def _key_function(self, node: ast.Lambda) -> KeyFunction:
        """The host callable for a ``key=`` lambda: binds the one parameter in a scope of
        its own and evaluates the body, counting each call as a loop iteration. It reads
        the enclosing scopes as they are when called (the sort runs at once)."""
        args = node.args
        if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults or args.kw_defaults or len(args.args) != 1:
            raise position(SandboxViolation("a key= lambda takes exactly one plain parameter (no defaults, *args or **kwargs)"), node)
        name = args.args[0].arg
        if name[0] == "_":
            raise position(SandboxViolation(f"name '{name}' is private"), node)
        if name in BUILTINS or self.resolve(name) is not None:
            raise position(SandboxViolation(f"lambda parameter '{name}' names a tool or built-in"), node)
        body = node.body
        budget = self.budget
        scopes = self.scopes

        def call(item: Any) -> Any:
            budget.iteration()
            scopes.append({name: item})
            try:
                return self.eval(body)
            finally:
                scopes.pop()

        return KeyFunction(call)

    def spread(self, nodes: list[ast.expr]) -> list[Any]:
        """Positional arguments with ``*`` unpacking of lists and tuples, each at most
        ``max_items_per_call`` items (and counted towards the sequence budgets)."""
        out: list[Any] = []
        budget = self.budget
        for arg in nodes:
            if type(arg) is not ast.Starred:
                out.append(self.eval(arg))
                continue
            value = self.eval(arg.value)
            if type(value) is not list and type(value) is not tuple:
                raise position(ProgramRuntimeError(f"* unpacks lists and tuples, not {type(value).__name__}"), arg)
            limit = budget.limits.max_items_per_call
            if len(out) + len(value) > limit:
                raise position(BudgetExceeded(
                    "max_items_per_call", f"* unpacking would pass {len(out) + len(value)} arguments; the limit (max_items_per_call) is {limit}",
                ), arg)
            budget.length(len(value))
            out.extend(value)
        return out

    def _call_builtin(self, node: ast.Call, name: str, fn: Callable[..., Any]) -> Any:
        args = self.spread(node.args) if getattr(node, STARRED_CALL, False) else [self.eval(a) for a in node.args]
        keyed = name in KEY_BUILTINS
        kwargs = {str(kw.arg): self._keyword(kw, keyed) for kw in node.keywords}
        extra = set(kwargs) - BUILTIN_KEYWORDS[name]
        if extra:
            raise SandboxViolation(f"{name}() does not take keyword '{sorted(extra)[0]}' here")
        try:
            return fn(self.budget, *args, **kwargs)
        except RunError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ProgramRuntimeError(f"{name}(): {describe_exception(exc)}") from None
