"""The step interpreter: runs a parsed program inside the sandbox.

A *step* is a statement that calls at least one tool. :class:`Execution` runs a program
whole (:meth:`Execution.run`) or one step at a time (:meth:`Execution.step`), with the
variables inspectable in between, and tells listeners when a step starts and ends.

Security model: programs are hostile. Only the AST nodes in
:data:`visprog.language.ALLOWED_NODES` are evaluated (by explicit handlers; anything
else is refused), names and attributes starting with ``_`` are refused, attributes and
methods come from per-type allow-lists, only registered tools and a few wrapped
built-ins are callable, and sizes are checked before C-level work. Every exception,
including SystemExit and KeyboardInterrupt raised by a tool, becomes an
:class:`~visprog.errors.ErrorRecord` holding only strings and numbers.
"""

from __future__ import annotations

import ast
import operator
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from visprog.errors import (
    BudgetExceeded,
    ErrorRecord,
    ProgramRuntimeError,
    ProgramSyntaxError,
    RunError,
    SandboxViolation,
    ToolError,
    ToolUnavailable,
)
from visprog.language.limits import Limits
from visprog.language.rules import ast_depth, construct_name, is_sandbox_value
from visprog.language.syntax import (
    ALLOWED_NODES,
    ENTRY_FUNCTION,
    Program,
    translate_eval_expression,
)
from visprog.runtime.sandbox import (
    BUILTINS,
    call_method,
    check_length,
    format_value,
    get_attribute,
    guard_binop,
)
from visprog.toolkit.context import RunContext, reset_context, set_context
from visprog.toolkit.registry import Registry, Resolved
from visprog.trace.records import StepRecord, ToolCall, Trace

__all__ = ["Execution", "RunResult", "StepEvent", "ast_depth"]

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
_ITERABLE = (list, tuple, str, dict, range)

#: Names of the core intrinsics (see visprog.toolkit.intrinsics).
EVAL_TOOL = "eval_expr"
RESULT_TOOL = "result"





@dataclass(frozen=True)
class StepEvent:
    """Sent to listeners: ``kind`` is ``"start"`` (the step's first tool call is about to
    run) or ``"end"`` (the step finished, maybe with an error)."""

    kind: str
    step: StepRecord


@dataclass
class RunResult:
    """What :func:`visprog.run_program` returns.

    Attributes:
        result: the program's result (RESULT's value, or the entry function's return).
        trace: every step that ran, with inputs and outputs.
        variables: the program's variables when it stopped.
        error: why it stopped early, or None.
    """

    result: Any
    trace: Trace
    variables: dict[str, Any] = field(default_factory=dict)
    error: ErrorRecord | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def _repr_html_(self) -> str:
        return self.trace._repr_html_()


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Execution:
    """One run of a program. Create, then call :meth:`step` or :meth:`run`.

    Args:
        program: a parsed program (see :func:`visprog.parse_program`).
        registry: tools the program may call (intrinsics included).
        inputs: input name -> value (``IMAGE``; ``LEFT``/``RIGHT``; entry-function params).
        limits: the run's budgets.
        context: services for tools; a fresh one with ``limits`` by default.
        listeners: callables that receive a :class:`StepEvent` at each step start and end.
    """

    def __init__(
        self,
        program: Program,
        registry: Registry,
        inputs: Mapping[str, Any] | None = None,
        *,
        limits: Limits | None = None,
        context: RunContext | None = None,
        listeners: list[Callable[[StepEvent], None]] | None = None,
    ) -> None:
        self.program = program
        self.registry = registry
        self.limits = limits or Limits()
        self.context = context or RunContext(limits=self.limits)
        self.listeners = list(listeners or [])
        self.inputs = dict(inputs or {})
        self.trace = Trace(program=program.source, inputs=dict(self.inputs))
        self._globals: dict[str, Any] = dict(self.inputs)
        self._scopes: list[dict[str, Any]] = [self._globals]
        self._resolved: dict[str, Resolved | None] = {}
        self._statements = 0
        self._iterations = 0
        self._started: float | None = None
        self._deadline = 0.0
        self._step: StepRecord | None = None
        self._result: Any = None
        self._done = False
        self._gen: Iterator[StepRecord] = self._main()
        self._handlers: dict[type, Callable[[Any], Any]] = {
            ast.Constant: self._constant, ast.Name: self._name, ast.BinOp: self._binop,
            ast.UnaryOp: self._unaryop, ast.BoolOp: self._boolop, ast.Compare: self._compare,
            ast.IfExp: self._ifexp, ast.Call: self._call, ast.Attribute: self._attribute,
            ast.Subscript: self._subscript, ast.List: self._list, ast.Tuple: self._tuple,
            ast.Dict: self._dict, ast.ListComp: self._listcomp, ast.GeneratorExp: self._listcomp,
            ast.DictComp: self._dictcomp, ast.JoinedStr: self._joinedstr,
        }

    # -- public ------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._done

    @property
    def result(self) -> Any:
        return self._result

    @property
    def error(self) -> ErrorRecord | None:
        return self.trace.error

    @property
    def variables(self) -> dict[str, Any]:
        """A copy of the innermost frame's variables (the entry function's, inside it)."""
        merged = dict(self._globals)
        for scope in self._scopes[1:]:
            merged.update(scope)
        return merged

    def step(self) -> StepRecord | None:
        """Run until the next step ends; returns it, or None when the program has finished."""
        if self._done:
            return None
        if self._started is None:
            self._started = time.perf_counter()
            self._deadline = self._started + self.limits.max_wall_time_s
        try:
            return next(self._gen)
        except StopIteration:
            return None

    def run(self) -> RunResult:
        """Run to the end (from wherever stepping left off)."""
        while self.step() is not None:
            pass
        return RunResult(self._result, self.trace, self.variables, self.trace.error)

    def close(self) -> None:
        """Abandon a run that was stepped partway; the trace keeps what ran."""
        if not self._done:
            self._gen.close()
            self._done = True

    # -- statements --------------------------------------------------------
    def _main(self) -> Iterator[StepRecord]:
        try:
            depth = ast_depth(self.program.tree)
            if depth > self.limits.max_nesting_depth:
                raise BudgetExceeded(
                    "max_nesting_depth",
                    f"program nests {depth} levels deep; the limit (max_nesting_depth) is {self.limits.max_nesting_depth}",
                )
            if len(self.program.source) > self.limits.max_source_chars:
                raise BudgetExceeded(
                    "max_source_chars",
                    f"program is {len(self.program.source)} characters; the limit (max_source_chars) is {self.limits.max_source_chars}",
                )
            yield from self._block(self.program.tree.body)
            if self.program.entry is not None:
                yield from self._run_entry(self.program.entry)
        except GeneratorExit:
            raise
        except RunError as exc:
            self._fail(exc.record())
        except BaseException as exc:  # noqa: BLE001 - nothing from the host may escape
            self._fail(ErrorRecord("ProgramRuntimeError", _describe_exception(exc), *self._where()))
        finally:
            self._done = True
            if self._started is not None:
                self.trace.duration_s = time.perf_counter() - self._started
            self.trace.result = self._result

    def _fail(self, record: ErrorRecord) -> None:
        if record.line is None:
            line, column = self._where()
            record = ErrorRecord(record.kind, record.message, line, column, record.tool, record.argument, record.budget)
        step = self._step
        if step is not None:
            step.error = record
            self._end_step(step, None)
        self.trace.error = record

    def _where(self) -> tuple[int | None, int | None]:
        node = getattr(self, "_node", None)
        if node is None:
            return None, None
        return node.lineno, node.col_offset + 1

    def _run_entry(self, entry: ast.FunctionDef) -> Iterator[StepRecord]:
        args = entry.args
        if entry.decorator_list or args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults:
            raise SandboxViolation(
                f"{ENTRY_FUNCTION} takes plain parameters only (no decorators, defaults, *args, **kwargs)",
                line=entry.lineno, column=entry.col_offset + 1,
            )
        frame: dict[str, Any] = {}
        for arg in entry.args.args:
            name = arg.arg
            if name in self.inputs:
                frame[name] = self.inputs[name]
            elif name == "image" and "IMAGE" in self.inputs:
                frame[name] = self.inputs["IMAGE"]
            else:
                raise ProgramRuntimeError(
                    f"{ENTRY_FUNCTION} parameter '{name}' has no input; give inputs={{'{name}': ...}}",
                    line=entry.lineno, column=entry.col_offset + 1,
                )
        self._scopes.append(frame)
        try:
            yield from self._block(entry.body)
        except _Return as ret:
            self._result = ret.value
        finally:
            # keep the entry function's variables visible after the run
            self._globals.update(frame)

    def _block(self, body: list[ast.stmt]) -> Iterator[StepRecord]:
        for node in body:
            yield from self._statement(node)

    def _tick(self, node: ast.AST) -> None:
        self._node = node
        self._statements += 1
        if self._statements > self.limits.max_statements:
            raise BudgetExceeded(
                "max_statements", f"more than {self.limits.max_statements} statements executed (budget max_statements)",
                line=node.lineno, column=node.col_offset + 1,
            )
        if time.perf_counter() > self._deadline:
            raise BudgetExceeded(
                "max_wall_time_s", f"ran longer than {self.limits.max_wall_time_s} s (budget max_wall_time_s)",
                line=node.lineno, column=node.col_offset + 1,
            )

    def _iterate(self, node: ast.AST) -> None:
        self._iterations += 1
        if self._iterations > self.limits.max_loop_iterations:
            raise BudgetExceeded(
                "max_loop_iterations",
                f"more than {self.limits.max_loop_iterations} loop iterations (budget max_loop_iterations)",
                line=node.lineno, column=node.col_offset + 1,
            )
        if time.perf_counter() > self._deadline:
            raise BudgetExceeded(
                "max_wall_time_s", f"ran longer than {self.limits.max_wall_time_s} s (budget max_wall_time_s)",
                line=node.lineno, column=node.col_offset + 1,
            )

    def _statement(self, node: ast.stmt) -> Iterator[StepRecord]:
        self._tick(node)
        kind = type(node)
        if kind is ast.Assign:
            value = self._eval(node.value)
            targets: list[str] = []
            for target in node.targets:
                self._assign(target, value, targets)
            step = self._close_step(node, value, targets)
            if step is not None:
                yield step
        elif kind is ast.Expr:
            value = self._eval(node.value)
            step = self._close_step(node, value, [])
            if step is not None:
                yield step
        elif kind is ast.AugAssign:
            yield from self._augassign(node)
        elif kind is ast.If:
            test = self._eval(node.test)
            step = self._close_step(node, test, [])
            if step is not None:
                yield step
            yield from self._block(node.body if test else node.orelse)
        elif kind is ast.For:
            yield from self._for(node)
        elif kind is ast.While:
            yield from self._while(node)
        elif kind is ast.Break:
            raise _Break()
        elif kind is ast.Continue:
            raise _Continue()
        elif kind is ast.Pass:
            return
        elif kind is ast.Return:
            if len(self._scopes) < 2:
                raise SandboxViolation("'return' outside the entry function", line=node.lineno, column=node.col_offset + 1)
            value = None if node.value is None else self._eval(node.value)
            step = self._close_step(node, value, [])
            if step is not None:
                yield step
            raise _Return(value)
        elif kind is ast.FunctionDef:
            if node is not self.program.entry:
                raise SandboxViolation(
                    f"only one top-level function, '{ENTRY_FUNCTION}', may be defined", line=node.lineno, column=node.col_offset + 1
                )
        else:
            raise SandboxViolation(f"{construct_name(node)} is not allowed", line=node.lineno, column=node.col_offset + 1)

    def _augassign(self, node: ast.AugAssign) -> Iterator[StepRecord]:
        if type(node.target) is not ast.Name:
            raise SandboxViolation("augmented assignment only to a plain name", line=node.lineno, column=node.col_offset + 1)
        current = self._name(ast.Name(id=node.target.id, ctx=ast.Load(), lineno=node.lineno, col_offset=node.col_offset))
        value = self._apply_binop(node, node.op, current, self._eval(node.value))
        targets: list[str] = []
        self._assign(node.target, value, targets)
        step = self._close_step(node, value, targets)
        if step is not None:
            yield step

    def _for(self, node: ast.For) -> Iterator[StepRecord]:
        iterable = self._eval(node.iter)
        step = self._close_step(node, iterable, [])
        if step is not None:
            yield step
        items = self._iterable(iterable, node.iter)
        broke = False
        for item in items:
            self._iterate(node)
            self._assign(node.target, item, [])
            try:
                yield from self._block(node.body)
            except _Break:
                broke = True
                break
            except _Continue:
                continue
        if not broke:
            yield from self._block(node.orelse)

    def _while(self, node: ast.While) -> Iterator[StepRecord]:
        while True:
            self._iterate(node)
            self._node = node  # the test's tool calls belong to the while line
            test = self._eval(node.test)
            step = self._close_step(node, test, [])
            if step is not None:
                yield step
            if not test:
                yield from self._block(node.orelse)
                return
            try:
                yield from self._block(node.body)
            except _Break:
                return
            except _Continue:
                continue

    def _assign(self, target: ast.expr, value: Any, names: list[str]) -> None:
        kind = type(target)
        if kind is ast.Name:
            name = target.id
            if name.startswith("_"):
                raise SandboxViolation(f"name '{name}' is private", line=target.lineno, column=target.col_offset + 1)
            if name in BUILTINS or self._resolve(name) is not None:
                raise SandboxViolation(
                    f"cannot assign to '{name}': it names a tool or built-in", line=target.lineno, column=target.col_offset + 1
                )
            self._scopes[-1][name] = value
            names.append(name)
        elif kind in (ast.Tuple, ast.List):
            elts = target.elts  # type: ignore[attr-defined]
            if type(value) not in (list, tuple) or len(value) != len(elts):
                have = len(value) if type(value) in (list, tuple) else type(value).__name__
                raise ProgramRuntimeError(
                    f"cannot unpack {have} into {len(elts)} names", line=target.lineno, column=target.col_offset + 1
                )
            for sub, item in zip(elts, value):
                self._assign(sub, item, names)
        elif kind is ast.Subscript:
            container = self._eval(target.value)  # type: ignore[attr-defined]
            if type(container) not in (list, dict):
                raise SandboxViolation(
                    f"item assignment only into lists and dicts, not {type(container).__name__}",
                    line=target.lineno, column=target.col_offset + 1,
                )
            key = self._eval(target.slice)  # type: ignore[attr-defined]
            if type(container) is dict and not is_sandbox_value(key):
                raise SandboxViolation("dict keys must be plain values", line=target.lineno, column=target.col_offset + 1)
            try:
                container[key] = value
            except (IndexError, TypeError, KeyError) as exc:
                raise ProgramRuntimeError(_describe_exception(exc), line=target.lineno, column=target.col_offset + 1) from None
        else:
            raise SandboxViolation(f"cannot assign to {construct_name(target)}", line=target.lineno, column=target.col_offset + 1)

    def _iterable(self, value: Any, node: ast.AST) -> Any:
        from visprog.values.core import Detections

        if type(value) in _ITERABLE or type(value) is Detections:
            return value
        raise ProgramRuntimeError(
            f"cannot iterate over {type(value).__name__}", line=node.lineno, column=node.col_offset + 1  # type: ignore[attr-defined]
        )

    # -- steps -------------------------------------------------------------
    def _open_step(self, node: ast.AST) -> StepRecord:
        stmt = self._node
        step = StepRecord(
            index=len(self.trace.steps),
            line=stmt.lineno,
            column=stmt.col_offset + 1,
            end_line=stmt.end_lineno or stmt.lineno,
            source=self.program.statement_text(stmt) if stmt is not None else "",
        )
        step.duration_s = time.perf_counter()  # start time until the step closes
        self._step = step
        for listener in self.listeners:
            listener(StepEvent("start", step))
        return step

    def _close_step(self, node: ast.stmt, output: Any, targets: list[str]) -> StepRecord | None:
        step = self._step
        if step is None:
            return None
        step.output = output
        step.targets = targets
        self._end_step(step, None)
        return step

    def _end_step(self, step: StepRecord, _: Any) -> None:
        step.duration_s = time.perf_counter() - step.duration_s
        self.trace.steps.append(step)
        self._step = None
        for listener in self.listeners:
            listener(StepEvent("end", step))

    # -- expressions -------------------------------------------------------
    def _eval(self, node: ast.expr) -> Any:
        handler = self._handlers.get(type(node))
        if handler is None:
            raise SandboxViolation(
                f"{construct_name(node)} is not allowed", line=getattr(node, "lineno", None),
                column=getattr(node, "col_offset", -1) + 1,
            )
        return handler(node)

    def _constant(self, node: ast.Constant) -> Any:
        value = node.value
        if type(value) not in (str, int, float, bool, type(None)):
            raise SandboxViolation(f"constants of type {type(value).__name__} are not allowed", line=node.lineno, column=node.col_offset + 1)
        return value

    def _name(self, node: ast.Name) -> Any:
        name = node.id
        if name.startswith("_"):
            raise SandboxViolation(f"name '{name}' is private", line=node.lineno, column=node.col_offset + 1)
        for scope in reversed(self._scopes):
            if name in scope:
                return scope[name]
        if name in BUILTINS or self._resolve(name) is not None:
            raise SandboxViolation(
                f"'{name}' can only be called, not used as a value", line=node.lineno, column=node.col_offset + 1
            )
        raise ProgramRuntimeError(f"name '{name}' is not defined", line=node.lineno, column=node.col_offset + 1)

    def _binop(self, node: ast.BinOp) -> Any:
        return self._apply_binop(node, node.op, self._eval(node.left), self._eval(node.right))

    def _apply_binop(self, node: ast.AST, op: ast.operator, left: Any, right: Any) -> Any:
        entry = _BINOPS.get(type(op))
        if entry is None:
            raise SandboxViolation(f"{construct_name(op)} is not allowed", line=node.lineno, column=node.col_offset + 1)  # type: ignore[attr-defined]
        symbol, fn = entry
        try:
            guard_binop(symbol, left, right, self.limits)
            return fn(left, right)
        except RunError as exc:
            exc.line, exc.column = node.lineno, node.col_offset + 1  # type: ignore[attr-defined]
            raise
        except Exception as exc:
            raise ProgramRuntimeError(_describe_exception(exc), line=node.lineno, column=node.col_offset + 1) from None  # type: ignore[attr-defined]

    def _unaryop(self, node: ast.UnaryOp) -> Any:
        operand = self._eval(node.operand)
        try:
            return _UNARY[type(node.op)](operand)
        except Exception as exc:
            raise ProgramRuntimeError(_describe_exception(exc), line=node.lineno, column=node.col_offset + 1) from None

    def _boolop(self, node: ast.BoolOp) -> Any:
        is_and = type(node.op) is ast.And
        value: Any = None
        for operand in node.values:
            value = self._eval(operand)
            if is_and and not value:
                return value
            if not is_and and value:
                return value
        return value

    def _compare(self, node: ast.Compare) -> Any:
        left = self._eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self._eval(comparator)
            try:
                ok = _COMPARE[type(op)](left, right)
            except Exception as exc:
                raise ProgramRuntimeError(_describe_exception(exc), line=node.lineno, column=node.col_offset + 1) from None
            if not ok:
                return False
            left = right
        return True

    def _ifexp(self, node: ast.IfExp) -> Any:
        return self._eval(node.body) if self._eval(node.test) else self._eval(node.orelse)

    def _attribute(self, node: ast.Attribute) -> Any:
        obj = self._eval(node.value)
        try:
            return get_attribute(obj, node.attr)
        except RunError as exc:
            exc.line, exc.column = node.lineno, node.col_offset + 1
            raise

    def _subscript(self, node: ast.Subscript) -> Any:
        from visprog.values.core import Detections

        container = self._eval(node.value)
        if type(container) not in (list, tuple, str, dict, range) and type(container) is not Detections:
            raise ProgramRuntimeError(
                f"{type(container).__name__} cannot be indexed", line=node.lineno, column=node.col_offset + 1
            )
        index_node = node.slice
        if type(index_node) is ast.Slice:
            parts = [None if p is None else self._eval(p) for p in (index_node.lower, index_node.upper, index_node.step)]
            if not all(p is None or type(p) in (int, bool) for p in parts):
                raise ProgramRuntimeError("slice bounds must be integers", line=node.lineno, column=node.col_offset + 1)
            key: Any = slice(*parts)
        else:
            key = self._eval(index_node)
        try:
            return container[key]
        except Exception as exc:
            raise ProgramRuntimeError(_describe_exception(exc), line=node.lineno, column=node.col_offset + 1) from None

    def _list(self, node: ast.List) -> list[Any]:
        return [self._eval(e) for e in node.elts]

    def _tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self._eval(e) for e in node.elts)

    def _dict(self, node: ast.Dict) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:
                raise SandboxViolation("** unpacking is not allowed", line=node.lineno, column=node.col_offset + 1)
            key = self._eval(key_node)
            if type(key) not in (str, int, float, bool, type(None), tuple):
                raise ProgramRuntimeError(f"dict keys must be plain values, not {type(key).__name__}", line=node.lineno, column=node.col_offset + 1)
            result[key] = self._eval(value_node)
        return result

    def _comprehension(self, generators: list[ast.comprehension], emit: Callable[[], None], node: ast.AST) -> None:
        scope: dict[str, Any] = {}
        self._scopes.append(scope)
        try:
            self._generate(generators, 0, emit, node)
        finally:
            self._scopes.pop()

    def _generate(self, generators: list[ast.comprehension], index: int, emit: Callable[[], None], node: ast.AST) -> None:
        if index == len(generators):
            emit()
            return
        gen = generators[index]
        if gen.is_async:
            raise SandboxViolation("async comprehensions are not allowed", line=node.lineno, column=node.col_offset + 1)  # type: ignore[attr-defined]
        for item in self._iterable(self._eval(gen.iter), gen.iter):
            self._iterate(node)
            self._assign(gen.target, item, [])
            if all(self._eval(cond) for cond in gen.ifs):
                self._generate(generators, index + 1, emit, node)

    def _listcomp(self, node: ast.ListComp | ast.GeneratorExp) -> list[Any]:
        out: list[Any] = []
        self._comprehension(node.generators, lambda: out.append(self._eval(node.elt)), node)
        return out

    def _dictcomp(self, node: ast.DictComp) -> dict[Any, Any]:
        out: dict[Any, Any] = {}

        def emit() -> None:
            key = self._eval(node.key)
            if type(key) not in (str, int, float, bool, type(None), tuple):
                raise ProgramRuntimeError(f"dict keys must be plain values, not {type(key).__name__}", line=node.lineno, column=node.col_offset + 1)
            out[key] = self._eval(node.value)

        self._comprehension(node.generators, emit, node)
        return out

    def _joinedstr(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        total = 0
        for value in node.values:
            if type(value) is ast.Constant:
                text = value.value
            elif type(value) is ast.FormattedValue:
                inner = self._eval(value.value)
                if value.conversion == ord("r"):
                    inner = repr(inner) if type(inner) in (str, int, float, bool, type(None)) else str(inner)
                elif value.conversion == ord("a"):
                    raise SandboxViolation("!a conversion is not allowed", line=node.lineno, column=node.col_offset + 1)
                spec = self._joinedstr(value.format_spec) if value.format_spec is not None else ""
                try:
                    text = format_value(inner, spec, self.limits)
                except RunError as exc:
                    exc.line, exc.column = node.lineno, node.col_offset + 1
                    raise
                except Exception as exc:
                    raise ProgramRuntimeError(_describe_exception(exc), line=node.lineno, column=node.col_offset + 1) from None
            else:
                raise SandboxViolation(f"{construct_name(value)} is not allowed in an f-string", line=node.lineno, column=node.col_offset + 1)
            total += len(text)
            check_length(total, self.limits)
            parts.append(text)
        return "".join(parts)

    # -- calls ---------------------------------------------------------------
    def _resolve(self, name: str) -> Resolved | None:
        try:
            return self._resolved[name]
        except KeyError:
            found = self._resolved[name] = self.registry.resolve(name)
            return found

    def _call(self, node: ast.Call) -> Any:
        func = node.func
        for kw in node.keywords:
            if kw.arg is None:
                raise SandboxViolation("** arguments are not allowed", line=node.lineno, column=node.col_offset + 1)
        if type(func) is ast.Name:
            name = func.id
            resolved = self._resolve(name)
            if resolved is not None:
                return self._call_tool(node, resolved)
            builtin = BUILTINS.get(name)
            if builtin is not None:
                return self._call_builtin(node, name, builtin)
            raise SandboxViolation(
                f"'{name}' is not a registered tool or an allowed built-in", line=node.lineno, column=node.col_offset + 1
            )
        if type(func) is ast.Attribute:
            obj = self._eval(func.value)
            args = [self._eval(a) for a in node.args]
            kwargs = {kw.arg: self._eval(kw.value) for kw in node.keywords}
            try:
                result = call_method(obj, func.attr, args, kwargs, self.limits)
            except RunError as exc:
                exc.line, exc.column = node.lineno, node.col_offset + 1
                raise
            except Exception as exc:
                raise ProgramRuntimeError(_describe_exception(exc), line=node.lineno, column=node.col_offset + 1) from None
            if type(obj) is dict and func.attr in ("keys", "values", "items"):
                result = [tuple(x) if func.attr == "items" else x for x in result]
            return result
        raise SandboxViolation("only tools, built-ins and methods can be called", line=node.lineno, column=node.col_offset + 1)

    def _call_builtin(self, node: ast.Call, name: str, builtin: tuple[Callable[..., Any], frozenset[str]]) -> Any:
        fn, allowed_kwargs = builtin
        args = [self._eval(a) for a in node.args]
        kwargs = {kw.arg: self._eval(kw.value) for kw in node.keywords}
        extra = set(kwargs) - allowed_kwargs
        if extra:
            raise SandboxViolation(
                f"{name}() does not take keyword '{sorted(extra)[0]}' here", line=node.lineno, column=node.col_offset + 1
            )
        try:
            return fn(self.limits, *args, **kwargs)
        except RunError as exc:
            exc.line, exc.column = node.lineno, node.col_offset + 1
            raise
        except Exception as exc:
            raise ProgramRuntimeError(f"{name}(): {_describe_exception(exc)}", line=node.lineno, column=node.col_offset + 1) from None

    def _call_tool(self, node: ast.Call, resolved: Resolved) -> Any:
        tool = resolved.tool
        shown = resolved.shown_name
        where = {"line": node.lineno, "column": node.col_offset + 1, "tool": shown}
        args = [self._eval(a) for a in node.args]
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            canonical = resolved.canonical_argument(kw.arg)  # type: ignore[arg-type]
            if canonical in kwargs:
                raise ToolError(f"argument '{kw.arg}' given twice", argument=kw.arg, **where)
            kwargs[canonical] = self._eval(kw.value)
        if len(args) > len(tool.params):
            raise ToolError(f"takes at most {len(tool.params)} positional arguments, got {len(args)}", **where)
        for spec, value in zip(tool.params, args):
            if spec.name in kwargs:
                raise ToolError(f"argument '{resolved.shown_argument(spec.name)}' given twice", argument=resolved.shown_argument(spec.name), **where)
            kwargs[spec.name] = value

        if self._step is None:
            self._open_step(node)
        call = ToolCall(tool=tool.name, name=shown, arguments=kwargs)
        self._step.calls.append(call)  # type: ignore[union-attr]
        started = time.perf_counter()
        try:
            if started > self._deadline:
                raise BudgetExceeded("max_wall_time_s", f"ran longer than {self.limits.max_wall_time_s} s (budget max_wall_time_s)")
            if tool.name == EVAL_TOOL:
                output = self._intrinsic_eval(node, kwargs)
            elif tool.name == RESULT_TOOL:
                output = tool.bind(kwargs, resolved.alias)["value"]
                self._result = output
            else:
                output = self._invoke(tool, resolved, kwargs, call)
        except RunError as exc:
            exc.line = exc.line or node.lineno
            exc.column = exc.column or node.col_offset + 1
            exc.tool = exc.tool or shown
            call.error = exc.record()
            call.duration_s = time.perf_counter() - started
            raise
        call.output = output
        call.duration_s = time.perf_counter() - started
        return output

    def _invoke(self, tool: Any, resolved: Resolved, kwargs: dict[str, Any], call: ToolCall) -> Any:
        reason = tool.unavailable_reason()
        if reason:
            raise ToolUnavailable(f"{resolved.shown_name} is {reason}")
        bound = tool.bind(kwargs, resolved.alias)
        cache = self.context.cache if tool.cacheable else None
        key = None
        if cache is not None:
            key = cache.key(tool, bound)
            if key is not None:
                hit, value = cache.get(key)
                if hit:
                    call.cached = True
                    return value
        token = set_context(self.context)
        try:
            output = tool.func(**bound)
        except RunError:
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit/KeyboardInterrupt from tools too
            raise ToolError(_describe_exception(exc)) from None
        finally:
            reset_context(token)
        if not is_sandbox_value(output):
            raise ToolError(f"returned a value of unsupported type {type(output).__name__}")
        if key is not None:
            cache.put(key, output)
        return output

    def _intrinsic_eval(self, node: ast.Call, kwargs: dict[str, Any]) -> Any:
        expr = kwargs.get("expr")
        if type(expr) is not str:
            raise ToolError("argument 'expr' must be a string", argument="expr")
        try:
            tree = ast.parse(translate_eval_expression(expr), mode="eval")
        except (SyntaxError, ProgramSyntaxError) as exc:
            raise ToolError(f"expression does not parse: {getattr(exc, 'msg', exc)}", argument="expr") from None
        except (RecursionError, MemoryError):
            raise BudgetExceeded("max_nesting_depth", "EVAL expression nests too deeply") from None
        for sub in ast.walk(tree):
            if type(sub) not in ALLOWED_NODES and type(sub) is not ast.Expression:
                raise SandboxViolation(f"{construct_name(sub)} is not allowed in EVAL", argument="expr")
        if ast_depth(tree) > self.limits.max_nesting_depth:
            raise BudgetExceeded("max_nesting_depth", "EVAL expression nests too deeply", argument="expr")
        # VisProg semantics: 'yes'/'no' strings read as booleans, decimal strings as integers.
        view: dict[str, Any] = {}
        for sub in ast.walk(tree):
            if type(sub) is ast.Name and not sub.id.startswith("_"):
                for scope in reversed(self._scopes):
                    if sub.id in scope:
                        view[sub.id] = _visprog_value(scope[sub.id])
                        break
        # Expression nodes carry positions relative to the expression; report the EVAL call's.
        for sub in ast.walk(tree):
            if hasattr(sub, "lineno"):
                sub.lineno, sub.col_offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
        self._scopes.append(view)
        try:
            value = self._eval(tree.body)
        finally:
            self._scopes.pop()
        if type(value) is bool:
            return "yes" if value else "no"
        return value


def _visprog_value(value: Any) -> Any:
    if type(value) is str:
        if value in ("yes", "no"):
            return value == "yes"
        if value.isdecimal() and len(value) < 100:
            return int(value)
    return value


def _describe_exception(exc: BaseException) -> str:
    """A short message from an exception, built from strings only."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__
        text = ""
    text = text if len(text) <= 500 else text[:500] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
