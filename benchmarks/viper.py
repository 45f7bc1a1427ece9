"""ViperGPT-style programs end to end (issue 11), through the public API.

First the test oracle is checked on the corpus (:func:`oracle`). Then three figures, all
with the fake model tools of ``tests/viper`` (they answer from a
scene table in microseconds, so the figures measure visprog, not a model):

* the corpus (``tests/viper/corpus.py``): every program checked and run with
  ``run_program``, cold (text never seen: parse + check + run + trace) and warm (the
  same text again); per program and per tool call, and how many give the right answer;
* the cost of a patch method over calling its model tool directly:
  ``patch.simple_query(q)`` (tool method ``patch_simple_query``, which calls ``vqa``
  through the run) against ``vqa(crop, q)`` written by hand, in a loop of calls;
* the cost of a ``key=`` lambda: ``sorted(xs, key=lambda v: -v)`` against
  ``sorted([-v for v in xs])``, per item.

    python benchmarks/viper.py          # VISPROG_BENCH_QUICK=1: small sizes, to prove it runs
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from visprog import Limits, Registry, RunContext, default_registry, run_program

QUICK = os.environ.get("VISPROG_BENCH_QUICK") == "1"
REPEATS = 2 if QUICK else 5
LOOP_CALLS = 200 if QUICK else 2000
SORT_ITEMS = 2000 if QUICK else 20000


def _timed(source: str, image: Any = None, **kwargs: Any) -> tuple[Any, float]:
    """``run_program(source, image, **kwargs)`` and the CPU seconds it took."""
    started = time.process_time()
    result = run_program(source, image, **kwargs)
    return result, time.process_time() - started


def corpus() -> None:
    from tests.viper.corpus import CASES
    from tests.viper.reference import matches
    from tests.viper.scene_tools import render, scene_chat_model, scene_registry

    base = default_registry()
    prepared = [(case, scene_registry(case.scene, base), render(case.scene), scene_chat_model(case.scene)) for case in CASES]
    cold: list[float] = []
    warm: list[float] = []
    calls = 0
    right = 0
    for index, (case, registry, image, chat) in enumerate(prepared):
        context = RunContext(chat_model=chat)
        fresh = case.source + f"# cold run {index} {time.time_ns()}\n"
        cold.append(_timed(fresh, image, registry=registry, context=context)[1])
        times = []
        for _ in range(REPEATS):
            result, seconds = _timed(case.source, image, registry=registry, context=context)
            times.append(seconds)
        warm.append(min(times))
        calls += sum(len(step.calls) for step in result.trace.steps)
        right += result.error is None and matches(result.result, case.expected, case.scene) is None
    total_warm = sum(warm)
    print(f"corpus: {len(CASES)} programs, {right} answered right, {calls} tool calls (methods and the model tools they call)")
    print(f"  cold (parse + check + run + trace): median {statistics.median(cold) * 1000:6.2f} ms/program")
    print(f"  warm (checked program reused):      median {statistics.median(warm) * 1000:6.2f} ms/program, "
          f"{total_warm / calls * 1e6:6.1f} µs per tool call")


def oracle() -> None:
    """The test oracle (``tests/viper/reference.py``, ViperGPT's semantics in plain
    Python) on the corpus: every case gives its hand-computed answer in every variant an
    implementation may choose, each mutant (a known mistake) is caught by enough cases,
    and the oracle reaches every fake tool. These check the *test data*; the suite runs
    the product on the same corpus (``tests/viper/test_corpus.py``). Exits non-zero on a
    failure."""
    from collections import Counter

    from tests.viper.corpus import CASES
    from tests.viper.reference import MUTANTS, VARIANTS, matches, run_reference

    wrong: list[str] = []
    calls: Counter[str] = Counter()
    prompts = 0
    for variant in VARIANTS:
        for case in CASES:
            try:
                result, env = run_reference(case, variant)
            except Exception as exc:  # noqa: BLE001 - reported below
                wrong.append(f"{case.name} [{variant.name}]: {type(exc).__name__}: {exc}")
                continue
            calls.update(env.calls)
            prompts += len(env.chat.asked)
            problem = matches(result, case.expected, case.scene)
            if problem is not None:
                wrong.append(f"{case.name} [{variant.name}]: {problem}")
    minimum = {"mutant-y-down": 19, "mutant-depth-inverted": 7, "mutant-sort-ignores-key": 11}
    caught: dict[str, int] = {}
    for mutant in MUTANTS:
        count = 0
        for case in CASES:
            try:
                result, _ = run_reference(case, mutant)
            except Exception:  # noqa: BLE001 - a crash is a caught mutant too
                count += 1
                continue
            count += matches(result, case.expected, case.scene) is not None
        caught[mutant.name] = count
    runs = len(CASES) * len(VARIANTS)
    print(f"oracle: {runs - len(wrong)} of {runs} runs ({len(CASES)} cases x {len(VARIANTS)} variants) give the hand-computed answer")
    print("  mutants caught by: " + ", ".join(f"{name} {n} cases (need {minimum[name]})" for name, n in caught.items()))
    missing = {"detect", "vqa", "classify_image", "similarity", "depth"} - set(calls)
    failures = wrong + [f"{n} caught by only {k} cases" for n, k in caught.items() if k < minimum[n]]
    failures += [f"the oracle never called {sorted(missing)}"] if missing else []
    failures += ["the oracle never asked the chat model"] if prompts == 0 else []
    if failures:
        print("ORACLE FAILURES:\n  " + "\n  ".join(failures))
        raise SystemExit(1)


def method_overhead() -> None:
    from tests.viper.corpus import KITCHEN
    from tests.viper.scene_tools import render, scene_chat_model, scene_registry

    registry: Registry = scene_registry(KITCHEN, default_registry())
    image = render(KITCHEN)
    context = RunContext(chat_model=scene_chat_model(KITCHEN))
    limits = Limits(max_trace_steps=LOOP_CALLS * 2 + 10)
    head = "def execute_command(image):\n    patch = ImagePatch(image).find('cup')[0]\n    crop = patch.cropped_image\n"
    method = head + f"    for i in range({LOOP_CALLS}):\n        a = patch.simple_query('What is in the cup?')\n    return a\n"
    direct = head + f"    for i in range({LOOP_CALLS}):\n        a = vqa(crop, 'What is in the cup?')\n    return a\n"
    times: dict[str, list[float]] = {"method": [], "direct": []}
    for _ in range(REPEATS):
        for name, source in (("method", method), ("direct", direct)):
            result, seconds = _timed(source, image, registry=registry, context=context, limits=limits)
            assert result.error is None and result.result == "tea", result.error
            times[name].append(seconds)
    per_method = min(times["method"]) / LOOP_CALLS * 1e6
    per_direct = min(times["direct"]) / LOOP_CALLS * 1e6
    print(f"patch.simple_query(q) vs vqa(crop, q), {LOOP_CALLS} calls in a loop (fake vqa):")
    print(f"  method {per_method:7.1f} µs/call   direct {per_direct:7.1f} µs/call   "
          f"the method path adds {per_method - per_direct:6.1f} µs/call ({per_method / per_direct:4.2f}x)")


def key_lambda() -> None:
    data = f"xs = list(range({SORT_ITEMS}))\n"
    keyed = data + "ys = sorted(xs, key=lambda v: -v)\nresult(ys[0])"
    plain = data + "ys = sorted([-v for v in xs])\nresult(-ys[0])"
    times: dict[str, list[float]] = {"lambda": [], "comprehension": []}
    for _ in range(REPEATS):
        for name, source in (("lambda", keyed), ("comprehension", plain)):
            result, seconds = _timed(source, registry=Registry())
            assert result.error is None and result.result == SORT_ITEMS - 1, result.error
            times[name].append(seconds)
    per_key = min(times["lambda"]) / SORT_ITEMS * 1e6
    per_item = min(times["comprehension"]) / SORT_ITEMS * 1e6
    print(f"sorted(key=lambda) vs sorting a comprehension, {SORT_ITEMS} items:")
    print(f"  key lambda {per_key:5.2f} µs/item   comprehension {per_item:5.2f} µs/item")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print("ViperGPT-style programs through run_program, fake model tools (CPU time, best of "
          f"{REPEATS} where repeated)")
    oracle()
    corpus()
    method_overhead()
    key_lambda()


if __name__ == "__main__":
    main()
