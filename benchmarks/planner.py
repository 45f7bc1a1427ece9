"""Planning speed and plan quality with the offline default model (SmolLM2-135M-Instruct).

Plans (no run) every request of ``benchmarks/offline_requests.py`` (newcomers' requests
the offline tools can answer) and of ``benchmarks/planner_requests.json`` (VisProg's task
families, many of which need models that are not here), through the public API
(``visprog.planner.Planner`` with the configured chat model; no environment flag), and
prints:

* load time, apart: the chat model (converted from GGUF on first use), the tokenizer's
  token index, the example embeddings;
* per request: planning seconds, forward passes, tokens computed and prompt tokens
  reused from the previous prompt's cache, attempts;
* median and p90 planning seconds (target: median <= 10 s on two CPU cores), the share
  of plans that pass the checker, and how many requests were answered "needs model X";
* the load average before and after (other processes on the machine slow the figures).

    python benchmarks/planner.py [--limit N] [--set offline|families|both]
    python benchmarks/planner.py --held-out      # other wordings, answered and checked
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def offline_requests() -> list[tuple[str, str]]:
    """(id, text) of the newcomer benchmark's requests, when that benchmark is here."""
    path = HERE / "offline_requests.py"
    if not path.is_file():
        return []
    sys.path.insert(0, str(HERE))
    try:
        module = importlib.import_module("offline_requests")
    finally:
        sys.path.pop(0)
    return [(r.id, r.text) for r in module.REQUESTS]


#: A held-out check, written after the planner was tuned on offline_requests.py and not
#: used for tuning: other wordings over that benchmark's scenes, checked by its checkers.
#: (id, request, scene, kind, expected, absent)
HELD_OUT: list[tuple[str, str, str, str, Any, tuple[str, ...]]] = [
    ("h-count-grid", "Count every face you can find.", "nine astronauts", "count", 9, ()),
    ("h-count-two", "How many heads are in this picture?", "astronaut and cameraman", "count", 2, ()),
    ("h-count-none", "Tell me how many faces there are.", "chelsea", "count", 0, ()),
    ("h-people-right", "How many people are on the right half?", "astronaut and coffee", "count", 0, ()),
    ("h-fewer-yes", "Are there fewer than three faces?", "astronaut", "yesno", True, ()),
    ("h-fewer-no", "Are there fewer than three faces?", "four astronauts", "yesno", False, ()),
    ("h-at-least", "Are at least two people in the photo?", "astronaut and cameraman", "yesno", True, ()),
    ("h-anyone-no", "Is anybody in this image?", "rocket", "yesno", False, ()),
    ("h-face-top", "Is there a face in the top half?", "two left one right", "yesno", True, ()),
    ("h-sign-text", "Tell me what the sign says.", "stop sign", "text", ("STOP",), ()),
    ("h-word-right", "Which word appears on the right?", "exit and push", "text", ("PUSH",), ("EXIT",)),
    ("h-word-bottom", "Read what is written in the bottom half.", "north and south", "text", ("SOUTH",), ("NORTH",)),
    ("h-says-exit", "Is the word exit written here?", "exit and push", "yesno", True, ()),
    ("h-says-sale-no", "Does this picture say sale?", "welcome home", "yesno", False, ()),
    ("h-writing-no", "Is there writing on this photo?", "coffee", "yesno", False, ()),
    ("h-hide-heart", "Cover each face with a heart emoji.", "astronaut", "hide", None, ()),
    ("h-hide-plain", "Please hide the faces in this photo.", "four astronauts", "hide", None, ()),
    ("h-hide-grin", "Put a grinning emoji on the faces.", "astronaut and cameraman", "hide", None, ()),
]


def held_out(limit: int | None) -> None:
    """Run the held-out requests through ``visprog.ask`` and check them."""
    sys.path.insert(0, str(HERE))
    try:
        bench = importlib.import_module("offline_requests")
    finally:
        sys.path.pop(0)
    from visprog import ask

    right, seconds = 0, []
    rows = HELD_OUT[:limit]
    print(f"== held-out requests through visprog.ask: {len(rows)}")
    for ident, text, scene, kind, expected, absent in rows:
        request = bench.Request(ident, text, scene, kind, expected, "", absent=absent)
        mark = time.perf_counter()
        result = ask(text, bench.scene(scene).image)
        seconds.append(time.perf_counter() - mark)
        ok, why = bench.check(request, result.result) if result.error is None else (False, f"error: {result.error}")
        right += ok
        program = (result.trace.program or "").replace("\n", "; ")[:80]
        print(f"{ident:<16} {'yes' if ok else 'NO':<3} {seconds[-1]:>5.1f}  {why or program}", flush=True)
    print(f"  held-out answered right: {right} of {len(rows)}; median {statistics.median(seconds):.1f} s per request")


def family_requests() -> list[tuple[str, str]]:
    data = json.loads((HERE / "planner_requests.json").read_text(encoding="utf-8"))
    return [(f"{r['family']}-{i}", r["question"]) for i, r in enumerate(data["requests"]) if r["inputs"] == ["IMAGE"]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="at most this many requests per set")
    parser.add_argument("--set", choices=["offline", "families", "both"], default="offline")
    parser.add_argument("--json", type=Path, help="write the rows here")
    parser.add_argument("--held-out", action="store_true", help="run the held-out requests through ask (and nothing else)")
    args = parser.parse_args()
    if args.held_out:
        held_out(args.limit)
        return

    from visprog.models.chat import runtime
    from visprog.planner import Planner

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    started = time.perf_counter()
    planner = Planner()
    model = planner.chat_model
    loads: dict[str, float] = {}
    mark = time.perf_counter()
    if hasattr(model, "load"):
        model.load()
    loads["chat model"] = time.perf_counter() - mark
    mark = time.perf_counter()
    planner.selector.scores("warm up")
    loads["example embeddings"] = time.perf_counter() - mark
    mark = time.perf_counter()
    planner.plan("How many faces are there?", ["IMAGE"])  # builds the token index, caches the system prompt
    loads["token index + first plan"] = time.perf_counter() - mark
    loads["availability"] = 0.0
    mark = time.perf_counter()
    _ = planner.usable
    loads["availability"] = time.perf_counter() - mark
    print("load (apart from planning): " + ", ".join(f"{k} {v:.1f} s" for k, v in loads.items())
          + f"; total {time.perf_counter() - started:.1f} s", flush=True)

    sets: list[tuple[str, list[tuple[str, str]]]] = []
    if args.set in ("offline", "both"):
        sets.append(("offline requests", offline_requests()[: args.limit]))
    if args.set in ("families", "both"):
        sets.append(("VisProg task families", family_requests()[: args.limit]))
    stats = runtime(model.model_path).scratch
    rows: list[dict[str, Any]] = []
    for title, requests in sets:
        if not requests:
            print(f"== {title}: none here")
            continue
        print(f"== {title}: {len(requests)} requests")
        print(f"{'id':<20} {'sec':>6} {'passes':>6} {'tokens':>6} {'reused':>6} {'att':>3}  program / answer")
        seconds: list[float] = []
        for ident, text in requests:
            before = dict(stats.get("stats", {"forward_passes": 0, "tokens": 0, "reused_tokens": 0}))
            mark = time.perf_counter()
            plan = planner.plan(text, ["IMAGE"])
            took = time.perf_counter() - mark
            after = stats.get("stats", before)
            row = {
                "set": title, "id": ident, "request": text, "seconds": took, "ok": plan.ok, "missing": plan.missing,
                "attempts": len(plan.attempts), "program": plan.program,
                "forward_passes": after["forward_passes"] - before["forward_passes"],
                "tokens": after["tokens"] - before["tokens"], "reused": after["reused_tokens"] - before["reused_tokens"],
            }
            rows.append(row)
            seconds.append(took)
            shown = plan.missing[:70] if plan.missing else (plan.program or "").replace("\n", "; ")[:90]
            print(f"{ident:<20} {took:>6.1f} {row['forward_passes']:>6} {row['tokens']:>6} {row['reused']:>6} {row['attempts']:>3}  {shown}", flush=True)
        chosen = [r for r in rows if r["set"] == title]
        planned = [r for r in chosen if not r["missing"]]
        print(f"  planning seconds: median {statistics.median(seconds):.1f}, p90 {percentile(seconds, 0.9):.1f} "
              f"(target: median <= 10 s on two cores)")
        if planned:
            print(f"  passes the checker: {sum(r['ok'] for r in planned)} of {len(planned)} planned; "
                  f"mean attempts {statistics.mean(r['attempts'] for r in planned):.2f}; "
                  f"mean forward passes {statistics.mean(r['forward_passes'] for r in planned):.0f}, "
                  f"tokens computed {statistics.mean(r['tokens'] for r in planned):.0f}, reused {statistics.mean(r['reused'] for r in planned):.0f}")
        print(f"  answered 'needs model X' without a program: {len(chosen) - len(planned)} of {len(chosen)}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (above the CPU count, other processes slowed these timings)")
    if args.json:
        args.json.write_text(json.dumps({"load_s": loads, "rows": rows}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
