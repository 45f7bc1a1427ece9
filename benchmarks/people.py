"""People tools against MediaPipe's own ``mp.solutions`` on the same real pictures.

Ours: ``pose``, ``hands`` and ``detect_people`` through ``run_program`` (result cache
off), MediaPipe 0.10.21's models on ai-edge-litert with this project's pre/post
processing. Reference: ``mediapipe==0.10.21`` ``mp.solutions.pose`` (static images,
model_complexity=1, segmentation on) and ``mp.solutions.hands`` (static images,
model_complexity=1, max 2 hands), in a separate virtual environment because mediapipe
needs numpy < 2: ``VISPROG_MEDIAPIPE_PYTHON`` names its interpreter, else this script
creates ``.bench-venv/`` (ignored by git) with ``pip install mediapipe==0.10.21``.

Pictures: scikit-image's photos (astronaut, cameraman; and without people: the cat,
coffee, a rocket, ...), the demos, composites (three astronauts on a wide backdrop), and
when Debian's ``opencv-doc`` is installed its sample photos (messi5, basketball1/2; and
without people: a fish, a rendered monkey head, fruits, ...). People counts are
hand-labelled.

Printed: per picture, the landmark distance (mean over the 33 pose joints, px) between
our best person and mediapipe's single pose, the person-mask IoU (both thresholded at
0.5), hand landmark distance (21 points, hands matched by wrist), ms per image for both;
then means, and person-detection recall and false positives (ours, ours without tiles,
mediapipe: at most one person).

Run: ``.venv/bin/python benchmarks/people.py`` (``VISPROG_BENCH_QUICK=1``: four pictures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import PIL.Image

ROOT = Path(__file__).resolve().parent.parent
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
QUICK = os.environ.get("VISPROG_BENCH_QUICK") == "1"

REFERENCE = r'''
import json, sys, time
import numpy as np, PIL.Image
import mediapipe as mp
paths, out = json.loads(sys.argv[1]), sys.argv[2]
pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True)
hands = mp.solutions.hands.Hands(static_image_mode=True, model_complexity=1, max_num_hands=2)
results = {}
for name, path in paths.items():
    rgb = np.ascontiguousarray(np.asarray(PIL.Image.open(path).convert("RGB")))
    h, w = rgb.shape[:2]
    pose.process(rgb); hands.process(rgb)  # warm
    t = time.perf_counter(); p = pose.process(rgb); pose_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter(); hd = hands.process(rgb); hands_ms = (time.perf_counter() - t) * 1000
    entry = {"pose_ms": pose_ms, "hands_ms": hands_ms, "pose": None, "hands": []}
    if p.pose_landmarks:
        entry["pose"] = [[l.x * w, l.y * h, l.visibility] for l in p.pose_landmarks.landmark]
        np.save(f"{out}/{name}.npy", (p.segmentation_mask >= 0.5))
    for lms, side in zip(hd.multi_hand_landmarks or [], hd.multi_handedness or []):
        entry["hands"].append({"points": [[l.x * w, l.y * h] for l in lms.landmark],
                               "label": side.classification[0].label})
    results[name] = entry
json.dump(results, open(f"{out}/reference.json", "w"))
'''


def pictures() -> dict[str, tuple[PIL.Image.Image, int]]:
    """name -> (picture, number of people in it, hand-counted)."""
    from skimage import data

    def sk(name: str) -> PIL.Image.Image:
        return PIL.Image.fromarray(getattr(data, name)()).convert("RGB")

    found: dict[str, tuple[PIL.Image.Image, int]] = {
        "astronaut": (sk("astronaut"), 1),
        "two_people": (PIL.Image.open(ROOT / "demos/images/two_people.jpg").convert("RGB"), 2),
        "chelsea (cat)": (sk("chelsea"), 0),
        "hand_closeup": (PIL.Image.open(ROOT / "demos/images/hand_closeup.jpg").convert("RGB"), 1),
    }
    if QUICK:
        return found
    backdrop = sk("brick").resize((1200, 400)) if hasattr(data, "brick") else PIL.Image.new("RGB", (1200, 400), "grey")
    three = backdrop.copy()
    small = sk("astronaut").resize((380, 380))
    for k in range(3):
        three.paste(small, (20 + k * 395, 20))
    upper = sk("grass").resize((700, 512)) if hasattr(data, "grass") else PIL.Image.new("RGB", (700, 512), "grey")
    upper.paste(sk("astronaut").crop((0, 0, 400, 512)), (150, 0))
    found.update({
        "camera": (sk("camera"), 1),
        "three astronauts (1200x400)": (three, 3),
        "astronaut on grass (700x512)": (upper, 1),
        "coffee": (sk("coffee"), 0),
        "rocket": (sk("rocket"), 0),
        "hubble": (sk("hubble_deep_field"), 0),
        "immunohistochemistry": (sk("immunohistochemistry"), 0),
    })
    labelled = {"messi5.jpg": 1, "basketball1.png": 2, "basketball2.png": 2, "HappyFish.jpg": 0,
                "Blender_Suzanne1.jpg": 0, "fruits.jpg": 0, "baboon.jpg": 0, "home.jpg": 0, "starry_night.jpg": 0,
                "building.jpg": 0, "orange.jpg": 0, "apple.jpg": 0, "butterfly.jpg": 0, "smarties.png": 0}
    for name, people in labelled.items():
        if (OPENCV_DATA / name).is_file():
            found[name] = (PIL.Image.open(OPENCV_DATA / name).convert("RGB"), people)
    return found


def reference_python() -> str | None:
    """The interpreter with mediapipe: ``VISPROG_MEDIAPIPE_PYTHON``, else ``.bench-venv``
    (created here, except in quick mode: then None, and the reference is skipped)."""
    given = os.environ.get("VISPROG_MEDIAPIPE_PYTHON")
    if given:
        return given
    venv = ROOT / ".bench-venv"
    python = venv / "bin" / "python"
    if not python.exists() and QUICK:
        return None
    if not python.exists():
        print("creating .bench-venv with mediapipe==0.10.21 (numpy < 2) for the reference ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "mediapipe==0.10.21", "pillow"], check=True)
    return str(python)


def ours(name: str, picture: PIL.Image.Image) -> dict[str, object]:
    from visprog_tools.people.weights import PEOPLE

    from visprog import run_program
    from visprog.models.manager import model_manager

    run_program("result(pose(IMAGE))", picture)  # warm (loads the models once)
    start = time.perf_counter()
    poses = run_program("result(pose(IMAGE))", picture)
    pose_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    hands = run_program("result(hands(IMAGE))", picture)
    hands_ms = (time.perf_counter() - start) * 1000
    if poses.error or hands.error:
        raise SystemExit(f"{name}: {poses.error or hands.error}")
    rgb = np.ascontiguousarray(np.asarray(picture))
    untiled = model_manager().load(PEOPLE).poses(rgb, tiles=False)
    return {"poses": poses.result, "hands": hands.result, "pose_ms": pose_ms, "hands_ms": hands_ms, "untiled": len(untiled)}


def main() -> None:
    os.environ["VISPROG_RESULT_CACHE"] = "0"
    chosen = pictures()
    with tempfile.TemporaryDirectory() as temp:
        paths = {}
        for index, (picture, _) in enumerate(chosen.values()):
            paths[str(index)] = f"{temp}/{index}.png"
            picture.save(paths[str(index)])
        python = reference_python()
        if python is None:
            print("quick mode without a mediapipe venv: the mp.solutions reference is skipped "
                  "(set VISPROG_MEDIAPIPE_PYTHON, or run without VISPROG_BENCH_QUICK to create .bench-venv)")
            reference = {str(i): {"pose": None, "hands": [], "pose_ms": float("nan"), "hands_ms": float("nan")}
                         for i in range(len(chosen))}
        else:
            done = subprocess.run([python, "-c", REFERENCE, json.dumps(paths), temp], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"the mediapipe reference failed:\n{done.stderr[-2000:]}")
            reference = json.loads(Path(f"{temp}/reference.json").read_text())
        masks = {k: np.load(f"{temp}/{k}.npy") for k in reference if Path(f"{temp}/{k}.npy").exists()}

    print(f"{'picture':30} {'people':>6} {'ours':>4} {'untiled':>7} {'mp':>3} {'pose px':>8} {'mask IoU':>8} "
          f"{'hands ours/mp':>13} {'hand px':>8} {'ours ms':>8} {'mp ms':>7}")
    pose_px, ious, hand_px, our_ms, mp_ms = [], [], [], [], []
    agree: list[bool] = []
    counts = {"ours": [0, 0], "untiled": [0, 0], "mp": [0, 0]}  # [found in pictures with people, false positives]
    total_people = 0
    for index, (name, (picture, people)) in enumerate(chosen.items()):
        mine, theirs = ours(name, picture), reference[str(index)]
        found = len(mine["poses"])  # type: ignore[arg-type]
        mp_found = 1 if theirs["pose"] else 0
        total_people += people
        for key, n in (("ours", found), ("untiled", mine["untiled"]), ("mp", mp_found)):
            if people:
                counts[key][0] += min(int(n), people)  # type: ignore[call-overload]
            else:
                counts[key][1] += int(n)  # type: ignore[call-overload]
        px = iou = hpx = None
        if theirs["pose"] and mine["poses"]:
            ref = np.array(theirs["pose"])[:, :2]
            best = min(mine["poses"], key=lambda p: float(np.hypot(p.nose.x - ref[0, 0], p.nose.y - ref[0, 1])))  # type: ignore[attr-defined]
            pts = np.array([[j.x, j.y] for j in best.joints])
            px = float(np.linalg.norm(pts - ref, axis=1).mean())
            pose_px.append(px)
            if best.box.mask is not None and str(index) in masks:
                a, b = best.box.mask.array, masks[str(index)]
                iou = float((a & b).sum() / max(1, (a | b).sum()))
                ious.append(iou)
        ref_hands = theirs["hands"]
        for hand in ref_hands:
            ref = np.array(hand["points"])
            if mine["hands"]:
                best_hand = min(mine["hands"], key=lambda h: float(np.hypot(h.wrist.x - ref[0, 0], h.wrist.y - ref[0, 1])))  # type: ignore[attr-defined]
                d = float(np.linalg.norm(np.array([[j.x, j.y] for j in best_hand.joints]) - ref, axis=1).mean())
                if d < 50:
                    hand_px.append(d)
                    # MediaPipe's label assumes a mirrored picture; ours is the person's own hand.
                    agree.append(best_hand.handedness == {"Left": "right", "Right": "left"}[hand["label"]])  # type: ignore[attr-defined]
                    hpx = d if hpx is None else max(hpx, d)
        our_ms.append(float(mine["pose_ms"]) + float(mine["hands_ms"]))  # type: ignore[arg-type]
        mp_ms.append(theirs["pose_ms"] + theirs["hands_ms"])
        show = lambda v, f: "-" if v is None else format(v, f)  # noqa: E731
        print(f"{name[:30]:30} {people:>6} {found:>4} {mine['untiled']:>7} {mp_found:>3} {show(px, '.2f'):>8} {show(iou, '.3f'):>8} "
              f"{len(mine['hands']):>6}/{len(ref_hands):<6} {show(hpx, '.2f'):>8} {our_ms[-1]:>8.0f} {mp_ms[-1]:>7.0f}")  # type: ignore[arg-type]
    print()
    if pose_px:
        print(f"pose landmarks: mean {np.mean(pose_px):.2f} px, median {np.median(pose_px):.2f} px over {len(pose_px)} pictures")
    if ious:
        print(f"person mask IoU: mean {np.mean(ious):.3f}, min {np.min(ious):.4f} over {len(ious)} pictures")
    if hand_px:
        print(f"hand landmarks: mean {np.mean(hand_px):.2f} px over {len(hand_px)} hands found by both; "
              f"handedness agrees (MediaPipe's mirrored label flipped) on {sum(agree)}/{len(agree)}")
    if python is None:
        print(f"ms per image (pose + hands): ours median {np.median(our_ms):.0f}")
    else:
        print(f"ms per image (pose + hands): ours median {np.median(our_ms):.0f}, mediapipe median {np.median(mp_ms):.0f}, "
              f"ratio {np.median(our_ms) / np.median(mp_ms):.2f}")
    negatives = sum(1 for _, people in chosen.values() if not people)
    for key, (hits, false) in counts.items():
        if key == "mp" and python is None:
            continue
        print(f"people found ({key}): recall {hits}/{total_people} = {hits / total_people:.2f}; "
              f"false positives {false} on {negatives} pictures without people")


if __name__ == "__main__":
    main()
