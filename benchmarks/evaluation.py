"""Evaluation throughput: items per second on the local backend and on Ray with 1 and 2
workers, and framework time as a share of model time, through the public API
(``visprog.evaluation.load_dataset`` + ``evaluate``) on a generated JSONL dataset the
offline tools answer:

* face counting on tiles of scikit-image's astronaut face and coffee cup (detect_faces),
* faces in the left half (``programs/count_left.vp``: image halves, crop, faces),
* reading a rendered word (read_text, PP-OCR).

and lockstep execution (``evaluate(..., block=N)``, ``--block N``) against item by item
on a VQA-per-item program over a tiny random-weight BLIP (built here with
``tests/tiny_models.py``, loaded through the real loader): items/s, model and framework
time per item, the ratio, and whether the answers are the same (issue 22's target: at
least 5x with blocks of 32).

Run: .venv/bin/python benchmarks/evaluation.py [--items 210] [--no-ray]
[--lockstep-items 96] [--block 32] [--lockstep-only | --no-lockstep]
(``VISPROG_BENCH_QUICK=1``: 7 items, one round of the dataset's kinds: four face counts,
one left-half count, two words; on both backends, to check that it runs; the tiny-model
lockstep part only with ``--lockstep-only``, as it imports torch and builds a model.)
``--ray-address HOST:PORT`` (or ``VISPROG_BENCH_RAY``; a token-protected cluster's
``RAY_AUTH_*`` in the environment) joins a running Ray cluster instead of starting a
local node for each pool size: the README test runs the benchmark on the test session's
cluster rather than paying a second Ray start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont

ROOT = Path(__file__).resolve().parent.parent
FACES = "faces = detect_faces(IMAGE)\nresult(len(faces))"
READ = "lines = read_text(IMAGE)\nresult(' '.join(lines.labels).lower())"
WORDS = ["open", "exit", "hello", "pizza", "garden", "coffee", "station", "market", "river", "school"]


def _photos() -> tuple[PIL.Image.Image, PIL.Image.Image]:
    from skimage import data

    face = PIL.Image.fromarray(data.astronaut()).crop((140, 40, 300, 220))
    cup = PIL.Image.fromarray(data.coffee()).resize((160, 180))
    return face, cup


def _tiles(tiles: list[PIL.Image.Image]) -> PIL.Image.Image:
    image = PIL.Image.new("RGB", (160 * len(tiles), 180))
    for i, tile in enumerate(tiles):
        image.paste(tile, (160 * i, 0))
    return image


def _word(text: str) -> PIL.Image.Image:
    image = PIL.Image.new("RGB", (420, 140), "white")
    PIL.ImageDraw.Draw(image).text((30, 40), text.upper(), fill="black", font=PIL.ImageFont.load_default(size=56))
    return image


def build(folder: Path, n_items: int) -> Path:
    """A JSONL dataset of ``n_items`` items: 4/7 face counts, 1/7 left-half faces, 2/7 words."""
    face, cup = _photos()
    left_program = (ROOT / "programs" / "count_left.vp").read_text()
    rows = []
    (folder / "img").mkdir(parents=True, exist_ok=True)
    for i in range(n_items):
        kind = ("count", "count", "count", "count", "left", "read", "read")[i % 7]
        name = f"img/{i:04d}.png"
        if kind == "count":
            k = i % 4
            tiles = [face] * k + [cup] * (3 - k)
            tiles = tiles[i % 3:] + tiles[: i % 3]
            _tiles(tiles).save(folder / name)
            row = {"question": "How many faces are there?", "answer": str(k), "program": FACES}
        elif kind == "left":
            left_face = i % 2 == 0
            _tiles([face, cup] if left_face else [cup, face]).save(folder / name)
            row = {"question": "How many faces are on the left?", "answer": "1" if left_face else "0", "program": left_program}
        else:
            word = WORDS[i % len(WORDS)]
            _word(word).save(folder / name)
            row = {"question": "What does the sign say?", "answer": word, "program": READ}
        rows.append({"id": f"q{i:04d}", "image": name, "type": kind} | row)
    path = folder / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def figures(label: str, summary, wall: float) -> dict[str, float]:
    t = summary.times
    n = int(summary.overall["n"])
    print(f"{label}: {n} items in {wall:.1f} s = {n / wall:.2f} items/s; accuracy {summary.overall['accuracy']:.1%}")
    by = ", ".join(f"{k} {v['accuracy']:.0%} (n={int(v['n'])})" for k, v in summary.by_type.get("type", {}).items())
    print(f"  by type: {by}; outcomes: " + ", ".join(f"{k} {v}" for k, v in summary.failures.items() if v))
    print(
        f"  per item: total {t['total_s'] * 1000:.1f} ms = model {t['model_s'] * 1000:.1f} ms + other tools "
        f"{t['other_tools_s'] * 1000:.2f} ms + framework {t['framework_s'] * 1000:.2f} ms"
    )
    stages = ", ".join(f"{s.removesuffix('_s')} {t[s] * 1000:.2f} ms" for s in ("load_s", "check_s", "run_s", "score_s", "trace_s"))
    print(f"  stages: {stages}")
    if summary.overhead is not None:
        print(f"  framework time / model time: {summary.overhead:.2%}")
    return {"items_per_s": n / wall}


LOCKSTEP_PROGRAM = "answer = vqa(IMAGE, 'what color is the sky?')\nresult(answer)"


def build_vqa(folder: Path, n_items: int) -> Path:
    """A JSONL dataset of ``n_items`` random-noise pictures (64x48), each asked the same
    question (the fixed program's); no gold answer."""
    import numpy as np

    rng = np.random.default_rng(0)
    (folder / "img").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_items):
        name = f"img/{i:04d}.png"
        PIL.Image.fromarray((rng.random((48, 64, 3)) * 255).astype(np.uint8)).save(folder / name)
        rows.append({"id": f"v{i:04d}", "image": name, "question": "What color is the sky?", "answer": None})
    path = folder / "items.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def lockstep(folder: Path, n_items: int, block: int, threads: int | None = None) -> dict[str, float]:
    """Item by item against lockstep blocks of ``block`` on a tiny BLIP VQA model, local
    backend, through ``evaluate``; prints the figures, returns the ratio and sameness."""
    sys.path.insert(0, str(ROOT))
    import torch

    from tests.tiny_models import build_blip
    from visprog.evaluation import evaluate, load_dataset
    from visprog.models import Config, ModelManager, set_model_manager

    if threads:
        torch.set_num_threads(threads)
    model = build_blip(folder / "models", "vqa")
    set_model_manager(ModelManager(Config(device="cpu", cache_dir=folder / "cache", result_cache=False, models={"vqa": str(model)}, llm="none")))
    dataset = load_dataset("jsonl", build_vqa(folder / "vqa", n_items), metric="none")
    options: dict[str, object] = {"program": LOCKSTEP_PROGRAM, "result_cache": False, "traces": "none", "progress": False, "report": None}
    evaluate(dataset.subset(limit=2), folder / "warm.jsonl", block=1, **options)  # load the model outside the timing
    print(
        f"lockstep: {n_items} items, one VQA step each, tiny random-weight BLIP on the CPU ({torch.get_num_threads()} torch threads, "
        f"{os.cpu_count()} cores); result cache off, traces off"
    )
    figures_by: dict[int, dict[str, float]] = {}
    answers: dict[int, list[object]] = {}
    for size in (1, block):
        start = time.perf_counter()
        summary = evaluate(dataset, folder / f"block{size}.jsonl", block=size, **options)
        wall = time.perf_counter() - start
        t = summary.times
        label = "item by item (block 1)" if size == 1 else f"lockstep (block {size})"
        print(
            f"  {label}: {n_items / wall:.2f} items/s; per item: model {t['model_s'] * 1000:.2f} ms, "
            f"framework {t['framework_s'] * 1000:.2f} ms, total {t['total_s'] * 1000:.2f} ms"
        )
        figures_by[size] = {"items_per_s": n_items / wall}
        answers[size] = [r["answer"] for r in summary.records]
        errors = [r["error"] for r in summary.records if r["error_kind"] not in (None, "wrong_answer")]
        if errors:
            print(f"  {len(errors)} items failed, first: {errors[0]}")
    ratio = figures_by[block]["items_per_s"] / figures_by[1]["items_per_s"]
    same = answers[1] == answers[block]
    print(f"lockstep block {block} / item by item: {ratio:.1f}x items/s (target 5x); same answers: {same}")
    return {"ratio": ratio, "same": float(same)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    quick = os.environ.get("VISPROG_BENCH_QUICK") == "1"
    parser.add_argument("--items", type=int, default=7 if quick else 210, help="dataset size (at least 200 for the reported figures)")
    parser.add_argument(
        "--workers", type=lambda t: [int(v) for v in t.split(",")], default=[2] if quick else [1, 2],
        help="Ray pool sizes to time, comma-separated (default 1,2; quick: 2)",
    )
    parser.add_argument("--no-ray", action="store_true", help="local backend only")
    parser.add_argument("--ray-address", default=os.environ.get("VISPROG_BENCH_RAY") or None, metavar="HOST:PORT",
                        help="join this running Ray cluster instead of starting a local node (default: $VISPROG_BENCH_RAY)")
    parser.add_argument("--lockstep-items", type=int, default=8 if quick else 96, help="items of the tiny-model lockstep comparison (default 96)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads for the lockstep comparison (default 1, as a Ray actor on one CPU; 0: torch's default)")
    parser.add_argument("--block", type=int, default=4 if quick else 32, help="lockstep block size compared with item by item (default 32)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--lockstep-only", action="store_true", help="only the tiny-model lockstep comparison")
    which.add_argument("--no-lockstep", action="store_true", help="leave out the tiny-model lockstep comparison")
    args = parser.parse_args()
    if args.lockstep_only:
        with tempfile.TemporaryDirectory() as tmp:
            lockstep(Path(tmp), args.lockstep_items, args.block, args.threads)
        return 0
    if not (args.no_lockstep or quick):
        with tempfile.TemporaryDirectory() as tmp:
            lockstep(Path(tmp), args.lockstep_items, args.block, args.threads)

    from visprog.evaluation import evaluate, load_dataset

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["VISPROG_CACHE_DIR"] = str(folder / "cache")  # no result cache from earlier runs
        dataset = load_dataset("jsonl", build(folder / "data", args.items))
        print(f"dataset: {len(dataset)} items (face counts, left-half faces, OCR words); result cache off, traces off")

        warm = dataset.subset(limit=7)  # load the face and OCR models once, outside the timing
        evaluate(warm, folder / "warm.jsonl", result_cache=False, traces="none", progress=False, report=None)
        start = time.perf_counter()
        local = evaluate(dataset, folder / "local.jsonl", result_cache=False, traces="none", progress=False)
        local_fig = figures("local (1 process, models loaded)", local, time.perf_counter() - start)

        if args.no_ray:
            return 0
        try:
            import ray  # noqa: F401 - only: is it installed?
        except ImportError:
            print("ray: not installed (pip install 'ray[data]'); skipped")
            return 0
        from visprog.evaluation.ray_cluster import connect, start_head

        for workers in args.workers:
            start = time.perf_counter()
            with contextlib.ExitStack() as stack:
                if args.ray_address is None:
                    stack.enter_context(connect(stack.enter_context(start_head(workers))))
                started = time.perf_counter() - start
                start = time.perf_counter()
                on_ray = evaluate(
                    dataset, folder / f"ray{workers}.jsonl", result_cache=False, traces="none", progress=False, backend="ray", workers=workers,
                    ray_address=args.ray_address,
                )
                wall = time.perf_counter() - start
            ray_fig = figures(f"ray ({workers} workers, model loading in each actor included)", on_ray, wall)
            if args.ray_address is None:
                print(f"  ray start-up (a local node, connected): {started:.1f} s, not included above")
            else:
                print(f"  ray: joined the running cluster at {args.ray_address} (connecting included above)")
            same = {r["id"]: (r["answer"], r["correct"]) for r in local.records} == {r["id"]: (r["answer"], r["correct"]) for r in on_ray.records}
            print(f"ray {workers} / local throughput: {ray_fig['items_per_s'] / local_fig['items_per_s']:.2f}x on {os.cpu_count()} CPU cores; same answers: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
