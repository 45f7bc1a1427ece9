"""Held-out requests through ``visprog.ask``: right / total per group, seconds per ask.

The requests (``benchmarks/heldout/requests.jsonl``) were written apart from the planner's
own prompts and benchmark, worded as new users word things (terse, casual, typos, a few
non-English), over pictures generated at run time by ``benchmarks/heldout/pictures.py``
(ground truth checked with the real offline tools: ``--verify``).

Each item goes through the public API end to end (``visprog.ask(request, image[,
image2=...])`` with the default planner: offline, the bundled constrained SmolLM2) and is
scored:

* ``answer`` / ``answer_any``: the result, normalised (case, punctuation, articles,
  number words, a leading currency sign, booleans as yes/no), equals an accepted answer;
* ``answer_contains``: every listed phrase is in the result (letters and digits only,
  so OCR's dropped spaces do not matter);
* ``edit``: the result image is checked on pixels against the picture's known face /
  person boxes (blur: the faces' Laplacian variance falls below half and the rest is
  unchanged; hide: each face region changes a lot and the rest is unchanged; crop: the
  output is a crop of the input that covers the face and is at most a few face sizes;
  background blur / colour pop: the background loses sharpness / colour, the person
  keeps it);
* ``refuse``: ``result.ok`` is false with an error that names a missing model or says it
  cannot (or ``ask`` raises a visprog error with such a message); with ``mentions_any``
  the error must instead hold one of those words (case-insensitive), and with
  ``one_line`` it must be a single line.

An item may carry ``reference``: a hand-written program over the offline tools (two
pictures are ``LEFT`` and ``RIGHT``, the first also ``IMAGE``); ``--verify`` runs it and
scores its result like an answer, so the item's truth is shown reachable by the tools.

``--set DIR`` picks the set: ``DIR/pictures.py`` and ``DIR/requests.jsonl`` (default
``benchmarks/heldout``). A set's ``pictures.py`` may name the groups reported apart
(``REPORTED_APART``); the first set reports ``people`` apart (its person tools were
being built when it was written).

    .venv/bin/python benchmarks/heldout_requests.py [--set DIR] [--group G] [--limit N] [--json OUT]
    .venv/bin/python benchmarks/heldout_requests.py [--set DIR] --verify   # ground truth + edit checks

The exit code is 0 whatever the score (1 only if ``--verify`` finds a mismatch, 2 if the
runner itself breaks).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

HERE = Path(__file__).resolve().parent
DEFAULT_SET = HERE / "heldout"
REQUESTS = DEFAULT_SET / "requests.jsonl"


def _load_pictures(folder: Path = DEFAULT_SET) -> ModuleType:
    name = "heldout_pictures" if folder.resolve() == DEFAULT_SET else f"heldout_pictures_{folder.resolve().name}"
    path = folder / "pictures.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no pictures.py in the set folder")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


pictures = _load_pictures()


def use_set(folder: Path) -> Path:
    """Score the set in ``folder`` from now on (its pictures module); return its requests file."""
    global pictures
    pictures = _load_pictures(folder)
    return folder / "requests.jsonl"


def reported_apart() -> tuple[str, ...]:
    """Groups the current set reports apart from the overall score."""
    return tuple(getattr(pictures, "REPORTED_APART", ("people",)))
BoxT = tuple[int, int, int, int]


# ----------------------------------------------------------------------------- items


def load_items(path: Path = REQUESTS) -> list[dict[str, Any]]:
    """Parse the JSONL; one clear line for a malformed item."""
    items = []
    names = set(pictures.catalogue())
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        for key in ("id", "group", "request", "images", "expect"):
            if key not in item:
                raise ValueError(f"{path.name}:{number}: missing {key!r}")
        for name in item["images"]:
            if name not in names:
                raise ValueError(f"{path.name}:{number}: unknown picture {name!r}")
        if not 1 <= len(item["images"]) <= 2:
            raise ValueError(f"{path.name}:{number}: one or two images, got {len(item['images'])}")
        kinds = {"answer", "answer_any", "answer_contains", "edit", "refuse"} & set(item["expect"])
        if len(kinds) != 1:
            raise ValueError(f"{path.name}:{number}: expect needs exactly one of answer/answer_any/answer_contains/edit/refuse")
        if "edit" in item["expect"] and item["expect"]["edit"] not in EDIT_CHECKS:
            raise ValueError(f"{path.name}:{number}: unknown edit check {item['expect']['edit']!r}")
        if ({"mentions_any", "one_line"} & set(item["expect"])) and "refuse" not in item["expect"]:
            raise ValueError(f"{path.name}:{number}: mentions_any / one_line go with refuse only")
        if "reference" in item and not isinstance(item["reference"], str):
            raise ValueError(f"{path.name}:{number}: reference must be a program (a string)")
        items.append(item)
    return items


# ----------------------------------------------------------------------------- answers

_NUMBER_WORDS = {
    "zero": "0", "none": "0", "no one": "0", "nobody": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}
_TRUE_WORDS = {"true": "yes", "false": "no"}


def _flatten(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return " ".join(_flatten(v) for v in value)
    if hasattr(value, "labels") and not isinstance(value, str):  # Detections of text lines
        try:
            return " ".join(str(x) for x in value.labels)
        except Exception:  # noqa: BLE001 - a value without usable labels reads as its str
            return str(value)
    return str(value)


def normalise(value: Any) -> str:
    """Lower case, no punctuation except . / % inside numbers, articles dropped, number words as digits."""
    text = _flatten(value).lower().strip()
    text = re.sub(r"[$€£]", "", text)
    text = re.sub(r"(?<!\d)[.,](?!\d)", " ", text)  # a full stop, not a decimal point
    text = re.sub(r"[^\w\s./%]", " ", text)
    words = [w for w in text.split() if w not in {"the", "a", "an", "side", "half"}]
    joined = " ".join(words)
    for word, digit in _NUMBER_WORDS.items():
        joined = re.sub(rf"\b{word}\b", digit, joined)
    return _TRUE_WORDS.get(joined, joined)


def _alnum(value: Any) -> str:
    return "".join(ch for ch in _flatten(value).lower() if ch.isalnum())


# ----------------------------------------------------------------------------- pixel checks


def _gray(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.float32)


def _laplacian_var(gray: np.ndarray) -> float:
    lap = gray[1:-1, 2:] + gray[1:-1, :-2] + gray[2:, 1:-1] + gray[:-2, 1:-1] - 4 * gray[1:-1, 1:-1]
    return float(lap.var()) if lap.size else 0.0


def _region(arr: np.ndarray, box: BoxT) -> np.ndarray:
    return arr[box[1]:box[3], box[0]:box[2]]


def _outside_mask(shape: tuple[int, int], boxes: list[BoxT], grow: float) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    for x1, y1, x2, y2 in boxes:
        gx, gy = (x2 - x1) * grow, (y2 - y1) * grow
        mask[max(0, int(y1 - gy)):int(y2 + gy), max(0, int(x1 - gx)):int(x2 + gx)] = False
    return mask


def _same_size(inp: Image.Image, out: Image.Image) -> str | None:
    return None if inp.size == out.size else f"output {out.size} is not the input's size {inp.size}"


def check_blur_faces(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None) -> str | None:
    if (why := _same_size(inp, out)) is not None:
        return why
    gi, go = _gray(inp), _gray(out)
    for box in faces:
        before, after = _laplacian_var(_region(gi, box)), _laplacian_var(_region(go, box))
        if after > 0.5 * before:
            return f"face {box} sharpness {after:.0f} vs {before:.0f} before (not blurred)"
    diff = np.abs(gi - go)[_outside_mask(gi.shape, faces, 0.6)]
    if diff.size and diff.mean() > 3:
        return f"outside the faces changed (mean |diff| {diff.mean():.1f})"
    return None


def check_hide_faces(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None) -> str | None:
    if (why := _same_size(inp, out)) is not None:
        return why
    ai = np.asarray(inp.convert("RGB"), dtype=np.float32)
    ao = np.asarray(out.convert("RGB"), dtype=np.float32)
    for box in faces:
        change = float(np.abs(_region(ai, box) - _region(ao, box)).mean())
        if change < 25:
            return f"face {box} barely changed (mean |diff| {change:.1f})"
    diff = np.abs(ai - ao).mean(axis=2)[_outside_mask(ai.shape[:2], faces, 0.6)]
    if diff.size and diff.mean() > 3:
        return f"outside the faces changed (mean |diff| {diff.mean():.1f})"
    return None


def check_blur_or_hide(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None) -> str | None:
    blur = check_blur_faces(inp, out, faces, person)
    hide = check_hide_faces(inp, out, faces, person)
    return None if blur is None or hide is None else f"neither blurred ({blur}) nor hidden ({hide})"


def _locate(inp: Image.Image, out: Image.Image, offset: tuple[int, int] | None) -> BoxT | None:
    """Where ``out`` sits in ``inp`` as an unscaled crop, or None."""
    w, h = out.size
    if w > inp.width or h > inp.height or w < 4 or h < 4:
        return None
    gi, go = _gray(inp), _gray(out)
    if offset is not None:
        x, y = int(offset[0]), int(offset[1])
        if 0 <= x and 0 <= y and x + w <= inp.width and y + h <= inp.height and np.abs(gi[y:y + h, x:x + w] - go).mean() < 4:
            return (x, y, x + w, y + h)
    import cv2

    res = cv2.matchTemplate(gi, go, cv2.TM_SQDIFF_NORMED)
    _, _, loc, _ = cv2.minMaxLoc(res)
    x, y = int(loc[0]), int(loc[1])
    if np.abs(gi[y:y + h, x:x + w] - go).mean() < 6:
        return (x, y, x + w, y + h)
    return None


def _covered(inner: BoxT, outer: BoxT) -> float:
    ix = max(0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return ix * iy / area if area else 0.0


def check_crop_face(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None,
                    offset: tuple[int, int] | None = None) -> str | None:
    face = faces[0]
    where = _locate(inp, out, offset)
    if where is None:
        return f"output {out.size} is not a crop of the input {inp.size}"
    if _covered(face, where) < 0.8:
        return f"crop {where} misses the face {face}"
    face_area = (face[2] - face[0]) * (face[3] - face[1])
    if out.width * out.height > 6 * face_area:
        return f"crop {out.size} is much larger than the face {face} ({out.width * out.height / face_area:.1f}x)"
    return None


def check_crop_left_person(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None,
                           offset: tuple[int, int] | None = None) -> str | None:
    where = _locate(inp, out, offset)
    if where is None:
        return f"output {out.size} is not a crop of the input {inp.size}"
    left = min(faces, key=lambda b: b[0])
    others = [b for b in faces if b != left]
    if _covered(left, where) < 0.8:
        return f"crop {where} misses the left person's face {left}"
    if any(_covered(b, where) > 0.5 for b in others):
        return f"crop {where} also holds the other person"
    if out.width > 0.75 * inp.width:
        return f"crop {where} is most of the picture"
    return None


def _detail(gray: np.ndarray) -> np.ndarray:
    """Fine detail: the picture less its 2-pixel Gaussian blur."""
    import cv2

    return gray - cv2.GaussianBlur(gray, (0, 0), 2.0)


def check_obscure_faces(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None) -> str | None:
    """Each face's fine detail (its central 70 %) is gone or replaced (blurred, pixelated or covered); the rest is unchanged."""
    if (why := _same_size(inp, out)) is not None:
        return why
    gi, go = _gray(inp), _gray(out)
    di, do = _detail(gi), _detail(go)
    for box in faces:
        mx, my = (box[2] - box[0]) * 15 // 100, (box[3] - box[1]) * 15 // 100
        core = (box[0] + mx, box[1] + my, box[2] - mx, box[3] - my)  # the face, not the edge of a box a tool drew
        a, b = _region(di, core).ravel(), _region(do, core).ravel()
        if a.std() == 0:
            return f"face {box} has no detail to compare"
        corr = 0.0 if b.std() == 0 else float(np.corrcoef(a, b)[0, 1])
        if corr > 0.5:
            return f"face {box} keeps its detail (correlation {corr:.2f} with the input)"
    diff = np.abs(gi - go)[_outside_mask(gi.shape, faces, 0.6)]
    if diff.size and diff.mean() > 3:
        return f"outside the faces changed (mean |diff| {diff.mean():.1f})"
    return None


def check_crop_person(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None,
                      offset: tuple[int, int] | None = None) -> str | None:
    """The output is a crop of the input that holds most of the person and little else."""
    if person is None:
        return "no person box in the ground truth"
    where = _locate(inp, out, offset)
    if where is None:
        return f"output {out.size} is not a crop of the input {inp.size}"
    if _covered(person, where) < 0.8:
        return f"crop {where} misses much of the person {person}"
    area = (person[2] - person[0]) * (person[3] - person[1])
    if out.width * out.height > 2.5 * area:  # VisProg's CROP margin 1.5 gives 2.25x
        return f"crop {out.size} is much larger than the person {person} ({out.width * out.height / area:.1f}x)"
    return None


def check_blur_background(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None) -> str | None:
    if (why := _same_size(inp, out)) is not None:
        return why
    if person is None:
        return "no person box in the ground truth"
    gi, go = _gray(inp), _gray(out)
    x1, y1, x2, y2 = person
    mx, my = (x2 - x1) // 6, (y2 - y1) // 6
    core = (x1 + mx, y1 + my, x2 - mx, y2 - my)
    kept, before = _laplacian_var(_region(go, core)), _laplacian_var(_region(gi, core))
    if kept < 0.6 * before:
        return f"the person lost sharpness ({kept:.0f} vs {before:.0f})"
    mask = _outside_mask(gi.shape, [person], 0.05)
    lap_i = np.zeros_like(gi)
    lap_o = np.zeros_like(go)
    lap_i[1:-1, 1:-1] = gi[1:-1, 2:] + gi[1:-1, :-2] + gi[2:, 1:-1] + gi[:-2, 1:-1] - 4 * gi[1:-1, 1:-1]
    lap_o[1:-1, 1:-1] = go[1:-1, 2:] + go[1:-1, :-2] + go[2:, 1:-1] + go[:-2, 1:-1] - 4 * go[1:-1, 1:-1]
    bg_before, bg_after = float(lap_i[mask].var()), float(lap_o[mask].var())
    if bg_after > 0.5 * bg_before:
        return f"background sharpness {bg_after:.0f} vs {bg_before:.0f} before (not blurred)"
    return None


def _saturation(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("HSV"), dtype=np.float32)[:, :, 1]


def check_color_pop(inp: Image.Image, out: Image.Image, faces: list[BoxT], person: BoxT | None) -> str | None:
    if (why := _same_size(inp, out)) is not None:
        return why
    if person is None:
        return "no person box in the ground truth"
    si, so = _saturation(inp), _saturation(out)
    x1, y1, x2, y2 = person
    mx, my = (x2 - x1) // 4, (y2 - y1) // 4
    core = (x1 + mx, y1 + my, x2 - mx, y2 - my)
    kept, before = float(_region(so, core).mean()), float(_region(si, core).mean())
    if kept < 0.5 * before:
        return f"the person lost colour (saturation {kept:.0f} vs {before:.0f})"
    mask = _outside_mask(si.shape, [person], 0.05)
    bg = float(so[mask].mean())
    if bg > 15:
        return f"background still coloured (saturation {bg:.0f}, was {float(si[mask].mean()):.0f})"
    return None


EDIT_CHECKS: dict[str, Callable[..., str | None]] = {
    "blur_faces": check_blur_faces,
    "hide_faces": check_hide_faces,
    "blur_or_hide_faces": check_blur_or_hide,
    "crop_face": check_crop_face,
    "crop_left_person": check_crop_left_person,
    "blur_background_keep_person": check_blur_background,
    "color_pop_person": check_color_pop,
    "obscure_faces": check_obscure_faces,
    "crop_person": check_crop_person,
}
_CROPS = {"crop_face", "crop_left_person", "crop_person"}

_REFUSAL = re.compile(r"model|cannot|can't|can not|unable|not (?:here|available|supported)|no tool|empty|understand|unclear", re.I)


# ----------------------------------------------------------------------------- scoring


@dataclass
class Outcome:
    id: str
    group: str
    ok: bool
    seconds: float
    reason: str
    answer: str


def _open(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


def _as_pil(value: Any) -> tuple[Image.Image, tuple[int, int] | None] | None:
    if isinstance(value, Image.Image):
        return value.convert("RGB"), None
    pil = getattr(value, "pil", None)
    if isinstance(pil, Image.Image):
        offset = getattr(value, "offset", None)
        return pil.convert("RGB"), (tuple(offset) if offset is not None else None)  # type: ignore[return-value]
    return None


def score(item: dict[str, Any], ok: bool, result: Any, error: str, paths: dict[str, Path]) -> tuple[bool, str]:
    """(right, short reason) for one item's outcome."""
    expect = item["expect"]
    if error.startswith("CRASH"):
        return False, error[:90]
    if "refuse" in expect:
        if ok:
            return False, f"answered {_flatten(result)[:40]!r} instead of refusing"
        if expect.get("one_line") and "\n" in error.strip():
            return False, "refused in several lines: " + error[:60]
        if "mentions_any" in expect:
            said = [m for m in expect["mentions_any"] if m.lower() in error.lower()]
            if said:
                return True, f"refused, naming {said[0]!r}: " + error[:50]
            return False, f"refused without naming any of {expect['mentions_any'][:4]}: " + error[:50]
        if _REFUSAL.search(error):
            return True, "refused: " + error[:60]
        return False, "failed without saying why: " + error[:60]
    if not ok:
        return False, "error: " + error[:80]
    if "edit" in expect:
        got = _as_pil(result)
        if got is None:
            return False, f"no image result ({_flatten(result)[:40]!r})"
        out, offset = got
        name = item["images"][0]
        truth = pictures.catalogue()[name].truth
        inp = _open(paths[name])
        check = EDIT_CHECKS[expect["edit"]]
        faces = list(truth.face_boxes)
        why = (check(inp, out, faces, truth.person_box, offset) if expect["edit"] in _CROPS
               else check(inp, out, faces, truth.person_box))
        return (why is None), (why or f"{expect['edit']} ok")
    if _as_pil(result) is not None:
        return False, "an image where an answer was asked"
    if "answer_contains" in expect:
        have = _alnum(result)
        missing = [p for p in expect["answer_contains"] if _alnum(p) not in have]
        return (not missing), (f"missing {missing} in {_flatten(result)[:50]!r}" if missing else "all text read")
    accepted = expect.get("answer_any") or [expect["answer"]]
    got_text = normalise(result)
    if got_text in {normalise(a) for a in accepted}:
        return True, f"answer {got_text!r}"
    return False, f"answer {got_text[:40]!r}, expected {accepted[0]!r}"


def run_item(item: dict[str, Any], paths: dict[str, Path]) -> Outcome:
    import visprog
    from visprog.errors import VisprogError

    images = [str(paths[name]) for name in item["images"]]
    start = time.perf_counter()
    try:
        if len(images) == 2:
            res = visprog.ask(item["request"], images[0], image2=images[1])
        else:
            res = visprog.ask(item["request"], images[0])
        ok, result = bool(res.ok), res.result
        err = res.error
        error = "" if err is None else f"{getattr(err, 'kind', '')}: {getattr(err, 'message', err)}"
    except VisprogError as exc:
        ok, result, error = False, None, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a crash of ask is the item's failure, not the runner's
        ok, result, error = False, None, f"CRASH {type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    right, reason = score(item, ok, result, error, paths)
    shown = "<image>" if _as_pil(result) is not None else _flatten(result)[:60] if ok else ""
    return Outcome(item["id"], item["group"], right, seconds, reason, shown)


# ----------------------------------------------------------------------------- verify


def _synthetic_edits(inp: Image.Image, faces: list[BoxT], person: BoxT | None) -> dict[str, tuple[Image.Image, tuple[int, int] | None]]:
    """What a correct program would return for each edit kind, made with PIL."""
    blurred = inp.copy()
    hidden = inp.copy()
    for box in faces:
        blurred.paste(inp.crop(box).filter(ImageFilter.GaussianBlur(8)), box[:2])
        hidden.paste((250, 200, 40), box)
    face = faces[0] if faces else (0, 0, 10, 10)
    m = (face[2] - face[0]) // 4
    fbox = (max(0, face[0] - m), max(0, face[1] - m), min(inp.width, face[2] + m), min(inp.height, face[3] + m))
    made = {
        "blur_faces": (blurred, None),
        "hide_faces": (hidden, None),
        "blur_or_hide_faces": (hidden, None),
        "crop_face": (inp.crop(fbox), fbox[:2]),
    }
    pixelated = inp.copy()
    for box in faces:
        region = inp.crop(box)
        small = region.resize((max(1, region.width // 12), max(1, region.height // 12)), Image.Resampling.BILINEAR)
        pixelated.paste(small.resize(region.size, Image.Resampling.NEAREST), box[:2])
    made["obscure_faces"] = (pixelated, None)
    if len(faces) >= 2:
        left = min(faces, key=lambda b: b[0])
        half = (0, 0, inp.width // 2, inp.height)
        made["crop_left_person"] = (inp.crop(half), half[:2]) if _covered(left, half) > 0.8 else (inp, None)
    if person is not None:
        bg = inp.filter(ImageFilter.GaussianBlur(10))
        bg.paste(inp.crop(person), person[:2])
        pop = inp.convert("L").convert("RGB")
        pop.paste(inp.crop(person), person[:2])
        made["blur_background_keep_person"] = (bg, None)
        made["color_pop_person"] = (pop, None)
        made["crop_person"] = (inp.crop(person), person[:2])
    return made


def verify_edit_checks(items: list[dict[str, Any]], paths: dict[str, Path]) -> list[str]:
    """Each edit check passes a correct output made with PIL and fails the unchanged input."""
    problems = []
    for item in items:
        kind = item["expect"].get("edit")
        if kind is None:
            continue
        name = item["images"][0]
        truth = pictures.catalogue()[name].truth
        inp = _open(paths[name])
        faces = list(truth.face_boxes)
        good, offset = _synthetic_edits(inp, faces, truth.person_box)[kind]
        check = EDIT_CHECKS[kind]
        extra = (offset,) if kind in _CROPS else ()
        if (why := check(inp, good, faces, truth.person_box, *extra)) is not None:
            problems.append(f"{item['id']}: {kind} check rejects a correct output: {why}")
        extra = ((0, 0),) if kind in _CROPS else ()
        if check(inp, inp.copy(), faces, truth.person_box, *extra) is None:
            problems.append(f"{item['id']}: {kind} check accepts the unchanged input")
    return problems


def verify_truth_by_programs(items: list[dict[str, Any]], paths: dict[str, Path]) -> list[str]:
    """Hand-written programs over the offline tools reach each verifiable item's truth."""
    from visprog import run_program

    programs: dict[str, str] = {
        "count": "F=FACEDET(image=IMAGE)\nN=COUNT(box=F)\nR=RESULT(var=N)",
        "left": "BOX0=image_half(image=IMAGE,side='LEFT')\nIMAGE0=CROP(image=IMAGE,box=BOX0,margin=1.0)\nF=FACEDET(image=IMAGE0)\nN=COUNT(box=F)\nR=RESULT(var=N)",
        "right": "BOX0=image_half(image=IMAGE,side='RIGHT')\nIMAGE0=CROP(image=IMAGE,box=BOX0,margin=1.0)\nF=FACEDET(image=IMAGE0)\nN=COUNT(box=F)\nR=RESULT(var=N)",
    }
    problems = []
    for name, path in paths.items():
        truth = pictures.catalogue()[name].truth
        if truth.faces is None:
            continue
        got = {k: run_program(p, str(path)) for k, p in programs.items()}
        for k, res in got.items():
            if not res.ok:
                problems.append(f"{name}: {k} program failed: {res.error}")
        if not all(r.ok for r in got.values()):
            continue
        width = pictures.displayed_size(path)[0]
        left, right = truth.halves(width) if truth.face_boxes else (0, truth.faces)
        if got["count"].result != truth.faces:
            problems.append(f"{name}: COUNT(FACEDET) = {got['count'].result}, truth {truth.faces}")
        if truth.face_boxes and (got["left"].result, got["right"].result) != (left, right):
            problems.append(f"{name}: halves {got['left'].result}/{got['right'].result}, truth {left}/{right}")
    del items
    return problems


def verify_references(items: list[dict[str, Any]], paths: dict[str, Path]) -> list[str]:
    """Each item's ``reference`` program, run on the real offline tools, is scored right."""
    from visprog import run_program

    problems = []
    for item in items:
        program = item.get("reference")
        if program is None:
            continue
        images = [str(paths[name]) for name in item["images"]]
        inputs = {"LEFT": images[0], "RIGHT": images[1]} if len(images) == 2 else None
        res = run_program(program, images[0], inputs=inputs)
        err = res.error
        error = "" if err is None else f"{getattr(err, 'kind', '')}: {getattr(err, 'message', err)}"
        right, reason = score(item, bool(res.ok), res.result, error, paths)
        if not right:
            problems.append(f"{item['id']}: the reference program is scored wrong: {reason}")
    return problems


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=None, metavar="DIR",
                        help="the set's folder, with pictures.py and requests.jsonl (default benchmarks/heldout)")
    parser.add_argument("--group", help="only this group")
    parser.add_argument("--limit", type=int, help="at most N items")
    parser.add_argument("--json", type=Path, help="write one JSON object per item here")
    parser.add_argument("--verify", action="store_true", help="check ground truth with the tools and the edit checks; no asks")
    args = parser.parse_args(argv)

    requests = REQUESTS if args.set is None else use_set(args.set)
    items = load_items(requests)
    paths = pictures.build_all()
    if args.verify:
        problems = (pictures.verify(paths) + verify_truth_by_programs(items, paths) + verify_edit_checks(items, paths)
                    + verify_references(items, paths))
        for line in problems:
            print("MISMATCH", line)
        references = sum("reference" in i for i in items)
        print(f"verify: {len(paths)} pictures, {sum('edit' in i['expect'] for i in items)} edit items, "
              f"{references} reference programs, {len(problems)} mismatches")
        return 1 if problems else 0

    if args.group:
        items = [i for i in items if i["group"] == args.group]
    if args.limit:
        items = items[: args.limit]
    outcomes: list[Outcome] = []
    for item in items:
        out = run_item(item, paths)
        outcomes.append(out)
        print(f"{out.id:12s} {'ok   ' if out.ok else 'WRONG'} {out.seconds:6.1f}s  {out.reason[:90]}", flush=True)
    if args.json:
        args.json.write_text("".join(json.dumps(o.__dict__) + "\n" for o in outcomes), encoding="utf-8")

    print()
    apart = reported_apart()
    groups = sorted({o.group for o in outcomes}, key=lambda g: (g in apart, g))
    for group in groups:
        rows = [o for o in outcomes if o.group == group]
        right = sum(o.ok for o in rows)
        print(f"{group:10s} {right:3d} / {len(rows):3d}")
    core = [o for o in outcomes if o.group not in apart]
    if core:
        without = f" (without {', '.join(apart)})" if apart else ""
        print(f"overall{without}: {sum(o.ok for o in core)} / {len(core)} = {100 * sum(o.ok for o in core) / len(core):.1f}%")
    for group in apart:
        rows = [o for o in outcomes if o.group == group]
        if rows:
            note = " (tools being built)" if group == "people" else ""
            print(f"{group}{note}: {sum(o.ok for o in rows)} / {len(rows)} = {100 * sum(o.ok for o in rows) / len(rows):.1f}%")
    if outcomes:
        print(f"first ask (loads the planner model): {outcomes[0].seconds:.1f} s")
        rest = [o.seconds for o in outcomes[1:]]
        if rest:
            print(f"seconds per ask after the first: median {statistics.median(rest):.2f}, max {max(rest):.2f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
