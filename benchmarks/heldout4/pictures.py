"""Pictures for the fourth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts,
people cut-outs, the ground-truth record and the check against the real offline tools)
are the second set's (``benchmarks/heldout2/pictures.py``), reached through the third
set's module (``benchmarks/heldout3/pictures.py``), imported, not copied; the layouts,
counts, words and prices here are new. Sources: scikit-image's ``skimage.data``
(``lfw_subset``, ``astronaut``, ``camera``, ``coins``, ``chelsea``, the ``grass`` /
``gravel`` / ``brick`` textures), the project's ``demos/images/*``, and photos that
Debian's ``opencv-doc`` ships (``messi5.jpg``, ``orange.jpg``, ``building.jpg``; without
the package those pictures fail to build with one line saying so). Text is drawn with the
DejaVu fonts of the ``opencv-python`` wheel. Nothing generated is committed:
:func:`build_all` writes the files into a cache folder (default
``~/.cache/visprog-heldout4``, or ``VISPROG_HELDOUT4_DIR``).

About a third of the requests of this set are *near misses*: questions about these
pictures that the offline tools cannot answer (colours, clothing, expressions, age, what
kind of fruit or animal, the weather, the brand ...), whose right answer is a refusal.

    .venv/bin/python benchmarks/heldout4/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_third_set() -> ModuleType:
    name = "heldout_pictures_third_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout3" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout3/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_third = _load_third_set()
_second = _third._second
Truth = _second.Truth
Picture = _second.Picture
BoxT = tuple[int, int, int, int]
Face = tuple[str, object, int, int, int]
DEMOS = _second.DEMOS
displayed_size = _second.displayed_size
_faces_picture = _second._faces_picture
_face_boxes = _second._face_boxes
_paste_faces = _second._paste_faces
_wall = _second._wall
_backdrop = _second._backdrop
_plate = _second._plate
_sign = _second._sign
_tags_picture = _second._tags_picture
_receipt = _second._receipt
_people_scene = _second._people_scene
_person_face = _second._person_face
_skimage = _second._skimage
_opencv_photo = _third._opencv_photo
_person_box = _third._person_box

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# one face on the left, three on the right
_ONE_THREE: list[Face] = [("lfw", 17, 90, 120, 160), ("lfw", 42, 660, 40, 140), ("lfw", 73, 880, 60, 140),
                          ("lfw", 9, 760, 290, 140)]
# two faces, both in the left half of a wide wall
_PAIR_LEFT: list[Face] = [("lfw", 24, 60, 80, 170), ("lfw", 61, 300, 150, 170)]
# the astronaut's head alone, left of centre
_SOLO_LEFT: list[Face] = [("head", "astronaut", 260, 70, 260)]
# a tall picture: three faces up top, one below
_TALL_3_1: list[Face] = [("lfw", 4, 20, 60, 130), ("lfw", 52, 170, 40, 130), ("lfw", 84, 440, 70, 130),
                         ("head", "camera", 450, 620, 230)]
# eight faces: five left, three right
_CROWD8: list[Face] = [("lfw", 1, 30, 30, 130), ("lfw", 20, 200, 40, 130), ("lfw", 39, 380, 30, 130),
                       ("lfw", 57, 90, 330, 130), ("lfw", 79, 300, 340, 130), ("lfw", 93, 760, 40, 130),
                       ("lfw", 11, 960, 60, 130), ("lfw", 68, 860, 340, 130)]
# three head crops side by side
_HEADS3: list[Face] = [("head", "camera", 190, 70, 220), ("head", "left", 420, 60, 230), ("head", "right", 900, 80, 220)]
# one head beside a shop sign
_HEAD_BAKERY: list[Face] = [("head", "left", 780, 70, 240)]

_ASTRO_FAR_RIGHT = ("astronaut", 820, 100)
_CAM_LEFT_GRASS = ("camera", 60, 110)
_DUO_CAM_ASTRO = [("camera", 40, 110), ("astronaut", 620, 70)]


def _head_and_bakery() -> Image.Image:
    img = _paste_faces(_wall((1050, 520), (200, 175, 150), seed=41, stripes=6), _HEAD_BAKERY)
    return _plate(img, ["BAKERY"], (60, 170, 520, 340), (120, 40, 30), (250, 235, 200), 96)


def _messi_mirrored() -> Image.Image:
    return _opencv_photo("messi5.jpg").transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _mirror_box(box: BoxT, width: int) -> BoxT:
    return (width - box[2], box[1], width - box[0], box[3])


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    pics: list[Picture] = [
        # faces
        _faces_picture("one_three", _ONE_THREE, lambda: _wall((1100, 500), (175, 195, 210), 42, 7)),
        _faces_picture("pair_left", _PAIR_LEFT, lambda: _backdrop("brick", (1150, 480), (170, 130, 115))),
        _faces_picture("solo_left", _SOLO_LEFT, lambda: _wall((1000, 540), (210, 200, 165), 43, 0)),
        _faces_picture("tall_3_1", _TALL_3_1, lambda: _wall((620, 920), (190, 210, 190), 44, 5)),
        _faces_picture("crowd8", _CROWD8, lambda: _wall((1200, 560), (110, 100, 130), 45, 11)),
        _faces_picture("heads3", _HEADS3, lambda: _backdrop("gravel", (1120, 440), (160, 150, 135))),
        Picture("head_bakery", _head_and_bakery, Truth(faces=1, face_boxes=_face_boxes(_HEAD_BAKERY),
                                                       words=("BAKERY",), absent=("CAFE",))),
        # no faces, no people
        Picture("coins", lambda: _skimage("coins"), Truth(faces=0, persons=0)),
        Picture("kitten", lambda: _skimage("chelsea"), Truth(faces=0, persons=0, words=())),
        Picture("orange", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("building", lambda: _opencv_photo("building.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("pharmacy", ["PHARMACY", "OPEN 24 HOURS"], (30, 120, 70), (255, 255, 255), 70, size=(900, 520),
              seed=51, absent=("CLOSED",)),
        _sign("visitor_parking", ["VISITOR PARKING"], (20, 70, 160), (255, 255, 255), 72, size=(960, 420), seed=52,
              absent=("STAFF",)),
        _sign("high_voltage", ["DANGER", "HIGH VOLTAGE"], (250, 220, 40), (10, 10, 10), 80, size=(860, 540), seed=53,
              absent=("SAFE",)),
        _sign("office_214", ["OFFICE 214"], (235, 235, 230), (40, 40, 90), 100, size=(800, 420), seed=54),
        _sign("welcome", ["WELCOME TO", "OAKVILLE"], (40, 90, 40), (250, 250, 250), 76, size=(900, 500), seed=55,
              wall=(150, 190, 225)),
        _sign("pull", ["PULL"], (250, 250, 250), (20, 20, 20), 130, size=(620, 420), seed=56, absent=("PUSH",)),
        # prices
        _tags_picture("tag_coffee", [["COFFEE", "$8.95"]], size=(660, 460), font_size=70),
        _tags_picture("bread_butter", [["BREAD", "$2.75"], ["BUTTER", "$4.20"]], font_size=60),
        _tags_picture("office3", [["TAPE", "$1.60"], ["STAPLER", "$9.15"], ["MARKERS", "$3.35"]], size=(1200, 420),
                      font_size=50),
        _receipt("receipt_lunch", ["SANDWICH 5.25", "SODA 1.75", "TOTAL 7.00"]),
        _receipt("menu_breakfast", ["EGGS 4.80", "TOAST 2.20", "TEA 1.90"]),
        # people
        Picture("astronaut", lambda: Image.open(DEMOS / "astronaut.jpg").convert("RGB"),
                Truth(faces=1, face_boxes=((178, 63, 267, 175),), persons=1, person_box=(0, 15, 450, 512))),
        Picture("astro_far_right", _people_scene((1250, 640), [_ASTRO_FAR_RIGHT], "brick", (150, 130, 120)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_FAR_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_ASTRO_FAR_RIGHT))),
        Picture("cam_left_grass", _people_scene((1200, 640), [_CAM_LEFT_GRASS], "grass", (160, 180, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_LEFT_GRASS),), persons=1, person_side="left",
                      person_box=_person_box(*_CAM_LEFT_GRASS))),
        Picture("duo_cam_astro", _people_scene((1080, 640), _DUO_CAM_ASTRO, "grass", (150, 175, 150)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2)),
        Picture("football_mirrored", _messi_mirrored,
                Truth(faces=1, face_boxes=(_mirror_box((225, 93, 255, 132), 548),), persons=1,
                      person_box=_mirror_box((69, 61, 457, 334), 548))),
        Picture("hand_big", lambda: Image.open(DEMOS / "hand_closeup.jpg").convert("RGB").resize(
            (600, 600), Image.Resampling.LANCZOS), Truth(faces=0, hands=1, persons=0)),
    ]
    return {p.name: p for p in pics}


def cache_dir() -> Path:
    return Path(os.environ.get("VISPROG_HELDOUT4_DIR", Path.home() / ".cache" / "visprog-heldout4"))


def build_all(folder: Path | None = None, names: list[str] | None = None) -> dict[str, Path]:
    """Write every picture (or ``names``) into ``folder``; return name -> path."""
    return _second.build_all(folder or cache_dir(), names, pictures=catalogue())  # type: ignore[no-any-return]


def verify(paths: dict[str, Path]) -> list[str]:
    """Run the real offline tools on each picture; return one line per disagreement."""
    return _second.verify(paths, pictures=catalogue())  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    return _second.main(argv, build=build_all, check=verify, doc=__doc__)  # type: ignore[no-any-return]


if __name__ == "__main__":
    sys.exit(main())
