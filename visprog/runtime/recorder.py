"""Recording a run as it goes: steps opened at a statement's first tool call, closed at
its end, listeners told of both, and what the trace keeps copied so that a program
mutating its values later cannot rewrite history."""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from visprog.errors import BudgetExceeded, ErrorRecord
from visprog.language.syntax import Program
from visprog.toolkit.tool import IMMUTABLE_TYPES, copy_out
from visprog.trace.records import StepRecord, Trace

__all__ = ["Recorder", "StepEvent", "snapshot"]

_clock = time.perf_counter


@dataclass(frozen=True)
class StepEvent:
    """Sent to listeners at each step's start and end.

    Attributes:
        kind: ``"start"`` (the step's first tool call is about to run; ``step.calls``
            holds that call) or ``"end"`` (the step finished, maybe with ``step.error``).
        step: the step's record (the same object the trace keeps).
        elapsed_s: seconds since the run started (time paused between ``step()`` calls
            included).
        duration_s: the step's wall time at ``"end"``; None at ``"start"``.
    """

    kind: Literal["start", "end"]
    step: StepRecord
    elapsed_s: float
    duration_s: float | None = None

    def __str__(self) -> str:
        where = f"step {self.step.index + 1} (line {self.step.line}: {self.step.source.splitlines()[0][:60]})"
        if self.kind == "start":
            return f"start {where}"
        outcome = f" failed: {self.step.error.message[:80]}" if self.step.error is not None else ""
        return f"end {where} in {1000 * (self.duration_s or 0.0):.1f} ms{outcome}"


def snapshot(value: Any) -> Any:
    """What the trace keeps of a value: immutable values shared, containers copied."""
    return value if type(value) in IMMUTABLE_TYPES else copy_out(value)


class Recorder:
    """Builds the trace of one run.

    Args:
        program: the program (for statement text).
        trace: the trace to fill.
        listeners: told of every step start and end.
        max_steps: the ``max_trace_steps`` budget.
    """

    __slots__ = ("program", "trace", "listeners", "max_steps", "step", "_started", "_run_started")

    def __init__(self, program: Program, trace: Trace, listeners: list[Callable[[StepEvent], None]], max_steps: int) -> None:
        self.program = program
        self.trace = trace
        self.listeners = listeners
        self.max_steps = max_steps
        self.step: StepRecord | None = None
        self._started = 0.0
        self._run_started = _clock()

    def open(self, statement: ast.stmt) -> StepRecord:
        """Start a step for ``statement`` (called at its first tool call)."""
        if len(self.trace.steps) >= self.max_steps:
            raise BudgetExceeded("max_trace_steps", f"more than {self.max_steps} steps recorded (budget max_trace_steps)")
        step = StepRecord(
            index=len(self.trace.steps),
            line=statement.lineno,
            column=statement.col_offset + 1,
            end_line=statement.end_lineno or statement.lineno,
            source=self.program.statement_text(statement),
        )
        self.step = step
        self._started = _clock()
        if self.listeners:
            event = StepEvent("start", step, self._started - self._run_started)
            for listener in self.listeners:
                listener(event)
        return step

    def close(self, output: Any, targets: list[str]) -> StepRecord | None:
        """End the open step, if any, with the statement's value; returns it."""
        step = self.step
        if step is None:
            return None
        step.output = snapshot(output)
        step.targets = targets
        self._end(step)
        return step

    def fail(self, record: ErrorRecord) -> None:
        """End the open step, if any, with ``record``; set the trace's error."""
        step = self.step
        if step is not None:
            step.error = record
            self._end(step)
        self.trace.error = record

    def _end(self, step: StepRecord) -> None:
        now = _clock()
        step.duration_s = now - self._started
        self.trace.steps.append(step)
        self.step = None
        if self.listeners:
            event = StepEvent("end", step, now - self._run_started, step.duration_s)
            for listener in self.listeners:
                listener(event)
