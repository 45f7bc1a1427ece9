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
from visprog.toolkit.tool import copy_out
from visprog.trace.records import StepRecord, Trace

__all__ = ["Recorder", "StepEvent", "snapshot"]

_clock = time.perf_counter
_SHARED = (type(None), bool, int, float, str, range)


@dataclass(frozen=True)
class StepEvent:
    """Sent to listeners at each step's start and end.

    Attributes:
        kind: ``"start"`` (the step's first tool call is about to run; ``step.calls``
            holds that call, ``step.duration_s`` is still 0.0) or ``"end"`` (the step
            finished, maybe with ``step.error``; ``step.duration_s`` is its wall time).
        step: the step's record (the same object the trace keeps).
    """

    kind: Literal["start", "end"]
    step: StepRecord


def snapshot(value: Any) -> Any:
    """What the trace keeps of a value: immutable values shared, containers copied."""
    return value if type(value) in _SHARED else copy_out(value)


class Recorder:
    """Builds the trace of one run.

    Args:
        program: the program (for statement text).
        trace: the trace to fill.
        listeners: told of every step start and end.
        max_steps: the ``max_trace_steps`` budget.
    """

    __slots__ = ("program", "trace", "listeners", "max_steps", "step", "_started")

    def __init__(self, program: Program, trace: Trace, listeners: list[Callable[[StepEvent], None]], max_steps: int) -> None:
        self.program = program
        self.trace = trace
        self.listeners = listeners
        self.max_steps = max_steps
        self.step: StepRecord | None = None
        self._started = 0.0

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
        for listener in self.listeners:
            listener(StepEvent("start", step))
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
        step.duration_s = _clock() - self._started
        self.trace.steps.append(step)
        self.step = None
        for listener in self.listeners:
            listener(StepEvent("end", step))
