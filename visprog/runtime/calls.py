"""Running a tool call under the run's deadline.

A call runs *inline* (on the interpreter's thread) or on a *worker* thread that is
abandoned when the deadline passes, so that a slow or stuck tool cannot hold the run
past its wall-time budget. Handing a call to a thread costs tens of microseconds, so
tools choose (``@tool(preempt=...)``): model tools and anything that can take long run
on a worker; cheap operations bounded by their arguments run inline; ``"auto"`` tools
run on a worker until their calls have proved fast, then inline.

An abandoned call (its deadline passed, or Ctrl-C broke off the wait) keeps running on
its thread, often in native code (onnxruntime, torch) that does not stop for Python. A
process that exits while such code runs can abort in the C++ runtime (``terminate called
without an active exception``, SIGABRT, exit 134), so abandoned calls are remembered:
:func:`settle_abandoned` waits for them (bounded), and the command line ends the process
without finalisation when they are still running (:mod:`visprog.__main__`); for other
programs, an ``atexit`` hook waits for them, at most :data:`EXIT_WAIT_S`.
"""

from __future__ import annotations

import atexit
import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any

from visprog.errors import BudgetExceeded
from visprog.runtime.budgets import Budget
from visprog.toolkit.context import RunContext
from visprog.toolkit.tool import Alias, Invocation, Tool

__all__ = ["abandoned_calls", "run_batch_call", "run_call", "settle_abandoned"]

#: An "auto" tool runs inline while its last PROVEN_CALLS calls each took less than
#: FAST_S (timed inside the call, without the thread hand-off); a slow call sends it
#: back to the worker until it proves fast again.
PROVEN_CALLS = 3
FAST_S = 0.005
#: ... and only while more than this much of the budget remains.
INLINE_MARGIN_S = 1.0

#: How long the ``atexit`` hook waits for abandoned calls before Python finalises.
EXIT_WAIT_S = 10.0

_clock = time.perf_counter
_workers: set[threading.Thread] = set()  # worker threads whose call has not returned
_workers_lock = threading.Lock()
_exit_hook_registered = False


def _started(worker: threading.Thread) -> None:
    global _exit_hook_registered
    with _workers_lock:
        _workers.add(worker)
        if not _exit_hook_registered:
            atexit.register(settle_abandoned, EXIT_WAIT_S)
            _exit_hook_registered = True


def _ended(worker: threading.Thread) -> None:
    with _workers_lock:
        _workers.discard(worker)


def abandoned_calls() -> list[str]:
    """The threads (named ``visprog-TOOL``) of tool calls still running on a worker
    after their caller stopped waiting (deadline or Ctrl-C), or still being waited for."""
    with _workers_lock:
        return sorted(t.name for t in _workers if t.is_alive())


def settle_abandoned(timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` seconds in all for calls still running on worker threads
    to return; True when none is left."""
    deadline = time.monotonic() + max(0.0, timeout_s)
    with _workers_lock:
        waiting = list(_workers)
    for worker in waiting:
        if worker.ident is not None:  # started
            worker.join(max(0.0, deadline - time.monotonic()))
    return not abandoned_calls()


def run_call(tool: Tool, arguments: dict[str, Any], alias: Alias | None, context: RunContext, budget: Budget) -> Invocation:
    """Run ``tool.invoke(arguments, alias=alias, context=context)`` under ``budget``'s deadline.

    Raises:
        BudgetExceeded: the deadline passed before or during the call (a worker call
            still running is abandoned; its thread ends when the tool returns).
        KeyboardInterrupt: passed through.
    """
    started = _clock()
    remaining = budget.deadline - started
    if remaining <= 0:
        budget.out_of_time()
    mode = tool.preempt
    if mode == "inline" or (mode == "auto" and tool.fast_streak >= PROVEN_CALLS and remaining > INLINE_MARGIN_S):
        try:
            result = tool.invoke(arguments, alias=alias, context=context)
        finally:
            ended = _clock()
        if mode == "auto":
            # Races between threads only make a tool prove itself again: harmless.
            tool.fast_streak = tool.fast_streak + 1 if ended - started < FAST_S else 0
    else:
        timed = _Timed(lambda: tool.invoke(arguments, alias=alias, context=context))
        result = _on_worker(tool, timed, remaining)
        if mode == "auto":
            tool.fast_streak = tool.fast_streak + 1 if timed.elapsed < FAST_S else 0
        ended = _clock()
    if ended > budget.deadline:
        budget.out_of_time()
    return result


def run_batch_call(
    tool: Tool, calls: list[dict[str, Any]], alias: Alias | None, context: RunContext, timeout_s: float
) -> list[Invocation]:
    """Run ``tool.invoke_batch(calls, ...)`` (a lockstep block's calls of one step) within
    ``timeout_s`` seconds: inline for ``preempt="inline"`` tools, else on a worker thread
    abandoned at the timeout, as :func:`run_call` does for one call.

    Raises:
        BudgetExceeded: ``timeout_s`` passed (the call is abandoned).
        ToolError, ToolUnavailable: as :meth:`Tool.invoke_batch`.
        KeyboardInterrupt: passed through.
    """
    if timeout_s <= 0:
        raise BudgetExceeded("max_wall_time_s", f"no time was left for {tool.name} (budget max_wall_time_s)")
    if tool.preempt == "inline":
        return tool.invoke_batch(calls, alias=alias, context=context)
    box: list[list[Invocation]] = []

    def call() -> Invocation:
        box.append(tool.invoke_batch(calls, alias=alias, context=context))
        return Invocation(None, False, ())

    _on_worker(tool, call, timeout_s)
    return box[0]


class _Timed:
    """A call that remembers how long it ran (on whichever thread ran it)."""

    __slots__ = ("call", "elapsed")

    def __init__(self, call: Callable[[], Invocation]) -> None:
        self.call = call
        self.elapsed = float("inf")

    def __call__(self) -> Invocation:
        started = _clock()
        try:
            return self.call()
        finally:
            self.elapsed = _clock() - started


def _on_worker(tool: Tool, call: Callable[[], Invocation], timeout: float) -> Invocation:
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(call)
        except BaseException as exc:  # noqa: BLE001 - handed to the interpreter's thread
            outcome["error"] = exc
        finally:
            _ended(worker)

    worker = threading.Thread(target=target, name=f"visprog-{tool.name}", daemon=True)
    _started(worker)
    worker.start()
    worker.join(timeout)  # Ctrl-C here leaves the call running: settle_abandoned waits for it
    if worker.is_alive():
        raise BudgetExceeded(
            "max_wall_time_s",
            f"{tool.name} was still running at the deadline (budget max_wall_time_s); the call was abandoned",
        )
    if "error" in outcome:
        raise outcome["error"]
    value: Invocation = outcome["value"]
    return value
