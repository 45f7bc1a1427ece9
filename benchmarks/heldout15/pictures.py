"""Pictures for the fifteenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied. The layouts, counts, words,
prices, receipts, menus and scenes here (a farm shop, a gym, a post office, a ferry terminal, a
museum café) are new. Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``,
``camera``, ``coffee``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that
Debian's ``opencv-doc`` ships (``orange.jpg``, ``home.jpg``, ``starry_night.jpg``; without the
package those pictures fail to build with one line saying so). Nothing generated is committed:
:func:`build_all` writes the files into a cache folder (default ``~/.cache/visprog-heldout15``,
or ``VISPROG_HELDOUT15_DIR``).

Two pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what fruit, the weather, materials, brands, generative edits ...), whose right answer
is a refusal.

    .venv/bin/python benchmarks/heldout15/pictures.py --verify
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
_opencv_photo = _tenth._opencv_photo
_person_box = _tenth._person_box
_mirror_box = _tenth._mirror_box
_mirrored = _tenth._mirrored
_exif_jpeg = _tenth._exif_jpeg

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# a front desk: one face on the left, three on the right
_DESK_1_3: list[Face] = [("lfw", 8, 90, 140, 160), ("lfw", 31, 720, 60, 150), ("lfw", 57, 930, 250, 150),
                         ("lfw", 83, 1110, 70, 150)]
# three faces, all in the right half
_RIGHT_THREE: list[Face] = [("lfw", 19, 680, 70, 150), ("lfw", 42, 880, 290, 150), ("lfw", 72, 1040, 60, 150)]
# two head crops: the cameraman on the left, the astronaut on the right
_HEADS_CAM_ASTRO: list[Face] = [("head", "camera", 230, 90, 250), ("head", "astronaut", 900, 70, 250)]
# a tall picture: two faces up top, two below
_TALL_2_2: list[Face] = [("lfw", 4, 60, 70, 160), ("lfw", 28, 400, 120, 160), ("lfw", 61, 90, 700, 160),
                         ("lfw", 97, 420, 760, 160)]
# seven faces on a wide board: four left of centre, three right
_SEVEN: list[Face] = [("lfw", 1, 30, 40, 140), ("lfw", 23, 250, 60, 140), ("lfw", 44, 60, 360, 140),
                      ("lfw", 67, 300, 380, 140), ("lfw", 79, 830, 50, 140), ("lfw", 90, 1060, 220, 140),
                      ("lfw", 14, 880, 420, 140)]
_SEVEN_SIZE = (1280, 620)
# one face left, three right; shown mirrored (three on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 9, 120, 60, 160), ("lfw", 36, 720, 60, 150), ("lfw", 53, 900, 300, 150),
                           ("lfw", 81, 1080, 90, 150)]
_MIRROR_SIZE = (1300, 560)
# EXIF picture, in its displayed orientation: two faces left, one right
_EXIF_THREE: list[Face] = [("lfw", 16, 60, 80, 160), ("lfw", 40, 320, 320, 160), ("lfw", 73, 880, 160, 160)]
_EXIF_THREE_SIZE = (1200, 580)
# one head beside a gym sign
_HEAD_GYM: list[Face] = [("head", "astronaut", 880, 80, 240)]

_CAM_RIGHT = ("camera", 760, 120)
_ASTRO_LEFT = ("astronaut", 80, 90)
_DUO_CAM_ASTRO = [("camera", 100, 150), ("astronaut", 880, 100)]
_ASTRO_MIRROR_SRC = ("astronaut", 820, 100)  # on the right before mirroring: on the left as shown
_ASTRO_MIRROR_SIZE = (1300, 640)


def _head_and_gym() -> Image.Image:
    img = _paste_faces(_wall((1160, 560), (185, 195, 205), seed=1501, stripes=4), _HEAD_GYM)
    return _plate(img, ["GYM", "MEMBERS ONLY"], (50, 150, 560, 400), (25, 25, 25), (250, 200, 30), 64)


def _seven_board() -> Image.Image:
    return _wall(_SEVEN_SIZE, (210, 200, 180), 1502, 3)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (200, 215, 200), 1503, 5), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (220, 210, 190), 1504, 6), _EXIF_THREE)


def _exif_sign() -> Image.Image:
    img = _wall((1000, 520), (140, 150, 160), 1505, stripes=7)
    return _plate(img, ["LEFT LUGGAGE", "LOCKERS"], (80, 100, 920, 420), (20, 60, 130), (255, 255, 255), 76)


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("desk_1_3", _DESK_1_3, lambda: _wall((1300, 520), (200, 190, 210), 1506, 5)),
        _faces_picture("right_three", _RIGHT_THREE, lambda: _wall((1240, 520), (190, 205, 185), 1507, 0)),
        _faces_picture("heads_cam_astro", _HEADS_CAM_ASTRO, lambda: _wall((1160, 580), (175, 170, 190), 1508, 6)),
        _faces_picture("tall_2_2", _TALL_2_2, lambda: _wall((680, 1000), (215, 210, 200), 1509, 3)),
        _faces_picture("seven_board", _SEVEN, _seven_board),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_gym", _head_and_gym, Truth(faces=1, face_boxes=_face_boxes(_HEAD_GYM),
                                                 words=("GYM", "MEMBERS ONLY"), absent=("POOL",))),
        # no faces, no people
        Picture("coffee_cup", lambda: _skimage("coffee"), Truth(faces=0, persons=0)),
        Picture("oranges", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("house", lambda: _opencv_photo("home.jpg"), Truth(faces=0, persons=0)),
        Picture("painting", lambda: _opencv_photo("starry_night.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("farm_shop", ["FARM SHOP", "FRESH EGGS"], (40, 100, 40), (250, 245, 220), 80, size=(960, 500),
              seed=1511, absent=("MILK",)),
        _sign("post_office", ["POST OFFICE", "PARCELS"], (200, 20, 30), (255, 255, 255), 80, size=(960, 500),
              seed=1512, absent=("BANK",)),
        _sign("ferry_sign", ["FERRY", "TICKETS"], (20, 50, 110), (255, 255, 255), 96, size=(900, 520),
              seed=1513, absent=("TRAIN",)),
        _sign("museum_sign", ["MUSEUM CAFE", "UPSTAIRS"], (240, 235, 220), (60, 40, 30), 78, size=(980, 500),
              seed=1514, absent=("SHOP",)),
        _sign("gym_hours", ["OPEN 24 HOURS"], (250, 120, 20), (20, 20, 20), 76, size=(960, 420),
              seed=1515, absent=("CLOSED",)),
        Picture("exif_luggage", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("LEFT LUGGAGE", "LOCKERS"), absent=("TOILETS",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_eggs", [["EGGS", "$3.60"]], size=(660, 460), font_size=72),
        _tags_picture("honey_cider", [["HONEY", "$6.40"], ["CIDER", "$4.50"]], font_size=60),
        _tags_picture("gym_kiosk", [["WATER", "$1.25"], ["SHAKE", "$3.95"], ["GLOVES", "$8.75"]],
                      size=(1200, 420), font_size=52),
        _tags_picture("post_counter", [["STAMPS", "$0.85"], ["TAPE", "$1.70"], ["ENVELOPE", "$2.15"],
                                       ["BOX", "$3.40"]], size=(1600, 420), font_size=42),
        _receipt("receipt_farm", ["EGGS 3.60", "APPLES 2.20", "CHEESE 5.15", "TOTAL 10.95"], size=(640, 720),
                 font_size=42),
        _receipt("receipt_ferry", ["TICKET 14.50", "COFFEE 2.90", "TOTAL 17.40"], size=(640, 600), font_size=44),
        _receipt("menu_museum", ["TOAST 3.25", "QUICHE 6.80", "BROWNIE 2.95"], size=(620, 600), font_size=44),
        # people
        Picture("cam_right_brick", _people_scene((1240, 660), [_CAM_RIGHT], "brick", (170, 155, 145)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("astro_left_grass", _people_scene((1260, 640), [_ASTRO_LEFT], "grass", (140, 170, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("duo_gym", _people_scene((1340, 670), _DUO_CAM_ASTRO, "brick", (160, 150, 150)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "gravel",
                                                          (165, 160, 150))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="left", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout15", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
