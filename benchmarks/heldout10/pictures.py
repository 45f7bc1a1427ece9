"""Pictures for the tenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the ninth set's module
(``benchmarks/heldout9/pictures.py``), imported, not copied. The layouts, counts, words,
prices, menus, scenes, the mirrored pictures and the EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``, ``coffee``,
the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's ``opencv-doc`` ships
(``apple.jpg``, ``home.jpg``; without the package those pictures fail to build with one line
saying so). Nothing generated is committed: :func:`build_all` writes the files into a cache
folder (default ``~/.cache/visprog-heldout10``, or ``VISPROG_HELDOUT10_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what animal or fruit, the weather, style, materials, generative edits ...), whose right
answer is a refusal.

    .venv/bin/python benchmarks/heldout10/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_ninth_set() -> ModuleType:
    name = "heldout_pictures_ninth_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout9" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout9/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_ninth = _load_ninth_set()
_eighth = _ninth._eighth
_second = _ninth._second
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

# two faces on the left, one on the right
_TWO_ONE: list[Face] = [("lfw", 8, 60, 70, 160), ("lfw", 41, 300, 270, 150), ("lfw", 67, 820, 90, 160)]
# four faces, all in the right half
_RIGHT_FOUR: list[Face] = [("lfw", 14, 700, 40, 140), ("lfw", 32, 900, 50, 140), ("lfw", 57, 1110, 40, 140),
                           ("lfw", 81, 830, 320, 140)]
# seven faces: four left, three right
_CROWD7: list[Face] = [("lfw", 4, 40, 40, 135), ("lfw", 23, 250, 60, 135), ("lfw", 48, 120, 330, 135),
                       ("lfw", 61, 380, 300, 135), ("lfw", 9, 760, 50, 135), ("lfw", 37, 990, 40, 135),
                       ("lfw", 74, 880, 320, 135)]
# two head crops: the cameraman on the left, the 'right' one on the right
_HEADS_DUO: list[Face] = [("head", "camera", 260, 90, 230), ("head", "right", 880, 70, 240)]
# a tall picture: two faces up top, two below
_TALL_2_2: list[Face] = [("lfw", 16, 40, 60, 160), ("lfw", 52, 400, 90, 160), ("lfw", 27, 90, 640, 160),
                         ("lfw", 88, 420, 700, 150)]
# one face left, three right; shown mirrored (three on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 19, 120, 160, 160), ("lfw", 43, 660, 50, 150), ("lfw", 70, 880, 270, 150),
                           ("lfw", 96, 1080, 60, 150)]
_MIRROR_SIZE = (1280, 540)
# EXIF picture, in its displayed orientation: one face on the left, two on the right
_EXIF_THREE: list[Face] = [("lfw", 33, 150, 150, 160), ("lfw", 59, 700, 60, 150), ("lfw", 86, 930, 290, 150)]
_EXIF_THREE_SIZE = (1200, 560)
# one head beside a taxi sign
_HEAD_TAXI: list[Face] = [("head", "astronaut", 260, 60, 240)]

_ASTRO_LEFT = ("astronaut", 110, 90)
_CAM_RIGHT = ("camera", 780, 110)
_DUO_CAM_ASTRO = [("camera", 60, 120), ("astronaut", 820, 80)]
_ASTRO_MIRROR_SRC = ("astronaut", 760, 90)  # on the right before mirroring: on the left as shown
_ASTRO_MIRROR_SIZE = (1240, 640)
_EXIF_CAM = ("camera", 760, 100)  # displayed orientation: on the right
_EXIF_CAM_SIZE = (1180, 620)


def _head_and_taxi() -> Image.Image:
    img = _paste_faces(_wall((1100, 520), (185, 200, 205), seed=401, stripes=4), _HEAD_TAXI)
    return _plate(img, ["TAXI RANK"], (520, 170, 1060, 330), (250, 210, 20), (20, 20, 20), 68)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (205, 195, 220), 402, 5), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (200, 215, 195), 403, 6), _EXIF_THREE)


def _exif_sign() -> Image.Image:
    img = _wall((960, 520), (140, 150, 160), 404, stripes=7)
    return _plate(img, ["MUSEUM", "OPEN DAILY"], (80, 100, 880, 420), (25, 60, 110), (255, 255, 255), 80)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "grass", (150, 175, 140))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("two_one", _TWO_ONE, lambda: _wall((1150, 520), (210, 200, 185), 405, 7)),
        _faces_picture("right_four", _RIGHT_FOUR, lambda: _wall((1300, 520), (180, 195, 175), 406, 0)),
        _faces_picture("crowd7", _CROWD7, lambda: _backdrop("gravel", (1250, 540), (170, 160, 155))),
        _faces_picture("heads_duo", _HEADS_DUO, lambda: _wall((1150, 560), (160, 170, 190), 407, 8)),
        _faces_picture("tall_2_2", _TALL_2_2, lambda: _wall((680, 980), (225, 215, 195), 408, 3)),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_taxi", _head_and_taxi, Truth(faces=1, face_boxes=_face_boxes(_HEAD_TAXI),
                                                   words=("TAXI RANK",), absent=("BUS",))),
        # no faces, no people
        Picture("coffee_cup", lambda: _skimage("coffee"), Truth(faces=0, persons=0)),
        Picture("apple", lambda: _opencv_photo("apple.jpg"), Truth(faces=0, persons=0)),
        Picture("living_room", lambda: _opencv_photo("home.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("platform_3", ["PLATFORM 3", "TRAINS TO YORK"], (20, 50, 120), (255, 255, 255), 70, size=(980, 520),
              seed=411, absent=("LEEDS",)),
        _sign("staff_parking", ["STAFF", "PARKING"], (250, 250, 250), (200, 20, 20), 90, size=(900, 420), seed=412,
              absent=("LOADING",)),
        _sign("library_quiet", ["LIBRARY", "QUIET PLEASE"], (70, 45, 30), (245, 230, 200), 78, size=(900, 520),
              seed=413, wall=(190, 185, 170)),
        _sign("deliveries", ["DELIVERIES", "REAR ENTRANCE"], (40, 40, 40), (255, 220, 60), 70, size=(960, 520),
              seed=414, absent=("FRONT",)),
        _sign("half_price", ["SALE", "HALF PRICE"], (220, 30, 40), (255, 255, 255), 90, size=(880, 520),
              seed=415, wall=(210, 205, 200)),
        Picture("exif_museum", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("MUSEUM", "OPEN DAILY"), absent=("CLOSED",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_honey", [["HONEY", "$6.45"]], size=(660, 460), font_size=70),
        _tags_picture("rice_pasta", [["RICE", "$3.90"], ["PASTA", "$1.85"]], font_size=60),
        _tags_picture("bathroom3", [["SOAP", "$2.35"], ["SHAMPOO", "$5.70"], ["SPONGE", "$1.20"]],
                      size=(1200, 420), font_size=50),
        _tags_picture("fruit4", [["APPLES", "$3.60"], ["PEARS", "$2.95"], ["GRAPES", "$4.40"], ["LEMONS", "$1.75"]],
                      size=(1500, 420), font_size=44),
        _receipt("receipt_diner", ["BURGER 9.50", "FRIES 3.25", "SODA 1.95", "TOTAL 14.70"], size=(600, 700),
                 font_size=42),
        _receipt("menu_bakery", ["CROISSANT 2.60", "MUFFIN 3.05", "BAGEL 1.90"], size=(640, 620), font_size=42),
        _receipt("receipt_tools", ["HAMMER 12.40", "SCREWS 3.85", "TOTAL 16.25"]),
        # people
        Picture("astro_left", _people_scene((1250, 650), [_ASTRO_LEFT], "grass", (140, 175, 135)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1200, 650), [_CAM_RIGHT], "gravel", (160, 150, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("duo_brick", _people_scene((1300, 660), _DUO_CAM_ASTRO, "brick", (170, 150, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "gravel",
                                                          (150, 150, 165))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="left", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="right",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout10", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
