"""Pictures for the twelfth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied.

New here: the layouts and counts (two faces both left, a lone face on the right, eight faces in
two rows, a stacked pair of heads, three over one in a tall picture, a row of four), the sign
words (swimming pool, bus stop, dentist, no parking, toilets, bakery, bookshop), the prices (a
single cheese tag, vegetables, stationery, dairy shelf), the receipts and the breakfast menu
(pet shop, bookshop), the people scenes (new positions and textures), the mirrored pictures
(six faces, the astronaut) and the EXIF-rotated JPEGs (faces with orientation 6, a sign with
orientation 8, the cameraman with orientation 6). Photos with no face or person: Debian
``opencv-doc``'s ``orange.jpg``, ``baboon.jpg`` and ``smarties.png`` (without the package
those pictures fail to build with one line saying so) and scikit-image's ``coins``.
Nothing generated is committed: :func:`build_all` writes the files into a cache folder
(default ``~/.cache/visprog-heldout12``, or ``VISPROG_HELDOUT12_DIR``).

The EXIF pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says
how to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. The mirrored ones are mirror images of a layout
(their truth boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what animal, the weather, materials, brands, generative edits ...), whose right answer
is a refusal.

    .venv/bin/python benchmarks/heldout12/pictures.py --verify
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

# two faces, both in the left half: one up, one down
_PAIR_LEFT: list[Face] = [("lfw", 10, 60, 40, 160), ("lfw", 44, 330, 290, 160)]
# one face alone, in the bottom right quarter
_LONE_RIGHT: list[Face] = [("lfw", 28, 690, 290, 180)]
# eight faces in two rows of four: four left of centre, four right
_EIGHT: list[Face] = [("lfw", 1, 40, 40, 135), ("lfw", 18, 260, 60, 135), ("lfw", 39, 780, 40, 135),
                      ("lfw", 62, 1010, 60, 135), ("lfw", 71, 60, 360, 135), ("lfw", 83, 290, 380, 135),
                      ("lfw", 90, 760, 370, 135), ("lfw", 97, 1000, 350, 135)]
# a tall picture: the astronaut's head up top on the left, the cameraman's below on the right
_HEADS_STACK: list[Face] = [("head", "astronaut", 190, 60, 240), ("head", "camera", 480, 560, 230)]
# a tall picture: three faces up top, one below
_TALL_3_1: list[Face] = [("lfw", 14, 30, 60, 140), ("lfw", 36, 270, 110, 140), ("lfw", 53, 510, 50, 140),
                         ("lfw", 77, 280, 720, 150)]
# four faces in a row: two left, two right
_ROW4: list[Face] = [("lfw", 5, 50, 30, 150), ("lfw", 32, 330, 60, 150), ("lfw", 57, 720, 40, 150),
                     ("lfw", 80, 990, 50, 150)]
# four faces left, two right; shown mirrored (two on the left, four on the right)
_MIRROR_SRC: list[Face] = [("lfw", 12, 40, 60, 140), ("lfw", 34, 260, 280, 140), ("lfw", 50, 420, 60, 140),
                           ("lfw", 68, 110, 330, 140), ("lfw", 85, 820, 90, 150), ("lfw", 94, 1050, 300, 150)]
_MIRROR_SIZE = (1300, 560)
# EXIF picture, in its displayed orientation: three faces on the left, one on the right
_EXIF_FOUR: list[Face] = [("lfw", 22, 40, 70, 150), ("lfw", 46, 300, 60, 150), ("lfw", 65, 150, 330, 150),
                          ("lfw", 88, 900, 60, 160)]
_EXIF_FOUR_SIZE = (1240, 560)
# one head beside a bookshop sign
_HEAD_BOOKS: list[Face] = [("head", "right", 880, 80, 240)]

_ASTRO_CENTRE_LEFT = ("astronaut", 180, 70)
_CAM_FAR_RIGHT = ("camera", 930, 120)
_DUO_GRASS = [("camera", 80, 110), ("astronaut", 800, 80)]  # on grass: other spacings give one person
_ASTRO_MIRROR_SRC = ("astronaut", 120, 90)  # on the left before mirroring: on the right as shown
_ASTRO_MIRROR_SIZE = (1280, 640)
_EXIF_CAM = ("camera", 120, 100)  # displayed orientation: on the left
_EXIF_CAM_SIZE = (1200, 640)


def _head_and_bookshop() -> Image.Image:
    img = _paste_faces(_wall((1120, 540), (195, 185, 200), seed=601, stripes=4), _HEAD_BOOKS)
    return _plate(img, ["BOOKSHOP", "OPEN SUNDAY"], (50, 140, 600, 400), (35, 35, 90), (250, 230, 160), 60)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (210, 195, 180), 602, 5), _MIRROR_SRC)


def _exif_four_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_FOUR_SIZE, (190, 210, 215), 603, 3), _EXIF_FOUR)


def _exif_sign() -> Image.Image:
    img = _wall((1000, 520), (160, 150, 130), 604, stripes=6)
    return _plate(img, ["BAKERY", "FRESH DAILY"], (90, 100, 910, 420), (120, 70, 30), (255, 245, 215), 84)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "gravel", (160, 165, 150))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("pair_left", _PAIR_LEFT, lambda: _wall((1200, 500), (200, 205, 215), 605, 6)),
        _faces_picture("lone_right", _LONE_RIGHT, lambda: _wall((1000, 500), (215, 200, 180), 606, 2)),
        _faces_picture("eight_rows", _EIGHT, lambda: _backdrop("gravel", (1260, 580), (170, 165, 150))),
        _faces_picture("heads_stack", _HEADS_STACK, lambda: _wall((660, 900), (185, 195, 170), 607, 5)),
        _faces_picture("tall_3_1", _TALL_3_1, lambda: _wall((720, 960), (210, 190, 200), 608, 8)),
        _faces_picture("row_four", _ROW4, lambda: _wall((1200, 460), (180, 200, 190), 609, 0)),
        Picture("mirror_six", _mirrored(_mirror_faces),
                Truth(faces=6, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_four", _exif_jpeg(_exif_four_faces, 6), Truth(faces=4, face_boxes=_face_boxes(_EXIF_FOUR)),
                suffix=".jpg"),
        Picture("head_bookshop", _head_and_bookshop, Truth(faces=1, face_boxes=_face_boxes(_HEAD_BOOKS),
                                                           words=("BOOKSHOP", "OPEN SUNDAY"), absent=("CLOSED",))),
        # no faces, no people
        Picture("orange", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("baboon", lambda: _opencv_photo("baboon.jpg"), Truth(faces=0, persons=0, words=())),
        Picture("sweets", lambda: _opencv_photo("smarties.png"), Truth(faces=0, persons=0)),
        Picture("coins", lambda: _skimage("coins"), Truth(faces=0, persons=0)),
        # signs
        _sign("pool_sign", ["SWIMMING POOL", "SHALLOW END"], (20, 120, 190), (255, 255, 255), 70, size=(1000, 520),
              seed=611, absent=("DEEP",)),
        _sign("bus_stop", ["BUS STOP", "ROUTE 19"], (240, 240, 240), (200, 20, 20), 86, size=(900, 500),
              seed=612, absent=("ROUTE 21",)),
        _sign("dentist", ["DENTIST", "FIRST FLOOR"], (245, 245, 250), (20, 90, 60), 80, size=(940, 500),
              seed=613, absent=("DOCTOR",)),
        _sign("no_parking", ["NO PARKING", "TOW ZONE"], (200, 20, 30), (255, 255, 255), 84, size=(960, 500),
              seed=614, wall=(175, 170, 160)),
        _sign("toilets", ["TOILETS", "OUT OF ORDER"], (40, 40, 40), (255, 215, 60), 76, size=(960, 520),
              seed=615, absent=("LADIES",)),
        Picture("exif_bakery", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("BAKERY", "FRESH DAILY"), absent=("CAKES",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_cheddar", [["CHEDDAR", "$5.60"]], size=(680, 460), font_size=68),
        _tags_picture("cabbage_potato", [["CABBAGE", "$0.85"], ["POTATOES", "$2.15"]], size=(1100, 420),
                      font_size=56),
        _tags_picture("stationery3", [["RULER", "$1.35"], ["STAPLER", "$6.80"], ["TAPE", "$2.60"]],
                      size=(1200, 420), font_size=52),
        _tags_picture("dairy4", [["EGGS", "$3.45"], ["BUTTER", "$4.20"], ["FLOUR", "$1.65"],
                                 ["YOGURT", "$2.90"]], size=(1520, 420), font_size=44),
        _receipt("receipt_pets", ["DOG FOOD 11.20", "LEASH 7.45", "TOTAL 18.65"], size=(660, 600),
                 font_size=44),
        _receipt("receipt_books", ["NOVEL 8.95", "MAP 4.50", "PENS 2.25", "TOTAL 15.70"], size=(600, 720),
                 font_size=42),
        _receipt("menu_breakfast", ["PANCAKES 6.40", "OMELETTE 7.15", "TOAST 2.70"], size=(660, 600),
                 font_size=42),
        # people
        Picture("astro_brick", _people_scene((1300, 660), [_ASTRO_CENTRE_LEFT], "brick", (170, 155, 145)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_CENTRE_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_CENTRE_LEFT))),
        Picture("cam_far_right", _people_scene((1260, 640), [_CAM_FAR_RIGHT], "gravel", (165, 155, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_FAR_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_FAR_RIGHT))),
        Picture("duo_grass", _people_scene((1280, 660), _DUO_GRASS, "grass", (140, 170, 135)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_GRASS), persons=2, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "brick",
                                                          (160, 150, 150))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="left",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout12", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
