"""Newcomers' requests, answered offline: ``visprog.ask(request, image)`` end to end.

55 natural-language requests, written for this benchmark (none comes from ``prompts/``),
each with an image the benchmark builds from what ships with the project's dependencies
(scikit-image's real photos, tiles and compositions of them, the LFW face crops, signs
drawn with PIL's bundled font) and a ground truth that the offline tools can reach:

* counting faces, in the whole image or in one half;
* yes/no about faces or text;
* reading text, in the whole image or in one half;
* hiding faces with an emoji (ground truth: each face region changed, and when an emoji
  is named, changed into that emoji; nothing changed away from the faces);
* (the last 16, added with the program library's price, halves and pair entries) the
  price of a named item on a menu or tags, comparing prices, which side has more faces,
  and two images: both, either, which has more, one image's count, only one.

Face boxes and texts are known by construction. Each request also has a hand-written
reference program; ``--oracle`` runs those through ``run_program`` instead of asking the
planner, to show that the tools can reach every answer (it must be 100% right).

    python benchmarks/offline_requests.py              # ask the offline default planner
    python benchmarks/offline_requests.py --oracle     # the reference programs
    python benchmarks/offline_requests.py --only count-4,hide-wink --json rows.json

``VISPROG_BENCH_QUICK=1`` (the README test; ``--only`` overrides it) asks only the first
request of each kind (count, yes/no, text, hide), 4 requests instead of all of them, to
prove the script works end to end; the figures come from the full run.

Prints one row per request as it finishes, then: answered right (of the requests
checked), mean planner attempts (``len(result.trace.attempts)``), median and p90 seconds
per request. No environment variable is set: the planner is what ``ask`` picks (the
configured chat model, else the offline SmolLM2).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image
import PIL.ImageDraw
import PIL.ImageFont

BoxT = tuple[float, float, float, float]

#: VISPROG_BENCH_QUICK=1 (the README test): one request of each kind, to prove the script works.
QUICK = os.environ.get("VISPROG_BENCH_QUICK") == "1"

# Hand-checked face boxes (x1, y1, x2, y2; pixels) in scikit-image's 512x512 photos.
ASTRONAUT_FACE: BoxT = (172.0, 58.0, 272.0, 180.0)
CAMERA_FACE: BoxT = (186.0, 108.0, 258.0, 194.0)


# -- images -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A benchmark image and what is in it."""

    image: PIL.Image.Image
    faces: tuple[BoxT, ...] = ()
    texts: tuple[str, ...] = ()


def _photo(name: str) -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB")


def _moved(boxes: Sequence[BoxT], dx: float, dy: float, s: float = 1.0) -> list[BoxT]:
    return [(dx + b[0] * s, dy + b[1] * s, dx + b[2] * s, dy + b[3] * s) for b in boxes]


def _grid(cells: Sequence[Scene], cols: int, side: int) -> Scene:
    """Square cells of ``side`` pixels, row by row."""
    rows = (len(cells) + cols - 1) // cols
    canvas = PIL.Image.new("RGB", (cols * side, rows * side), (128, 128, 128))
    faces: list[BoxT] = []
    for k, cell in enumerate(cells):
        x0, y0 = (k % cols) * side, (k // cols) * side
        canvas.paste(cell.image.resize((side, side), PIL.Image.Resampling.LANCZOS), (x0, y0))
        faces += [(x0 + b[0] * side / cell.image.width, y0 + b[1] * side / cell.image.height,
                   x0 + b[2] * side / cell.image.width, y0 + b[3] * side / cell.image.height) for b in cell.faces]
    return Scene(canvas, tuple(faces))


def _font(size: int) -> PIL.ImageFont.FreeTypeFont | PIL.ImageFont.ImageFont:
    return PIL.ImageFont.load_default(size=size)


def _sign(text: str, size: tuple[int, int], fg: tuple[int, int, int], bg: tuple[int, int, int], font_size: int) -> PIL.Image.Image:
    """A plain sign: ``text`` centred on a ``bg`` rectangle."""
    sign = PIL.Image.new("RGB", size, bg)
    draw = PIL.ImageDraw.Draw(sign)
    draw.text((size[0] / 2, size[1] / 2), text, fill=fg, font=_font(font_size), anchor="mm")
    return sign


def _with_signs(background: PIL.Image.Image, signs: Sequence[tuple[str, tuple[int, int], int]],
                fg: tuple[int, int, int] = (20, 20, 20), bg: tuple[int, int, int] = (245, 245, 235)) -> PIL.Image.Image:
    """``background`` with white signs pasted at their places: (text, (x, y), font size)."""
    out = background.copy()
    for text, at, size in signs:
        x1, y1, x2, y2 = _font(size).getbbox(text)
        sign = _sign(text, (round(x2 - x1) + size, round(y2 - y1) + size), fg, bg, size)
        out.paste(sign, at)
    return out


def _head_on(background: PIL.Image.Image, places: Sequence[tuple[int, int]], scale: float = 0.5) -> Scene:
    """The astronaut's head and shoulders pasted onto ``background`` at ``places``."""
    region = (130, 0, 320, 250)
    head = _photo("astronaut").crop(region)
    head = head.resize((round(head.width * scale), round(head.height * scale)), PIL.Image.Resampling.LANCZOS)
    face = (ASTRONAUT_FACE[0] - region[0], ASTRONAUT_FACE[1] - region[1], ASTRONAUT_FACE[2] - region[0], ASTRONAUT_FACE[3] - region[1])
    out = background.copy()
    faces: list[BoxT] = []
    for x, y in places:
        out.paste(head, (x, y))
        faces += _moved([face], x, y, scale)
    return Scene(out, tuple(faces))


def _lfw_on_rocket() -> Scene:
    """Five LFW faces (72 px) in a row on the rocket photo."""
    from skimage import data

    lfw_subset: Callable[[], Any] = data.lfw_subset  # untyped in scikit-image
    crops = np.asarray(lfw_subset())[5:10]
    out = _photo("rocket")
    faces: list[BoxT] = []
    for j, crop in enumerate(crops):
        face = PIL.Image.fromarray((crop * 255).round().astype(np.uint8)).convert("RGB").resize((72, 72), PIL.Image.Resampling.LANCZOS)
        at = (20 + j * 120, 80 + 60 * (j % 2))
        out.paste(face, at)
        faces.append((at[0], at[1], at[0] + 72.0, at[1] + 72.0))
    return Scene(out, tuple(faces))


def _side_by_side(left: Scene, right: Scene, height: int = 400) -> Scene:
    lw = round(left.image.width * height / left.image.height)
    rw = round(right.image.width * height / right.image.height)
    canvas = PIL.Image.new("RGB", (lw + rw, height))
    canvas.paste(left.image.resize((lw, height), PIL.Image.Resampling.LANCZOS), (0, 0))
    canvas.paste(right.image.resize((rw, height), PIL.Image.Resampling.LANCZOS), (lw, 0))
    faces = _moved(left.faces, 0, 0, height / left.image.height) + _moved(right.faces, lw, 0, height / right.image.height)
    return Scene(canvas, tuple(faces))


def _white(size: tuple[int, int] = (720, 400)) -> PIL.Image.Image:
    return PIL.Image.new("RGB", size, (250, 250, 250))


@functools.cache
def scene(name: str) -> Scene:
    """The benchmark image called ``name`` (built once)."""
    astronaut = Scene(_photo("astronaut"), (ASTRONAUT_FACE,))
    camera = Scene(_photo("camera"), (CAMERA_FACE,))
    coffee, chelsea, rocket = (Scene(_photo(n)) for n in ("coffee", "chelsea", "rocket"))
    builders: dict[str, Callable[[], Scene]] = {
        "astronaut": lambda: astronaut,
        "camera": lambda: camera,
        "coffee": lambda: coffee,
        "chelsea": lambda: chelsea,
        "rocket": lambda: rocket,
        "four astronauts": lambda: _grid([astronaut] * 4, 2, 256),
        "nine astronauts": lambda: _grid([astronaut] * 9, 3, 200),
        "astronaut and cameraman": lambda: _side_by_side(astronaut, camera),
        "astronaut and coffee": lambda: _side_by_side(astronaut, coffee),
        # Left column: two faces; right column: coffee (none) above the cameraman (one).
        "two left one right": lambda: _grid([astronaut, coffee, astronaut, camera], 2, 256),
        "two heads on coffee": lambda: _head_on(coffee.image, [(40, 60), (380, 120)]),
        "five LFW faces on rocket": _lfw_on_rocket,
        "stop sign": lambda: Scene(_with_signs(_photo("rocket"), [("STOP", (40, 120), 96)], fg=(250, 250, 250), bg=(200, 20, 30)), (), ("STOP",)),
        "open sign": lambda: Scene(_with_signs(_white(), [("OPEN", (210, 130), 110)]), (), ("OPEN",)),
        "welcome home": lambda: Scene(_with_signs(_white((900, 300)), [("WELCOME HOME", (90, 100), 80)]), (), ("WELCOME", "HOME")),
        "cafe on coffee": lambda: Scene(_with_signs(_photo("coffee"), [("CAFE", (20, 20), 64)]), (), ("CAFE",)),
        "exit and push": lambda: Scene(_with_signs(_white((900, 360)), [("EXIT", (30, 130), 72), ("PUSH", (660, 130), 72)]), (), ("EXIT", "PUSH")),
        "north and south": lambda: Scene(_with_signs(_white((1000, 360)), [("NORTH", (20, 40), 64), ("SOUTH", (720, 230), 64)]), (), ("NORTH", "SOUTH")),
        "sale and closed": lambda: Scene(_with_signs(_white((640, 560)), [("SALE", (200, 40), 80), ("CLOSED", (150, 430), 80)]), (), ("SALE", "CLOSED")),
        "hello astronaut": lambda: Scene(_with_signs(_photo("astronaut"), [("HELLO", (300, 40), 48)]), (ASTRONAUT_FACE,), ("HELLO",)),
        # A cafe's price board: names at the left, prices at the right of each row.
        "cafe menu": lambda: Scene(_with_signs(_white((700, 420)), [
            ("COFFEE", (40, 40), 48), ("$2.50", (520, 40), 48), ("TEA", (40, 160), 48), ("$1.80", (520, 160), 48),
            ("MUFFIN", (40, 280), 48), ("$3.25", (520, 280), 48)]), (), ("COFFEE", "TEA", "MUFFIN")),
        # Two fruit tags on a photo: each name above its price.
        "fruit tags": lambda: Scene(_with_signs(_photo("coffee").resize((760, 400)), [
            ("APPLE", (80, 90), 56), ("$0.99", (80, 190), 56), ("PEAR", (460, 90), 56), ("$1.49", (460, 190), 56)]), (), ("APPLE", "PEAR")),
    }
    if name not in builders:
        raise KeyError(f"no scene {name!r}; known: {', '.join(builders)}")
    return builders[name]()


# -- answers ----------------------------------------------------------------------

_NUMBER_WORDS = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"])}


def as_count(value: Any) -> int | None:
    """A count from an answer: an int, an integral float, or text holding one number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        words = re.findall(r"[a-z]+|\d+", value.lower())
        numbers = [int(w) if w.isdigit() else _NUMBER_WORDS[w] for w in words if w.isdigit() or w in _NUMBER_WORDS]
        return numbers[0] if len(numbers) == 1 else None
    return None


def as_number(value: Any) -> float | None:
    """An amount from an answer: a number, or text holding exactly one ("$2.50")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        numbers = re.findall(r"\d+(?:[.,]\d+)?", value)
        return float(numbers[0].replace(",", ".")) if len(numbers) == 1 else None
    return None


def as_yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().strip(".!").lower()
        return {"yes": True, "no": False, "true": True, "false": False}.get(text)
    return None


def words_of(value: Any) -> list[str] | None:
    """Upper-case words of a text answer (a string, or a list of strings)."""
    if isinstance(value, str):
        return re.findall(r"[A-Z0-9]+", value.upper())
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return re.findall(r"[A-Z0-9]+", " ".join(value).upper())
    return None


def _expanded(box: BoxT, factor: float) -> BoxT:
    cx, cy, w, h = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1]
    return (cx - w * factor / 2, cy - h * factor / 2, cx + w * factor / 2, cy + h * factor / 2)


def _region(mask: np.ndarray, box: BoxT) -> np.ndarray:
    h, w = mask.shape
    x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
    x2, y2 = min(w, int(np.ceil(box[2]))), min(h, int(np.ceil(box[3])))
    return mask[y1:y2, x1:x2]


def _emoji_matches(original: np.ndarray, edited: np.ndarray, changed: np.ndarray, face: BoxT, emoji: str) -> bool:
    """Is the change over ``face`` the Twemoji ``emoji`` pasted as a square sticker?

    The sticker's size and place are read from the changed pixels connected to the
    face's centre (the opaque part of the picture); then the picture is pasted onto the
    original as the emoji tool does (LANCZOS resize, alpha paste) at nearby sizes and
    places, and the best paste must match the edited pixels.
    """
    from skimage import measure
    from visprog_tools.editing import emoji_picture

    label_components: Callable[..., Any] = measure.label  # untyped in scikit-image
    labels = np.asarray(label_components(changed, connectivity=2))
    cx, cy = int((face[0] + face[2]) / 2), int((face[1] + face[3]) / 2)
    label = labels[min(cy, changed.shape[0] - 1), min(cx, changed.shape[1] - 1)]
    if label == 0:
        return False
    ys, xs = np.nonzero(labels == label)
    cx1, cy1, cx2, cy2 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    picture = emoji_picture(emoji)
    ays, axs = np.nonzero(np.asarray(picture)[:, :, 3] > 0)
    side0 = round((cx2 - cx1) / ((axs.max() + 1 - axs.min()) / picture.width))
    base = PIL.Image.fromarray(original).convert("RGBA")
    window = (slice(cy1, cy2), slice(cx1, cx2))
    best = float("inf")
    for side in range(max(1, side0 - 2), side0 + 3):
        sticker = picture.resize((side, side), PIL.Image.Resampling.LANCZOS)
        sx0 = round(cx1 - axs.min() / picture.width * side)
        sy0 = round(cy1 - ays.min() / picture.height * side)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                canvas = base.copy()
                canvas.paste(sticker, (sx0 + dx, sy0 + dy), sticker)
                expected = np.asarray(canvas.convert("RGB")).astype(np.int16)
                best = min(best, float(np.abs(expected[window] - edited[window]).mean()))
    return best < 6.0


def hidden_faces(original: PIL.Image.Image, value: Any, faces: Sequence[BoxT], emoji: str | None) -> tuple[bool, str]:
    """Every face covered (and by ``emoji`` when named), nothing changed away from faces."""
    from visprog import Image

    if not isinstance(value, Image):
        return False, f"answer is {type(value).__name__}, not an image"
    edited = np.asarray(value.pil.convert("RGB")).astype(np.int16)
    before = np.asarray(original).astype(np.int16)
    if edited.shape != before.shape:
        return False, f"image of {edited.shape[1]}x{edited.shape[0]}, not {before.shape[1]}x{before.shape[0]}"
    changed = np.abs(edited - before).max(axis=2) > 24
    near = np.zeros_like(changed)
    for k, face in enumerate(faces):
        covered = float(_region(changed, face).mean())
        if covered < 0.6:
            return False, f"face {k + 1} only {covered:.0%} covered"
        x1, y1, x2, y2 = _expanded(face, 2.2)
        near[max(0, int(y1)) : max(0, int(y2)), max(0, int(x1)) : max(0, int(x2))] = True
        if emoji is not None and not _emoji_matches(before.astype(np.uint8), edited, changed, face, emoji):
            return False, f"face {k + 1} is not covered by {emoji!r}"
    outside = float(changed[~near].mean()) if (~near).any() else 0.0
    if outside > 0.002:
        return False, f"{outside:.1%} of the pixels away from the faces changed"
    return True, ""


# -- requests ---------------------------------------------------------------------

COUNT = "OBJ0=FACEDET(image=IMAGE)\nN0=COUNT(box=OBJ0)\nFINAL=RESULT(var=N0)"
READ = "TEXT0=read_text(image=IMAGE)\nANS0=EVAL(expr=\"' '.join({TEXT0}.labels)\")\nFINAL=RESULT(var=ANS0)"


def _faces_in(half: str, tail: str = "FINAL=RESULT(var=N0)") -> str:
    return f"BOX0=LOC(image=IMAGE,object='{half}')\nIMAGE0=CROP(image=IMAGE,box=BOX0)\nOBJ0=FACEDET(image=IMAGE0)\nN0=COUNT(box=OBJ0)\n{tail}"


def _faces_test(condition: str) -> str:
    return f"OBJ0=FACEDET(image=IMAGE)\nN0=COUNT(box=OBJ0)\nANS0=EVAL(expr=\"'yes' if {condition} else 'no'\")\nFINAL=RESULT(var=ANS0)"


def _read_in(half: str) -> str:
    return (f"BOX0=LOC(image=IMAGE,object='{half}')\nIMAGE0=CROP(image=IMAGE,box=BOX0)\nTEXT0=read_text(image=IMAGE0)\n"
            "ANS0=EVAL(expr=\"' '.join({TEXT0}.labels)\")\nFINAL=RESULT(var=ANS0)")


def _says(word: str) -> str:
    return (f"TEXT0=read_text(image=IMAGE)\nANS0=EVAL(expr=\"'yes' if '{word}' in ' '.join({{TEXT0}}.labels).upper() else 'no'\")\n"
            "FINAL=RESULT(var=ANS0)")


def _hide(emoji: str) -> str:
    return f"OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='{emoji}')\nFINAL=RESULT(var=IMAGE0)"


def _price(item: str, test: str | None = None, *, other: str | None = None, combine: str | None = None) -> str:
    """A reference program (general Python form) that reads the price on the row or tag
    of ``item``: the number box nearest the item's box, vertical distance weighted 3x.
    ``test`` is an expression of ``price``; with ``other``, ``combine`` is one of
    ``price`` and ``price2``."""
    def read(name: str, var: str) -> str:
        return (f"box = [b for b in lines if '{name}' in b.label.upper()][0]\n"
                f"{var} = float(min(numbers, key=lambda c: abs(c.cy - box.cy) * 3 + abs(c.cx - box.cx)).label.strip('$'))\n")
    head = "lines = read_text(IMAGE)\nnumbers = [b for b in lines if any(ch.isdigit() for ch in b.label)]\n" + read(item, "price")
    if other is not None:
        return head + read(other, "price2") + f"result({combine})"
    return head + f"result({test or 'price'})"


def _pair(expr: str) -> str:
    return f"A0=FACEDET(image=LEFT)\nA=COUNT(box=A0)\nB0=FACEDET(image=RIGHT)\nB=COUNT(box=B0)\nANS0=EVAL(expr=\"{expr}\")\nFINAL=RESULT(var=ANS0)"


@dataclass(frozen=True)
class Request:
    """A request, its image, its ground truth and a hand-written reference program.

    ``kind`` is "count" (``expected`` an int), "yesno" (a bool), "text" (the words that
    must be in the answer; ``absent``: words that must not be), "number" (an amount,
    ``expected`` a float; text holding one number counts) or "hide" (``expected``
    the emoji's name, or None for any emoji; the scene's faces are the ground truth).
    """

    id: str
    text: str
    scene: str
    kind: str
    expected: Any
    reference: str
    absent: tuple[str, ...] = field(default=())
    scene2: str | None = None  # a second image: the pair is LEFT (scene) and RIGHT (scene2)


REQUESTS: tuple[Request, ...] = (
    # Counting faces.
    Request("count-4", "How many faces are there?", "four astronauts", "count", 4, COUNT),
    Request("count-2-people", "How many people are in this photo?", "astronaut and cameraman", "count", 2, COUNT),
    Request("count-9", "Count the faces.", "nine astronauts", "count", 9, COUNT),
    Request("count-1", "How many faces can you see?", "astronaut", "count", 1, COUNT),
    Request("count-0", "How many faces are in the picture?", "coffee", "count", 0, COUNT),
    Request("count-lfw", "How many people are there?", "five LFW faces on rocket", "count", 5, COUNT),
    Request("count-heads", "Count the people in the image.", "two heads on coffee", "count", 2, COUNT),
    Request("count-left", "How many faces are in the left half of the image?", "two left one right", "count", 2, _faces_in("LEFT")),
    Request("count-right", "How many faces are on the right side?", "two left one right", "count", 1, _faces_in("RIGHT")),
    # Yes/no about faces.
    Request("person-yes", "Is there a person in this image?", "astronaut", "yesno", True, _faces_test("{N0} > 0")),
    Request("face-no", "Is there a face in this picture?", "coffee", "yesno", False, _faces_test("{N0} > 0")),
    Request("people-cat", "Are there any people in the photo?", "chelsea", "yesno", False, _faces_test("{N0} > 0")),
    Request("more-than-one-yes", "Is there more than one face?", "astronaut and cameraman", "yesno", True, _faces_test("{N0} > 1")),
    Request("more-than-one-no", "Is there more than one person?", "camera", "yesno", False, _faces_test("{N0} > 1")),
    Request("exactly-four", "Are there exactly four faces?", "four astronauts", "yesno", True, _faces_test("{N0} == 4")),
    Request("left-more", "Are there more faces on the left than on the right?", "two left one right", "yesno", True,
            "BOX0=LOC(image=IMAGE,object='LEFT')\nIMAGE0=CROP(image=IMAGE,box=BOX0)\nOBJ0=FACEDET(image=IMAGE0)\nN0=COUNT(box=OBJ0)\n"
            "BOX1=LOC(image=IMAGE,object='RIGHT')\nIMAGE1=CROP(image=IMAGE,box=BOX1)\nOBJ1=FACEDET(image=IMAGE1)\nN1=COUNT(box=OBJ1)\n"
            "ANS0=EVAL(expr=\"'yes' if {N0} > {N1} else 'no'\")\nFINAL=RESULT(var=ANS0)"),
    Request("face-right-no", "Is there a face in the right half of the image?", "astronaut and coffee", "yesno", False,
            _faces_in("RIGHT", "ANS0=EVAL(expr=\"'yes' if {N0} > 0 else 'no'\")\nFINAL=RESULT(var=ANS0)")),
    Request("face-left-yes", "Is there a face on the left side?", "astronaut and coffee", "yesno", True,
            _faces_in("LEFT", "ANS0=EVAL(expr=\"'yes' if {N0} > 0 else 'no'\")\nFINAL=RESULT(var=ANS0)")),
    # Reading text.
    Request("read-stop", "What does the sign say?", "stop sign", "text", ("STOP",), READ),
    Request("read-open", "What is written on the sign?", "open sign", "text", ("OPEN",), READ),
    Request("read-welcome", "Read the text in this image.", "welcome home", "text", ("WELCOME", "HOME"), READ),
    Request("read-cafe", "What word is written in the picture?", "cafe on coffee", "text", ("CAFE",), READ),
    Request("read-hello", "What does the sign next to the astronaut say?", "hello astronaut", "text", ("HELLO",), READ),
    # Yes/no about text.
    Request("says-stop", "Does the sign say STOP?", "stop sign", "yesno", True, _says("STOP")),
    Request("says-open-no", "Does the sign say OPEN?", "stop sign", "yesno", False, _says("OPEN")),
    Request("says-home", "Does the sign mention home?", "welcome home", "yesno", True, _says("HOME")),
    Request("any-text-no", "Is there any text in this picture?", "chelsea", "yesno", False,
            "TEXT0=read_text(image=IMAGE)\nN0=COUNT(box=TEXT0)\nANS0=EVAL(expr=\"'yes' if {N0} > 0 else 'no'\")\nFINAL=RESULT(var=ANS0)"),
    Request("any-text-yes", "Is there any writing in this image?", "open sign", "yesno", True,
            "TEXT0=read_text(image=IMAGE)\nN0=COUNT(box=TEXT0)\nANS0=EVAL(expr=\"'yes' if {N0} > 0 else 'no'\")\nFINAL=RESULT(var=ANS0)"),
    # Text in a region.
    Request("left-text", "What is written on the left?", "exit and push", "text", ("EXIT",), _read_in("LEFT"), absent=("PUSH",)),
    Request("right-text", "What does the right side say?", "exit and push", "text", ("PUSH",), _read_in("RIGHT"), absent=("EXIT",)),
    Request("top-text", "What is written at the top?", "sale and closed", "text", ("SALE",), _read_in("TOP"), absent=("CLOSED",)),
    Request("bottom-text", "What text is at the bottom of the image?", "sale and closed", "text", ("CLOSED",), _read_in("BOTTOM"), absent=("SALE",)),
    Request("right-half-text", "Read the text on the right half.", "north and south", "text", ("SOUTH",), _read_in("RIGHT"), absent=("NORTH",)),
    # Hiding faces.
    Request("hide-smiley", "Hide the faces with a smiley.", "four astronauts", "hide", "smiley", _hide("smiley")),
    Request("hide-wink", "Cover the face with a winking face emoji.", "astronaut", "hide", "winking_face", _hide("winking_face")),
    Request("hide-cat", "Put a cat emoji over every face.", "astronaut and cameraman", "hide", "cat", _hide("cat")),
    Request("hide-sunglasses", "Hide the face with the sunglasses emoji.", "camera", "hide", "sunglasses", _hide("sunglasses")),
    Request("hide-any", "Hide everyone's face.", "two heads on coffee", "hide", None, _hide("smiley")),
    Request("hide-lfw", "Replace each face with a smiling face emoji.", "five LFW faces on rocket", "hide", "smiling_face", _hide("smiling_face")),
    # Prices of named items (added with the price entries of the library; own wordings).
    Request("price-coffee", "how much is a coffee?", "cafe menu", "number", 2.5, _price("COFFEE")),
    Request("price-muffin", "What does the muffin cost", "cafe menu", "number", 3.25, _price("MUFFIN")),
    Request("price-pear", "price of the pear?", "fruit tags", "number", 1.49, _price("PEAR")),
    Request("price-over-yes", "Is the muffin more than $3?", "cafe menu", "yesno", True, _price("MUFFIN", "'yes' if price > 3 else 'no'")),
    Request("price-over-no", "is tea over 2 dollars", "cafe menu", "yesno", False, _price("TEA", "'yes' if price > 2 else 'no'")),
    Request("cheaper-fruit", "Which is cheaper, the apple or the pear?", "fruit tags", "text", ("APPLE",),
            _price("APPLE", other="PEAR", combine="'apple' if price < price2 else 'pear'"), absent=("PEAR",)),
    Request("pricier-drink", "what costs more, tea or coffee", "cafe menu", "text", ("COFFEE",),
            _price("TEA", other="COFFEE", combine="'tea' if price > price2 else 'coffee'"), absent=("TEA",)),
    Request("total-menu", "What do all the prices add up to?", "cafe menu", "number", 7.55,
            "lines = read_text(IMAGE)\nresult(round(sum(float(b.label.strip('$')) for b in lines if b.label.startswith('$')), 2))"),
    # Halves: which side, where, an empty half.
    Request("which-side-more", "which side has more faces?", "two left one right", "text", ("LEFT",),
            "a = detect_faces(crop(IMAGE, image_half(IMAGE, 'LEFT')))\nb = detect_faces(crop(IMAGE, image_half(IMAGE, 'RIGHT')))\n"
            "result('left' if len(a) > len(b) else 'right')", absent=("RIGHT",)),
    Request("where-face", "Where is the face, left or right?", "astronaut and coffee", "text", ("LEFT",),
            "faces = detect_faces(IMAGE)\nresult('left' if faces[0].cx < IMAGE.width / 2 else 'right')", absent=("RIGHT",)),
    Request("right-half-empty", "is the right half empty of faces?", "astronaut and coffee", "yesno", True,
            _faces_in("RIGHT", "ANS0=EVAL(expr=\"'yes' if {N0} == 0 else 'no'\")\nFINAL=RESULT(var=ANS0)")),
    # Two images (LEFT, RIGHT).
    Request("pair-both-no", "Do both photos have people in them?", "astronaut", "yesno", False, _pair("'yes' if {A} > 0 and {B} > 0 else 'no'"), scene2="coffee"),
    Request("pair-either-yes", "does either picture show a face?", "coffee", "yesno", True, _pair("'yes' if {A} > 0 or {B} > 0 else 'no'"), scene2="camera"),
    Request("pair-which-more", "Which image has more faces?", "four astronauts", "text", ("LEFT",), _pair("'left' if {A} > {B} else 'right'"),
            absent=("RIGHT",), scene2="camera"),
    Request("pair-count-second", "how many faces in the second picture?", "four astronauts", "count", 1, _pair("{B}"), scene2="camera"),
    Request("pair-only-one", "Is there a face in only one of the images?", "astronaut", "yesno", True,
            _pair("'yes' if ({A} > 0) != ({B} > 0) else 'no'"), scene2="coffee"),
)


def check(request: Request, value: Any) -> tuple[bool, str]:
    """Is ``value`` the right answer to ``request``? (right, why not)"""
    found = scene(request.scene)
    if request.kind == "count":
        count = as_count(value)
        return (count == request.expected, "" if count == request.expected else f"not a count: {_short(value)}" if count is None else f"{count} != {request.expected}")
    if request.kind == "yesno":
        answer = as_yes_no(value)
        if answer is None:
            return False, f"not yes/no: {_short(value)}"
        return answer == request.expected, "" if answer == request.expected else f"{'yes' if answer else 'no'} is wrong"
    if request.kind == "text":
        words = words_of(value)
        if words is None:
            return False, f"not text: {_short(value)}"
        missing = [w for w in request.expected if w not in words]
        extra = [w for w in request.absent if w in words]
        if missing or extra:
            return False, f"missing {missing}" if missing else f"also read {extra}"
        return True, ""
    if request.kind == "number":
        number = as_number(value)
        if number is None:
            return False, f"not one number: {_short(value)}"
        right = abs(number - request.expected) < 0.005
        return right, "" if right else f"{number} != {request.expected}"
    if request.kind == "hide":
        return hidden_faces(found.image, value, found.faces, request.expected)
    raise ValueError(f"unknown kind {request.kind!r}")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if not hasattr(value, "pil") else f"<{type(value).__name__} {value.pil.width}x{value.pil.height}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- runner -----------------------------------------------------------------------


def run_one(request: Request, oracle: bool) -> dict[str, Any]:
    """Answer one request (by ``ask``, or by its reference program) and check it."""
    from visprog import ask, run_program

    image = scene(request.scene).image
    image2 = scene(request.scene2).image if request.scene2 else None
    started = time.perf_counter()
    if oracle:
        result = run_program(request.reference, image) if image2 is None else run_program(
            request.reference, inputs={"LEFT": image, "RIGHT": image2})
    else:
        result = ask(request.text, image, image2=image2)
    seconds = time.perf_counter() - started
    right, why = check(request, result.result) if result.error is None else (False, f"error: {result.error}")
    attempts = None if oracle else len(result.trace.attempts)
    checked_program = None if oracle else any(not a.diagnostics for a in result.trace.attempts)
    return {
        "id": request.id, "request": request.text, "scene": request.scene, "right": right, "why": why[:160],
        "answer": _short(result.result), "attempts": attempts, "program_checked": checked_program,
        "seconds": seconds, "program": result.trace.program if not oracle else request.reference,
    }


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    seconds = sorted(r["seconds"] for r in rows)
    attempts = [r["attempts"] for r in rows if r["attempts"] is not None]
    later = seconds if len(rows) < 2 else sorted(r["seconds"] for r in rows[1:])
    return {
        "right": sum(r["right"] for r in rows), "checked": len(rows),
        "mean_attempts": statistics.mean(attempts) if attempts else None,
        "program_checked": sum(bool(r["program_checked"]) for r in rows),
        "median_s": statistics.median(seconds) if seconds else 0.0,
        "p90_s": float(np.percentile(seconds, 90)) if seconds else 0.0,
        "first_s": rows[0]["seconds"] if rows else 0.0,
        "median_after_first_s": statistics.median(later) if later else 0.0,
        "p90_after_first_s": float(np.percentile(later, 90)) if later else 0.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--oracle", action="store_true", help="run the hand-written reference programs instead of asking")
    parser.add_argument("--only", help="comma-separated request ids")
    parser.add_argument("--json", type=Path, help="write the rows and the summary here")
    parser.add_argument("--save-images", type=Path, help="write each request's image here (PNG)")
    args = parser.parse_args(argv)
    chosen = list(REQUESTS)
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        unknown = wanted - {r.id for r in REQUESTS}
        if unknown:
            print(f"unknown request ids: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        chosen = [r for r in REQUESTS if r.id in wanted]
    elif QUICK:
        first_of_kind: dict[str, Request] = {}
        for request in REQUESTS:
            first_of_kind.setdefault(request.kind, request)
        chosen = list(first_of_kind.values())
    if args.save_images:
        args.save_images.mkdir(parents=True, exist_ok=True)
        for name in sorted({r.scene for r in chosen}):
            scene(name).image.save(args.save_images / f"{name.replace(' ', '_')}.png")
    mode = "reference programs (run_program)" if args.oracle else "visprog.ask with the default planner"
    load_before = os.getloadavg()[0]
    print(f"{len(chosen)} requests, {mode}; {os.cpu_count()} CPUs, load average {load_before:.1f}", flush=True)
    print(f"{'id':<18} {'ok':<3} {'att':>3} {'sec':>7}  answer / why", flush=True)
    rows = []
    for request in chosen:
        row = run_one(request, args.oracle)
        rows.append(row)
        att = "-" if row["attempts"] is None else str(row["attempts"])
        note = row["answer"] if row["right"] else f"{row['answer']}  <- {row['why']}"
        print(f"{row['id']:<18} {'yes' if row['right'] else 'NO':<3} {att:>3} {row['seconds']:>7.1f}  {note}", flush=True)
    s = summary(rows)
    print()
    print(f"answered right: {s['right']} of {s['checked']} checked ({100 * s['right'] / max(1, s['checked']):.0f}%)")
    if not args.oracle:
        print(f"mean attempts: {s['mean_attempts']:.2f}; a program passed the checker for {s['program_checked']} of {s['checked']}")
    print(f"seconds per request: median {s['median_s']:.1f}, p90 {s['p90_s']:.1f} "
          f"(first request {s['first_s']:.1f}, loads included; after it: median {s['median_after_first_s']:.1f}, "
          f"p90 {s['p90_after_first_s']:.1f})")
    print(f"load average: {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
          "(above the CPU count, other processes slowed these timings)")
    if args.json:
        args.json.write_text(json.dumps({"mode": "oracle" if args.oracle else "ask", "summary": s, "rows": rows}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
