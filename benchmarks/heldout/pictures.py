"""Pictures for the held-out request benchmark, generated at run time from assets that ship.

Sources: the project's ``demos/images/*``, scikit-image's ``skimage.data`` photos
(astronaut, camera, coffee, chelsea, rocket, grass, brick, gravel) and text drawn with
Pillow's built-in FreeType font (``ImageFont.load_default(size=...)``, Pillow >= 10.1).
Nothing generated is committed: :func:`build_all` writes PNG/JPEG files into a cache
folder (default ``~/.cache/visprog-heldout``, or ``VISPROG_HELDOUT_DIR``).

Each picture carries its ground truth (:class:`Truth`): how many faces, how many in the
left/right halves, where the pasted faces are (pixels, origin top-left, ``x2``/``y2``
exclusive, in the *displayed* orientation), which words are written on it, and for the
people pictures the person box. ``python benchmarks/heldout/pictures.py --verify`` runs
the real offline tools (``detect_faces`` via ``FACEDET`` and ``read_text``) through
``visprog.run_program`` on every picture and reports any picture where the tools do not
see what the truth says.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ROOT / "demos" / "images"

BoxT = tuple[int, int, int, int]


@dataclass(frozen=True)
class Truth:
    """What is really in a picture (``None``: not stated / not checked)."""

    faces: int | None = None
    face_boxes: tuple[BoxT, ...] = ()
    words: tuple[str, ...] | None = None  # words OCR must read; () means "no text at all"
    person_box: BoxT | None = None  # people pictures: the (main) person's box
    persons: int | None = None  # people pictures: how many people (not verifiable offline)

    def halves(self, width: int) -> tuple[int, int]:
        """Faces whose centre lies in the left / right half of a ``width``-wide picture."""
        left = sum(1 for b in self.face_boxes if (b[0] + b[2]) / 2 < width / 2)
        return left, len(self.face_boxes) - left


@dataclass
class Picture:
    name: str
    build: Callable[[], Image.Image]
    truth: Truth
    suffix: str = ".png"
    exif_orientation: int | None = None  # stored rotated; EXIF says how to display it
    extra: dict[str, object] = field(default_factory=dict)


# ----------------------------------------------------------------------------- sources


def _skimage(name: str) -> Image.Image:
    from skimage import data

    arr = getattr(data, name)()
    img = Image.fromarray(arr)
    return img.convert("RGB")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


# head crops (x1, y1, x2, y2) in their source picture, around the face the detector finds
_HEADS: dict[str, tuple[str, BoxT]] = {
    "astronaut": ("astronaut", (150, 30, 295, 205)),
    "camera": ("camera", (170, 85, 282, 218)),
    "left": ("two_people", (105, 15, 232, 155)),
    "right": ("two_people", (535, 15, 662, 155)),
}
# where the face sits inside each head crop, as found by detect_faces on the source
_FACE_IN_SOURCE: dict[str, BoxT] = {
    "astronaut": (178, 63, 267, 175),
    "camera": (195, 113, 255, 193),
    "left": (134, 46, 203, 128),
    "right": (565, 48, 632, 129),
}


@functools.cache
def _source(name: str) -> Image.Image:
    if name == "two_people":
        return Image.open(DEMOS / "two_people.jpg").convert("RGB")
    return _skimage(name)


def _head_geometry(kind: str, height: int) -> tuple[int, BoxT]:
    """Width of a head crop scaled to ``height`` and the face box inside it (crop coordinates)."""
    _, box = _HEADS[kind]
    scale = height / (box[3] - box[1])
    fx1, fy1, fx2, fy2 = _FACE_IN_SOURCE[kind]
    face = (
        round((fx1 - box[0]) * scale),
        round((fy1 - box[1]) * scale),
        round((fx2 - box[0]) * scale),
        round((fy2 - box[1]) * scale),
    )
    return round((box[2] - box[0]) * scale), face


def _head(kind: str, height: int) -> Image.Image:
    """A head crop scaled to ``height``."""
    src, box = _HEADS[kind]
    width, _ = _head_geometry(kind, height)
    return _source(src).crop(box).resize((width, height), Image.Resampling.LANCZOS)


def _backdrop(texture: str, size: tuple[int, int], tint: tuple[int, int, int]) -> Image.Image:
    """A grey skimage texture resized to ``size`` and tinted (no faces, no text)."""
    gray = np.asarray(_skimage(texture).convert("L").resize(size, Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    rgb = np.stack([gray * c for c in tint], axis=-1)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def _head_boxes(heads: list[tuple[str, int, int]], height: int = 170) -> tuple[BoxT, ...]:
    """Face boxes of heads (kind, centre x, top y) pasted by :func:`_paste_heads`."""
    boxes = []
    for kind, cx, top in heads:
        width, face = _head_geometry(kind, height)
        x = cx - width // 2
        boxes.append((face[0] + x, face[1] + top, face[2] + x, face[3] + top))
    return tuple(boxes)


def _paste_heads(canvas: Image.Image, heads: list[tuple[str, int, int]], height: int = 170) -> Image.Image:
    """Paste heads (kind, centre x, top y) on a copy of ``canvas``."""
    out = canvas.copy()
    for kind, cx, top in heads:
        head = _head(kind, height)
        out.paste(head, (cx - head.width // 2, top))
    return out


def _faces_picture(name: str, heads: list[tuple[str, int, int]], texture: str = "grass",
                   tint: tuple[int, int, int] = (120, 190, 110), size: tuple[int, int] = (960, 480)) -> Picture:
    boxes = _head_boxes(heads)
    return Picture(name, lambda: _paste_heads(_backdrop(texture, size, tint), heads), Truth(faces=len(boxes), face_boxes=boxes))


def _text_board(lines: list[str], size: tuple[int, int], bg: tuple[int, int, int], fg: tuple[int, int, int],
                font_size: int, backdrop: str | None = None) -> Image.Image:
    """A board with centred lines of text, optionally on a photo/texture backdrop."""
    w, h = size
    if backdrop is None:
        img = Image.new("RGB", size, (235, 232, 225))
    else:
        img = _backdrop(backdrop, size, (150, 140, 130))
    draw = ImageDraw.Draw(img)
    font = _font(font_size)
    heights = [draw.textbbox((0, 0), line, font=font) for line in lines]
    block_w = max(b[2] - b[0] for b in heights) + 2 * font_size
    line_h = max(b[3] - b[1] for b in heights)
    gap = font_size // 2
    block_h = len(lines) * line_h + (len(lines) - 1) * gap + font_size
    bx, by = (w - block_w) // 2, (h - block_h) // 2
    draw.rounded_rectangle((bx, by, bx + block_w, by + block_h), radius=font_size // 3, fill=bg, outline=(40, 40, 40), width=4)
    y = by + font_size // 2
    for line, bb in zip(lines, heights, strict=True):
        lw = bb[2] - bb[0]
        draw.text(((w - lw) // 2 - bb[0], y - bb[1]), line, font=font, fill=fg)
        y += line_h + gap
    return img


def _text_picture(name: str, lines: list[str], words: tuple[str, ...], size: tuple[int, int] = (720, 400),
                  bg: tuple[int, int, int] = (250, 250, 245), fg: tuple[int, int, int] = (20, 20, 20),
                  font_size: int = 72, backdrop: str | None = "brick") -> Picture:
    return Picture(name, lambda: _text_board(lines, size, bg, fg, font_size, backdrop), Truth(faces=0, words=words))


def _price_tag(lines: list[str], font_size: int = 64) -> Image.Image:
    """A yellow shelf tag with a hole, on a wooden-ish backdrop."""
    img = _backdrop("gravel", (720, 420), (200, 160, 110))
    draw = ImageDraw.Draw(img)
    draw.polygon([(120, 110), (200, 60), (620, 60), (620, 360), (200, 360), (120, 310)], fill=(250, 220, 60), outline=(60, 50, 20))
    draw.ellipse((150, 195, 180, 225), fill=(200, 160, 110), outline=(60, 50, 20))
    font = _font(font_size)
    total = len(lines)
    for i, line in enumerate(lines):
        bb = draw.textbbox((0, 0), line, font=font)
        lw, lh = bb[2] - bb[0], bb[3] - bb[1]
        y = 210 - (total * (lh + 20)) // 2 + i * (lh + 20)
        draw.text((400 - lw // 2 - bb[0], y - bb[1]), line, font=font, fill=(20, 20, 20))
    return img


_FACE_AND_SIGN_HEADS = [("astronaut", 220, 150)]


def _face_and_sign() -> Image.Image:
    canvas = _backdrop("brick", (960, 480), (170, 120, 100))
    img = _paste_heads(canvas, _FACE_AND_SIGN_HEADS)
    draw = ImageDraw.Draw(img)
    font = _font(80)
    draw.rectangle((480, 150, 900, 330), fill=(30, 90, 40), outline=(240, 240, 240), width=6)
    bb = draw.textbbox((0, 0), "WELCOME", font=font)
    draw.text((690 - (bb[2] - bb[0]) // 2 - bb[0], 240 - (bb[3] - bb[1]) // 2 - bb[1]), "WELCOME", font=font, fill=(250, 250, 250))
    return img


def _coffee_with_text() -> Image.Image:
    img = _skimage("coffee")
    draw = ImageDraw.Draw(img)
    font = _font(56)
    draw.rectangle((330, 20, 590, 100), fill=(255, 255, 255))
    draw.text((345, 25), "ESPRESSO", font=_font(44), fill=(90, 40, 20))
    del font
    return img


def _person_on_backdrop() -> Image.Image:
    """The astronaut photo's upper body pasted on a grass backdrop, left of centre."""
    canvas = _backdrop("grass", (1024, 640), (110, 170, 100))
    astro = _skimage("astronaut").crop((40, 0, 440, 512))
    canvas.paste(astro, (120, 128))
    return canvas


# face boxes of demo photos as detect_faces finds them (used by edit checks)
_TWO_PEOPLE_FACES: tuple[BoxT, ...] = ((134, 46, 203, 128), (565, 48, 632, 129))
_ASTRONAUT_FACES: tuple[BoxT, ...] = ((178, 63, 267, 175),)


_EXIF_HEADS = [("camera", 140, 150), ("right", 360, 150), ("astronaut", 760, 150)]
_MIRROR_HEADS = [("left", 200, 150)]
_MIRROR_WIDTH = 960


def _exif_base() -> Image.Image:
    return _paste_heads(_backdrop("gravel", (960, 480), (140, 150, 180)), _EXIF_HEADS)


def _mirrored() -> Image.Image:
    img = _paste_heads(_backdrop("grass", (_MIRROR_WIDTH, 480), (120, 190, 110)), _MIRROR_HEADS)
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _mirrored_boxes() -> tuple[BoxT, ...]:
    w = _MIRROR_WIDTH
    return tuple((w - b[2], b[1], w - b[0], b[3]) for b in _head_boxes(_MIRROR_HEADS))


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the benchmark by name (lazy: ``build`` makes the image)."""
    pics: list[Picture] = []
    # faces 0..4 on textured backdrops
    pics.append(Picture("faces_0", lambda: _backdrop("grass", (960, 480), (120, 190, 110)), Truth(faces=0, words=())))
    pics.append(_faces_picture("faces_1", [("astronaut", 330, 150)]))
    pics.append(_faces_picture("faces_2", [("left", 300, 140), ("camera", 660, 160)], texture="brick", tint=(180, 130, 110)))
    pics.append(_faces_picture("faces_3", [("astronaut", 170, 150), ("right", 540, 120), ("camera", 800, 160)]))
    pics.append(_faces_picture("faces_4", [("left", 130, 150), ("astronaut", 370, 130), ("camera", 600, 160), ("right", 840, 140)],
                               texture="gravel", tint=(170, 160, 150)))
    # halves (left count, right count)
    pics.append(_faces_picture("halves_2_1", [("astronaut", 110, 150), ("camera", 330, 140), ("right", 740, 160)]))
    pics.append(_faces_picture("halves_0_2", [("left", 620, 150), ("astronaut", 840, 140)], texture="brick", tint=(180, 130, 110)))
    pics.append(_faces_picture("halves_1_3", [("camera", 200, 150), ("left", 560, 60), ("astronaut", 740, 240), ("right", 890, 40)],
                               size=(1040, 480)))
    pics.append(_faces_picture("halves_1_1", [("right", 220, 150), ("camera", 740, 150)], texture="gravel", tint=(170, 160, 150)))
    # mirrored photo: the face ends up on the right
    pics.append(Picture("mirrored", _mirrored, Truth(faces=1, face_boxes=_mirrored_boxes())))
    # EXIF-rotated JPEG: displayed, 2 faces left and 1 right; the stored pixels are turned
    pics.append(Picture("exif_rotated", _exif_base, Truth(faces=3, face_boxes=_head_boxes(_EXIF_HEADS)), suffix=".jpg",
                        exif_orientation=6))
    # text
    pics.append(_text_picture("sign_open", ["OPEN"], ("OPEN",), bg=(30, 120, 50), fg=(255, 255, 255), font_size=110))
    pics.append(_text_picture("sign_two_line", ["NO PARKING", "AFTER 6 PM"], ("NO PARKING", "AFTER 6 PM"), size=(800, 460),
                              bg=(250, 250, 250), fg=(200, 20, 20), font_size=70))
    pics.append(_text_picture("sign_sale", ["BIG SALE", "TODAY ONLY"], ("BIG SALE", "TODAY ONLY"), size=(800, 460),
                              bg=(220, 30, 30), fg=(255, 255, 255), font_size=76))
    pics.append(_text_picture("sign_room", ["ROOM 214"], ("ROOM 214",), bg=(40, 60, 120), fg=(255, 255, 255), font_size=80))
    pics.append(_text_picture("sign_exit_de", ["AUSGANG"], ("AUSGANG",), bg=(20, 140, 70), fg=(255, 255, 255), font_size=90))
    pics.append(_text_picture("receipt", ["COFFEE 3.50", "BAGEL 2.25", "TOTAL 5.75"], ("COFFEE 3.50", "BAGEL 2.25", "TOTAL 5.75"),
                              size=(640, 560), font_size=54, backdrop="gravel"))
    pics.append(Picture("tag_price", lambda: _price_tag(["$4.99"], 110), Truth(faces=0, words=("$4.99",))))
    pics.append(Picture("tag_apples", lambda: _price_tag(["APPLES", "$2.49/lb"], 64), Truth(faces=0, words=("APPLES", "$2.49/lb"))))
    pics.append(Picture("tag_sale", lambda: _price_tag(["SALE", "30% OFF"], 80), Truth(faces=0, words=("SALE", "30% OFF"))))
    pics.append(Picture("face_and_sign", _face_and_sign, Truth(faces=1, face_boxes=_head_boxes(_FACE_AND_SIGN_HEADS), words=("WELCOME",))))
    pics.append(Picture("coffee_text", _coffee_with_text, Truth(faces=0, words=("ESPRESSO",))))
    # no face, no text
    pics.append(Picture("coffee", lambda: _skimage("coffee"), Truth(faces=0, words=())))
    pics.append(Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, words=())))
    pics.append(Picture("cat", lambda: _skimage("chelsea"), Truth(faces=0, words=(), persons=0)))
    # demo photos and people
    pics.append(Picture("two_people", lambda: Image.open(DEMOS / "two_people.jpg").convert("RGB"),
                        Truth(faces=2, face_boxes=_TWO_PEOPLE_FACES, persons=2)))
    pics.append(Picture("astronaut", lambda: Image.open(DEMOS / "astronaut.jpg").convert("RGB"),
                        Truth(faces=1, face_boxes=_ASTRONAUT_FACES, person_box=(0, 0, 512, 512), persons=1)))
    person_faces = tuple((b[0] - 40 + 120, b[1] + 128, b[2] - 40 + 120, b[3] + 128) for b in _ASTRONAUT_FACES)
    pics.append(Picture("person_backdrop", _person_on_backdrop,
                        Truth(faces=1, face_boxes=person_faces, person_box=(120, 128, 520, 640), persons=1)))
    return {p.name: p for p in pics}


def cache_dir() -> Path:
    return Path(os.environ.get("VISPROG_HELDOUT_DIR", Path.home() / ".cache" / "visprog-heldout"))


def build_all(folder: Path | None = None, names: list[str] | None = None) -> dict[str, Path]:
    """Write every picture (or ``names``) into ``folder``; return name -> path."""
    folder = folder or cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name, pic in catalogue().items():
        if names is not None and name not in names:
            continue
        path = folder / f"{name}{pic.suffix}"
        img = pic.build()
        if pic.exif_orientation == 6:
            # Orientation 6: the viewer turns the stored pixels 90 degrees clockwise.
            stored = img.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise
            exif = Image.Exif()
            exif[0x0112] = 6
            stored.save(path, quality=95, exif=exif)
        elif pic.suffix == ".jpg":
            img.save(path, quality=95)
        else:
            img.save(path)
        out[name] = path
    return out


def displayed_size(path: Path) -> tuple[int, int]:
    from PIL import ImageOps

    with Image.open(path) as im:
        return ImageOps.exif_transpose(im).size


# ----------------------------------------------------------------------------- verify


def _iou(a: tuple[float, float, float, float], b: BoxT) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _norm_text(s: str) -> str:
    return "".join(ch for ch in s.upper() if ch.isalnum())


def verify(paths: dict[str, Path]) -> list[str]:
    """Run the real offline tools on each picture; return one line per disagreement."""
    from visprog import run_program

    problems: list[str] = []
    cat = catalogue()
    for name, path in paths.items():
        truth = cat[name].truth
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
        if truth.words is not None:
            res = run_program("T=read_text(image=IMAGE)\nR=RESULT(var=T)", str(path))
            if not res.ok:
                problems.append(f"{name}: read_text failed: {res.error}")
                continue
            labels = [b.label for b in res.result]
            if not truth.words and labels:
                problems.append(f"{name}: read_text reads {labels}, truth: no text")
            joined = _norm_text(" ".join(labels))
            for word in truth.words:
                if _norm_text(word) not in joined:
                    problems.append(f"{name}: read_text reads {labels}, missing {word!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the pictures (default: cache)")
    parser.add_argument("--verify", action="store_true", help="check the ground truth with the real offline tools")
    args = parser.parse_args(argv)
    paths = build_all(args.out)
    print(f"{len(paths)} pictures in {next(iter(paths.values())).parent}")
    if args.verify:
        problems = verify(paths)
        for line in problems:
            print("MISMATCH", line)
        print(f"verify: {len(paths)} pictures, {len(problems)} mismatches")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
