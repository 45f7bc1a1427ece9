"""Pictures for the nineteenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied. The layouts, counts, words,
prices, receipts, menus and scenes here are new: a swimming pool, an airport shop, a bike shop,
a bookshop and a registry office. Sources: scikit-image's ``skimage.data`` (``lfw_subset``,
``astronaut``, ``camera``, ``coffee``, the ``brick`` / ``gravel`` textures), and photos that
Debian's ``opencv-doc`` ships (``orange.jpg``, ``starry_night.jpg``, ``home.jpg``; without
the package those pictures fail to build with one line saying so). Nothing generated is
committed: :func:`build_all` writes the files into a cache folder (default
``~/.cache/visprog-heldout19``, or ``VISPROG_HELDOUT19_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what animal, the weather, materials, brands, generative edits ...), whose right answer
is a refusal.

    .venv/bin/python benchmarks/heldout19/pictures.py --verify
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
_faces_picture = _eleventh._faces_picture
_face_boxes = _eleventh._face_boxes
_paste_faces = _eleventh._paste_faces
_wall = _eleventh._wall
_backdrop = _eleventh._backdrop
_plate = _eleventh._plate
_sign = _eleventh._sign
_tags_picture = _eleventh._tags_picture
_receipt = _eleventh._receipt
_people_scene = _eleventh._people_scene
_person_face = _eleventh._person_face
_skimage = _eleventh._skimage
_opencv_photo = _eleventh._opencv_photo
_person_box = _eleventh._person_box
_mirror_box = _eleventh._mirror_box
_mirrored = _eleventh._mirrored
_exif_jpeg = _eleventh._exif_jpeg

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# four faces by the pool: one on the left, three on the right
_POOL_FOUR: list[Face] = [("lfw", 8, 60, 90, 150), ("lfw", 33, 720, 60, 150), ("lfw", 57, 930, 300, 150),
                          ("lfw", 81, 1110, 80, 150)]
# a tall picture: two faces up top (one each side), one below on the left
_TALL_2_1: list[Face] = [("lfw", 14, 60, 80, 160), ("lfw", 42, 440, 120, 160), ("lfw", 73, 120, 700, 160)]
# two head crops: the cameraman on the left, the astronaut on the right
_HEADS_CAM_ASTRO: list[Face] = [("head", "camera", 250, 90, 230), ("head", "astronaut", 930, 70, 250)]
# seven faces: four left of centre, three right; four in the top half, three in the bottom
_SEVEN: list[Face] = [("lfw", 3, 40, 60, 140), ("lfw", 19, 250, 330, 140), ("lfw", 37, 470, 70, 140),
                      ("lfw", 52, 560, 420, 140), ("lfw", 66, 860, 90, 140), ("lfw", 85, 1100, 350, 140),
                      ("lfw", 97, 1320, 80, 140)]
# one face, on the right
_SOLO_RIGHT: list[Face] = [("lfw", 31, 700, 50, 180)]
# three faces left and one right; shown mirrored (one on the left, three on the right)
_MIRROR_SRC: list[Face] = [("lfw", 10, 60, 80, 150), ("lfw", 28, 300, 300, 150), ("lfw", 61, 520, 90, 150),
                           ("lfw", 90, 1000, 200, 150)]
_MIRROR_SIZE = (1280, 560)
# EXIF picture, in its displayed orientation: two faces on the left, one on the right
_EXIF_THREE: list[Face] = [("lfw", 16, 90, 80, 160), ("lfw", 46, 330, 330, 160), ("lfw", 70, 900, 150, 160)]
_EXIF_THREE_SIZE = (1200, 600)
# one head beside a bike shop sign
_HEAD_BIKESHOP: list[Face] = [("head", "astronaut", 880, 80, 240)]

_ASTRO_LEFT = ("astronaut", 110, 100)
_CAM_RIGHT = ("camera", 780, 120)
_DUO_CAM_ASTRO = [("camera", 80, 120), ("astronaut", 900, 90)]
_ASTRO_MIRROR_SRC = ("astronaut", 820, 90)  # on the right before mirroring: on the left as shown
_ASTRO_MIRROR_SIZE = (1300, 660)
_EXIF_CAM = ("camera", 820, 110)  # displayed orientation: on the right
_EXIF_CAM_SIZE = (1240, 640)


def _head_and_bikeshop() -> Image.Image:
    img = _paste_faces(_wall((1150, 560), (190, 200, 185), seed=1901, stripes=4), _HEAD_BIKESHOP)
    return _plate(img, ["BIKE SHOP", "REPAIRS"], (60, 150, 560, 400), (200, 60, 20), (255, 255, 255), 64)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (170, 205, 225), 1902, 5), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (220, 210, 190), 1903, 3), _EXIF_THREE)


def _exif_sign() -> Image.Image:
    img = _wall((1000, 540), (140, 150, 140), 1904, stripes=6)
    return _plate(img, ["BIKE HIRE", "OPEN DAILY"], (90, 100, 910, 440), (20, 90, 50), (255, 250, 230), 84)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "brick", (170, 155, 145))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("pool_four", _POOL_FOUR, lambda: _wall((1300, 560), (175, 210, 225), 1905, 8)),
        _faces_picture("tall_2_1", _TALL_2_1, lambda: _wall((720, 1000), (215, 200, 215), 1906, 3)),
        _faces_picture("heads_cam_astro", _HEADS_CAM_ASTRO, lambda: _wall((1200, 580), (185, 175, 160), 1907, 5)),
        _faces_picture("seven_wall", _SEVEN, lambda: _wall((1500, 640), (205, 195, 175), 1908, 0)),
        _faces_picture("solo_right", _SOLO_RIGHT, lambda: _wall((1000, 500), (195, 215, 195), 1909, 6)),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_bikeshop", _head_and_bikeshop, Truth(faces=1, face_boxes=_face_boxes(_HEAD_BIKESHOP),
                                                           words=("BIKE SHOP", "REPAIRS"), absent=("CLOSED",))),
        # no faces, no people
        Picture("coffee", lambda: _skimage("coffee"), Truth(faces=0, persons=0)),
        Picture("oranges", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("starry_night", lambda: _opencv_photo("starry_night.jpg"), Truth(faces=0, persons=0)),
        Picture("palace", lambda: _opencv_photo("home.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("pool_sign", ["SWIMMING POOL", "NO DIVING"], (30, 120, 200), (255, 255, 255), 74, size=(980, 500),
              seed=1911, absent=("LIFEGUARD",)),
        _sign("duty_free", ["DUTY FREE", "GATE 14"], (250, 200, 20), (20, 20, 20), 84, size=(940, 500),
              seed=1912, absent=("ARRIVALS",)),
        _sign("bookshop_sign", ["BOOKSHOP", "HALF PRICE"], (60, 30, 80), (250, 240, 210), 82, size=(940, 500),
              seed=1913, absent=("CLOSED",)),
        _sign("registry_sign", ["REGISTRY OFFICE", "FIRST FLOOR"], (240, 240, 235), (30, 40, 90), 66,
              size=(1000, 500), seed=1914, absent=("GROUND",)),
        _sign("baggage_sign", ["BAGGAGE CLAIM"], (20, 20, 30), (250, 220, 40), 84, size=(1000, 440),
              seed=1915, wall=(180, 185, 190), absent=("DEPARTURES",)),
        Picture("exif_bikehire", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("BIKE HIRE", "OPEN DAILY"), absent=("CLOSED",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_goggles", [["GOGGLES", "$12.99"]], size=(700, 460), font_size=68),
        _tags_picture("airport2", [["WATER", "$3.50"], ["CANDY", "$2.25"]], font_size=60),
        _tags_picture("bike3", [["BELL", "$6.40"], ["LOCK", "$18.00"], ["PUMP", "$9.75"]],
                      size=(1200, 420), font_size=52),
        _tags_picture("books4", [["ATLAS", "$14.20"], ["NOVEL", "$8.95"], ["POEMS", "$5.60"],
                                 ["COMICS", "$4.30"]], size=(1560, 420), font_size=42),
        _receipt("receipt_bike", ["TUBE 7.40", "PATCHES 3.25", "TOTAL 10.65"], size=(640, 600), font_size=44),
        _receipt("receipt_airport", ["SANDWICH 6.90", "WATER 2.10", "MAGAZINE 5.45", "TOTAL 14.45"],
                 size=(640, 720), font_size=42),
        _receipt("menu_pool", ["CHIPS 3.20", "HOT DOG 4.60", "ICE CREAM 2.75"], size=(620, 600), font_size=44),
        # people
        Picture("astro_left", _people_scene((1280, 660), [_ASTRO_LEFT], "brick", (165, 150, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1260, 660), [_CAM_RIGHT], "brick", (175, 160, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("duo_cam_astro", _people_scene((1400, 680), _DUO_CAM_ASTRO, "brick", (160, 150, 145)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "brick",
                                                          (170, 150, 135))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="left", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="right",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout19", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
