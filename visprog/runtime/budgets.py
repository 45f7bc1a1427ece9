"""The budgets of one run, in one place: counters, the deadline and cumulative totals.

Every check happens *before* the work it bounds and raises
:class:`~visprog.errors.BudgetExceeded` naming the budget; the caller adds the program
position. Time spent outside the run (between ``step()`` calls of a paused run) does
not count: :meth:`Budget.pause` and :meth:`Budget.resume` move the deadline.
"""

from __future__ import annotations

import time
from typing import Any

from visprog.errors import BudgetExceeded
from visprog.language.limits import Limits

__all__ = ["Budget", "key_depth_ok"]

_clock = time.perf_counter


class Budget:
    """Counters and deadline of one run.

    Args:
        limits: the run's budgets.
    """

    __slots__ = ("limits", "statements", "iterations", "items", "pixels", "llm_calls", "deadline", "_paused_at", "started")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.statements = 0
        self.iterations = 0
        self.items = 0
        self.pixels = 0
        self.llm_calls = 0
        self.started: float | None = None
        self.deadline = float("inf")
        self._paused_at: float | None = None

    # -- time ---------------------------------------------------------------
    def resume(self) -> None:
        """Start or resume the clock (the first call starts it)."""
        now = _clock()
        if self.started is None:
            self.started = now
            self.deadline = now + self.limits.max_wall_time_s
        elif self._paused_at is not None:
            self.deadline += now - self._paused_at
        self._paused_at = None

    def pause(self) -> None:
        """Stop the clock until :meth:`resume` (time in between does not count)."""
        if self._paused_at is None:
            self._paused_at = _clock()

    def running_s(self) -> float:
        """Seconds the run has been running (paused time left out)."""
        if self.started is None:
            return 0.0
        end = self._paused_at if self._paused_at is not None else _clock()
        # deadline = started + limit + time paused, so running = end + limit - deadline.
        return max(end + self.limits.max_wall_time_s - self.deadline, 0.0)

    def remaining_s(self) -> float:
        return self.deadline - _clock()

    def check_time(self) -> None:
        if _clock() > self.deadline:
            self.out_of_time()

    def out_of_time(self) -> None:
        raise BudgetExceeded(
            "max_wall_time_s", f"ran longer than {self.limits.max_wall_time_s} s (budget max_wall_time_s)"
        )

    # -- counters -------------------------------------------------------------
    def statement(self) -> None:
        self.statements += 1
        if self.statements > self.limits.max_statements:
            raise BudgetExceeded(
                "max_statements", f"more than {self.limits.max_statements} statements executed (budget max_statements)"
            )
        if _clock() > self.deadline:
            self.out_of_time()

    def iteration(self) -> None:
        self.iterations += 1
        if self.iterations > self.limits.max_loop_iterations:
            raise BudgetExceeded(
                "max_loop_iterations",
                f"more than {self.limits.max_loop_iterations} loop iterations (budget max_loop_iterations)",
            )
        if _clock() > self.deadline:
            self.out_of_time()

    # -- sizes ----------------------------------------------------------------
    def length(self, length: int) -> None:
        """Refuse one sequence longer than ``max_sequence_length``, and count it towards
        ``max_total_items``. Call before building it."""
        limits = self.limits
        if length > limits.max_sequence_length:
            raise BudgetExceeded(
                "max_sequence_length",
                f"would build a sequence of {length} items; the limit (max_sequence_length) is {limits.max_sequence_length}",
            )
        self.items += length
        if self.items > limits.max_total_items:
            raise BudgetExceeded(
                "max_total_items",
                f"the program has created more than {limits.max_total_items} items and characters (budget max_total_items)",
            )

    def image(self, pixels: int) -> None:
        """Count an image a tool returned towards ``max_total_pixels``."""
        self.pixels += pixels
        if self.pixels > self.limits.max_total_pixels:
            raise BudgetExceeded(
                "max_total_pixels",
                f"tools have returned more than {self.limits.max_total_pixels} pixels in this run (budget max_total_pixels)",
            )

    def tool_cost(self, tool: str, cost: dict[str, int]) -> None:
        """Refuse a tool call whose estimated cost would exceed a budget; count it."""
        calls = int(cost.get("llm_calls", 0))
        if calls and self.llm_calls + calls > self.limits.max_llm_calls:
            raise BudgetExceeded(
                "max_llm_calls",
                f"{tool} would make about {calls} chat-model calls; {self.llm_calls} were made already and the limit "
                f"(max_llm_calls) is {self.limits.max_llm_calls}",
            )
        self.llm_calls += calls
        items = int(cost.get("items", 0))
        if items > self.limits.max_items_per_call:
            raise BudgetExceeded(
                "max_items_per_call",
                f"{tool} would process {items} items in one call; the limit (max_items_per_call) is {self.limits.max_items_per_call}",
            )


def key_depth_ok(value: Any, limit: int) -> bool:
    """True when ``value`` (a would-be dict key) nests tuples at most ``limit`` deep.

    Hashing a tuple recurses in C without a depth check; a program can build a tuple
    deep enough to overflow the C stack, so keys are measured (iteratively) first.
    """
    if type(value) is not tuple:
        return True
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        for sub in item:
            if type(sub) is tuple:
                stack.append((sub, depth + 1))
    return True
