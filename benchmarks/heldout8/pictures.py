"""Pictures for the eighth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts,
people cut-outs, the ground-truth record and the check against the real offline tools)
are the second set's (``benchmarks/heldout2/pictures.py``); the mirror and EXIF helpers
are the sixth set's (``benchmarks/heldout6/pictures.py``); all are reached through the
seventh set's module (``benchmarks/heldout7/pictures.py``), imported, not copied. The
layouts, counts, words, prices, menus, scenes, the mirrored pictures and the
EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``,
``coffee``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's
``opencv-doc`` ships (``fruits.jpg``, ``butterfly.jpg``, ``aloeL.jpg``,
``building.jpg``; without the package those pictures fail to build with one line saying
so). Nothing generated is committed: :func:`build_all` writes the files into a cache
folder (default ``~/.cache/visprog-heldout8``, or ``VISPROG_HELDOUT8_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag
says how to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth
is in the displayed orientation, as every tool sees it. Two are mirror images of a
layout (their truth boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these
pictures that the offline tools cannot answer (colours, clothing, expressions, age,
identity, kinds of people, what fruit or drink, the weather, materials ...), whose
right answer is a refusal.

    .venv/bin/python benchmarks/heldout8/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_seventh_set() -> ModuleType:
    name = "heldout_pictures_seventh_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout7" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout7/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_seventh = _load_seventh_set()
_second = _seventh._second
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
_opencv_photo = _seventh._opencv_photo
_person_box = _seventh._person_box
_mirror_box = _seventh._mirror_box
_mirrored = _seventh._mirrored
_exif_jpeg = _seventh._exif_jpeg

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# two faces on the left, four on the right
_TWO_FOUR: list[Face] = [("lfw", 14, 60, 50, 150), ("lfw", 39, 330, 280, 150), ("lfw", 5, 700, 40, 150),
                         ("lfw", 61, 930, 60, 150), ("lfw", 82, 1130, 40, 150), ("lfw", 27, 820, 300, 150)]
# one face, far right
_LONE_RIGHT: list[Face] = [("lfw", 55, 780, 110, 190)]
# eight faces: three left, five right
_CROWD8: list[Face] = [("lfw", 3, 40, 40, 135), ("lfw", 33, 250, 60, 135), ("lfw", 88, 130, 330, 135),
                       ("lfw", 8, 690, 30, 135), ("lfw", 47, 880, 50, 135), ("lfw", 95, 1070, 40, 135),
                       ("lfw", 19, 760, 320, 135), ("lfw", 68, 990, 340, 135)]
# three head crops: 'right' on the left, an LFW tile in the middle-right, the astronaut on the right
_HEADS_MIX3: list[Face] = [("head", "right", 210, 60, 230), ("lfw", 42, 640, 90, 170),
                           ("head", "astronaut", 1000, 50, 240)]
# a tall picture: three faces up top, one below
_TALL_3_1: list[Face] = [("lfw", 11, 30, 60, 150), ("lfw", 49, 240, 90, 150), ("lfw", 73, 450, 50, 150),
                         ("lfw", 91, 250, 700, 160)]
# four faces, one left and three right; shown mirrored (three on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 22, 120, 120, 160), ("lfw", 57, 660, 40, 150), ("lfw", 78, 900, 70, 150),
                           ("lfw", 36, 760, 310, 150)]
_MIRROR_SIZE = (1150, 520)
# EXIF picture, in its displayed orientation: wide, two faces on the left, one on the right
_EXIF_THREE: list[Face] = [("lfw", 16, 60, 90, 160), ("lfw", 64, 300, 260, 160), ("lfw", 87, 820, 120, 160)]
_EXIF_THREE_SIZE = (1100, 520)
# one head beside a pharmacy sign
_HEAD_PHARMACY: list[Face] = [("head", "camera", 220, 70, 240)]

_ASTRO_LEFT = ("astronaut", 110, 90)
_CAM_RIGHT = ("camera", 760, 120)
_DUO_CAM_ASTRO = [("camera", 70, 110), ("astronaut", 700, 70)]
_ASTRO_MIRROR_SRC = ("astronaut", 720, 80)  # on the right before mirroring: on the left as shown
_ASTRO_MIRROR_SIZE = (1200, 640)
_EXIF_CAM = ("camera", 80, 110)  # displayed orientation: on the left
_EXIF_CAM_SIZE = (1150, 620)


def _head_and_pharmacy() -> Image.Image:
    img = _paste_faces(_wall((1100, 520), (185, 200, 205), seed=201, stripes=6), _HEAD_PHARMACY)
    return _plate(img, ["PHARMACY"], (480, 170, 1040, 330), (20, 120, 70), (255, 255, 255), 78)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (200, 195, 215), 202, 4), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (215, 205, 185), 203, 9), _EXIF_THREE)


def _exif_sign() -> Image.Image:
    img = _wall((920, 500), (150, 145, 160), 204, stripes=5)
    return _plate(img, ["CAR WASH", "OPEN 24 HOURS"], (70, 100, 850, 400), (20, 70, 150), (255, 255, 255), 70)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "grass", (150, 175, 140))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("two_four", _TWO_FOUR, lambda: _wall((1320, 520), (210, 195, 175), 205, 8)),
        _faces_picture("lone_right", _LONE_RIGHT, lambda: _wall((1050, 500), (180, 200, 190), 206, 0)),
        _faces_picture("crowd8", _CROWD8, lambda: _backdrop("brick", (1250, 520), (170, 145, 130))),
        _faces_picture("heads_mix3", _HEADS_MIX3, lambda: _wall((1200, 560), (140, 150, 170), 207, 12)),
        _faces_picture("tall_3_1", _TALL_3_1, lambda: _wall((650, 940), (225, 215, 195), 208, 3)),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_pharmacy", _head_and_pharmacy, Truth(faces=1, face_boxes=_face_boxes(_HEAD_PHARMACY),
                                                           words=("PHARMACY",), absent=("BAKERY",))),
        # no faces, no people
        Picture("fruits", lambda: _opencv_photo("fruits.jpg"), Truth(faces=0, persons=0)),
        Picture("butterfly", lambda: _opencv_photo("butterfly.jpg"), Truth(faces=0, persons=0)),
        Picture("plant", lambda: _opencv_photo("aloeL.jpg"), Truth(faces=0, persons=0)),
        Picture("building", lambda: _opencv_photo("building.jpg"), Truth(faces=0, persons=0)),
        Picture("coffee", lambda: _skimage("coffee"), Truth(faces=0, persons=0, words=())),
        # signs
        _sign("permit_parking", ["PERMIT PARKING", "TOW AWAY ZONE"], (250, 250, 250), (190, 20, 20), 72, size=(960, 520),
              seed=211, absent=("TAXI",)),
        _sign("platform_3", ["PLATFORM 3"], (20, 40, 90), (255, 255, 255), 100, size=(900, 420), seed=212),
        _sign("free_wifi", ["FREE WIFI", "ASK AT COUNTER"], (240, 235, 220), (30, 30, 30), 72, size=(940, 520),
              seed=213, wall=(200, 185, 160), absent=("PASSWORD",)),
        _sign("push_door", ["PUSH"], (230, 230, 230), (10, 60, 160), 130, size=(760, 460), seed=214,
              absent=("PULL",)),
        _sign("bike_repair", ["BIKE REPAIR", "OPEN SUNDAYS"], (250, 200, 40), (20, 20, 20), 74, size=(940, 520),
              seed=215, absent=("MONDAY",)),
        _sign("quiet_library", ["QUIET PLEASE", "LIBRARY"], (90, 40, 30), (250, 240, 210), 76, size=(900, 520),
              seed=216, wall=(170, 180, 190), absent=("MUSIC",)),
        Picture("exif_carwash", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("CAR WASH", "OPEN 24 HOURS"), absent=("CLOSED",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_honey", [["HONEY", "$6.80"]], size=(680, 460), font_size=68),
        _tags_picture("apples_pears", [["APPLES", "$1.45"], ["PEARS", "$1.85"]], font_size=58),
        _tags_picture("bath3", [["SOAP", "$2.15"], ["TOWEL", "$7.40"], ["SPONGE", "$0.90"]], size=(1200, 420),
                      font_size=50),
        _tags_picture("pantry4", [["RICE", "$3.30"], ["BEANS", "$1.10"], ["PASTA", "$2.60"], ["FLOUR", "$2.95"]],
                      size=(1500, 420), font_size=46),
        _receipt("receipt_muffin", ["TEA 2.20", "MUFFIN 3.45", "TOTAL 5.65"]),
        _receipt("menu_pizza", ["PIZZA 9.75", "SALAD 6.40", "SODA 2.10"]),
        _receipt("menu_noodle", ["NOODLES 7.80", "DUMPLINGS 5.50", "RICE 2.25", "TEA 1.60"], size=(620, 700),
                 font_size=42),
        # people
        Picture("astro_left", _people_scene((1200, 640), [_ASTRO_LEFT], "grass", (140, 175, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1200, 640), [_CAM_RIGHT], "brick", (170, 150, 135)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("duo_grass", _people_scene((1250, 650), _DUO_CAM_ASTRO, "grass", (145, 180, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "grass",
                                                          (150, 175, 150))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="left", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="left",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout8", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
