"""Pictures for the second held-out request set, generated at run time from assets that ship.

Sources: scikit-image's ``skimage.data`` (``lfw_subset``: 25x25 grey faces from Labeled
Faces in the Wild, upscaled; ``camera``; ``astronaut``; ``stereo_motorcycle``; the
``grass`` / ``brick`` / ``gravel`` textures), the project's ``demos/images/*`` (the
astronaut and the hand close-up), the football photo ``messi5.jpg`` that Debian's
``opencv-doc`` ships (only for the two "tilted kick" pictures; without it those two
pictures fail to build with one line saying so), walls and stripes drawn with numpy
(fixed seeds), and text drawn with the DejaVu fonts that the ``opencv-python`` wheel
ships (``cv2/qt/fonts``; Pillow's own FreeType font when they are absent). Nothing
generated is committed: :func:`build_all` writes the files into a cache folder
(default ``~/.cache/visprog-heldout2``, or ``VISPROG_HELDOUT2_DIR``).

The layouts, counts, words and prices differ from the first set
(``benchmarks/heldout/pictures.py``, whose head crops and backdrops are reused).

Each picture carries its ground truth (:class:`Truth`), in the *displayed* orientation,
pixels with the origin top-left and ``x2``/``y2`` exclusive. :func:`verify` runs the real
offline tools through ``visprog.run_program`` and reports every disagreement: face count
and boxes (``FACEDET``), faces per top/bottom half, words read and words that must *not*
be read (``read_text``), people (``PERSONDET``) and where they stand, raised hands
(``pose``), hands (``HANDS``).

    .venv/bin/python benchmarks/heldout2/pictures.py --verify
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demos" / "images"
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")

BoxT = tuple[int, int, int, int]

# The runner reports these groups apart from the overall score; every tool this set
# needs is ready offline, so none is.
REPORTED_APART: tuple[str, ...] = ()


def _load_first_set() -> ModuleType:
    name = "heldout_pictures_first_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_first = _load_first_set()
_skimage = _first._skimage
_head = _first._head
_head_geometry = _first._head_geometry
_backdrop = _first._backdrop
_iou = _first._iou
_norm_text = _first._norm_text
displayed_size = _first.displayed_size


@dataclass(frozen=True)
class Truth:
    """What is really in a picture (``None``: not stated / not checked)."""

    faces: int | None = None
    face_boxes: tuple[BoxT, ...] = ()
    words: tuple[str, ...] | None = None  # text OCR must read; () means "no text at all"
    absent: tuple[str, ...] = ()  # words OCR must not read (the "is X written?" no-cases)
    person_box: BoxT | None = None  # the (main) person's box, for edit checks
    persons: int | None = None  # how many people PERSONDET finds
    person_side: str | None = None  # "left" / "right": where the one person's centre is
    raised: int | None = None  # how many poses raise a hand
    hands: int | None = None  # how many hands HANDS finds

    def halves(self, width: int) -> tuple[int, int]:
        """Faces whose centre lies in the left / right half of a ``width``-wide picture."""
        left = sum(1 for b in self.face_boxes if (b[0] + b[2]) / 2 < width / 2)
        return left, len(self.face_boxes) - left

    def vhalves(self, height: int) -> tuple[int, int]:
        """Faces whose centre lies in the top / bottom half of a ``height``-tall picture."""
        top = sum(1 for b in self.face_boxes if (b[1] + b[3]) / 2 < height / 2)
        return top, len(self.face_boxes) - top


@dataclass
class Picture:
    name: str
    build: Callable[[], Image.Image | bytes]
    truth: Truth
    suffix: str = ".png"
    exif_orientation: int | None = None  # kept for the runner's interface; unused here
    extra: dict[str, object] = field(default_factory=dict)


# ----------------------------------------------------------------------------- sources


@functools.cache
def _font_path(bold: bool) -> str | None:
    spec = importlib.util.find_spec("cv2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "qt" / "fonts" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
        if path.is_file():
            return str(path)
    return None


def _font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path(bold)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _wall(size: tuple[int, int], colour: tuple[int, int, int], seed: int, stripes: int = 0) -> Image.Image:
    """A painted wall: ``colour`` with fine noise and optional soft vertical stripes."""
    w, h = size
    rng = np.random.default_rng(seed)
    arr = np.empty((h, w, 3), dtype=np.float32)
    arr[:] = colour
    arr += rng.normal(0, 6, size=(h, w, 1))
    if stripes:
        x = np.arange(w, dtype=np.float32)
        arr += (12 * np.sin(2 * np.pi * x * stripes / w))[None, :, None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _lfw_tile(index: int, size: int, tint: tuple[float, float, float] = (1.0, 0.93, 0.82)) -> Image.Image:
    """Face ``index`` of scikit-image's LFW subset, upscaled to ``size`` and warmed."""
    from skimage import data

    gray = Image.fromarray((data.lfw_subset()[index] * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    arr = np.asarray(gray, dtype=np.float32)[:, :, None] * np.asarray(tint, dtype=np.float32)[None, None, :]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def _lfw_face_box(x: int, y: int, size: int) -> BoxT:
    """Where YuNet puts the face in a tile pasted at (x, y) (measured: the tile less a side margin)."""
    return (x + round(0.05 * size), y, x + round(0.85 * size), y + round(0.97 * size))


# A face on a picture: ("lfw", index, x, y, size) tiles, or ("head", kind, cx, top, height)
# head crops of the first set (kind: astronaut, camera, left, right).
Face = tuple[str, object, int, int, int]


def _face_boxes(faces: list[Face]) -> tuple[BoxT, ...]:
    boxes: list[BoxT] = []
    for source, what, a, b, size in faces:
        if source == "lfw":
            boxes.append(_lfw_face_box(a, b, size))
        else:
            width, face = _head_geometry(str(what), size)
            x = a - width // 2
            boxes.append((face[0] + x, face[1] + b, face[2] + x, face[3] + b))
    return tuple(boxes)


def _paste_faces(canvas: Image.Image, faces: list[Face]) -> Image.Image:
    out = canvas.copy()
    for source, what, a, b, size in faces:
        if source == "lfw":
            tile = _lfw_tile(int(what), size)  # type: ignore[call-overload]
            draw = ImageDraw.Draw(out)
            draw.rectangle((a - 8, b - 8, a + size + 7, b + size + 7), fill=(60, 45, 30))  # a frame
            out.paste(tile, (a, b))
        else:
            head = _head(str(what), size)
            out.paste(head, (a - head.width // 2, b))
    return out


def _faces_picture(name: str, faces: list[Face], canvas: Callable[[], Image.Image], **truth: object) -> Picture:
    boxes = _face_boxes(faces)
    return Picture(name, lambda: _paste_faces(canvas(), faces), Truth(faces=len(boxes), face_boxes=boxes, **truth))  # type: ignore[arg-type]


def _plate(img: Image.Image, lines: list[str], box: BoxT, bg: tuple[int, int, int], fg: tuple[int, int, int],
           font_size: int, radius: int = 18, outline: tuple[int, int, int] = (30, 30, 30), bold: bool = True) -> Image.Image:
    """Draw a plate at ``box`` with the lines centred on it (in place) and return ``img``."""
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle(box, radius=radius, fill=bg, outline=outline, width=5)
    font = _font(font_size, bold)
    bbs = [draw.textbbox((0, 0), line, font=font) for line in lines]
    line_h = max(bb[3] - bb[1] for bb in bbs)
    gap = font_size // 3
    total = len(lines) * line_h + (len(lines) - 1) * gap
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    y = cy - total // 2
    for line, bb in zip(lines, bbs, strict=True):
        draw.text((cx - (bb[2] - bb[0]) // 2 - bb[0], y - bb[1]), line, font=font, fill=fg)
        y += line_h + gap
    return img


def _sign(name: str, lines: list[str], bg: tuple[int, int, int], fg: tuple[int, int, int], font_size: int,
          size: tuple[int, int] = (800, 450), wall: tuple[int, int, int] = (150, 140, 120), seed: int = 1,
          absent: tuple[str, ...] = (), words: tuple[str, ...] | None = None) -> Picture:
    w, h = size

    def build() -> Image.Image:
        img = _wall(size, wall, seed, stripes=9)
        return _plate(img, lines, (w // 8, h // 5, w - w // 8, h - h // 5), bg, fg, font_size)

    return Picture(name, build, Truth(faces=0, words=tuple(lines) if words is None else words, absent=absent))


def _shelf_tag(img: Image.Image, lines: list[str], box: BoxT, font_size: int) -> Image.Image:
    """A white shelf label with a red top stripe (in place)."""
    draw = ImageDraw.Draw(img)
    draw.rectangle(box, fill=(250, 250, 248), outline=(40, 40, 40), width=4)
    draw.rectangle((box[0], box[1], box[2], box[1] + 22), fill=(200, 30, 30))
    inner = (box[0] + 6, box[1] + 26, box[2] - 6, box[3] - 6)
    return _plate(img, lines, inner, (250, 250, 248), (15, 15, 15), font_size, radius=2, outline=(250, 250, 248))


def _tags_picture(name: str, tags: list[list[str]], size: tuple[int, int] = (1000, 420), font_size: int = 56,
                  absent: tuple[str, ...] = ()) -> Picture:
    w, h = size

    def build() -> Image.Image:
        img = _backdrop("gravel", size, (190, 150, 105))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, h - 70, w, h), fill=(120, 85, 50))  # the shelf
        slot = w // len(tags)
        for i, lines in enumerate(tags):
            x1 = i * slot + slot // 10
            _shelf_tag(img, lines, (x1, h // 6, x1 + slot * 8 // 10, h - 90), font_size)
        return img

    words = tuple(line for lines in tags for line in lines)
    return Picture(name, build, Truth(faces=0, words=words, absent=absent))


def _receipt(name: str, lines: list[str], size: tuple[int, int] = (560, 640), font_size: int = 46) -> Picture:
    w, h = size

    def build() -> Image.Image:
        img = _wall(size, (70, 80, 95), seed=7)
        draw = ImageDraw.Draw(img)
        draw.rectangle((60, 30, w - 60, h - 30), fill=(247, 245, 238))
        font = _font(font_size, bold=False)
        y = 80
        for line in lines:
            label, _, price = line.rpartition(" ")
            draw.text((95, y), label, font=font, fill=(25, 25, 25))
            pb = draw.textbbox((0, 0), price, font=font)
            draw.text((w - 95 - (pb[2] - pb[0]) - pb[0], y), price, font=font, fill=(25, 25, 25))
            y += font_size + 40
        return img

    return Picture(name, build, Truth(faces=0, words=tuple(w for line in lines for w in line.split())))


@functools.cache
def _messi() -> Image.Image:
    path = OPENCV_DATA / "messi5.jpg"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: install Debian's opencv-doc for the tilted-kick pictures")
    return Image.open(path).convert("RGB")


def _tilted_kick() -> Image.Image:
    """The football photo turned 15 degrees clockwise: the player's left arm goes up above his head."""
    return _messi().rotate(-15, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(70, 110, 60))


def _person(kind: str) -> Image.Image:
    """An upper-body cut-out: the astronaut or the cameraman."""
    if kind == "astronaut":
        return _skimage("astronaut").crop((20, 0, 420, 512))
    return _skimage("camera").crop((60, 40, 440, 512))


def _people_scene(size: tuple[int, int], people: list[tuple[str, int, int]], texture: str,
                  tint: tuple[int, int, int]) -> Callable[[], Image.Image]:
    def build() -> Image.Image:
        canvas = _backdrop(texture, size, tint)
        for kind, x, y in people:
            canvas.paste(_person(kind), (x, y))
        return canvas

    return build


def _person_face(kind: str, x: int, y: int) -> BoxT:
    # faces as detect_faces finds them in the source photos (see the first set)
    fx1, fy1, fx2, fy2, ox, oy = (178, 63, 267, 175, 20, 0) if kind == "astronaut" else (195, 113, 255, 193, 60, 40)
    return (fx1 - ox + x, fy1 - oy + y, fx2 - ox + x, fy2 - oy + y)


def _broken() -> bytes:
    return b"\x89PNG\r\n\x1a\nthis file was cut short by a failed upload"


# ----------------------------------------------------------------------------- catalogue

_ROW5: list[Face] = [("lfw", 3, 40, 30, 150), ("lfw", 21, 250, 20, 160), ("lfw", 40, 430, 40, 140),
                     ("lfw", 77, 700, 25, 150), ("lfw", 92, 950, 30, 150)]
_DUO_HEADS: list[Face] = [("head", "camera", 230, 20, 240), ("head", "astronaut", 660, 20, 250)]
_SOLO: list[Face] = [("head", "camera", 250, 20, 230)]
_LEFT3: list[Face] = [("lfw", 12, 50, 60, 130), ("lfw", 55, 270, 300, 130), ("lfw", 88, 100, 330, 120)]
_ONE_TWO: list[Face] = [("head", "astronaut", 220, 20, 220), ("lfw", 60, 640, 60, 150), ("lfw", 51, 860, 280, 150)]
_TALL_2_1: list[Face] = [("lfw", 7, 70, 90, 170), ("lfw", 64, 320, 160, 170), ("head", "right", 380, 560, 220)]
_TALL_0_2: list[Face] = [("lfw", 99, 80, 560, 170), ("lfw", 47, 330, 620, 170)]
_GRID6: list[Face] = [("lfw", 5, 40, 40, 180), ("lfw", 35, 250, 40, 180), ("lfw", 65, 620, 40, 180),
                      ("lfw", 95, 40, 340, 180), ("lfw", 25, 600, 340, 180), ("lfw", 15, 800, 340, 180)]
_GROUP4: list[Face] = [("lfw", 33, 60, 40, 150), ("head", "astronaut", 420, 200, 260), ("head", "camera", 760, 20, 220),
                       ("lfw", 70, 1000, 300, 160)]
_HEAD_SIGN: list[Face] = [("head", "camera", 200, 40, 230)]

_ASTRO_LEFT = ("astronaut", 90, 110)  # the astronaut cut-out, left of centre on a wide backdrop
_CAM_RIGHT = ("camera", 700, 130)
_DUO = [("astronaut", 40, 40), ("camera", 560, 80)]
# the people themselves inside their cut-outs (measured on the pictures; the cut-outs also hold
# their photos' backgrounds: a flag and a shuttle, a tripod and a lawn)
_ASTRO_LEFT_PERSON: BoxT = (85, 120, 440, 622)
_CAM_RIGHT_PERSON: BoxT = (700, 155, 975, 602)



def _head_and_sign() -> Image.Image:
    img = _paste_faces(_wall((1000, 520), (120, 135, 150), seed=3, stripes=5), _HEAD_SIGN)
    return _plate(img, ["EXIT"], (560, 170, 920, 350), (20, 130, 60), (255, 255, 255), 110)


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    beige = functools.partial(_wall, (1200, 420), (205, 190, 165), 11, 6)
    pics: list[Picture] = [
        # faces
        _faces_picture("row5", _ROW5, beige),
        _faces_picture("duo_heads", _DUO_HEADS, lambda: _wall((900, 520), (90, 120, 170), 12, 14)),
        _faces_picture("solo_cam", _SOLO, lambda: _wall((700, 520), (170, 180, 140), 13, 0)),
        _faces_picture("left3", _LEFT3, lambda: _wall((1000, 520), (215, 205, 190), 14, 8)),
        _faces_picture("one_two", _ONE_TWO, lambda: _backdrop("brick", (1100, 480), (160, 120, 110))),
        _faces_picture("tall_2_1", _TALL_2_1, lambda: _wall((560, 900), (185, 200, 215), 15, 4)),
        _faces_picture("tall_0_2", _TALL_0_2, lambda: _wall((600, 880), (225, 210, 160), 16, 4)),
        _faces_picture("grid6", _GRID6, lambda: _wall((1000, 620), (120, 60, 60), 17, 0)),
        _faces_picture("group4", _GROUP4, lambda: _backdrop("grass", (1200, 500), (130, 180, 120))),
        Picture("empty_wall", lambda: _wall((900, 600), (200, 185, 150), 18, 10), Truth(faces=0, words=(), persons=0)),
        Picture("space", lambda: _skimage("hubble_deep_field"), Truth(faces=0, words=(), persons=0)),
        Picture("horse", lambda: _skimage("horse").resize((800, 656), Image.Resampling.LANCZOS), Truth(faces=0, words=(), persons=0)),
        # signs and text
        _sign("staff_only", ["STAFF ONLY"], (130, 20, 30), (255, 255, 255), 80, absent=("EXIT", "OPEN")),
        _sign("maple_ave", ["MAPLE AVE"], (20, 110, 60), (255, 255, 255), 90, size=(900, 400), wall=(150, 190, 230)),
        _sign("wet_floor", ["CAUTION", "WET FLOOR"], (250, 210, 20), (20, 20, 20), 78, size=(760, 560),
              absent=("DANGER", "STOP")),
        _sign("bus_42", ["BUS 42", "CITY CENTRE"], (30, 60, 140), (255, 255, 255), 74, size=(820, 500)),
        _sign("closed", ["CLOSED"], (250, 250, 250), (200, 20, 20), 110, absent=("OPEN",)),
        _sign("we_are_open", ["WE ARE OPEN"], (240, 240, 240), (20, 120, 40), 78, size=(900, 420)),
        _sign("fresh_bread", ["FRESH BREAD"], (90, 60, 30), (250, 235, 200), 80, size=(900, 420), absent=("CAKE",)),
        Picture("head_and_sign", _head_and_sign, Truth(faces=1, face_boxes=_face_boxes(_HEAD_SIGN), words=("EXIT",))),
        # prices
        _tags_picture("tag_milk", [["MILK", "$3.29"]], size=(620, 460), font_size=74),
        _tags_picture("two_tags", [["TEA", "$2.40"], ["CAKE", "$3.15"]], font_size=64),
        _tags_picture("tag_euro", [["CHEESE", "€12.50"]], size=(640, 460), font_size=70),
        _tags_picture("tag_bananas", [["BANANAS", "$0.99"]], size=(700, 460), font_size=66),
        _tags_picture("three_tags", [["PEN", "$1.20"], ["NOTEBOOK", "$4.75"], ["GLUE", "$2.05"]], size=(1200, 420),
                      font_size=48),
        _receipt("receipt_jam", ["BREAD 2.80", "JAM 4.10", "TOTAL 6.90"]),
        _receipt("menu", ["SOUP 4.50", "SALAD 6.25", "JUICE 3.75"]),
        # people
        Picture("tilted_kick", _tilted_kick, Truth(faces=1, face_boxes=((278, 153, 308, 191),), persons=1, raised=1,
                                                     person_box=(131, 105, 450, 403))),
        Picture("cameraman", lambda: _skimage("camera"), Truth(faces=1, face_boxes=((195, 113, 255, 193),), persons=1,
                                                                 raised=0, person_box=(0, 65, 482, 512))),
        Picture("astro_left", _people_scene((1100, 640), [_ASTRO_LEFT], "gravel", (120, 160, 200)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left", raised=0,
                      person_box=_ASTRO_LEFT_PERSON)),
        Picture("cam_right", _people_scene((1200, 620), [_CAM_RIGHT], "grass", (140, 190, 120)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right", raised=0,
                      person_box=_CAM_RIGHT_PERSON)),
        Picture("duo_people", _people_scene((1000, 600), _DUO, "brick", (170, 150, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO), persons=2, raised=0)),
        Picture("hand_flipped", lambda: Image.open(DEMOS / "hand_closeup.jpg").convert("RGB").transpose(
            Image.Transpose.FLIP_LEFT_RIGHT).resize((480, 480), Image.Resampling.LANCZOS), Truth(faces=0, hands=1, persons=0)),
        # not a picture
        Picture("broken", _broken, Truth()),
    ]
    return {p.name: p for p in pics}


def cache_dir() -> Path:
    return Path(os.environ.get("VISPROG_HELDOUT2_DIR", Path.home() / ".cache" / "visprog-heldout2"))


def build_all(folder: Path | None = None, names: list[str] | None = None,
              pictures: dict[str, Picture] | None = None) -> dict[str, Path]:
    """Write every picture (or ``names``) of ``pictures`` (default: this set's) into ``folder``; return name -> path."""
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name, pic in (catalogue() if pictures is None else pictures).items():
        if names is not None and name not in names:
            continue
        path = folder / f"{name}{pic.suffix}"
        made = pic.build()
        if isinstance(made, bytes):
            path.write_bytes(made)
        elif pic.suffix == ".jpg":
            made.save(path, quality=95)
        else:
            made.save(path)
        out[name] = path
    return out


# ----------------------------------------------------------------------------- verify

_HALF = "BOX0=image_half(image=IMAGE,side='{side}')\nIMAGE0=CROP(image=IMAGE,box=BOX0,margin=1.0)\nF=FACEDET(image=IMAGE0)\nN=COUNT(box=F)\nR=RESULT(var=N)"


def verify(paths: dict[str, Path], pictures: dict[str, Picture] | None = None) -> list[str]:
    """Run the real offline tools on each picture of ``pictures`` (default: this set's); one line per disagreement."""
    from visprog import run_program

    problems: list[str] = []
    cat = catalogue() if pictures is None else pictures
    for name, path in paths.items():
        truth = cat[name].truth
        if truth == Truth():
            continue
        if truth.faces is not None:
            res = run_program("F=FACEDET(image=IMAGE)\nR=RESULT(var=F)", str(path))
            if not res.ok:
                problems.append(f"{name}: FACEDET failed: {res.error}")
            else:
                found = [(b.x1, b.y1, b.x2, b.y2) for b in res.result]
                if len(found) != truth.faces:
                    problems.append(f"{name}: FACEDET finds {len(found)} faces, truth {truth.faces}")
                for tb in truth.face_boxes:
                    if not any(_iou(f, tb) >= 0.4 for f in found):
                        problems.append(f"{name}: no detected face matches truth box {tb} (found {[tuple(round(v) for v in f) for f in found]})")
            if truth.face_boxes:
                height = displayed_size(path)[1]
                got = [run_program(_HALF.format(side=side), str(path)) for side in ("TOP", "BOTTOM")]
                counts = tuple(r.result if r.ok else r.error for r in got)
                if counts != truth.vhalves(height):
                    problems.append(f"{name}: top/bottom faces {counts}, truth {truth.vhalves(height)}")
        if truth.words is not None or truth.absent:
            res = run_program("T=read_text(image=IMAGE)\nR=RESULT(var=T)", str(path))
            if not res.ok:
                problems.append(f"{name}: read_text failed: {res.error}")
            else:
                labels = [b.label for b in res.result]
                joined = _norm_text(" ".join(labels))
                if truth.words == () and labels:
                    problems.append(f"{name}: read_text reads {labels}, truth: no text")
                for word in truth.words or ():
                    if _norm_text(word) not in joined:
                        problems.append(f"{name}: read_text reads {labels}, missing {word!r}")
                for word in truth.absent:
                    if _norm_text(word) in joined:
                        problems.append(f"{name}: read_text reads {labels}, which hold {word!r} (truth: absent)")
        if truth.persons is not None or truth.person_side is not None or truth.person_box is not None:
            res = run_program("P=PERSONDET(image=IMAGE)\nR=RESULT(var=P)", str(path))
            if not res.ok:
                problems.append(f"{name}: PERSONDET failed: {res.error}")
            else:
                boxes = [(b.x1, b.y1, b.x2, b.y2) for b in res.result]
                if truth.persons is not None and len(boxes) != truth.persons:
                    problems.append(f"{name}: PERSONDET finds {len(boxes)} people, truth {truth.persons}")
                if truth.person_box is not None and not any(_iou(b, truth.person_box) >= 0.4 for b in boxes):
                    problems.append(f"{name}: no person box matches {truth.person_box} (found {[tuple(round(v) for v in b) for b in boxes]})")
                if truth.person_side is not None:
                    width = displayed_size(path)[0]
                    sides = ["left" if (b[0] + b[2]) / 2 < width / 2 else "right" for b in boxes]
                    if sides != [truth.person_side]:
                        problems.append(f"{name}: people stand {sides}, truth [{truth.person_side!r}]")
        if truth.raised is not None:
            res = run_program("Q=pose(IMAGE)\nR=RESULT(var=len([q for q in Q if q.raising_hand]))", str(path))
            if not res.ok or res.result != truth.raised:
                problems.append(f"{name}: poses raising a hand: {res.result if res.ok else res.error}, truth {truth.raised}")
        if truth.hands is not None:
            res = run_program("H=HANDS(image=IMAGE)\nN=COUNT(box=H)\nR=RESULT(var=N)", str(path))
            if not res.ok or res.result != truth.hands:
                problems.append(f"{name}: HANDS finds {res.result if res.ok else res.error}, truth {truth.hands}")
    return problems


@dataclass(frozen=True)
class SetFiles:
    """A later set's entry points over its own catalogue (its ``pictures.py`` binds them):
    the cache folder (``VISPROG_<NAME>_DIR`` or ``~/.cache/visprog-<name>``), building,
    checking with the real tools, and the command line, all this set's code."""

    name: str  #: the set's folder name, e.g. ``"heldout6"``
    catalogue: Callable[[], dict[str, Picture]]
    doc: str | None = None

    def cache_dir(self) -> Path:
        return Path(os.environ.get(f"VISPROG_{self.name.upper()}_DIR", Path.home() / ".cache" / f"visprog-{self.name}"))

    def build_all(self, folder: Path | None = None, names: list[str] | None = None) -> dict[str, Path]:
        """Write every picture (or ``names``) into ``folder``; return name -> path."""
        return build_all(folder or self.cache_dir(), names, pictures=self.catalogue())

    def verify(self, paths: dict[str, Path]) -> list[str]:
        """Run the real offline tools on each picture; return one line per disagreement."""
        return verify(paths, pictures=self.catalogue())

    def main(self, argv: list[str] | None = None) -> int:
        return main(argv, build=self.build_all, check=self.verify, doc=self.doc)


def main(
    argv: list[str] | None = None,
    *,
    build: Callable[[Path | None], dict[str, Path]] | None = None,
    check: Callable[[dict[str, Path]], list[str]] | None = None,
    doc: str | None = None,
) -> int:
    """``pictures.py [--out DIR] [--verify]`` for this set, or (with ``build``, ``check``
    and ``doc``) for a later set that reuses this one's pictures and checks."""
    parser = argparse.ArgumentParser(description=(doc or __doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the pictures (default: cache)")
    parser.add_argument("--verify", action="store_true", help="check the ground truth with the real offline tools")
    args = parser.parse_args(argv)
    paths = (build or build_all)(args.out)
    print(f"{len(paths)} pictures in {next(iter(paths.values())).parent}")
    if args.verify:
        problems = (check or verify)(paths)
        for line in problems:
            print("MISMATCH", line)
        print(f"verify: {len(paths)} pictures, {len(problems)} mismatches")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
