"""Interpreter overhead: a 1,000-step program of no-op tool calls.

Prints microseconds per step (tracing on: every step recorded with its arguments,
output and timing) and the ratio to a plain Python loop calling the same functions.
Target: at most 50 us per step.

    python benchmarks/interpreter.py
"""

from __future__ import annotations

import statistics
import time

from visprog import Limits, Registry, RunContext, parse_program, tool
from visprog.runtime.execution import Execution
from visprog.toolkit.intrinsics import with_core

STEPS = 1_000
REPEATS = 7


@tool
def noop(x: int = 0) -> int:
    """Return x.

    Args:
        x: a number.

    Returns:
        x.
    """
    return x


def main() -> None:
    registry = with_core(Registry([noop]))
    source = "\n".join(f"V{i}=noop(x={i})" for i in range(STEPS - 1)) + f"\nFINAL=RESULT(var=V{STEPS - 2})"
    program = parse_program(source)
    limits = Limits()

    def interpreted() -> float:
        execution = Execution(program, registry, {}, limits=limits, context=RunContext(limits=limits))
        start = time.perf_counter()
        result = execution.run()
        elapsed = time.perf_counter() - start
        assert result.error is None and len(result.trace.steps) == STEPS
        return elapsed

    func = noop.func

    def plain() -> float:
        start = time.perf_counter()
        values = {}
        for i in range(STEPS):
            values[i] = func(x=i)
        return time.perf_counter() - start

    interpreted()  # warm up
    run_times = [interpreted() for _ in range(REPEATS)]
    plain_times = [plain() for _ in range(REPEATS)]
    per_step_us = statistics.median(run_times) / STEPS * 1e6
    plain_us = statistics.median(plain_times) / STEPS * 1e6
    print(f"steps per run:                 {STEPS}")
    print(f"interpreter, tracing on:       {per_step_us:.1f} us/step (median of {REPEATS})")
    print(f"plain Python loop:             {plain_us:.3f} us/call")
    print(f"ratio interpreter/plain:       {per_step_us / plain_us:.0f}x")
    print(f"target <= 50 us/step:          {'met' if per_step_us <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
