"""Face detectors compared on faces with known boxes: OpenCV's Haar cascade vs YuNet.

Every image is a real photo that ships in scikit-image, or a composition of them whose
face boxes are known by construction:

* ``astronaut()`` (one frontal face) and ``camera()`` (one face, three-quarter view),
  each at scales 0.5x-2x and rotated by +-15 degrees;
* 2x2 and 3x3 tiles of them, and tiles mixing them with face-free photos;
* the head of the astronaut pasted onto the face-free photos (coffee, chelsea, rocket)
  at several places and sizes;
* the 100 face crops of ``lfw_subset()`` (Labeled Faces in the Wild, 25x25 gray),
  enlarged into 5x5 grids at 96 px and 48 px per face and pasted onto rocket();
* face-free photos (coffee, chelsea the cat, rocket, and other scikit-image photos) at
  0.5x-2x, where every detection is a false positive.

A detection matches a ground-truth face when their IoU is at least 0.3 (the detectors
draw boxes differently: Haar's square misses forehead and chin), one to one, greedily by
IoU. Prints, per backend and per group: faces, true positives, false positives,
precision, recall, and milliseconds per image; then the overall figures.

Each backend runs in its own process with ``VISPROG_MODEL_FACES`` set (``haar`` or
``yunet``), through the public API end to end (``run_program`` with
``FACEDET(image=IMAGE)``, result cache off)::

    python benchmarks/faces.py            # both backends
    python benchmarks/faces.py --rows     # and one row per image

``VISPROG_BENCH_QUICK=1`` (the README test) runs only the first image of each group (7
images instead of about 70) through both backends, to prove the script works end to
end; the figures come from the full run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image

BoxT = tuple[float, float, float, float]

# Hand-checked face boxes (x1, y1, x2, y2; pixels, x2/y2 exclusive) in the 512x512 photos:
# hairline to chin, ear to ear (camera: ear to nose).
ASTRONAUT_FACE: BoxT = (172.0, 58.0, 272.0, 180.0)
CAMERA_FACE: BoxT = (186.0, 108.0, 258.0, 194.0)
IOU_MATCH = 0.3
BACKENDS = ("haar", "yunet")
#: VISPROG_BENCH_QUICK=1 (the README test): one image per group, to prove the script works.
QUICK = os.environ.get("VISPROG_BENCH_QUICK") == "1"


@dataclass
class Case:
    """One benchmark image: an RGB PIL image and its face boxes in its pixel coordinates."""

    name: str
    group: str
    image: PIL.Image.Image
    faces: list[BoxT] = field(default_factory=list)


def _rgb(array: np.ndarray) -> PIL.Image.Image:
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    return PIL.Image.fromarray(array).convert("RGB")


def _skimage(name: str) -> np.ndarray:
    """A picture that ships in scikit-image (``skimage.data.<name>()``)."""
    from skimage import data

    return np.asarray(getattr(data, name)())


def _photo(name: str) -> PIL.Image.Image:
    return _rgb(_skimage(name))


def _scaled(image: PIL.Image.Image, faces: Sequence[BoxT], s: float) -> tuple[PIL.Image.Image, list[BoxT]]:
    size = (max(1, round(image.width * s)), max(1, round(image.height * s)))
    sx, sy = size[0] / image.width, size[1] / image.height
    out = image.resize(size, PIL.Image.Resampling.LANCZOS)
    return out, [(b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy) for b in faces]


def _rotated(image: PIL.Image.Image, faces: Sequence[BoxT], degrees: float) -> tuple[PIL.Image.Image, list[BoxT]]:
    """Rotate about the centre (same size, black corners); a face box keeps its size and
    moves with its centre."""
    out = image.rotate(degrees, resample=PIL.Image.Resampling.BICUBIC)
    cx0, cy0 = image.width / 2, image.height / 2
    a = math.radians(degrees)
    moved = []
    for b in faces:
        bx, by = (b[0] + b[2]) / 2 - cx0, (b[1] + b[3]) / 2 - cy0
        # PIL rotates counter-clockwise on screen (y down): x' = x cos + y sin, y' = -x sin + y cos.
        nx, ny = bx * math.cos(a) + by * math.sin(a), -bx * math.sin(a) + by * math.cos(a)
        w, h = b[2] - b[0], b[3] - b[1]
        moved.append((cx0 + nx - w / 2, cy0 + ny - h / 2, cx0 + nx + w / 2, cy0 + ny + h / 2))
    return out, moved


def _grid(cells: Sequence[tuple[PIL.Image.Image, Sequence[BoxT]]], cols: int, cell: tuple[int, int], gap: int = 0,
          background: tuple[int, int, int] = (128, 128, 128)) -> tuple[PIL.Image.Image, list[BoxT]]:
    """Cells resized to ``cell`` (w, h) and laid out row by row, ``gap`` pixels apart."""
    rows = math.ceil(len(cells) / cols)
    w, h = cell
    canvas = PIL.Image.new("RGB", (cols * w + (cols + 1) * gap, rows * h + (rows + 1) * gap), background)
    faces: list[BoxT] = []
    for i, (image, boxes) in enumerate(cells):
        r, c = divmod(i, cols)
        x0, y0 = gap + c * (w + gap), gap + r * (h + gap)
        sx, sy = w / image.width, h / image.height
        canvas.paste(image.resize((w, h), PIL.Image.Resampling.LANCZOS), (x0, y0))
        faces.extend((x0 + b[0] * sx, y0 + b[1] * sy, x0 + b[2] * sx, y0 + b[3] * sy) for b in boxes)
    return canvas, faces


def _paste(background: PIL.Image.Image, patch: PIL.Image.Image, patch_faces: Sequence[BoxT],
           at: tuple[int, int]) -> tuple[PIL.Image.Image, list[BoxT]]:
    out = background.copy()
    out.paste(patch, at)
    x0, y0 = at
    return out, [(x0 + b[0], y0 + b[1], x0 + b[2], y0 + b[3]) for b in patch_faces]


def _head(scale: float) -> tuple[PIL.Image.Image, list[BoxT]]:
    """The astronaut's head and shoulders (hair, face, collar), scaled."""
    region = (130, 0, 320, 250)
    crop = _photo("astronaut").crop(region)
    face = (ASTRONAUT_FACE[0] - region[0], ASTRONAUT_FACE[1] - region[1],
            ASTRONAUT_FACE[2] - region[0], ASTRONAUT_FACE[3] - region[1])
    return _scaled(crop, [face], scale)


def _lfw_faces() -> list[PIL.Image.Image]:
    """The 100 face crops of scikit-image's LFW subset (25x25, gray), as RGB."""
    faces = _skimage("lfw_subset")[:100]
    return [_rgb((f * 255).round().astype(np.uint8)) for f in faces]


def build_cases() -> list[Case]:
    """All benchmark images with their face boxes (about 70 images, 300 faces)."""
    astronaut, camera = _photo("astronaut"), _photo("camera")
    astro = (astronaut, [ASTRONAUT_FACE])
    cam = (camera, [CAMERA_FACE])
    free = {name: _photo(name) for name in ("coffee", "chelsea", "rocket")}
    cases: list[Case] = []
    for s in (0.5, 0.75, 1.0, 1.5, 2.0, 3.0):
        cases.append(Case(f"astronaut x{s}", "single, scaled", *_scaled(*astro, s)))
        cases.append(Case(f"camera x{s}", "single, scaled", *_scaled(*cam, s)))
    for deg in (-15.0, 15.0):
        cases.append(Case(f"astronaut rotated {deg:+.0f}", "single, rotated", *_rotated(*astro, deg)))
        cases.append(Case(f"camera rotated {deg:+.0f}", "single, rotated", *_rotated(*cam, deg)))
    for n, side in ((2, 256), (2, 512), (3, 200), (3, 512)):
        cases.append(Case(f"astronaut {n}x{n} tiles of {side}px", "tiles", *_grid([astro] * (n * n), n, (side, side))))
    mixed = [astro, (free["coffee"], []), cam, (free["chelsea"], [])]
    cases.append(Case("2x2 astronaut, coffee, camera, chelsea", "tiles", *_grid(mixed, 2, (320, 320))))
    mixed9 = [astro, (free["rocket"], []), cam, (free["coffee"], []), astro, (free["chelsea"], []), cam, astro, (free["rocket"], [])]
    cases.append(Case("3x3 of 5 faces and 4 face-free photos", "tiles", *_grid(mixed9, 3, (240, 240))))
    for bg_name, bg in free.items():
        for scale, at in ((0.5, (20, 30)), (1.0, (bg.width - 200, 10)), (0.75, (bg.width // 3, bg.height // 4))):
            patch, boxes = _head(scale)
            image, faces = _paste(bg, patch, boxes, at)
            cases.append(Case(f"head x{scale} on {bg_name} at {at}", "pasted", image, faces))
        patch, boxes = _head(0.5)
        image, faces = _paste(bg, patch, boxes, (10, 10))
        image, more = _paste(image, patch, boxes, (bg.width - patch.width - 10, bg.height - patch.height - 10))
        cases.append(Case(f"two heads on {bg_name}", "pasted", image, faces + more))
    lfw = [(face, [(0.0, 0.0, 25.0, 25.0)]) for face in _lfw_faces()]
    for k in range(4):
        chunk = lfw[25 * k : 25 * (k + 1)]
        cases.append(Case(f"LFW faces {25 * k}-{25 * k + 24}, 96px", "LFW grids", *_grid(chunk, 5, (96, 96), gap=24)))
    for k in range(2):
        chunk = lfw[50 * k : 50 * (k + 1)]
        cases.append(Case(f"LFW faces {50 * k}-{50 * k + 49}, 48px", "LFW grids", *_grid(chunk, 10, (48, 48), gap=16)))
    rocket = free["rocket"]
    for k in range(4):
        image, faces = rocket, []
        for j in range(5):
            face = lfw[k * 5 + j][0].resize((72, 72), PIL.Image.Resampling.LANCZOS)
            image, placed = _paste(image, face, [(0.0, 0.0, 72.0, 72.0)], (20 + j * 120, 40 + 60 * (j % 2) + 40 * k))
            faces += placed
        cases.append(Case(f"5 LFW faces on rocket, row {k}", "LFW on photo", image, faces))
    big_rocket = rocket.resize((rocket.width * 3, rocket.height * 3), PIL.Image.Resampling.LANCZOS)
    for side in (40, 64):
        image, faces = big_rocket, []
        for j in range(6):
            face = lfw[50 + j][0].resize((side, side), PIL.Image.Resampling.LANCZOS)
            image, placed = _paste(image, face, [(0.0, 0.0, float(side), float(side))], (100 + j * 300, 200 + 150 * (j % 3)))
            faces += placed
        cases.append(Case(f"6 LFW faces of {side}px on rocket x3", "LFW on photo", image, faces))
    for name in ("coffee", "chelsea", "rocket", "brick", "grass", "gravel", "hubble_deep_field", "retina",
                 "immunohistochemistry", "moon", "page", "text", "horse", "logo", "colorwheel", "clock", "cell"):
        for s in ((0.5, 1.0, 2.0) if name in free else (1.0,)):
            cases.append(Case(f"{name} x{s}", "face-free", *_scaled(_photo(name), [], s)))
    free_tiles: list[tuple[PIL.Image.Image, list[BoxT]]] = [(free["coffee"], []), (free["chelsea"], []), (free["rocket"], []), (free["chelsea"], [])]
    cases.append(Case("2x2 coffee, chelsea, rocket, chelsea", "face-free", *_grid(free_tiles, 2, (400, 300))))
    return cases


def chosen_cases() -> list[Case]:
    """The cases this run measures: all of them, or with ``QUICK`` the first of each group."""
    cases = build_cases()
    if not QUICK:
        return cases
    first_of_group: dict[str, Case] = {}
    for case in cases:
        first_of_group.setdefault(case.group, case)
    return list(first_of_group.values())


def iou(a: BoxT, b: BoxT) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def match(found: Sequence[BoxT], truth: Sequence[BoxT], threshold: float = IOU_MATCH) -> int:
    """True positives: one-to-one matches with IoU >= threshold, greedily by IoU."""
    pairs = sorted(((iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)), reverse=True)
    used_f: set[int] = set()
    used_t: set[int] = set()
    for value, i, j in pairs:
        if value < threshold:
            break
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    return len(used_f)


def evaluate(detect: Callable[[PIL.Image.Image], list[BoxT]], cases: Sequence[Case]) -> list[dict[str, Any]]:
    """One row per case: faces, found, tp, fp, fn, ms."""
    rows = []
    for case in cases:
        start = time.perf_counter()
        found = detect(case.image)
        ms = (time.perf_counter() - start) * 1000
        tp = match(found, case.faces)
        rows.append({"name": case.name, "group": case.group, "size": list(case.image.size), "faces": len(case.faces),
                     "found": len(found), "tp": tp, "fp": len(found) - tp, "fn": len(case.faces) - tp, "ms": ms})
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    faces = sum(r["faces"] for r in rows)
    tp = sum(r["tp"] for r in rows)
    fp = sum(r["fp"] for r in rows)
    found = tp + fp
    return {
        "images": len(rows), "faces": faces, "tp": tp, "fp": fp,
        "precision": tp / found if found else 1.0, "recall": tp / faces if faces else 1.0,
        "ms_median": float(np.median([r["ms"] for r in rows])), "ms_mean": float(np.mean([r["ms"] for r in rows])),
    }


def _run_backend(backend: str) -> dict[str, Any]:
    """In this process: FACEDET through run_program on every case (VISPROG_MODEL_FACES is set)."""
    from visprog import Detections, RunContext, run_program

    program = "FACES=FACEDET(image=IMAGE)\nFINAL=RESULT(var=FACES)"
    context = RunContext(cache=None)
    cases = chosen_cases()

    def detect(image: PIL.Image.Image) -> list[BoxT]:
        result = run_program(program, image, context=context)
        if result.error is not None:
            raise SystemExit(f"{backend}: FACEDET failed: {result.error}")
        faces = result.result
        if not isinstance(faces, Detections):
            raise SystemExit(f"{backend}: FACEDET returned {type(faces).__name__}")
        return [b.as_tuple() for b in faces]

    start = time.perf_counter()
    detect(cases[0].image)
    first = time.perf_counter() - start
    return {"backend": backend, "first_call_s": first, "rows": evaluate(detect, cases)}


def _print_report(results: Sequence[dict[str, Any]], show_rows: bool) -> None:
    groups = list(dict.fromkeys(r["group"] for r in results[0]["rows"]))
    print(f"Face detectors on {len(results[0]['rows'])} images (match: IoU >= {IOU_MATCH}); "
          "ms = median per image through run_program, model loaded")
    header = f"{'group':<18} {'backend':<7} {'imgs':>4} {'faces':>5} {'TP':>4} {'FP':>4} {'prec':>6} {'recall':>6} {'ms':>7}"
    print(header)
    print("-" * len(header))
    for group in [*groups, "ALL"]:
        for res in results:
            rows = res["rows"] if group == "ALL" else [r for r in res["rows"] if r["group"] == group]
            s = summarize(rows)
            print(f"{group:<18} {res['backend']:<7} {s['images']:>4} {s['faces']:>5} {s['tp']:>4} {s['fp']:>4} "
                  f"{s['precision']:>6.3f} {s['recall']:>6.3f} {s['ms_median']:>7.1f}")
    for res in results:
        print(f"{res['backend']}: first call (model load included) {res['first_call_s']:.2f} s; "
              f"mean {summarize(res['rows'])['ms_mean']:.1f} ms per image")
    if show_rows:
        print()
        print(f"{'image':<44} {'size':>10} {'faces':>5} " + " ".join(f"{r['backend'] + ' tp/fp':>12}" for r in results))
        for i, row in enumerate(results[0]["rows"]):
            cells = " ".join(f"{res['rows'][i]['tp']:>6}/{res['rows'][i]['fp']:<5}" for res in results)
            print(f"{row['name'][:44]:<44} {'x'.join(map(str, row['size'])):>10} {row['faces']:>5} {cells}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", action="store_true", help="print one row per image")
    parser.add_argument("--backend", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.backend:
        print(json.dumps(_run_backend(args.backend)))
        return 0
    results = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="visprog-faces-") as cache:
        for backend in BACKENDS:
            env = {**os.environ, "VISPROG_MODEL_FACES": backend, "VISPROG_RESULT_CACHE": "0", "VISPROG_CACHE_DIR": cache}
            done = subprocess.run([sys.executable, __file__, "--backend", backend], env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{backend} failed:\n{done.stderr.strip()}", file=sys.stderr)
                return 1
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    _print_report(results, args.rows)
    print(f"{os.cpu_count()} CPUs; load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          "(above the CPU count, other processes slowed these timings)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
