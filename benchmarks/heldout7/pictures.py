"""Pictures for the seventh held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts,
people cut-outs, the ground-truth record and the check against the real offline tools)
are the second set's (``benchmarks/heldout2/pictures.py``); the mirror and EXIF helpers
are the sixth set's (``benchmarks/heldout6/pictures.py``); both are reached through the
sixth set's module, imported, not copied. The layouts, counts, words, prices, scenes,
the mirrored pictures and the EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``,
``chelsea``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's
``opencv-doc`` ships (``baboon.jpg``, ``HappyFish.jpg``, ``home.jpg``; without the package
those pictures fail to build with one line saying so). Nothing generated is committed:
:func:`build_all` writes the files into a cache folder (default
``~/.cache/visprog-heldout7``, or ``VISPROG_HELDOUT7_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag
says how to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth
is in the displayed orientation, as every tool sees it. Two are mirror images of a
layout (their truth boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these
pictures that the offline tools cannot answer (colours, clothing, expressions, age,
identity, kinds of people, what animal or food, the weather, the style ...), whose
right answer is a refusal.

    .venv/bin/python benchmarks/heldout7/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_sixth_set() -> ModuleType:
    name = "heldout_pictures_sixth_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout6" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout6/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_sixth = _load_sixth_set()
_second = _sixth._second
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
_opencv_photo = _sixth._opencv_photo
_person_box = _sixth._person_box
_mirror_box = _sixth._mirror_box
_mirrored = _sixth._mirrored
_exif_jpeg = _sixth._exif_jpeg

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# three faces on the left, one on the right
_THREE_ONE: list[Face] = [("lfw", 4, 40, 40, 150), ("lfw", 23, 230, 300, 150), ("lfw", 48, 420, 50, 150),
                          ("lfw", 71, 850, 60, 160)]
# two faces, both in the right half
_RIGHT_ONLY2: list[Face] = [("lfw", 19, 640, 60, 170), ("lfw", 84, 870, 250, 170)]
# seven faces: four left, three right
_CROWD7: list[Face] = [("lfw", 9, 30, 40, 140), ("lfw", 28, 220, 60, 140), ("lfw", 41, 410, 30, 140),
                       ("lfw", 57, 130, 330, 140), ("lfw", 79, 700, 50, 140), ("lfw", 93, 930, 60, 140),
                       ("lfw", 62, 810, 330, 140)]
# the astronaut's head alone, left of centre
_SOLO_ASTRO_LEFT: list[Face] = [("head", "astronaut", 260, 70, 260)]
# two head crops: the 'left' one and the cameraman
_HEADS_DUO: list[Face] = [("head", "left", 250, 50, 230), ("head", "camera", 760, 60, 230)]
# a tall picture: two faces up top, two below
_TALL_2_2: list[Face] = [("lfw", 1, 50, 70, 160), ("lfw", 37, 370, 90, 160), ("lfw", 52, 50, 600, 160),
                         ("lfw", 86, 380, 640, 160)]
# five faces, two left and three right; shown mirrored (three on the left, two on the right)
_MIRROR_SRC: list[Face] = [("lfw", 13, 60, 60, 150), ("lfw", 45, 300, 300, 150), ("lfw", 66, 680, 40, 150),
                           ("lfw", 90, 900, 80, 150), ("lfw", 30, 760, 310, 150)]
_MIRROR_SIZE = (1200, 520)
# EXIF picture, in its displayed orientation: wide, one face each side
_EXIF_WIDE: list[Face] = [("lfw", 24, 120, 150, 170), ("lfw", 68, 700, 120, 170)]
_EXIF_WIDE_SIZE = (1000, 500)
# one head beside a barber's sign
_HEAD_BARBER: list[Face] = [("head", "right", 860, 80, 240)]

_ASTRO_RIGHT = ("astronaut", 760, 80)
_CAM_LEFT = ("camera", 60, 100)
_DUO_ASTRO_CAM = [("astronaut", 60, 70), ("camera", 690, 110)]
_CAM_MIRROR_SRC = ("camera", 780, 110)  # on the right before mirroring: on the left as shown
_CAM_MIRROR_SIZE = (1200, 640)
_EXIF_ASTRO = ("astronaut", 700, 90)  # displayed orientation: on the right
_EXIF_ASTRO_SIZE = (1200, 640)


def _head_and_barber() -> Image.Image:
    img = _paste_faces(_wall((1100, 520), (200, 190, 170), seed=101, stripes=7), _HEAD_BARBER)
    return _plate(img, ["BARBER SHOP"], (40, 180, 640, 330), (250, 250, 245), (170, 20, 30), 70)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (190, 205, 190), 102, 5), _MIRROR_SRC)


def _exif_wide_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_WIDE_SIZE, (210, 190, 200), 103, 6), _EXIF_WIDE)


def _exif_sign() -> Image.Image:
    img = _wall((900, 480), (140, 150, 135), 104, stripes=8)
    return _plate(img, ["GARDEN CENTRE"], (80, 110, 820, 370), (30, 100, 40), (255, 255, 255), 82)


def _exif_astro() -> Image.Image:
    return _people_scene(_EXIF_ASTRO_SIZE, [_EXIF_ASTRO], "gravel", (160, 150, 135))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    cam_width = _CAM_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("three_one", _THREE_ONE, lambda: _wall((1200, 500), (215, 200, 180), 105, 7)),
        _faces_picture("right_only2", _RIGHT_ONLY2, lambda: _backdrop("brick", (1100, 480), (175, 150, 130))),
        _faces_picture("crowd7", _CROWD7, lambda: _wall((1250, 520), (130, 125, 115), 106, 11)),
        _faces_picture("solo_astro_left", _SOLO_ASTRO_LEFT, lambda: _wall((1000, 520), (205, 215, 200), 107, 0)),
        _faces_picture("heads_duo", _HEADS_DUO, lambda: _backdrop("gravel", (1000, 600), (170, 160, 150))),
        _faces_picture("tall_2_2", _TALL_2_2, lambda: _wall((620, 920), (220, 205, 190), 108, 3)),
        Picture("mirror_five", _mirrored(_mirror_faces),
                Truth(faces=5, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_pair", _exif_jpeg(_exif_wide_faces, 8), Truth(faces=2, face_boxes=_face_boxes(_EXIF_WIDE)),
                suffix=".jpg"),
        Picture("head_barber", _head_and_barber, Truth(faces=1, face_boxes=_face_boxes(_HEAD_BARBER),
                                                       words=("BARBER SHOP",), absent=("SALON",))),
        # no faces, no people
        Picture("baboon", lambda: _opencv_photo("baboon.jpg"), Truth(faces=0, persons=0)),
        Picture("fish", lambda: _opencv_photo("HappyFish.jpg"), Truth(faces=0, persons=0)),
        Picture("house", lambda: _opencv_photo("home.jpg"), Truth(faces=0, persons=0)),
        Picture("cat", lambda: _skimage("chelsea"), Truth(faces=0, persons=0, words=())),
        # signs
        _sign("fire_exit", ["FIRE EXIT", "KEEP DOOR CLOSED"], (30, 140, 60), (255, 255, 255), 68, size=(960, 520),
              seed=111, absent=("ALARM",)),
        _sign("desk_14", ["DESK 14"], (240, 240, 235), (20, 20, 20), 110, size=(820, 420), seed=112),
        _sign("deliveries", ["DELIVERIES", "REAR ENTRANCE"], (60, 60, 70), (255, 220, 60), 76, size=(920, 520),
              seed=113, absent=("FRONT",)),
        _sign("ice_cream", ["ICE CREAM", "OPEN TILL 10"], (250, 230, 240), (200, 30, 110), 80, size=(920, 520),
              seed=114, wall=(190, 200, 215), absent=("CLOSED",)),
        _sign("school_zone", ["SLOW", "SCHOOL ZONE"], (250, 215, 20), (10, 10, 10), 90, size=(860, 540), seed=115,
              absent=("FAST",)),
        _sign("lost_found", ["LOST AND FOUND"], (30, 60, 120), (255, 255, 255), 72, size=(960, 420), seed=116,
              absent=("PARKING",)),
        Picture("exif_garden", _exif_jpeg(_exif_sign, 6), Truth(faces=0, words=("GARDEN CENTRE",), absent=("CAFE",)),
                suffix=".jpg"),
        # prices
        _tags_picture("tag_oil", [["OLIVE OIL", "$8.45"]], size=(700, 460), font_size=66),
        _tags_picture("bread_butter", [["BREAD", "$2.35"], ["BUTTER", "$3.60"]], font_size=60),
        _tags_picture("citrus3", [["LEMONS", "$0.75"], ["LIMES", "$0.65"], ["MANGO", "$1.90"]], size=(1200, 420),
                      font_size=50),
        _tags_picture("hardware4", [["TAPE", "$1.75"], ["SCREWS", "$3.20"], ["PLIERS", "$9.95"],
                                    ["BRUSH", "$4.40"]], size=(1500, 420), font_size=44),
        _receipt("receipt_bagel", ["COFFEE 2.90", "BAGEL 3.25", "TOTAL 6.15"]),
        _receipt("menu_diner", ["BURGER 8.50", "FRIES 3.25", "SHAKE 4.95"]),
        # people
        Picture("astro_right", _people_scene((1250, 640), [_ASTRO_RIGHT], "brick", (165, 140, 125)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_ASTRO_RIGHT))),
        Picture("cam_left", _people_scene((1150, 640), [_CAM_LEFT], "grass", (145, 175, 145)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_CAM_LEFT))),
        Picture("duo_grass", _people_scene((1240, 650), _DUO_ASTRO_CAM, "grass", (140, 180, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_ASTRO_CAM), persons=2)),
        Picture("cam_mirrored", _mirrored(_people_scene(_CAM_MIRROR_SIZE, [_CAM_MIRROR_SRC], "grass",
                                                        (150, 170, 150))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_CAM_MIRROR_SRC), cam_width),), persons=1,
                      person_side="left", person_box=_mirror_box(_person_box(*_CAM_MIRROR_SRC), cam_width))),
        Picture("exif_astro", _exif_jpeg(_exif_astro, 8),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_ASTRO),), persons=1, person_side="right",
                      person_box=_person_box(*_EXIF_ASTRO)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout7", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
