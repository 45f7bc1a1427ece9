"""Reliability table: the red-team corpus (tests/redteam/), tried and handled per family.

Each case runs in its own process with a time limit (15 s) and a memory limit, through
visprog's public API as a user or an attacker would (run_program, run_batch,
start_program, load_image, the CLI, the result cache). A case is *handled* when its
expectation holds (the right answer, or one clear error of the right kind), within
time and memory, with its process alive.

Usage::

    .venv/bin/python benchmarks/reliability.py              # the whole corpus, 2 at a time
    .venv/bin/python benchmarks/reliability.py --jobs 1 --family cache-damage --verbose

``VISPROG_BENCH_QUICK=1`` (the README test) runs one case per family, to prove the script
works end to end.

Prints one row per family (tried, handled, waiting for a mechanism being built, the
slowest case and the largest peak memory), a total row, and the cases not handled.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.redteam.cases import CASES, CASES_BY_NAME, FAMILIES  # noqa: E402
from tests.redteam.runner import CaseResult, run_cases  # noqa: E402


def table(results: list[CaseResult]) -> list[str]:
    """The per-family table, as lines."""
    lines = [f"{'family':18} {'tried':>5} {'handled':>8} {'waiting':>8} {'slowest s':>10} {'peak MiB':>9}"]
    total_tried = total_handled = total_waiting = 0
    for family in FAMILIES:
        rows = [r for r in results if r.family == family]
        if not rows:
            continue
        handled = sum(r.handled for r in rows)
        waiting = sum(1 for r in rows if CASES_BY_NAME[r.name].needs)
        total_tried += len(rows)
        total_handled += handled
        total_waiting += waiting
        slowest = max(r.elapsed_s for r in rows)
        peak = max(r.peak_mb for r in rows)
        lines.append(f"{family:18} {len(rows):5d} {handled:8d} {waiting:8d} {slowest:10.1f} {peak:9.0f}")
    share = 100.0 * total_handled / total_tried if total_tried else 0.0
    lines.append(f"{'total':18} {total_tried:5d} {total_handled:8d} {total_waiting:8d}   ({share:.0f}% handled)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--family", action="append", choices=FAMILIES, help="only these families")
    parser.add_argument("--verbose", action="store_true", help="print every case, not only those not handled")
    args = parser.parse_args(argv)
    names = [c.name for c in CASES if not args.family or c.family in args.family]
    if os.environ.get("VISPROG_BENCH_QUICK") == "1":
        # The README test: one case per family proves the script works end to end (all of
        # them run in tests/redteam). Each family's last case: quick ones, about 2 s for all
        # twelve (some families open with cases that load face models or wait on timers).
        last_of_family = {CASES_BY_NAME[n].family: n for n in names}
        names = [n for n in names if n in last_of_family.values()]
    started = time.monotonic()
    results = run_cases(names, jobs=args.jobs)
    elapsed = time.monotonic() - started
    print(f"red-team corpus: {len(results)} cases, {args.jobs} at a time, {elapsed:.0f} s\n")
    for line in table(results):
        print(line)
    shown = results if args.verbose else [r for r in results if not r.handled]
    if shown:
        print("\nnot handled:" if not args.verbose else "\ncases:")
        for r in shown:
            waiting = CASES_BY_NAME[r.name].needs
            tag = "ok " if r.handled else ("WAIT" if waiting else "FAIL")
            print(f"  {tag} {r.family:16} {r.name:48} {r.outcome:11} {r.elapsed_s:5.1f}s  {r.detail[:120]}")
            if waiting and not r.handled:
                print(f"       needs: {waiting}")
    over = [r for r in results if r.elapsed_s > 15.5]
    print(f"\ncases over 15 s: {len(over)}; largest peak memory: {max((r.peak_mb for r in results), default=0):.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
