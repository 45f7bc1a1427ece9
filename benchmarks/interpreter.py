"""The engine against smolagents' ``LocalPythonExecutor``, end to end, in one run.

What a user meets: visprog's ``run_program`` (parse, check, run, trace) against
smolagents' executor (parse, run) on the same program text, calling a typed no-op tool
in each framework. Runs alternate (visprog, smolagents, visprog, ...) so that machine
noise hits both alike; each figure is the best of its runs (the least disturbed by other
work on the machine), with the ratio smolagents / visprog (above 1: visprog is faster)
and, in brackets, the ratio of the medians, which also counts the full garbage
collections that fall in some runs and not others. Times are the process's CPU time (all its threads), which
other processes on a busy machine disturb far less than wall time.

Each workload is measured twice: *cold*, a program text never seen before in each run
(a comment with a counter makes it new), so visprog parses and checks it every time; and
*warm*, the same text again, as in ``run_batch``, the REPL's re-runs or an evaluation
over a fixed program, where visprog reuses the parsed and checked program. smolagents
has no such reuse; it gets the same texts.

Workloads:
* a straight-line program of 8 tool-call steps, the size of a VisProg program: here
  each framework's fixed cost per run (set-up, the run's context, the trace) shows;
* straight-line programs of 250 to 4,000 tool-call steps (``V7 = noop(x=7)``), to show
  linear scaling: µs/step should stay flat;
* a loop-heavy program: for, while and a comprehension, 100,000 iterations in all.

    python benchmarks/interpreter.py            # needs the bench extra (smolagents)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

from visprog import Limits, Registry, run_program, tool

#: VISPROG_BENCH_QUICK=1 (the README test) runs small sizes to prove the script works.
QUICK = os.environ.get("VISPROG_BENCH_QUICK") == "1"
REPEATS = 2 if QUICK else 7
#: Small programs run in a fraction of a millisecond: more runs give a stable best.
SMALL_REPEATS = 20 if QUICK else 200
#: Default budgets, except a longer program text for the 4,000-step program.
LIMITS = Limits(max_source_chars=500_000)
SIZES = (8, 250) if QUICK else (8, 250, 1_000, 4_000)
#: Iterations of the loop program: a for loop (4/10), a while loop (3/10) and a
#: comprehension (3/10); quick runs a tenth.
LOOP_ITERATIONS = 10_000 if QUICK else 100_000
LOOP_PROGRAM = """\
total = 0
for i in range(FOR_N):
    total = total + i
j = 0
while j < WHILE_N:
    j = j + 1
evens = [k * k for k in range(COMP_N) if k % 2 == 0]
RESULT_CALL
"""


@tool
def noop(x: int = 0) -> int:
    """Return x.

    Args:
        x: a number.

    Returns:
        x.
    """
    return x


def straight_line(steps: int) -> tuple[str, str]:
    body = "\n".join(f"V{i} = noop(x={i})" for i in range(steps - 1))
    return body + f"\nresult(V{steps - 2})", body + f"\nfinal_answer(V{steps - 2})"


def loop_program(iterations: int) -> tuple[str, str, int]:
    """The loop program for visprog and for smolagents, ``iterations`` in all, and the
    answer it must give."""
    for_n, while_n, comp_n = iterations * 4 // 10, iterations * 3 // 10 - 1, iterations * 3 // 10
    source = LOOP_PROGRAM.replace("FOR_N", str(for_n)).replace("WHILE_N", str(while_n)).replace("COMP_N", str(comp_n))
    expr = "total + j + len(evens)"
    expected = sum(range(for_n)) + while_n + (comp_n + 1) // 2
    return source.replace("RESULT_CALL", f"result({expr})"), source.replace("RESULT_CALL", f"final_answer({expr})"), expected


_counter = [0]


def _text(source: str, cold: bool) -> str:
    if not cold:
        return source
    _counter[0] += 1
    return f"# run {_counter[0]}\n{source}"


def visprog_runner(source: str, expected: object, cold: bool) -> Callable[[], float]:
    registry = Registry([noop])

    def run() -> float:
        text = _text(source, cold)
        start = time.process_time()
        result = run_program(text, registry=registry, limits=LIMITS)
        elapsed = time.process_time() - start
        if result.error is not None or result.result != expected:
            raise SystemExit(f"visprog run failed: {result.error} {result.result!r}")
        return elapsed

    return run


def smolagents_runner(source: str, expected: object, cold: bool = True) -> Callable[[], float] | None:
    try:
        from smolagents import tool as smol_tool
        from smolagents.default_tools import FinalAnswerTool
        from smolagents.local_python_executor import LocalPythonExecutor
    except ImportError:
        return None

    @smol_tool
    def noop(x: int = 0) -> int:
        """Return x.

        Args:
            x: a number.
        """
        return x

    def run() -> float:
        # A fresh executor per run, as visprog's run_program starts fresh each time.
        text = _text(source, cold)
        start = time.process_time()
        executor = LocalPythonExecutor(additional_authorized_imports=[], timeout_seconds=None)
        executor.send_tools({"noop": noop, "final_answer": FinalAnswerTool()})
        output = executor(text)
        elapsed = time.process_time() - start
        if output.output != expected:
            raise SystemExit(f"smolagents run failed: {output!r}")
        return elapsed

    return run


def measure(name: str, units: int, unit: str, ours: Callable[[], float], theirs: Callable[[], float] | None) -> None:
    ours()
    if theirs is not None:
        theirs()
    our_times: list[float] = []
    their_times: list[float] = []
    for _ in range(SMALL_REPEATS if units < 100 else REPEATS):
        our_times.append(ours())
        if theirs is not None:
            their_times.append(theirs())
    ours_us = min(our_times) / units * 1e6
    line = f"{name:<36} visprog {ours_us:7.2f} µs/{unit}"
    if their_times:
        theirs_us = min(their_times) / units * 1e6
        # The median ratio counts what the best hides: a full garbage collection that
        # falls in some runs (a long run's tree and trace outlive the young generations).
        median = statistics.median(their_times) / statistics.median(our_times)
        line += f"   smolagents {theirs_us:7.2f} µs/{unit}   smolagents/visprog {theirs_us / ours_us:5.2f}x (medians {median:4.2f}x)"
    print(line, flush=True)


def main() -> None:
    have_peer = smolagents_runner("final_answer(1)", 1) is not None
    if not have_peer:
        print("smolagents is not installed (pip install 'visprog[bench]'): printing visprog alone", file=sys.stderr)
    print(f"end to end: parse + check + run + trace (visprog) vs parse + run (smolagents); best of {REPEATS}, alternating")
    for cold in (True, False):
        label = "cold" if cold else "warm"
        for steps in SIZES:
            ours, theirs = straight_line(steps)
            measure(f"{label}: straight line, {steps} steps", steps, "step",
                    visprog_runner(ours, steps - 2, cold), smolagents_runner(theirs, steps - 2, cold))
        ours, theirs, expected = loop_program(LOOP_ITERATIONS)
        measure(f"{label}: loops, {LOOP_ITERATIONS:,} iterations", LOOP_ITERATIONS, "iter",
                visprog_runner(ours, expected, cold), smolagents_runner(theirs, expected, cold))


if __name__ == "__main__":
    main()
