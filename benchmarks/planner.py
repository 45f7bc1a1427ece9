"""Planner quality and speed with the offline default model (SmolLM2-135M-Instruct).

For each request in benchmarks/planner_requests.json (written for this benchmark, apart
from prompts/), plan a program (no run) with and without grammar-constrained decoding
and print: the share whose first attempt passes the checker, the share passing after
repair (up to 3 attempts), mean attempts, seconds per request, and the share of checked
programs that are plausible for their task family (they call a tool the family needs:
an editing tool for an edit, read_text to read, both LEFT and RIGHT for a pair, ...).
Target: >= 90% checked programs after repair with the offline default.

    python benchmarks/planner.py [--limit N] [--mode constrained|free|both]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


#: A checked program is "plausible" when its text mentions one of these for its family.
PLAUSIBLE = {
    "gqa": ("LOC(", "VQA(", "detect(", "vqa("),
    "nlvr": ("LEFT",),
    "refexp": ("LOC(", "detect(", "SELECT("),
    "tagging": ("CLASSIFY(", "classify", "TAG("),
    "editing": ("EMOJI(", "COLORPOP(", "BGBLUR(", "REPLACE(", "emoji(", "color_pop(", "bg_blur("),
    "reading": ("read_text(",),
    "captioning": ("caption(", "VQA("),
}


def plausible(family: str, program: str) -> bool:
    if family == "nlvr":
        return "LEFT" in program and "RIGHT" in program
    return any(marker in program for marker in PLAUSIBLE[family])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--mode", choices=["constrained", "free", "both"], default="both")
    parser.add_argument("--max-new-tokens", type=int, default=160, help="reply length without the grammar")
    args = parser.parse_args()

    from visprog.planner import Planner
    from visprog.planner.models import LocalChatModel, default_chat_model

    requests = json.loads((Path(__file__).parent / "planner_requests.json").read_text())["requests"][: args.limit]
    base = default_chat_model("local")
    assert isinstance(base, LocalChatModel)
    modes = ["constrained", "free"] if args.mode == "both" else [args.mode]
    for mode in modes:
        model = base.model_copy(update={"max_new_tokens": args.max_new_tokens})
        if mode == "free":
            # Without with_grammar the planner cannot constrain decoding: plain greedy generation.
            model = _Unconstrained(model)
        planner = Planner(model, max_attempts=3)
        first, final, sensible, attempts, seconds = 0, 0, 0, [], []
        failures = []
        for request in requests:
            start = time.perf_counter()
            plan = planner.plan(request["question"], request["inputs"])
            seconds.append(time.perf_counter() - start)
            attempts.append(len(plan.attempts))
            first += not plan.attempts[0].diagnostics
            final += plan.ok
            sensible += plan.ok and plausible(request["family"], plan.program or "")
            if not plan.ok:
                failures.append((request["question"], plan.attempts[-1].diagnostics[:1]))
        n = len(requests)
        print(f"== {mode} decoding, {n} requests, offline SmolLM2-135M-Instruct")
        print(f"  first attempt passes the checker: {first / n:6.1%}")
        print(f"  passes after repair (<= 3):       {final / n:6.1%}   target >= 90%: {'met' if final / n >= 0.9 else 'NOT met'}")
        print(f"  checked and plausible for family: {sensible / n:6.1%}")
        print(f"  mean attempts:                    {statistics.mean(attempts):6.2f}")
        print(f"  seconds per request:              {statistics.mean(seconds):6.1f} (median {statistics.median(seconds):.1f})")
        for question, diagnostics in failures[:5]:
            print(f"  failed: {question!r}: {diagnostics}")


class _Unconstrained:
    """Hides ``with_grammar`` so the planner uses the model's free generation."""

    is_small_local_model = True

    def __init__(self, model) -> None:
        self._model = model

    def invoke(self, messages):
        return self._model.invoke(messages)

    @property
    def model_path(self) -> str:
        return self._model.model_path


if __name__ == "__main__":
    main()
