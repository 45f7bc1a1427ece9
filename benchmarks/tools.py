"""Vision tools on tiny random-weight models (built here, loaded through the real loaders).

Prints: batched vs one-by-one time for vqa and classify over 32 crops; cold-start time
of each tool's first call; result-cache hit vs miss time; time to embed and cache CuPL's
ImageNet prompts (1,000 classes x 30 sentences, from ../shared/data/cupl when present)
and the same again from the cache.
Targets: batched >= 3x faster than one-by-one; a cache hit >= 100x faster than a miss.

    python benchmarks/tools.py

Figures on tiny models measure the framework's overhead and batching, not model speed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import PIL.ImageDraw  # noqa: E402
import PIL.ImageFont  # noqa: E402

from visprog import Box, Detections, load_image, run_program  # noqa: E402
from visprog.models.config import Config
from visprog.toolkit.context import RunContext
from visprog.models.manager import ModelManager, set_model_manager
from visprog.models.cache import ResultCache

CROPS = 32


def timed(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    from tests.tiny_models import build_all

    work = Path(tempfile.mkdtemp(prefix="visprog-bench-"))
    ids = build_all(work / "models")
    ids.pop("detector_owlvit")

    def fresh_manager() -> ModelManager:
        manager = ModelManager(Config(device="cpu", cache_dir=work / "cache", result_cache=False, models=ids))
        set_model_manager(manager)
        return manager

    from visprog_tools.vision import blip, clip, detection, faces, ocr, segmentation

    rng = np.random.default_rng(0)
    scene = load_image((rng.random((240, 320, 3)) * 255).astype(np.uint8))
    boxes = Detections([Box(x, y, x + 40, y + 40) for x in range(0, 280, 35) for y in range(0, 200, 50)][:CROPS])
    crops = [scene.crop(b) for b in boxes]

    # -- cold start: first call of each tool with a fresh manager ---------------------
    print("cold start (first call: load + run), tiny models:")
    photo = load_image(PIL.Image.new("RGB", (320, 240), "white"))
    first_calls = {
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
    print(f"  vqa       one-by-one {one_by_one * 1000:8.1f} ms   batched {batched * 1000:7.1f} ms   speed-up {one_by_one / batched:5.1f}x   equal: {same}")
    categories = ["cat", "dog", "car", "tree", "person"]
    clip.classify.func(image=scene, categories=categories, objects=boxes[:2])
    one_by_one = timed(lambda: [clip.classify.func(image=scene, categories=categories, objects=boxes[i : i + 1]) for i in range(CROPS)])
    batched = timed(lambda: clip.classify.func(image=scene, categories=categories, objects=boxes))
    print(f"  classify  one-by-one {one_by_one * 1000:8.1f} ms   batched {batched * 1000:7.1f} ms   speed-up {one_by_one / batched:5.1f}x")

    # -- result cache ----------------------------------------------------------------------
    fresh_manager()
    program = "B=LOC(image=IMAGE, object='dog')\nA=VQA(image=CROP(image=IMAGE, box=B), question='what is it?')\nFINAL=RESULT(var=A)"
    run_program(program, scene, context=RunContext())  # load models
    folder = work / "results"
    miss_run = run_program(program, scene, context=RunContext(cache=ResultCache(folder)))
    hit_run = run_program(program, scene, context=RunContext(cache=ResultCache(folder)))  # new process-like cache: disk
    mem_cache = ResultCache(folder)
    run_program(program, scene, context=RunContext(cache=mem_cache))
    mem_run = run_program(program, scene, context=RunContext(cache=mem_cache))

    def tool_time(result, tools=("detect", "vqa")) -> float:
        return sum(c.duration_s for s in result.trace.steps for c in s.calls if c.tool in tools)

    miss, disk_hit, memory_hit = tool_time(miss_run), tool_time(hit_run), tool_time(mem_run)
    print("\nresult cache (detect + vqa calls of one program, tiny models):")
    print(f"  miss {miss * 1000:8.2f} ms   disk hit {disk_hit * 1000:6.3f} ms ({miss / disk_hit:6.0f}x)   memory hit {memory_hit * 1000:6.3f} ms ({miss / memory_hit:6.0f}x)")
    # The same with a real model (PP-OCR ships its weights): a miss costs what real models cost.
    sign = PIL.Image.new("RGB", (640, 160), "white")
    PIL.ImageDraw.Draw(sign).text((30, 45), "OPEN 24 HOURS", fill="black", font=PIL.ImageFont.load_default(size=56))
    ocr_program = "T=read_text(image=IMAGE)\nFINAL=RESULT(var=T)"
    run_program(ocr_program, sign, context=RunContext())
    ocr_folder = work / "ocr-results"
    ocr_miss = tool_time(run_program(ocr_program, sign, context=RunContext(cache=ResultCache(ocr_folder))), ("read_text",))
    ocr_disk = tool_time(run_program(ocr_program, sign, context=RunContext(cache=ResultCache(ocr_folder))), ("read_text",))
    print("result cache (read_text, real PP-OCR weights):")
    print(f"  miss {ocr_miss * 1000:8.2f} ms   disk hit {ocr_disk * 1000:6.3f} ms ({ocr_miss / ocr_disk:6.0f}x)")

    # -- CuPL ImageNet prompts ----------------------------------------------------------------
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "cupl" / "imagenet_prompts_base.json"
    if shared.is_file():
        prompts = json.loads(shared.read_text())
        source = f"CuPL ImageNet file ({len(prompts)} classes)"
    else:
        prompts = {f"class {i}": [f"A photo of thing {i}, variant {j}." for j in range(30)] for i in range(1000)}
        source = "synthetic stand-in (../shared/data/cupl not found)"
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
