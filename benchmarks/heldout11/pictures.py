"""Pictures for the eleventh held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the tenth set's module
(``benchmarks/heldout10/pictures.py``), imported, not copied. The layouts, counts, words,
prices, receipts, menus, scenes, the mirrored pictures and the EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``,
``chelsea``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's
``opencv-doc`` ships (``fruits.jpg``, ``butterfly.jpg``, ``building.jpg``; without the package
those pictures fail to build with one line saying so). Nothing generated is committed:
:func:`build_all` writes the files into a cache folder (default ``~/.cache/visprog-heldout11``,
or ``VISPROG_HELDOUT11_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what animal or fruit, the weather, style, materials, generative edits ...), whose right
answer is a refusal.

    .venv/bin/python benchmarks/heldout11/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_tenth_set() -> ModuleType:
    name = "heldout_pictures_tenth_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout10" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout10/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_tenth = _load_tenth_set()
_second = _tenth._second
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

# three faces, all in the left half
_LEFT_THREE: list[Face] = [("lfw", 6, 50, 60, 150), ("lfw", 29, 300, 40, 150), ("lfw", 54, 170, 300, 150)]
# five faces in a row: three left, two right
_ROW5: list[Face] = [("lfw", 11, 30, 150, 140), ("lfw", 35, 260, 130, 140), ("lfw", 63, 480, 160, 140),
                     ("lfw", 78, 800, 140, 140), ("lfw", 92, 1030, 150, 140)]
# two faces far apart: one at the far left, one at the far right
_APART: list[Face] = [("lfw", 21, 40, 120, 170), ("lfw", 47, 1010, 150, 170)]
# two head crops: the astronaut on the left, the cameraman on the right
_HEADS_SWAP: list[Face] = [("head", "astronaut", 150, 80, 240), ("head", "camera", 820, 100, 230)]
# a tall picture: one face up top, three below
_TALL_1_3: list[Face] = [("lfw", 24, 250, 60, 160), ("lfw", 45, 40, 600, 150), ("lfw", 69, 260, 720, 150),
                         ("lfw", 84, 470, 610, 150)]
# two faces left, three right; shown mirrored (three on the left, two on the right)
_MIRROR_SRC: list[Face] = [("lfw", 13, 80, 80, 150), ("lfw", 38, 300, 300, 150), ("lfw", 58, 740, 60, 150),
                           ("lfw", 75, 960, 280, 150), ("lfw", 99, 1140, 70, 150)]
_MIRROR_SIZE = (1340, 560)
# EXIF picture, in its displayed orientation: two faces, both on the right
_EXIF_TWO: list[Face] = [("lfw", 17, 700, 80, 160), ("lfw", 51, 920, 300, 160)]
_EXIF_TWO_SIZE = (1180, 560)
# one head beside a pharmacy sign
_HEAD_PHARMACY: list[Face] = [("head", "camera", 640, 70, 230)]
# six faces on a tall board: two rows of three (three left of centre, three right)
_SIX: list[Face] = [("lfw", 2, 40, 50, 140), ("lfw", 26, 250, 70, 140), ("lfw", 49, 640, 50, 140),
                    ("lfw", 66, 40, 400, 140), ("lfw", 87, 650, 420, 140), ("lfw", 95, 860, 390, 140)]

_ASTRO_RIGHT = ("astronaut", 800, 100)
_CAM_LEFT = ("camera", 90, 120)
_DUO_ASTRO_CAM = [("astronaut", 70, 90), ("camera", 860, 110)]
_CAM_MIRROR_SRC = ("camera", 100, 110)  # on the left before mirroring: on the right as shown
_CAM_MIRROR_SIZE = (1260, 640)
_EXIF_ASTRO = ("astronaut", 100, 80)  # displayed orientation: on the left
_EXIF_ASTRO_SIZE = (1220, 620)


def _head_and_pharmacy() -> Image.Image:
    img = _paste_faces(_wall((1100, 540), (200, 190, 175), seed=501, stripes=3), _HEAD_PHARMACY)
    return _plate(img, ["PHARMACY", "OPEN LATE"], (60, 150, 560, 390), (20, 130, 70), (255, 255, 255), 62)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (195, 205, 215), 502, 6), _MIRROR_SRC)


def _exif_two_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_TWO_SIZE, (215, 200, 200), 503, 4), _EXIF_TWO)


def _exif_sign() -> Image.Image:
    img = _wall((980, 520), (150, 140, 135), 504, stripes=5)
    return _plate(img, ["HOTEL", "RECEPTION"], (90, 100, 890, 420), (90, 20, 40), (255, 240, 200), 84)


def _exif_astro() -> Image.Image:
    return _people_scene(_EXIF_ASTRO_SIZE, [_EXIF_ASTRO], "brick", (165, 150, 140))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    cam_width = _CAM_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("left_three", _LEFT_THREE, lambda: _wall((1200, 520), (205, 210, 190), 505, 5)),
        _faces_picture("row_five", _ROW5, lambda: _wall((1240, 480), (190, 185, 205), 506, 0)),
        _faces_picture("far_apart", _APART, lambda: _backdrop("gravel", (1240, 500), (175, 165, 150))),
        _faces_picture("heads_swap", _HEADS_SWAP, lambda: _wall((1150, 560), (170, 185, 170), 507, 7)),
        _faces_picture("tall_1_3", _TALL_1_3, lambda: _wall((700, 960), (220, 205, 210), 508, 2)),
        _faces_picture("six_board", _SIX, lambda: _wall((1060, 620), (200, 200, 185), 509, 9)),
        Picture("mirror_five", _mirrored(_mirror_faces),
                Truth(faces=5, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_two", _exif_jpeg(_exif_two_faces, 8), Truth(faces=2, face_boxes=_face_boxes(_EXIF_TWO)),
                suffix=".jpg"),
        Picture("head_pharmacy", _head_and_pharmacy, Truth(faces=1, face_boxes=_face_boxes(_HEAD_PHARMACY),
                                                           words=("PHARMACY", "OPEN LATE"), absent=("CLOSED",))),
        # no faces, no people
        Picture("cat", lambda: _skimage("chelsea"), Truth(faces=0, persons=0)),
        Picture("fruit_bowl", lambda: _opencv_photo("fruits.jpg"), Truth(faces=0, persons=0)),
        Picture("butterfly", lambda: _opencv_photo("butterfly.jpg"), Truth(faces=0, persons=0)),
        Picture("building", lambda: _opencv_photo("building.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("ward_sign", ["WARD 7", "NIGHT STAFF"], (240, 240, 245), (20, 60, 140), 80, size=(940, 500),
              seed=511, absent=("PHARMACY",)),
        _sign("room_sign", ["FLAT 12", "NO SMOKING"], (200, 25, 25), (255, 255, 255), 84, size=(900, 480),
              seed=512, absent=("KITCHEN",)),
        _sign("gate_sign", ["GATE B", "DEPARTURES"], (250, 210, 30), (15, 15, 15), 80, size=(960, 500),
              seed=513, absent=("ARRIVALS",)),
        _sign("car_wash", ["CAR WASH", "OPEN"], (30, 110, 180), (255, 255, 255), 90, size=(900, 520),
              seed=514, wall=(185, 180, 175)),
        _sign("fire_exit", ["FIRE EXIT", "KEEP CLEAR"], (20, 140, 60), (255, 255, 255), 80, size=(960, 500),
              seed=515, absent=("ENTRANCE",)),
        Picture("exif_hotel", _exif_jpeg(_exif_sign, 6),
                Truth(faces=0, words=("HOTEL", "RECEPTION"), absent=("MOTEL",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_coffee", [["COFFEE", "$7.25"]], size=(680, 460), font_size=70),
        _tags_picture("milk_bread", [["MILK", "$1.49"], ["BREAD", "$2.80"]], font_size=60),
        _tags_picture("pantry3", [["TEA", "$4.15"], ["SUGAR", "$2.05"], ["JAM", "$3.70"]],
                      size=(1200, 420), font_size=52),
        _tags_picture("veg4", [["CARROTS", "$1.10"], ["LEEKS", "$0.95"], ["GARLIC", "$2.30"],
                               ["PEPPERS", "$3.25"]], size=(1560, 420), font_size=42),
        _receipt("receipt_chemist", ["BANDAGES 4.60", "ASPIRIN 6.15", "TOTAL 10.75"], size=(640, 600),
                 font_size=44),
        _receipt("receipt_cafe", ["LATTE 3.80", "SCONE 2.45", "JUICE 4.10", "TOTAL 10.35"], size=(600, 720),
                 font_size=42),
        _receipt("menu_lunch", ["SOUP 5.50", "SALAD 7.20", "PIE 4.90"], size=(600, 600), font_size=44),
        # people
        Picture("astro_right", _people_scene((1280, 650), [_ASTRO_RIGHT], "gravel", (150, 160, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_ASTRO_RIGHT))),
        Picture("cam_left", _people_scene((1220, 660), [_CAM_LEFT], "brick", (175, 160, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_CAM_LEFT))),
        Picture("duo_brick", _people_scene((1320, 660), _DUO_ASTRO_CAM, "brick", (170, 150, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_ASTRO_CAM), persons=2, raised=0)),
        Picture("cam_mirrored", _mirrored(_people_scene(_CAM_MIRROR_SIZE, [_CAM_MIRROR_SRC], "grass",
                                                        (145, 165, 150))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_CAM_MIRROR_SRC), cam_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_CAM_MIRROR_SRC), cam_width))),
        Picture("exif_astro", _exif_jpeg(_exif_astro, 8),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_ASTRO),), persons=1, person_side="left",
                      person_box=_person_box(*_EXIF_ASTRO)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout11", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
