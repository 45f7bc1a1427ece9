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

from visprog import Image, Limits, Registry, RunContext, ToolError, default_registry, run_program, tool

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
            prompts += len(env.chat.calls)
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


# -- ViperGPT's own programs -----------------------------------------------------------

#: Where ``vipergpt_programs`` finds ViperGPT's prompts (a checkout's ``prompts`` folder of
#: cvlab-columbia/viper): none of their text is copied into this repository.
PROMPTS_ENV = "VISPROG_VIPER_PROMPTS"
SCENES_PER_PROGRAM = 4 if QUICK else 12
_VOCABULARY = ("yes", "no", "red", "blue", "white", "two", "3", "wood", "metal", "left", "right", "dog", "cat", "17")
_COLORS = ("red", "blue", "green", "white", "black", "brown", "gray", "yellow")


def viper_programs(folder: Path) -> dict[str, str]:
    """The image programs of ViperGPT's prompts (``*.prompt`` under ``folder``), as
    written: every ``def execute_command(image...`` block, from a docstring example
    (``>>> `` lines) or plain code, without its trailing comments; source -> where."""
    import re

    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.prompt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            start = re.match(r"^(\s*)(>>> )?def execute_command\(image\b", lines[i])
            if start is None:
                i += 1
                continue
            indent, doctest = start.group(1), bool(start.group(2))
            body = [lines[i][len(indent) + (4 if doctest else 0):]]
            i += 1
            while i < len(lines):
                line = lines[i]
                if doctest:
                    if not line.strip().startswith(">>>"):
                        break
                    text = line.strip()[3:]
                    text = text[1:] if text.startswith(" ") else text
                    if text and not text.startswith((" ", "\t", "#")):
                        break
                elif line.strip() and not line.startswith((indent + " ", indent + "\t")):
                    break
                else:
                    text = line[len(indent):]
                body.append(text)
                i += 1
            while body and (not body[-1].strip() or body[-1].lstrip().startswith("#")):
                body.pop()
            found.setdefault("\n".join(body).rstrip() + "\n", f"{path.relative_to(folder)}:{i}")
    return found


def _literals(source: str) -> tuple[set[str], set[str], set[str]]:
    """(object names, questions, properties/options) a program names in string literals."""
    import re

    names = set(re.findall(r"\.(?:find|exists)\(\s*[\"']([^\"']+)[\"']", source))
    names |= {m.group(1) for m in re.finditer(r"verify_property\(\s*[\"']([^\"']+)[\"']", source)}
    questions = set(re.findall(r"simple_query\(\s*[\"']([^\"']+)[\"']", source))
    words = set(re.findall(r"verify_property\(\s*[\"'][^\"']+[\"']\s*,\s*[\"']([^\"']+)[\"']", source))
    for group in re.findall(r"(?:best_text_match|best_image_match)\([^\[]*\[([^\]]*)\]", source):
        words |= set(re.findall(r"[\"']([^\"']+)[\"']", group))
    return names, questions, words


def _random_scene(source: str, seed: int) -> Any:
    """A scene for ``source``: 0 to 3 objects of each name it looks for (2 or more in
    half the scenes), at random places, with random colours, attributes (from the
    properties and options it names), depths, detector scores, VQA answers to its
    literal questions, and now and then a detector false positive that VQA rejects
    ("Is this a {name}?" -> "no")."""
    import random

    from tests.viper.scene import Scene, Thing

    rng = random.Random(seed)
    names, questions, words = _literals(source)
    width, height = 640, 480
    things = []
    for name in sorted(names):
        for k in range(rng.choice((0, 1, 2, 2, 3, 3))):
            w, h = rng.randint(30, 160), rng.randint(30, 160)
            x, y = rng.randint(0, width - w), rng.randint(0, height - h)
            answers = {q: rng.choice(_VOCABULARY) for q in sorted(questions)}
            if rng.random() < 0.2:
                answers[f"Is this a {name}?"] = "no"
            things.append(Thing(
                f"{name}-{k}", name, (x, y, x + w, y + h), color=rng.choice(_COLORS),
                attributes=tuple(sorted(w2 for w2 in words if rng.random() < 0.4)), depth=rng.uniform(1.0, 20.0),
                score=round(rng.uniform(0.2, 0.99), 3), answers=answers,
            ))
    answers = {q: rng.choice(_VOCABULARY) for q in sorted(questions)}
    answers["What number is written in the image (in digits)?"] = str(rng.randint(0, 20))
    return Scene(f"viper-{seed}", (width, height), tuple(things), answers=answers, tags=tuple(sorted(words))[:2])


def _lenient_registry(scene: Any, base: Registry) -> Registry:
    """The scene's fakes, with a VQA that answers every question (a fixed word per
    question and object when the scene has none) so programs with computed questions run."""
    import hashlib

    from tests.viper.scene_tools import answer, scene_registry, subject

    @tool(name="vqa", family="vision")
    def vqa(image: Image | list[Image], question: str | list[str]) -> str | list[str]:
        """Answer a question (the scene's answer, else a fixed word per question and object).

        Args:
            image: an image or a list of images.
            question: one question for every image, or one per image.

        Returns:
            The answer, or a list of answers for a list of images.
        """
        images = image if isinstance(image, list) else [image]
        questions = [question] * len(images) if isinstance(question, str) else list(question)
        out = []
        for im, q in zip(images, questions):
            try:
                out.append(answer(scene, im, q))
            except ToolError:
                thing = subject(scene, im)
                key = f"{q.strip().lower()}|{thing.id if thing else '-'}".encode()
                out.append(_VOCABULARY[int(hashlib.sha256(key).hexdigest(), 16) % len(_VOCABULARY)])
        return out if isinstance(image, list) else out[0]

    return scene_registry(scene, base).merged(Registry([vqa]), override=True)


def _comparable(value: Any, height: int) -> Any:
    """A result as plain data: a patch (either implementation) as its edges, whole pixels."""
    if all(hasattr(value, a) for a in ("left", "lower", "right", "upper")) and not isinstance(value, (str, bytes)):
        return ("patch", round(float(value.left)), round(float(value.lower)), round(float(value.right)), round(float(value.upper)))
    if isinstance(value, (list, tuple)):
        return [_comparable(v, height) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


def vipergpt_programs(folder: Path) -> None:
    """ViperGPT's own image programs, as written in its prompts, on random scenes: each
    runs in the test oracle with ViperGPT's semantics (``image_patch.py``: ``exists``
    confirmed by VQA, numbers read by VQA, ``best_image_match`` averaged, the first of
    tied patches; no crop margin, which visprog leaves out) and through visprog, over the same fake models; a program
    agrees when both give the same answer (or both fail) in every scene."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from tests.viper.reference import Variant, make_env, namespace
    from tests.viper.scene_tools import render

    viper = Variant("vipergpt", margin=0, verify="vqa", exists="implementation", first_on_tie=True)
    found = viper_programs(folder)
    valid = {}
    for source, where in found.items():
        try:
            compile(source, where, "exec")
        except SyntaxError:
            continue
        valid[source] = where
    base = default_registry()
    agree = 0
    both_failed_only = 0
    differing: list[str] = []
    for index, (source, where) in enumerate(valid.items()):
        outcomes = []
        for seed in range(SCENES_PER_PROGRAM):
            scene = _random_scene(source, 1000 * index + seed)
            registry = _lenient_registry(scene, base)
            env = make_env(scene, viper)
            env.registry = registry
            env.chat = FakeListChatModel(responses=["answer"])
            names = namespace(env)
            try:
                exec(compile(source, where, "exec"), names)  # noqa: S102 - ViperGPT's published prompt examples, on fakes
                expected: Any = ("ok", _comparable(names["execute_command"](env.image), scene.size[1]))
            except Exception as exc:  # noqa: BLE001 - ViperGPT's answer is an error here
                expected = ("error", type(exc).__name__)
            run = run_program(source, render(scene), registry=registry, context=RunContext(chat_model=FakeListChatModel(responses=["answer"])))
            got = ("error", run.error.kind) if run.error is not None else ("ok", _comparable(run.result, scene.size[1]))
            outcomes.append((expected, got))
        same = all(e[0] == g[0] == "error" or e == g for e, g in outcomes)
        if same:
            agree += 1
            both_failed_only += all(e[0] == "error" for e, _ in outcomes)
        else:
            e, g = next((e, g) for e, g in outcomes if not (e[0] == g[0] == "error" or e == g))
            differing.append(f"{where}: ViperGPT {e!r}, visprog {g!r}")
    print(f"ViperGPT's own programs ({folder}): {len(found)} unique, {len(valid)} valid; {agree} of {len(valid)} give "
          f"ViperGPT's answer in all {SCENES_PER_PROGRAM} random scenes ({both_failed_only} of them only by failing in every scene)")
    for line in differing:
        print("  differs: " + line[:300])


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    print("ViperGPT-style programs through run_program, fake model tools (CPU time, best of "
          f"{REPEATS} where repeated)")
    oracle()
    prompts = os.environ.get(PROMPTS_ENV)
    if prompts:
        vipergpt_programs(Path(prompts))
    else:
        print(f"ViperGPT's own programs: skipped (set {PROMPTS_ENV} to the prompts folder of a cvlab-columbia/viper checkout)")
    corpus()
    method_overhead()
    key_lambda()


if __name__ == "__main__":
    main()
