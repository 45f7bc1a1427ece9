"""The step interpreter: runs a parsed program inside the sandbox.

A *step* is a statement that calls at least one tool. :class:`Execution` runs a program
whole (:meth:`Execution.run`) or one step at a time (:meth:`Execution.step`), with the
variables inspectable in between, and tells listeners when a step starts and ends.

The pieces, each in its own module: expressions (:mod:`.evaluator`), budgets
(:mod:`.budgets`), sandbox operations (:mod:`.sandbox`), tool calls under the deadline
(:mod:`.calls`, through the one path :meth:`visprog.Tool.invoke`), and the trace
(:mod:`.recorder`). This module holds statements and stepping.

Security model: programs are hostile. A program whose static scan found violations
does not start; only node types with handlers are evaluated; names and attributes
starting with ``_`` are refused at run time too; attributes and methods come from
per-type allow-lists; only registered tools and a few wrapped built-ins are callable;
sizes are checked before C-level work. Every error becomes an
:class:`~visprog.errors.ErrorRecord` holding only strings and numbers, except
KeyboardInterrupt, which is recorded in the trace and then re-raised so the caller stops.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from contextvars import ContextVar
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
)
from visprog.language.limits import Limits
from visprog.language.rules import ENTRY_FUNCTION, STARRED_CALL, construct_name, scan
from visprog.language.syntax import Program, parse_eval_expression, visprog_value
from visprog.runtime.budgets import Budget
from visprog.runtime.calls import run_call
from visprog.runtime.evaluator import Evaluator, position
from visprog.runtime.recorder import Recorder, StepEvent, snapshot
from visprog.toolkit.context import RunContext
from visprog.toolkit.intrinsics import EVAL_TOOL, RESULT_TOOL
from visprog.toolkit.registry import Registry, Resolved
from visprog.toolkit.tool import IMMUTABLE_TYPES, describe_exception
from visprog.trace.records import StepRecord, ToolCall, Trace
from visprog.values.core import Image
from visprog.values.protocol import SCALAR_TYPES, count_pixels, item_count, value_type

__all__ = ["Execution", "RunResult", "StepEvent", "call_registered_tool"]

budget_clock = time.perf_counter

#: The run whose program is executing on this thread (set while ``step()``/``run()``
#: run it; copied to the worker threads of its tool calls), for tools that call tools.
_RUNNING: ContextVar[Execution | None] = ContextVar("visprog_running_execution", default=None)


def call_registered_tool(name: str, arguments: Mapping[str, Any]) -> Any:
    """Call the registered tool ``name`` from inside another tool (ImagePatch's methods
    call the detector, VQA, CLIP, depth and chat-model tools this way).

    Inside a run, the tool is the run's (so a registry of fakes is honoured), and the
    call goes through the one tool-call path like a program's own call: arguments
    validated, availability checked, the run's result cache and chat model used, cost
    checked against the budgets, run under the deadline, and recorded as a call of the
    current step (after the call that made it), with its arguments and output.
    Outside a run, the default registry's tool is invoked in the current context.

    Args:
        name: the tool's canonical name or an alias.
        arguments: canonical argument name -> value.

    Returns:
        The tool's result.

    Raises:
        ToolError: the tool is not registered, or it failed (``ToolUnavailable`` when it
            cannot run here); budgets as for any call.
    """
    execution = _RUNNING.get()
    if execution is not None:
        return execution.nested_call(name, arguments)
    from visprog.toolkit.discovery import default_registry

    resolved = default_registry().resolve(name)
    if resolved is None:
        raise ToolError(f"needs the tool '{name}', which is not in the default registry", tool=name)
    return resolved.tool.invoke(dict(arguments), alias=resolved.alias).value


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


class Execution(Evaluator):
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
        super().__init__()
        self.program = program
        self.registry = registry
        self.limits = limits or Limits()
        self.context = context or RunContext(limits=self.limits)
        self.listeners = list(listeners or [])
        self.inputs = dict(inputs or {})
        self.budget = Budget(self.limits)
        self.trace = Trace(program=program.source, inputs=dict(self.inputs))
        for name, value in self.inputs.items():
            for text in getattr(value, "notes", ()) if type(value) is Image else ():
                self.trace.notes.append(f"input {name}: {text}")
        self.recorder = Recorder(program, self.trace, self.listeners, self.limits.max_trace_steps)
        self._globals: dict[str, Any] = dict(self.inputs)
        self.scopes = [self._globals]
        self._node: ast.stmt | None = None
        self._result: Any = None
        self._done = False
        self.interrupted = False
        self._gen: Generator[StepRecord, None, None] = self._main()

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
        for scope in self.scopes[1:]:
            merged.update(scope)
        return merged

    def step(self) -> StepRecord | None:
        """Run until the next step ends; returns it, or None when the program has finished.

        Time between calls does not count against ``max_wall_time_s``.

        Raises:
            KeyboardInterrupt: after recording it in the trace (the run is then over;
                :attr:`interrupted` is True).
        """
        if self._done:
            return None
        self.budget.resume()
        token = _RUNNING.set(self)
        try:
            return next(self._gen)
        except StopIteration:
            return None
        finally:
            _RUNNING.reset(token)
            self.budget.pause()

    def run(self) -> RunResult:
        """Run to the end (from wherever stepping left off).

        Raises:
            KeyboardInterrupt: after recording it in the trace.
        """
        if not self._done:
            self.budget.resume()
            token = _RUNNING.set(self)
            try:
                for _ in self._gen:
                    pass
            finally:
                _RUNNING.reset(token)
                self.budget.pause()
        return RunResult(self._result, self.trace, self.variables, self.trace.error)

    def close(self) -> None:
        """Abandon a run that was stepped partway; the trace keeps what ran."""
        if not self._done:
            self._gen.close()
            self._done = True

    # -- the run ---------------------------------------------------------------
    def _main(self) -> Generator[StepRecord, None, None]:
        try:
            self._preflight()
            yield from self._block(self.program.tree.body)
            if self.program.entry is not None:
                yield from self._run_entry(self.program.entry)
        except GeneratorExit:
            raise
        except RunError as exc:
            self._fail(exc.record())
        except KeyboardInterrupt:
            self.interrupted = True
            self._fail(ErrorRecord("Interrupted", "stopped by the user (Ctrl-C)", *self._where()))
            raise
        except BaseException as exc:  # noqa: BLE001 - nothing from the host may escape
            self._fail(ErrorRecord("ProgramRuntimeError", describe_exception(exc), *self._where()))
        finally:
            self._done = True
            if self.budget.started is not None:
                self.budget.pause()
                self.trace.duration_s = self.budget.running_s()
            self.trace.result = snapshot(self._result)

    def _preflight(self) -> None:
        program = self.program
        found = program.scan
        if found.violations:
            first = found.violations[0]
            raise SandboxViolation(first.message, line=first.line, column=first.column)
        if found.depth > self.limits.max_nesting_depth:
            raise BudgetExceeded(
                "max_nesting_depth",
                f"program nests {found.depth} levels deep; the limit (max_nesting_depth) is {self.limits.max_nesting_depth}",
                line=1, column=1,
            )
        if len(program.source) > self.limits.max_source_chars:
            raise BudgetExceeded(
                "max_source_chars",
                f"program is {len(program.source)} characters; the limit (max_source_chars) is {self.limits.max_source_chars}",
                line=1, column=1,
            )

    def _fail(self, record: ErrorRecord) -> None:
        if record.line is None:
            line, column = self._where()
            record = ErrorRecord(record.kind, record.message, line, column, record.tool, record.argument, record.budget)
        self.recorder.fail(record)

    def _where(self) -> tuple[int | None, int | None]:
        node = self._node
        if node is None:
            return None, None
        return node.lineno, node.col_offset + 1

    def _run_entry(self, entry: ast.FunctionDef) -> Iterator[StepRecord]:
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
        self.scopes.append(frame)
        try:
            yield from self._block(entry.body)
        except _Return as ret:
            self._result = ret.value
        finally:
            # keep the entry function's variables visible after the run
            self._globals.update(frame)

    # -- statements --------------------------------------------------------
    def _block(self, body: list[ast.stmt]) -> Iterator[StepRecord]:
        budget = self.budget
        recorder = self.recorder
        for node in body:
            self._node = node
            budget.statement()
            kind = type(node)
            if kind is ast.Assign:
                value = self.eval(node.value)  # type: ignore[attr-defined]
                targets: list[str] = []
                for target in node.targets:  # type: ignore[attr-defined]
                    self.assign(target, value, targets)
                if recorder.step is not None:
                    yield recorder.close(value, targets)  # type: ignore[misc]
            elif kind is ast.Expr:
                value = self.eval(node.value)  # type: ignore[attr-defined]
                if recorder.step is not None:
                    yield recorder.close(value, [])  # type: ignore[misc]
            else:
                yield from self._compound(node)

    def _compound(self, node: ast.stmt) -> Iterator[StepRecord]:
        kind = type(node)
        recorder = self.recorder
        if kind is ast.AugAssign:
            target = node.target  # type: ignore[attr-defined]
            if type(target) is not ast.Name:
                raise position(SandboxViolation("augmented assignment only to a plain name"), node)
            current = self._name(ast.Name(id=target.id, ctx=ast.Load(), lineno=node.lineno, col_offset=node.col_offset))
            try:
                value = self.apply_binop(node.op, current, self.eval(node.value))  # type: ignore[attr-defined]
            except RunError as exc:
                position(exc, node)
                raise
            except Exception as exc:  # noqa: BLE001
                raise position(ProgramRuntimeError(describe_exception(exc)), node) from None
            targets: list[str] = []
            self.assign(target, value, targets)
            if recorder.step is not None:
                yield recorder.close(value, targets)  # type: ignore[misc]
        elif kind is ast.If:
            test = self.eval(node.test)  # type: ignore[attr-defined]
            if recorder.step is not None:
                yield recorder.close(test, [])  # type: ignore[misc]
            yield from self._block(node.body if test else node.orelse)  # type: ignore[attr-defined]
        elif kind is ast.For:
            yield from self._for(node)  # type: ignore[arg-type]
        elif kind is ast.While:
            yield from self._while(node)  # type: ignore[arg-type]
        elif kind is ast.Break:
            raise _Break()
        elif kind is ast.Continue:
            raise _Continue()
        elif kind is ast.Pass:
            return
        elif kind is ast.Return:
            if len(self.scopes) < 2:
                raise position(SandboxViolation("'return' outside the entry function"), node)
            value = None if node.value is None else self.eval(node.value)  # type: ignore[attr-defined]
            if recorder.step is not None:
                yield recorder.close(value, [])  # type: ignore[misc]
            raise _Return(value)
        elif kind is ast.FunctionDef:
            if node is not self.program.entry:
                raise position(SandboxViolation(f"only one top-level function, '{ENTRY_FUNCTION}', may be defined"), node)
        else:
            raise position(SandboxViolation(f"{construct_name(node)} is not allowed"), node)

    def _for(self, node: ast.For) -> Iterator[StepRecord]:
        iterable = self.eval(node.iter)
        if self.recorder.step is not None:
            yield self.recorder.close(iterable, [])  # type: ignore[misc]
        items = self.iterable(iterable)
        budget = self.budget
        for item in items:
            self._node = node
            budget.iteration()
            self.assign(node.target, item, [])
            try:
                yield from self._block(node.body)
            except _Break:
                return
            except _Continue:
                continue
        yield from self._block(node.orelse)

    def _while(self, node: ast.While) -> Iterator[StepRecord]:
        budget = self.budget
        while True:
            self._node = node  # the test's tool calls belong to the while line
            budget.iteration()
            test = self.eval(node.test)
            if self.recorder.step is not None:
                yield self.recorder.close(test, [])  # type: ignore[misc]
            if not test:
                yield from self._block(node.orelse)
                return
            try:
                yield from self._block(node.body)
            except _Break:
                return
            except _Continue:
                continue

    # -- tools ---------------------------------------------------------------
    def resolve(self, name: str) -> Resolved | None:
        return self.registry.resolve(name)

    def call_tool(self, node: ast.Call, resolved: Resolved, first: tuple[Any, ...] = ()) -> Any:
        tool = resolved.tool
        if node.args and getattr(node, STARRED_CALL, False):
            args = [*first, *self.spread(node.args)]
        else:
            args = [*first, *[self.eval(a) for a in node.args]] if node.args or first else []
        kwargs: dict[str, Any] = {}
        alias = resolved.alias
        for kw in node.keywords:
            arg: str = kw.arg  # type: ignore[assignment]  # never None: _call refuses ** arguments
            canonical = alias.canonical_argument(arg) if alias else arg
            if canonical in kwargs:
                raise ToolError(f"argument '{kw.arg}' given twice", argument=kw.arg, tool=resolved.shown_name)
            value = kw.value
            # A literal argument (most of them) is read without the evaluator's dispatch;
            # its type is checked as the evaluator would.
            if type(value) is ast.Constant and type(value.value) in SCALAR_TYPES:
                kwargs[canonical] = value.value
            else:
                kwargs[canonical] = self.eval(value)
        params = tool.params
        if len(args) > len(params):
            raise ToolError(f"takes at most {len(params)} positional arguments, got {len(args)}", tool=resolved.shown_name)
        for spec, value in zip(params, args):
            if spec.name in kwargs:
                shown = resolved.shown_argument(spec.name)
                raise ToolError(f"argument '{shown}' given twice", argument=shown, tool=resolved.shown_name)
            kwargs[spec.name] = value
        return self._run_tool(node, resolved, kwargs)

    def nested_call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        """Run tool ``name`` for a tool that is running (see :func:`call_registered_tool`)."""
        resolved = self.resolve(name)
        if resolved is None:
            raise ToolError(f"needs the tool '{name}', which is not in this run's registry", tool=name)
        tool = resolved.tool
        if tool.name in (EVAL_TOOL, RESULT_TOOL):
            raise ToolError(f"{name} can only be called by a program", tool=name)
        kwargs = dict(arguments)
        call = self._begin_call(resolved, kwargs)
        started = budget_clock()
        try:
            output = self._invoke(resolved, kwargs, call)
        except RunError as exc:
            exc.tool = exc.tool or resolved.shown_name
            self._end_call(call, started, error=exc.record())
            raise
        self._end_call(call, started, output=output)
        return output

    def call_tool_method(self, node: ast.Call, obj: Any, tool_name: str) -> Any:
        """``obj.method(...)`` of a value type whose method is a tool: the same path as
        a tool call, with ``obj`` as the first argument."""
        resolved = self.resolve(tool_name)
        if resolved is None:
            spec = value_type(type(obj))
            shown = f"{spec.name if spec is not None else type(obj).__name__}.{node.func.attr}"  # type: ignore[attr-defined]
            raise ToolError(f"{shown} needs the tool '{tool_name}', which is not in the registry", tool=tool_name)
        return self.call_tool(node, resolved, (obj,))

    def _run_tool(self, node: ast.Call, resolved: Resolved, kwargs: dict[str, Any]) -> Any:
        tool = resolved.tool
        call = self._begin_call(resolved, kwargs)
        started = budget_clock()
        try:
            name = tool.name
            if name == EVAL_TOOL:
                output = self._intrinsic_eval(node, kwargs)
            elif name == RESULT_TOOL:
                output = tool.bind(kwargs, resolved.alias)["value"]
                self._result = output
            else:
                output = self._invoke(resolved, kwargs, call)
        except RunError as exc:
            exc.line = exc.line or node.lineno
            exc.column = exc.column or node.col_offset + 1
            exc.tool = exc.tool or resolved.shown_name
            self._end_call(call, started, error=exc.record())
            raise
        self._end_call(call, started, output=output)
        return output

    def _begin_call(self, resolved: Resolved, kwargs: dict[str, Any]) -> ToolCall:
        """Record a call in the open step (opening the statement's step if needed).

        The record keeps ``kwargs`` itself when every value is immutable: the dict is
        the call's own and nothing changes it after the call."""
        recorder = self.recorder
        step = recorder.step if recorder.step is not None else recorder.open(self._node)  # type: ignore[arg-type]
        for value in kwargs.values():
            if type(value) not in IMMUTABLE_TYPES:
                kept = {k: snapshot(v) for k, v in kwargs.items()}
                break
        else:
            kept = kwargs
        call = ToolCall(resolved.tool.name, resolved.shown_name, kept)
        step.calls.append(call)
        return call

    def _invoke(self, resolved: Resolved, kwargs: dict[str, Any], call: ToolCall) -> Any:
        """The one tool-call path under the run's budgets and deadline."""
        tool = resolved.tool
        self._check_cost(resolved, kwargs)
        invocation = run_call(tool, kwargs, resolved.alias, self.context, self.budget)
        call.cached = invocation.cached
        if invocation.notes:
            call.notes.extend(invocation.notes)
        self._count_pixels(invocation.value)
        return invocation.value

    @staticmethod
    def _end_call(call: ToolCall, started: float, *, output: Any = None, error: ErrorRecord | None = None) -> None:
        call.output = snapshot(output)
        call.error = error
        call.duration_s = budget_clock() - started

    def _check_cost(self, resolved: Resolved, kwargs: dict[str, Any]) -> None:
        largest = max((item_count(value) for value in kwargs.values()), default=0)
        if largest > self.limits.max_items_per_call:
            self.budget.tool_cost(resolved.shown_name, {"items": largest})
        cost = resolved.tool.cost
        if cost is not None:
            self.budget.tool_cost(resolved.shown_name, dict(cost(kwargs)))

    def _count_pixels(self, output: Any) -> None:
        pixels = count_pixels(output)
        if pixels:
            self.budget.image(pixels)

    def _intrinsic_eval(self, node: ast.Call, kwargs: dict[str, Any]) -> Any:
        expr = kwargs.get("expr")
        if type(expr) is not str:
            raise ToolError("argument 'expr' must be a string", argument="expr")
        try:
            tree = parse_eval_expression(expr)
        except ProgramSyntaxError as exc:
            raise ToolError(f"expression does not parse: {exc}", argument="expr") from None
        found = scan(tree.body)
        if found.violations:
            raise SandboxViolation(f"{found.violations[0].message} in EVAL", argument="expr")
        if found.depth > self.limits.max_nesting_depth:
            raise BudgetExceeded("max_nesting_depth", "EVAL expression nests too deeply", argument="expr")
        # VisProg semantics: 'yes'/'no' strings read as booleans, decimal strings as integers.
        view: dict[str, Any] = {}
        for sub in ast.walk(tree):
            if type(sub) is ast.Name and not sub.id.startswith("_"):
                for scope in reversed(self.scopes):
                    if sub.id in scope:
                        view[sub.id] = visprog_value(scope[sub.id])
                        break
            # Expression nodes carry positions relative to the expression; report the EVAL call's.
            if isinstance(sub, (ast.expr, ast.stmt)):
                sub.lineno, sub.col_offset = node.lineno, node.col_offset
        self.scopes.append(view)
        try:
            value = self.eval(tree.body)
        finally:
            self.scopes.pop()
        if type(value) is bool:
            return "yes" if value else "no"
        return value
