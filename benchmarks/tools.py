"""Vision tools on tiny random-weight models (built here, loaded through the real loaders).

Prints: cold-start time of each tool's first call; batched vs one-by-one time for vqa
(one question, and questions of four token lengths, batched per length) and classify
over 32 crops; result-cache hit vs miss time, from the trace of
``run_program`` runs (tiny models, and real PP-OCR weights); time to embed and cache
CuPL's ImageNet prompts (1,000 classes x 30 sentences, from ../shared/data/cupl when
present) and the same again from the cache.
Targets: batched >= 3x faster than one-by-one; a cache hit >= 100x faster than a miss.

    python benchmarks/tools.py

Figures on tiny models measure the framework's overhead and batching, not model speed.
CLIP classes use templates (no chat model), so classify times hold no LLM call.
``VISPROG_BENCH_QUICK=1`` (the README test) uses small sizes to prove the script runs.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont

from visprog import Box, Detections, Image, RunContext, RunResult, load_image, run_program
from visprog.models import Config, ModelManager, set_model_manager
from visprog.toolkit.result_cache import ResultCache

QUICK = os.environ.get("VISPROG_BENCH_QUICK") == "1"
CROPS = 8 if QUICK else 32
REPEATS = 1 if QUICK else 3
CUPL_CLASSES = 20 if QUICK else 1000
BATCH_TARGET = 3.0
CACHE_TARGET = 100.0


def timed(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def verdict(ratio: float, target: float) -> str:
    return f"target >= {target:.0f}x {'met' if ratio >= target else 'NOT met'}"


def tool_time(result: RunResult, tools: Iterable[str]) -> float:
    """Seconds spent in calls of ``tools``, from the run's trace."""
    wanted = set(tools)
    return sum(c.duration_s for s in result.trace.steps for c in s.calls if c.tool in wanted)


def cached_calls(result: RunResult, tools: Iterable[str]) -> list[bool]:
    wanted = set(tools)
    return [bool(c.cached) for s in result.trace.steps for c in s.calls if c.tool in wanted]


def cache_figures(label: str, program: str, image: Image, tools: tuple[str, ...], folder: Path) -> None:
    """Miss (a new folder), disk hit (a new cache on that folder, as in a new process)
    and memory hit (the same cache object again), timed from the traces; each the best
    of ``REPEATS`` runs. Stops with a message if a hit is not counted as one or returns
    a different result."""
    run_program(program, image, context=RunContext())  # models loaded: a miss measures the tools, not loading
    misses, disk_hits, memory_hits = [], [], []
    for attempt in range(REPEATS):
        cold = ResultCache(folder / str(attempt))
        miss_run = run_program(program, image, context=RunContext(cache=cold))
        disk = ResultCache(folder / str(attempt))
        disk_run = run_program(program, image, context=RunContext(cache=disk))
        memory_run = run_program(program, image, context=RunContext(cache=disk))
        for run in (miss_run, disk_run, memory_run):
            if run.error is not None:
                raise SystemExit(f"{label}: the program failed: {run.error.kind}: {run.error.message}")
        if cached_calls(miss_run, tools) != [False] * len(tools) or cached_calls(memory_run, tools) != [True] * len(tools):
            raise SystemExit(f"{label}: expected a miss then hits, got {cached_calls(miss_run, tools)} then {cached_calls(memory_run, tools)}")
        if cached_calls(disk_run, tools) != [True] * len(tools) or disk.misses or disk.hits != 2 * cold.misses:
            raise SystemExit(f"{label}: hits not counted as hits ({disk.hits} hits, {disk.misses} misses after {cold.misses} misses)")
        if disk_run.result != miss_run.result or memory_run.result != miss_run.result:
            raise SystemExit(f"{label}: a cache hit returned a different result")
        misses.append(tool_time(miss_run, tools))
        disk_hits.append(tool_time(disk_run, tools))
        memory_hits.append(tool_time(memory_run, tools))
    miss, disk_hit, memory_hit = min(misses), min(disk_hits), min(memory_hits)
    print(f"result cache ({label}; best of {REPEATS}; {cold.misses} misses, then {disk.hits} hits counted):")
    print(f"  miss {miss * 1000:8.2f} ms   disk hit {disk_hit * 1000:6.3f} ms ({miss / disk_hit:6.0f}x)   "
          f"memory hit {memory_hit * 1000:6.3f} ms ({miss / memory_hit:6.0f}x)   {verdict(miss / disk_hit, CACHE_TARGET)} (disk)")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from visprog_tools.vision import blip, clip, detection, faces, ocr, segmentation

    from tests.tiny_models import build_all

    work = Path(tempfile.mkdtemp(prefix="visprog-bench-"))
    ids = build_all(work / "models")
    ids.pop("detector_owlvit")

    def fresh_manager() -> ModelManager:
        manager = ModelManager(Config(device="cpu", cache_dir=work / "cache", result_cache=False, models=ids, llm="none"))
        set_model_manager(manager)
        return manager

    rng = np.random.default_rng(0)
    scene = load_image((rng.random((240, 320, 3)) * 255).astype(np.uint8))
    boxes = Detections([Box(x, y, x + 40, y + 40) for x in range(0, 280, 35) for y in range(0, 200, 50)][:CROPS])
    crops = [scene.crop(b) for b in boxes]

    # -- cold start: first call of each tool with a fresh manager ---------------------
    print("cold start (first call: load + run), tiny models:")
    photo = load_image(PIL.Image.new("RGB", (320, 240), "white"))
    first_calls: dict[str, Callable[[], Any]] = {
        "detect": lambda: detection.detect.func(image=scene, query="dog", threshold=0.1, nms_iou=0.5),
        "segment": lambda: segmentation.segment.func(image=scene, objects=boxes[:2], points=None),
        "classify": lambda: clip.classify.func(image=scene, categories=["a", "b"], objects=boxes[:2]),
        "caption": lambda: blip.caption.func(image=crops[0]),
        "vqa": lambda: blip.vqa.func(image=crops[0], question="what is this?"),
        "detect_faces (real)": lambda: faces.detect_faces.func(image=photo, min_size=24),
        "read_text (real)": lambda: ocr.read_text.func(image=photo, min_score=0.5),
    }
    for name, call in first_calls.items():
        fresh_manager()
        start = time.perf_counter()
        call()
        cold = time.perf_counter() - start
        warm = timed(call)
        print(f"  {name:22s} first call {cold * 1000:8.1f} ms   warm {warm * 1000:7.1f} ms")

    # -- batching ------------------------------------------------------------------------
    fresh_manager()
    print(f"\nbatching over {CROPS} crops:")
    question = "what color is the car?"
    blip.vqa.func(image=crops[:2], question=question)
    one_by_one = timed(lambda: [blip.vqa.func(image=c, question=question) for c in crops])
    batched = timed(lambda: blip.vqa.func(image=crops, question=question))
    same = blip.vqa.func(image=crops, question=question) == [blip.vqa.func(image=c, question=question) for c in crops]
    print(f"  vqa       one-by-one {one_by_one * 1000:8.1f} ms   batched {batched * 1000:7.1f} ms   "
          f"speed-up {one_by_one / batched:5.1f}x   {verdict(one_by_one / batched, BATCH_TARGET)}   equal: {same}")
    # Questions of four token lengths: batched by length (never padded), as many
    # batches as lengths; each answer must equal the one asked alone.
    mixed = [("what?", "what color?", "what color is the car?", "is there a red dog or a blue cat in the photo?")[i % 4] for i in range(CROPS)]
    one_by_one = timed(lambda: [blip.vqa.func(image=c, question=q) for c, q in zip(crops, mixed)])
    batched = timed(lambda: blip.vqa.func(image=crops, question=mixed))
    same = blip.vqa.func(image=crops, question=mixed) == [blip.vqa.func(image=c, question=q) for c, q in zip(crops, mixed)]
    print(f"  vqa, 4 question lengths: one-by-one {one_by_one * 1000:8.1f} ms   batched {batched * 1000:7.1f} ms   "
          f"speed-up {one_by_one / batched:5.1f}x   equal: {same}")
    categories = ["cat", "dog", "car", "tree", "person"]
    clip.classify.func(image=scene, categories=categories, objects=boxes[:2])
    one_by_one = timed(lambda: [clip.classify.func(image=scene, categories=categories, objects=boxes[i : i + 1]) for i in range(CROPS)])
    batched = timed(lambda: clip.classify.func(image=scene, categories=categories, objects=boxes))
    print(f"  classify  one-by-one {one_by_one * 1000:8.1f} ms   batched {batched * 1000:7.1f} ms   "
          f"speed-up {one_by_one / batched:5.1f}x   {verdict(one_by_one / batched, BATCH_TARGET)}")

    # -- result cache ----------------------------------------------------------------------
    print()
    fresh_manager()
    program = "B=LOC(image=IMAGE, object='dog')\nA=VQA(image=CROP(image=IMAGE, box=B), question='what is it?')\nFINAL=RESULT(var=A)"
    cache_figures("detect + vqa of one program, tiny models", program, scene, ("detect", "vqa"), work / "results")
    # The same with a real model (PP-OCR ships its weights): a miss costs what real models cost.
    sign = PIL.Image.new("RGB", (640, 160), "white")
    PIL.ImageDraw.Draw(sign).text((30, 45), "OPEN 24 HOURS", fill="black", font=PIL.ImageFont.load_default(size=56))
    cache_figures("read_text, real PP-OCR weights", "T=read_text(image=IMAGE)\nFINAL=RESULT(var=T)", load_image(sign),
                  ("read_text",), work / "ocr-results")

    # -- CuPL ImageNet prompts ----------------------------------------------------------------
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "cupl" / "imagenet_prompts_base.json"
    prompts: dict[str, list[str]]
    if shared.is_file() and not QUICK:
        prompts = json.loads(shared.read_text())
        source = f"CuPL ImageNet file ({len(prompts)} classes)"
    else:
        prompts = {f"class {i}": [f"A photo of thing {i}, variant {j}." for j in range(30)] for i in range(CUPL_CLASSES)}
        source = "synthetic stand-in" + (" (quick run)" if QUICK else " (../shared/data/cupl not found)")
    sentences = [s for v in prompts.values() for s in v]
    fresh_manager()
    clip.embed_sentences(["warm up"])
    start = time.perf_counter()
    clip.embed_sentences(sentences)
    cold = time.perf_counter() - start
    clip.text_cache().clear_memory()
    start = time.perf_counter()
    clip.embed_sentences(sentences)
    cached = time.perf_counter() - start
    print(f"\nCuPL prompts, {source}: {len(sentences)} sentences")
    print(f"  embed + cache {cold:6.2f} s   again from the SQLite cache {cached:6.2f} s ({cold / cached:4.1f}x)")


if __name__ == "__main__":
    main()
