"""Pictures for the sixteenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied. The layouts, counts, words,
prices, receipts, menus, scenes (a zoo entrance, a petrol station, a dentist, a market stall,
a hostel), the mirrored pictures and the EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``,
``coffee``, ``rocket``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that
Debian's ``opencv-doc`` ships (``apple.jpg``, ``baboon.jpg``; without the package those
pictures fail to build with one line saying so). Nothing generated is committed:
:func:`build_all` writes the files into a cache folder (default ``~/.cache/visprog-heldout16``,
or ``VISPROG_HELDOUT16_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what animal or fruit, the weather, materials, brands, generative edits ...), whose right
answer is a refusal.

    .venv/bin/python benchmarks/heldout16/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_eleventh_set() -> ModuleType:
    name = "heldout_pictures_eleventh_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout11" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout11/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_eleventh = _load_eleventh_set()
_tenth = _eleventh._tenth
_second = _eleventh._second
Truth = _second.Truth
Picture = _second.Picture
BoxT = tuple[int, int, int, int]
Face = tuple[str, object, int, int, int]
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
_opencv_photo = _eleventh._opencv_photo
_person_box = _eleventh._person_box
_mirror_box = _eleventh._mirror_box
_mirrored = _eleventh._mirrored
_exif_jpeg = _eleventh._exif_jpeg

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# four faces in a row, all in the top half: two left, two right
_ROW4: list[Face] = [("lfw", 4, 40, 60, 140), ("lfw", 31, 260, 40, 140), ("lfw", 57, 780, 80, 140),
                     ("lfw", 83, 1000, 50, 140)]
# two faces, both in the left half
_LEFT_TWO: list[Face] = [("lfw", 9, 60, 80, 160), ("lfw", 42, 300, 290, 160)]
# three faces left, one right
_THREE_ONE: list[Face] = [("lfw", 14, 40, 60, 150), ("lfw", 37, 240, 300, 150), ("lfw", 61, 420, 70, 140),
                          ("lfw", 88, 900, 200, 160)]
# two head crops: the astronaut on the left, the cameraman on the right
_HEADS_PAIR: list[Face] = [("head", "astronaut", 260, 70, 240), ("head", "camera", 900, 90, 230)]
# a tall picture: two faces up top, two below
_TALL_2_2: list[Face] = [("lfw", 19, 60, 80, 150), ("lfw", 44, 420, 120, 150), ("lfw", 72, 100, 640, 150),
                         ("lfw", 96, 440, 700, 150)]
# one face left, three right; shown mirrored (three on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 23, 60, 120, 150), ("lfw", 48, 720, 60, 150), ("lfw", 67, 920, 300, 150),
                           ("lfw", 91, 1110, 90, 150)]
_MIRROR_SIZE = (1300, 560)
# EXIF picture, in its displayed orientation: one face left, two right
_EXIF_THREE: list[Face] = [("lfw", 27, 70, 100, 160), ("lfw", 53, 720, 80, 160), ("lfw", 80, 950, 330, 160)]
_EXIF_THREE_SIZE = (1200, 560)
# one head beside a dentist's sign
_HEAD_DENTIST: list[Face] = [("head", "camera", 860, 90, 230)]

_ASTRO_LEFT = ("astronaut", 80, 100)
_CAM_RIGHT = ("camera", 820, 110)
_DUO = [("astronaut", 60, 80), ("camera", 900, 100)]
_ASTRO_MIRROR_SRC = ("astronaut", 800, 90)  # on the right before mirroring: on the left as shown
_ASTRO_MIRROR_SIZE = (1260, 640)
_EXIF_ASTRO = ("astronaut", 780, 80)  # displayed orientation: on the right
_EXIF_ASTRO_SIZE = (1240, 620)


def _head_and_dentist() -> Image.Image:
    img = _paste_faces(_wall((1120, 560), (210, 215, 220), seed=1601, stripes=4), _HEAD_DENTIST)
    return _plate(img, ["DENTIST", "SMILE CLINIC"], (50, 150, 580, 400), (240, 245, 250), (20, 80, 150), 64)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (200, 210, 195), 1602, 5), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (210, 195, 205), 1603, 3), _EXIF_THREE)


def _exif_sign() -> Image.Image:
    img = _wall((1000, 520), (160, 150, 140), 1604, stripes=6)
    return _plate(img, ["DENTAL CARE", "UPSTAIRS"], (90, 100, 910, 420), (250, 250, 250), (20, 90, 120), 80)


def _exif_astro() -> Image.Image:
    return _people_scene(_EXIF_ASTRO_SIZE, [_EXIF_ASTRO], "brick", (170, 150, 135))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("row_four", _ROW4, lambda: _wall((1200, 480), (195, 200, 185), 1605, 4)),
        _faces_picture("left_two", _LEFT_TWO, lambda: _wall((1100, 520), (215, 200, 180), 1606, 0)),
        _faces_picture("three_one", _THREE_ONE, lambda: _backdrop("gravel", (1260, 540), (180, 170, 155))),
        _faces_picture("heads_pair", _HEADS_PAIR, lambda: _wall((1180, 580), (175, 185, 200), 1607, 6)),
        _faces_picture("tall_2_2", _TALL_2_2, lambda: _wall((720, 1000), (225, 215, 200), 1608, 2)),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_dentist", _head_and_dentist, Truth(faces=1, face_boxes=_face_boxes(_HEAD_DENTIST),
                                                         words=("DENTIST", "SMILE CLINIC"), absent=("PHARMACY",))),
        # no faces, no people
        Picture("coffee", lambda: _skimage("coffee"), Truth(faces=0, persons=0)),
        Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, persons=0)),
        Picture("apple", lambda: _opencv_photo("apple.jpg"), Truth(faces=0, persons=0)),
        Picture("baboon", lambda: _opencv_photo("baboon.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("zoo_gate", ["CITY ZOO", "ENTRANCE"], (30, 100, 50), (255, 240, 190), 84, size=(960, 500),
              seed=1611, absent=("EXIT",)),
        _sign("fuel_sign", ["FUEL STATION", "PAY AT PUMP"], (200, 30, 30), (255, 255, 255), 74, size=(1000, 500),
              seed=1612, absent=("CLOSED",)),
        _sign("hostel_sign", ["HOSTEL", "BEDS FREE"], (40, 40, 110), (255, 255, 255), 86, size=(900, 500),
              seed=1613, absent=("FULL",)),
        _sign("market_sign", ["FLOWER MARKET", "SUNDAYS"], (250, 220, 60), (30, 30, 30), 74, size=(1000, 500),
              seed=1614, absent=("MONDAY",)),
        Picture("exif_dental", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("DENTAL CARE", "UPSTAIRS"), absent=("DOWNSTAIRS",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_olives", [["OLIVES", "$4.50"]], size=(680, 460), font_size=70),
        _tags_picture("eggs_honey", [["EGGS", "$3.60"], ["HONEY", "$6.25"]], font_size=60),
        _tags_picture("fruit3", [["APPLES", "$1.75"], ["PEARS", "$2.20"], ["PLUMS", "$3.05"]],
                      size=(1200, 420), font_size=52),
        _tags_picture("flowers4", [["ROSES", "$8.40"], ["TULIPS", "$5.90"], ["LILIES", "$7.15"],
                                   ["DAISIES", "$3.35"]], size=(1600, 420), font_size=42),
        _receipt("receipt_fuel", ["DIESEL 48.20", "COFFEE 2.30", "TOTAL 50.50"], size=(640, 600), font_size=44),
        _receipt("receipt_zoo", ["ADULT 18.00", "CHILD 9.50", "TOTAL 27.50"], size=(620, 600), font_size=44),
        _receipt("receipt_hostel", ["BED 24.00", "TOWEL 2.50", "BREAKFAST 6.75", "TOTAL 33.25"], size=(640, 720),
                 font_size=42),
        _receipt("menu_stall", ["CREPE 5.40", "WAFFLE 4.80", "COCOA 3.20"], size=(600, 600), font_size=44),
        # people
        Picture("astro_left", _people_scene((1260, 640), [_ASTRO_LEFT], "brick", (165, 150, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1240, 660), [_CAM_RIGHT], "brick", (175, 155, 145)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("duo_brick", _people_scene((1360, 660), _DUO, "brick", (160, 145, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO), persons=2, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "gravel",
                                                          (150, 155, 160))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="left", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_astro", _exif_jpeg(_exif_astro, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_ASTRO),), persons=1, person_side="right",
                      person_box=_person_box(*_EXIF_ASTRO)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout16", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
