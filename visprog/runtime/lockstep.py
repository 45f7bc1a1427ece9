"""Lockstep execution: one program over a block of inputs, each model step called once
for the block.

Evaluating a fixed program over thousands of items one at a time calls each model with
one image, while the tools batch well. :func:`run_block` runs a block of prepared
:class:`~visprog.runtime.Execution` objects (the same program, one per input) together:

* Each item runs in its own :class:`LockstepExecution`, with its own variables, budgets,
  trace and errors, exactly as :meth:`Execution.run` runs it alone (this module changes
  nothing of that path: :mod:`.execution` stays the reference). Items take turns on
  their own threads, one at a time, so the interpreter never runs two items at once.
* When an item reaches a call of a tool that declares a batch path (``@tool(batch=...)``,
  e.g. ``vqa``), its cost is checked against *its* budgets as alone, then it parks. When
  every live item of the block has parked or finished, the parked calls are grouped
  (same tool, same run context, the same shared arguments, single values in the batch
  arguments) and each group runs as one call of :meth:`Tool.invoke_batch`: one model
  call for the block, each item's answer what it gets alone (the tool's contract), each
  item's result-cache entry its own.
* An item that fails stops alone: the others go on. Control flow that diverges (an
  ``if`` that goes another way, a loop that runs more times, a step whose arguments differ
  in kind, such as a list of crops where the others pass one image) simply parks the item
  at another call: a call that finds no partner while other items of the block are still
  running runs alone, on the item's own path (:func:`~visprog.runtime.calls.run_call`),
  and its trace record says so in a note starting ``lockstep:``. A batched call that fails
  (one item's bad argument, the function raising, notes the tool recorded) is made again
  one by one, so each item gets its own answer or error; those records say so too.
* Budgets: an item's wall clock stops while it waits for the others; the batched call's
  whole time is charged to each item of the batch (each waited that long for its answer),
  and an item whose deadline passed during it fails with ``BudgetExceeded`` as alone. In
  the trace, a batched call's ``duration_s`` is the item's share (the call's time divided
  by the items in the batch), so summed over items it is the time the model really ran.
* Random generators: with ``before_item`` (e.g. seeding per item, as evaluation does),
  each item's Python, NumPy and torch (CPU) generator states are kept apart across turns,
  so a tool that draws numbers sees the sequence it sees alone. Draws inside a batched
  call come from whichever state is current: batch paths are deterministic by contract.

Tools called by a running tool (``call_registered_tool``: ImagePatch's methods) are
never batched: they run on the item's path, as alone. A program that names no tool with
a batch path runs item by item, with no threads.
"""

from __future__ import annotations

import random
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from visprog.errors import BudgetExceeded, ErrorRecord, InputError, RunError
from visprog.language.syntax import Program
from visprog.models.chat import ConfiguredChatModel, chat_model_label
from visprog.runtime.calls import run_batch_call, run_call
from visprog.runtime.execution import Execution, RunResult
from visprog.toolkit.registry import Registry, Resolved
from visprog.toolkit.tool import Invocation, describe_exception
from visprog.trace.records import ToolCall

__all__ = ["DEFAULT_BLOCK", "BlockRun", "LockstepExecution", "run_block", "uses_batch_tools"]

#: Items per block by default: 16 gets most of a model's batching gain on a GPU (and on
#: the tiny models of ``benchmarks/evaluation.py``) while holding at most 16 items'
#: images and values at once, and an interrupted evaluation redoes at most 16 items.
DEFAULT_BLOCK = 16

#: How long a cancelled block (Ctrl-C) waits for its item threads to unwind, in all.
CANCEL_WAIT_S = 10.0

_clock = time.perf_counter

#: True inside a tool call made by a running tool (never batched).
_NESTED: ContextVar[bool] = ContextVar("visprog_lockstep_nested", default=False)

DIVERGED = "lockstep: called alone, not batched with the block (the block's other items were at other calls, or passed other shared arguments)"


@dataclass
class BlockRun:
    """What :func:`run_block` returns.

    Attributes:
        results: one :class:`RunResult` per execution, in order.
        seconds: each item's share of the block's wall time: its own turns (interpreter,
            tools run alone) plus its share of each batched call; they add up to about
            the block's time.
        batched_calls: model calls made for several items at once.
        alone_calls: calls of batch-path tools that ran for one item (diverged, failed
            batches, lists where the batch takes one value, the last item left).
    """

    results: list[RunResult]
    seconds: list[float]
    batched_calls: int = 0
    alone_calls: int = 0


def uses_batch_tools(program: Program | str, registry: Registry) -> bool:
    """Does ``program``'s text name a tool (or alias) that has a batch path? (A plain
    word match over the source, EVAL expressions included: never misses a call.)"""
    source = program if isinstance(program, str) else program.source
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", source))
    for word in words:
        resolved = registry.resolve(word)
        if resolved is not None and resolved.tool.batch:
            return True
    return False


@dataclass(eq=False)
class _Request:
    """One parked call and, once served, its outcome."""

    resolved: Resolved
    kwargs: dict[str, Any]
    key: tuple[Any, ...] | None
    reason: str | None  # why it cannot join a batch (None: it can, or its error is its own)
    remaining_s: float
    invocation: Invocation | None = None
    alone: bool = False
    note: str | None = None
    charged_s: float = 0.0
    share_s: float = 0.0


@dataclass(eq=False)
class _Slot:
    """One item of a block: its execution, its thread and turn, its parked call."""

    index: int
    execution: LockstepExecution
    go: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    request: _Request | None = None
    done: bool = False
    raised: BaseException | None = None
    result: RunResult | None = None
    seconds: float = 0.0
    random_state: tuple[Any, ...] | None = None
    exclude: dict[int, float] = field(default_factory=dict)  # id(ToolCall) -> seconds not its own


class LockstepExecution(Execution):
    """An :class:`Execution` whose calls of batch-path tools wait for the block's other
    items (see the module docstring); everything else is the base class's own path.

    Args:
        source: the prepared execution to run (its program, registry, inputs, limits,
            context and listeners).
        block: the block's coordinator.
        index: the item's index in the block.
    """

    def __init__(self, source: Execution, block: _Block, index: int) -> None:
        super().__init__(
            source.program, source.registry, source.inputs, limits=source.limits, context=source.context, listeners=source.listeners
        )
        self._lockstep = block
        self._index = index

    def nested_call(self, name: str, arguments: Mapping[str, Any]) -> Any:
        token = _NESTED.set(True)
        try:
            return super().nested_call(name, arguments)
        finally:
            _NESTED.reset(token)

    def _invoke(self, resolved: Resolved, kwargs: dict[str, Any], call: ToolCall) -> Any:
        tool = resolved.tool
        if not tool.batch or _NESTED.get():
            return super()._invoke(resolved, kwargs, call)
        self._check_cost(resolved, kwargs)
        invocation = self._lockstep.call(self._lockstep.slots[self._index], resolved, kwargs, call)
        call.cached = invocation.cached
        if invocation.notes:
            call.notes.extend(invocation.notes)
        self._count_pixels(invocation.value)
        return invocation.value

    def _end_call(self, call: ToolCall, started: float, *, output: Any = None, error: ErrorRecord | None = None) -> None:  # type: ignore[override]
        Execution._end_call(call, started, output=output, error=error)
        excluded = self._lockstep.slots[self._index].exclude.pop(id(call), 0.0)
        if excluded:
            call.duration_s = max(0.0, call.duration_s - excluded)


def _random_state() -> tuple[Any, ...]:
    import numpy as np

    torch = sys.modules.get("torch")
    return random.getstate(), np.random.get_state(), torch.get_rng_state() if torch is not None else None


def _set_random_state(state: tuple[Any, ...]) -> None:
    import numpy as np

    random.setstate(state[0])
    np.random.set_state(state[1])
    torch = sys.modules.get("torch")
    if torch is not None and state[2] is not None:
        torch.set_rng_state(state[2])


def _plain(value: Any) -> Any:
    """A hashable stand-in for a shared argument: the value for text, numbers and
    tuples/lists of them; the object's identity otherwise (then only calls that pass the
    very same object share a batch)."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return (kind.__name__, value)
    if kind in (list, tuple) and len(value) <= 1000:
        parts = tuple(_plain(v) for v in value)
        if all(p[0] != "id" for p in parts):
            return (kind.__name__, parts)
    return ("id", id(value))


class _Block:
    """The coordinator of one block (runs on the caller's thread)."""

    def __init__(self, executions: Sequence[Execution], before_item: Callable[[int], None] | None) -> None:
        self.before_item = before_item
        self.slots: list[_Slot] = []
        for index, source in enumerate(executions):
            self.slots.append(_Slot(index, LockstepExecution(source, self, index)))
        self.back = threading.Event()
        self.cancelled = False
        self.batched_calls = 0
        self.alone_calls = 0

    # -- on an item's thread -----------------------------------------------------------
    def _item_main(self, slot: _Slot) -> None:
        slot.go.wait()
        try:
            if self.cancelled:
                raise KeyboardInterrupt
            slot.result = slot.execution.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the coordinator (Ctrl-C: after the trace has it)
            slot.raised = exc
        finally:
            slot.done = True
            self.back.set()

    def call(self, slot: _Slot, resolved: Resolved, kwargs: dict[str, Any], record: ToolCall) -> Invocation:
        """Park the item's call until the block has served it; returns its invocation
        (batched, or run alone on this thread)."""
        execution = slot.execution
        budget = execution.budget
        parked_at = _clock()
        remaining = budget.deadline - parked_at
        if remaining <= 0:
            budget.out_of_time()
        key, reason = self._key(resolved, kwargs, execution)
        request = _Request(resolved, kwargs, key, reason, remaining)
        budget.pause()
        slot.request = request
        slot.go.clear()
        self.back.set()
        slot.go.wait()
        budget.resume()
        if self.cancelled:
            raise KeyboardInterrupt
        waited = _clock() - parked_at
        # The batched call's time (a failed one's too) is this item's: it waited for it.
        budget.deadline -= request.charged_s
        slot.exclude[id(record)] = max(0.0, waited - request.share_s)
        if request.alone or request.invocation is None:
            if request.note:
                record.notes.append(request.note)
            return run_call(resolved.tool, kwargs, resolved.alias, execution.context, budget)
        if _clock() > budget.deadline:
            budget.out_of_time()
        return request.invocation

    @staticmethod
    def _key(resolved: Resolved, kwargs: dict[str, Any], execution: Execution) -> tuple[tuple[Any, ...] | None, str | None]:
        """The group key of a call, or (None, why it runs alone). A call whose arguments
        are wrong runs alone with no note: its error is its own, as alone."""
        tool = resolved.tool
        if tool.unavailable_reason() is not None:
            return None, None
        try:
            bound = tool.bind(kwargs, resolved.alias)
        except RunError:
            return None, None
        for name in tool.batch:
            if isinstance(bound[name], (list, tuple)):
                shown = resolved.shown_argument(name)
                return None, f"lockstep: called alone: its argument '{shown}' is a list, which {resolved.shown_name} does not batch across items"
        shared = tuple((name, _plain(value)) for name, value in bound.items() if name not in tool.batch)
        context = execution.context
        # Calls share a batch when their contexts serve tools alike (the batched call
        # runs in the first one's): the same result cache, chat model (the configured
        # one by its spec), limits and extras.
        chat = context.chat_model
        chat_key = chat_model_label(chat) if chat is None or isinstance(chat, ConfiguredChatModel) else id(chat)
        serves = (id(context.cache), chat_key, context.limits, id(context.extras) if context.extras else None)
        return (id(tool), resolved.shown_name, serves, shared), None

    # -- on the coordinator's thread -------------------------------------------------------
    def run(self) -> BlockRun:
        for slot in self.slots:
            slot.thread = threading.Thread(target=self._item_main, args=(slot,), name=f"visprog-lockstep-{slot.index}", daemon=True)
            slot.thread.start()
        try:
            while True:
                for slot in self.slots:
                    if not slot.done and slot.request is None:
                        self._turn(slot)
                        if isinstance(slot.raised, KeyboardInterrupt):
                            raise KeyboardInterrupt  # Ctrl-C inside an item stops the block, as alone
                parked = [slot for slot in self.slots if slot.request is not None]
                if not parked:
                    break
                self._serve(parked)
        except BaseException:
            self._cancel()
            raise
        for slot in self.slots:
            if slot.thread is not None:
                slot.thread.join()
        if any(isinstance(slot.raised, KeyboardInterrupt) for slot in self.slots):
            raise KeyboardInterrupt
        results = [self._result(slot) for slot in self.slots]
        return BlockRun(results, [slot.seconds for slot in self.slots], self.batched_calls, self.alone_calls)

    @staticmethod
    def _result(slot: _Slot) -> RunResult:
        if slot.result is not None:
            return slot.result
        execution = slot.execution
        if slot.raised is not None and execution.error is None:  # nothing escapes run(); kept as a record if it did
            execution.trace.error = ErrorRecord("ProgramRuntimeError", describe_exception(slot.raised))
        return RunResult(execution.result, execution.trace, execution.variables, execution.error)

    def _turn(self, slot: _Slot) -> None:
        """Let ``slot``'s item run until it parks or finishes."""
        if self.before_item is not None:
            if slot.random_state is None:
                self.before_item(slot.index)
            else:
                _set_random_state(slot.random_state)
        started = _clock()
        self.back.clear()
        slot.go.set()
        self.back.wait()
        slot.seconds += _clock() - started
        if self.before_item is not None:
            slot.random_state = _random_state()

    def _serve(self, parked: list[_Slot]) -> None:
        live = sum(1 for slot in self.slots if not slot.done)
        groups: dict[tuple[Any, ...], list[tuple[_Slot, _Request]]] = {}
        for slot in parked:
            request = slot.request
            if request is None:
                continue
            if request.key is None:
                self._alone(request, request.reason if live > 1 else None)
            else:
                groups.setdefault(request.key, []).append((slot, request))
        for members in groups.values():
            if len(members) == 1:
                self._alone(members[0][1], DIVERGED if live > 1 else None)
            else:
                self._batch(members)
        for slot in parked:
            slot.request = None

    def _alone(self, request: _Request, note: str | None) -> None:
        request.alone = True
        request.note = note
        self.alone_calls += 1

    def _batch(self, members: list[tuple[_Slot, _Request]]) -> None:
        first_slot, first = members[0]
        resolved = first.resolved
        timeout = max(request.remaining_s for _, request in members)
        started = _clock()
        try:
            invocations = run_batch_call(
                resolved.tool, [request.kwargs for _, request in members], resolved.alias, first_slot.execution.context, timeout
            )
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - each call is made again alone, which gives its own answer or error
            elapsed = _clock() - started
            if isinstance(exc, BudgetExceeded):
                why = "it ran past the longest time left"
            elif isinstance(exc, RunError):
                why = exc.message
            else:
                why = describe_exception(exc)
            note = f"lockstep: the batched call of {len(members)} items failed ({why[:200]}); this call ran alone"
            for slot, request in members:
                request.charged_s = elapsed
                request.share_s = elapsed / len(members)
                slot.seconds += request.share_s
                self._alone(request, note)
            return
        elapsed = _clock() - started
        self.batched_calls += 1
        for (slot, request), invocation in zip(members, invocations):
            request.invocation = invocation
            request.charged_s = elapsed
            request.share_s = elapsed / len(members)
            slot.seconds += request.share_s

    def _cancel(self) -> None:
        """Ctrl-C (or a failure of the coordinator): wake every item so that it records
        the interruption and ends; wait for them, bounded."""
        self.cancelled = True
        for slot in self.slots:
            slot.go.set()
        deadline = time.monotonic() + CANCEL_WAIT_S
        for slot in self.slots:
            if slot.thread is not None:
                slot.thread.join(max(0.0, deadline - time.monotonic()))


def run_block(executions: Sequence[Execution], *, before_item: Callable[[int], None] | None = None) -> BlockRun:
    """Run prepared executions of one program (one per input) in lockstep.

    Args:
        executions: from :func:`visprog.start_program`, none started yet, all of the same
            program text; items that share a run context can share batched calls. They
            are not run themselves: each is run by a :class:`LockstepExecution` built
            from its program, registry, inputs, limits, context and listeners.
        before_item: called with an item's index just before it first runs (e.g. to
            seed random generators per item); given, the generators' states are kept
            per item (module docstring).

    Returns:
        A :class:`BlockRun`: each item's result, as :meth:`Execution.run` gives it alone
        (calls that ran alone where the block diverged say so in their notes).

    Raises:
        InputError: an execution has started already, or the programs differ.
        KeyboardInterrupt: after every item's trace has recorded it.
    """
    if not executions:
        return BlockRun([], [])
    source = executions[0].program.source
    for index, execution in enumerate(executions):
        if execution.budget.started is not None or execution.done:
            raise InputError(f"run_block: execution {index} has already started")
        if execution.program.source != source:
            raise InputError(f"run_block: execution {index} runs another program than execution 0")
    if len(executions) == 1 or not uses_batch_tools(executions[0].program, executions[0].registry):
        results, seconds = [], []
        for index, execution in enumerate(executions):
            if before_item is not None:
                before_item(index)
            started = _clock()
            results.append(execution.run())
            seconds.append(_clock() - started)
        return BlockRun(results, seconds)
    return _Block(executions, before_item).run()
