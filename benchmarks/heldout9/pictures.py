"""Pictures for the ninth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts,
people cut-outs, the ground-truth record and the check against the real offline tools)
are the second set's (``benchmarks/heldout2/pictures.py``); the mirror and EXIF helpers
are the sixth set's (``benchmarks/heldout6/pictures.py``); all are reached through the
eighth set's module (``benchmarks/heldout8/pictures.py``), imported, not copied. The
layouts, counts, words, prices, menus, scenes, the mirrored pictures and the
EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``,
``rocket``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's
``opencv-doc`` ships (``orange.jpg``, ``leuvenA.jpg``, ``stuff.jpg``, ``starry_night.jpg``; without the package those pictures fail to build with one line saying
so). Nothing generated is committed: :func:`build_all` writes the files into a cache
folder (default ``~/.cache/visprog-heldout9``, or ``VISPROG_HELDOUT9_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag
says how to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth
is in the displayed orientation, as every tool sees it. Two are mirror images of a
layout (their truth boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these
pictures that the offline tools cannot answer (colours, clothing, expressions, age,
identity, kinds of people, what animal or fruit, the weather, the painting's style,
materials, generative edits ...), whose right answer is a refusal.

    .venv/bin/python benchmarks/heldout9/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_eighth_set() -> ModuleType:
    name = "heldout_pictures_eighth_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout8" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout8/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_eighth = _load_eighth_set()
_seventh = _eighth._seventh
_second = _eighth._second
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
_opencv_photo = _eighth._opencv_photo
_person_box = _eighth._person_box
_mirror_box = _eighth._mirror_box
_mirrored = _eighth._mirrored
_exif_jpeg = _eighth._exif_jpeg

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# one face on the left, three on the right
_ONE_THREE: list[Face] = [("lfw", 31, 150, 170, 160), ("lfw", 6, 680, 50, 150), ("lfw", 58, 900, 220, 150),
                          ("lfw", 97, 1110, 60, 150)]
# two faces, both in the left half
_LEFT_PAIR: list[Face] = [("lfw", 44, 70, 80, 170), ("lfw", 76, 320, 250, 170)]
# nine faces: five left, four right
_CROWD9: list[Face] = [("lfw", 2, 30, 30, 125), ("lfw", 17, 210, 40, 125), ("lfw", 38, 390, 30, 125),
                       ("lfw", 53, 110, 320, 125), ("lfw", 85, 300, 330, 125), ("lfw", 10, 760, 40, 125),
                       ("lfw", 29, 960, 30, 125), ("lfw", 72, 1160, 50, 125), ("lfw", 94, 880, 330, 125)]
# three head crops: the cameraman, the 'left' one, the astronaut
_HEADS_TRIO: list[Face] = [("head", "camera", 190, 80, 220), ("head", "left", 560, 60, 230),
                           ("head", "astronaut", 1040, 70, 230)]
# a tall picture: one face up top, three below
_TALL_1_3: list[Face] = [("lfw", 20, 230, 70, 160), ("lfw", 45, 30, 600, 150), ("lfw", 66, 240, 660, 150),
                         ("lfw", 83, 450, 610, 150)]
# three faces, one left and two right; shown mirrored (two on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 26, 140, 150, 170), ("lfw", 50, 700, 60, 160), ("lfw", 79, 920, 280, 160)]
_MIRROR_SIZE = (1150, 540)
# EXIF picture, in its displayed orientation: wide, three faces on the left, one on the right
_EXIF_FOUR: list[Face] = [("lfw", 12, 40, 60, 150), ("lfw", 35, 250, 300, 150), ("lfw", 63, 420, 70, 140),
                          ("lfw", 90, 860, 180, 160)]
_EXIF_FOUR_SIZE = (1150, 540)
# one head beside a post office sign
_HEAD_POST: list[Face] = [("head", "left", 880, 60, 240)]

_ASTRO_RIGHT = ("astronaut", 740, 100)
_CAM_LEFT = ("camera", 90, 100)
_DUO_ASTRO_CAM = [("astronaut", 80, 60), ("camera", 780, 120)]
_CAM_MIRROR_SRC = ("camera", 70, 100)  # on the left before mirroring: on the right as shown
_CAM_MIRROR_SIZE = (1180, 640)
_EXIF_ASTRO = ("astronaut", 60, 80)  # displayed orientation: on the left
_EXIF_ASTRO_SIZE = (1200, 640)


def _head_and_post() -> Image.Image:
    img = _paste_faces(_wall((1100, 520), (210, 195, 190), seed=301, stripes=5), _HEAD_POST)
    return _plate(img, ["POST OFFICE"], (40, 170, 640, 330), (200, 30, 30), (255, 240, 40), 70)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (190, 210, 220), 302, 6), _MIRROR_SRC)


def _exif_four_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_FOUR_SIZE, (220, 200, 210), 303, 7), _EXIF_FOUR)


def _exif_sign() -> Image.Image:
    img = _wall((940, 500), (160, 150, 140), 304, stripes=6)
    return _plate(img, ["HOTEL", "VACANCIES"], (80, 100, 860, 400), (110, 20, 60), (255, 255, 255), 80)


def _exif_astro() -> Image.Image:
    return _people_scene(_EXIF_ASTRO_SIZE, [_EXIF_ASTRO], "brick", (165, 145, 130))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    cam_width = _CAM_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("one_three", _ONE_THREE, lambda: _wall((1320, 520), (200, 205, 180), 305, 9)),
        _faces_picture("left_pair", _LEFT_PAIR, lambda: _wall((1100, 520), (175, 190, 210), 306, 0)),
        _faces_picture("crowd9", _CROWD9, lambda: _backdrop("gravel", (1350, 520), (165, 160, 150))),
        _faces_picture("heads_trio", _HEADS_TRIO, lambda: _wall((1260, 560), (150, 165, 150), 307, 10)),
        _faces_picture("tall_1_3", _TALL_1_3, lambda: _wall((660, 960), (230, 210, 200), 308, 2)),
        Picture("mirror_three", _mirrored(_mirror_faces),
                Truth(faces=3, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_four", _exif_jpeg(_exif_four_faces, 8), Truth(faces=4, face_boxes=_face_boxes(_EXIF_FOUR)),
                suffix=".jpg"),
        Picture("head_post", _head_and_post, Truth(faces=1, face_boxes=_face_boxes(_HEAD_POST),
                                                   words=("POST OFFICE",), absent=("BANK",))),
        # no faces, no people
        Picture("orange", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("old_street", lambda: _opencv_photo("leuvenA.jpg"), Truth(faces=0, persons=0)),
        Picture("desk_things", lambda: _opencv_photo("stuff.jpg"), Truth(faces=0, persons=0)),
        Picture("starry_night", lambda: _opencv_photo("starry_night.jpg"), Truth(faces=0, persons=0)),
        Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, persons=0)),
        # signs
        _sign("road_works", ["ROAD WORKS", "NEXT 2 MILES"], (250, 250, 250), (20, 40, 150), 72, size=(960, 520),
              seed=311, absent=("DETOUR",)),
        _sign("gate_b12", ["GATE B12"], (30, 30, 35), (255, 210, 0), 110, size=(860, 420), seed=312),
        _sign("car_park_full", ["CAR PARK", "FULL"], (20, 90, 170), (255, 255, 255), 84, size=(900, 520),
              seed=313, absent=("SPACES",)),
        _sign("pool_closed", ["POOL CLOSED", "FOR CLEANING"], (240, 240, 250), (200, 20, 20), 70, size=(960, 520),
              seed=314, wall=(180, 200, 205), absent=("OPEN",)),
        _sign("bus_stop", ["BUS STOP", "ROUTE 7"], (250, 215, 30), (20, 20, 20), 80, size=(900, 520),
              seed=315, absent=("TRAIN",)),
        _sign("toilets", ["TOILETS", "UPSTAIRS"], (60, 60, 60), (255, 255, 255), 86, size=(860, 520),
              seed=316, wall=(200, 190, 175), absent=("DOWNSTAIRS",)),
        Picture("exif_hotel", _exif_jpeg(_exif_sign, 6),
                Truth(faces=0, words=("HOTEL", "VACANCIES"), absent=("FULL",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_beans", [["COFFEE", "$11.20"]], size=(680, 460), font_size=70),
        _tags_picture("eggs_milk", [["EGGS", "$4.15"], ["MILK", "$2.70"]], font_size=60),
        _tags_picture("stationery3", [["RULER", "$1.35"], ["ERASER", "$0.60"], ["MARKER", "$2.25"]],
                      size=(1200, 420), font_size=50),
        _tags_picture("garden4", [["SEEDS", "$2.80"], ["GLOVES", "$6.50"], ["TROWEL", "$5.15"], ["HOSE", "$14.90"]],
                      size=(1500, 420), font_size=44),
        _receipt("receipt_lunch", ["SANDWICH 5.40", "JUICE 2.85", "TOTAL 8.25"]),
        _receipt("menu_cafe", ["LATTE 3.80", "SCONE 2.95", "OMELETTE 7.25", "WAFFLE 6.10"], size=(620, 700),
                 font_size=42),
        _receipt("receipt_nails", ["NAILS 3.15", "GLUE 4.60", "TAPE 2.05", "TOTAL 9.80"], size=(600, 700),
                 font_size=42),
        # people
        Picture("astro_right", _people_scene((1250, 660), [_ASTRO_RIGHT], "gravel", (150, 145, 135)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_ASTRO_RIGHT))),
        Picture("cam_left", _people_scene((1200, 660), [_CAM_LEFT], "brick", (175, 150, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_CAM_LEFT))),
        Picture("duo_gravel", _people_scene((1300, 660), _DUO_ASTRO_CAM, "gravel", (150, 160, 150)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_ASTRO_CAM), persons=2, raised=0)),
        Picture("cam_mirrored", _mirrored(_people_scene(_CAM_MIRROR_SIZE, [_CAM_MIRROR_SRC], "grass",
                                                        (145, 180, 150))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_CAM_MIRROR_SRC), cam_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_CAM_MIRROR_SRC), cam_width))),
        Picture("exif_astro", _exif_jpeg(_exif_astro, 8),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_ASTRO),), persons=1, person_side="left",
                      person_box=_person_box(*_EXIF_ASTRO)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout9", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
