"""Evaluation throughput: items per second on the local backend and on Ray with 1 and 2
workers, and framework time as a share of model time, through the public API
(``visprog.evaluation.load_dataset`` + ``evaluate``) on a generated JSONL dataset the
offline tools answer:

* face counting on tiles of scikit-image's astronaut face and coffee cup (detect_faces),
* faces in the left half (``programs/count_left.vp``: image halves, crop, faces),
* reading a rendered word (read_text, PP-OCR).

Run: .venv/bin/python benchmarks/evaluation.py [--items 210] [--no-ray]
(``VISPROG_BENCH_QUICK=1``: 7 items, one round of the dataset's kinds: four face counts,
one left-half count, two words; on both backends, to check that it runs.)
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    quick = os.environ.get("VISPROG_BENCH_QUICK") == "1"
    parser.add_argument("--items", type=int, default=7 if quick else 210, help="dataset size (at least 200 for the reported figures)")
    parser.add_argument(
        "--workers", type=lambda t: [int(v) for v in t.split(",")], default=[2] if quick else [1, 2],
        help="Ray pool sizes to time, comma-separated (default 1,2; quick: 2)",
    )
    parser.add_argument("--no-ray", action="store_true", help="local backend only")
    args = parser.parse_args()

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
            with start_head(workers) as node, connect(node):
                started = time.perf_counter() - start
                start = time.perf_counter()
                on_ray = evaluate(
                    dataset, folder / f"ray{workers}.jsonl", result_cache=False, traces="none", progress=False, backend="ray", workers=workers,
                )
                wall = time.perf_counter() - start
            ray_fig = figures(f"ray ({workers} workers, model loading in each actor included)", on_ray, wall)
            print(f"  ray start-up (a local node, connected): {started:.1f} s, not included above")
            same = {r["id"]: (r["answer"], r["correct"]) for r in local.records} == {r["id"]: (r["answer"], r["correct"]) for r in on_ray.records}
            print(f"ray {workers} / local throughput: {ray_fig['items_per_s'] / local_fig['items_per_s']:.2f}x on {os.cpu_count()} CPU cores; same answers: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
