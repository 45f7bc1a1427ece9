"""The learning loop's gain on a held-out split (issue 17): before/after accuracy.

``benchmarks/learn_requests.jsonl`` holds 20 idioms a user might use ("What's the
headcount?", "What's the damage?", "Make the faces pop"), each worded twice: one wording
in the train split, the other held out. The run:

1. scores the planner (packaged library) on the held-out split: *before*;
2. learns from the train split (:func:`visprog.evaluation.learn.learn`): for each item,
   the first library candidate whose program gives the item's answer joins a user
   library with the item's wording and the item as its check;
3. scores a planner with that user library on the held-out split: *after*.

The chat model is a stub that writes no program, so the figures measure the library
and what it learned (a request no entry fits is a miss, not a SmolLM2 guess).

    python benchmarks/learning.py [--set FILE] [--library OUT.jsonl]

Prints both accuracies and the ratio, then the held-out rows that changed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from visprog.evaluation.learn import learn, read_items, score, split, write
    from visprog.planner import Planner

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--set", type=Path, default=Path(__file__).with_name("learn_requests.jsonl"))
    parser.add_argument("--library", type=Path, help="where to write the learned library (default: a temporary file)")
    args = parser.parse_args(argv)
    train, test = split(read_items(args.set))
    print(f"{len(train)} train items, {len(test)} held out", flush=True)

    def planner(library: list[Path] | None = None) -> Planner:
        return Planner(FakeListChatModel(responses=["(no program)"] * 1000), library=library, max_attempts=1)

    started = time.perf_counter()
    before, before_rows = score(test, planner())
    print(f"before: {before}/{len(test)} held-out items right ({time.perf_counter() - started:.0f} s)", flush=True)
    report = learn(train, planner())
    out = args.library or Path(tempfile.mkdtemp()) / "learned.jsonl"
    write(report, out)
    print(f"learned {len(report.entries)} entries from {len(train)} train items "
          f"({report.right_first} already right first time), {len(report.hints)} hints -> {out}", flush=True)
    after, after_rows = score(test, planner([out]))
    print(f"after:  {after}/{len(test)} held-out items right")
    print(f"gain: {before}/{len(test)} -> {after}/{len(test)} ({(after - before) / max(1, len(test)):+.0%})")
    for b, a in zip(before_rows, after_rows):
        if b["right"] != a["right"]:
            print(f"  {'gained' if a['right'] else 'LOST':<6} {a['question']}")
    for a in after_rows:
        if not a["right"]:
            print(f"  missed {a['question']}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
