"""Pictures for the seventeenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied. The layouts, counts, words,
prices, receipts, menus, scenes (a launderette, a ski hire, a toy shop, a car park, a vet), the
mirrored pictures and the EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``, ``rocket``,
the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's ``opencv-doc`` ships
(``orange.jpg``, ``HappyFish.jpg``, ``board.jpg``; without the package those pictures fail to
build with one line saying so). Nothing generated is committed: :func:`build_all` writes the
files into a cache folder (default ``~/.cache/visprog-heldout17``, or ``VISPROG_HELDOUT17_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what animal or fruit, the weather, materials, brands, generative edits ...), whose right
answer is a refusal.

    .venv/bin/python benchmarks/heldout17/pictures.py --verify
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

# four faces in the left half (two rows of two), one at the far right
_FOUR_ONE: list[Face] = [("lfw", 10, 40, 40, 140), ("lfw", 28, 280, 60, 140), ("lfw", 44, 60, 330, 140),
                         ("lfw", 71, 300, 310, 140), ("lfw", 90, 990, 170, 150)]
# two faces, both in the right half
_PAIR_RIGHT: list[Face] = [("lfw", 15, 700, 70, 150), ("lfw", 39, 960, 270, 150)]
# three faces: two left of centre, one right
_ROW3: list[Face] = [("lfw", 5, 60, 120, 150), ("lfw", 34, 320, 140, 150), ("lfw", 80, 840, 110, 150)]
# two head crops far apart: the cameraman left, the astronaut right
_HEADS_PAIR: list[Face] = [("head", "camera", 270, 90, 240), ("head", "astronaut", 920, 80, 240)]
# a tall picture: three faces up top, one at the bottom
_TALL_3_1: list[Face] = [("lfw", 20, 30, 60, 150), ("lfw", 42, 285, 80, 150), ("lfw", 66, 540, 60, 150),
                         ("lfw", 93, 430, 740, 150)]
# one face left, three right; shown mirrored (three on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 22, 100, 180, 150), ("lfw", 46, 700, 60, 150), ("lfw", 73, 930, 290, 150),
                           ("lfw", 97, 1120, 70, 150)]
_MIRROR_SIZE = (1320, 560)
# EXIF picture, in its displayed orientation: two faces on the left, one on the right
_EXIF_THREE: list[Face] = [("lfw", 25, 60, 80, 155), ("lfw", 53, 330, 300, 155), ("lfw", 85, 880, 150, 155)]
_EXIF_THREE_SIZE = (1200, 580)
# one head beside a vet's sign
_HEAD_VET: list[Face] = [("head", "camera", 250, 70, 230)]

_ASTRO_LEFT = ("astronaut", 90, 100)
_CAM_RIGHT = ("camera", 840, 120)
_DUO_CAM_ASTRO = [("camera", 80, 120), ("astronaut", 880, 90)]
_ASTRO_MIRROR_SRC = ("astronaut", 110, 90)  # on the left before mirroring: on the right as shown
_ASTRO_MIRROR_SIZE = (1280, 650)
_EXIF_CAM = ("camera", 820, 110)  # displayed orientation: on the right
_EXIF_CAM_SIZE = (1240, 630)


def _head_and_vet() -> Image.Image:
    img = _paste_faces(_wall((1120, 540), (190, 205, 200), seed=1701, stripes=3), _HEAD_VET)
    return _plate(img, ["VET CLINIC", "OPEN TODAY"], (520, 150, 1060, 390), (30, 90, 160), (255, 255, 255), 60)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (210, 200, 180), 1702, 5), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (200, 215, 205), 1703, 3), _EXIF_THREE)


def _exif_platform() -> Image.Image:
    img = _wall((1000, 520), (140, 145, 150), 1704, stripes=4)
    return _plate(img, ["PLATFORM 4", "WAY OUT"], (100, 100, 900, 420), (20, 40, 110), (255, 255, 255), 84)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "brick", (175, 155, 145))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("four_one", _FOUR_ONE, lambda: _wall((1240, 540), (200, 195, 215), 1705, 4)),
        _faces_picture("pair_right", _PAIR_RIGHT, lambda: _wall((1200, 500), (215, 205, 185), 1706, 6)),
        _faces_picture("row_three", _ROW3, lambda: _backdrop("brick", (1160, 480), (175, 140, 120))),
        _faces_picture("heads_pair", _HEADS_PAIR, lambda: _wall((1200, 560), (180, 195, 210), 1707, 0)),
        _faces_picture("tall_3_1", _TALL_3_1, lambda: _wall((720, 980), (210, 215, 195), 1708, 2)),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_vet", _head_and_vet, Truth(faces=1, face_boxes=_face_boxes(_HEAD_VET),
                                                 words=("VET CLINIC", "OPEN TODAY"), absent=("CLOSED",))),
        # no faces, no people
        Picture("oranges", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("fish", lambda: _opencv_photo("HappyFish.jpg"), Truth(faces=0, persons=0)),
        Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, persons=0)),
        # signs
        _sign("launderette", ["LAUNDERETTE", "SELF SERVICE"], (245, 245, 250), (20, 90, 160), 76, size=(980, 500),
              seed=1711, absent=("DRY CLEANING",)),
        _sign("ski_hire", ["SKI HIRE", "BOOTS"], (200, 30, 40), (255, 255, 255), 86, size=(900, 500),
              seed=1712, absent=("SNOWBOARDS",)),
        _sign("toy_shop", ["TOY SHOP", "SALE"], (250, 220, 40), (30, 30, 120), 88, size=(900, 500),
              seed=1713, absent=("CLOSED",)),
        _sign("car_park", ["CAR PARK", "FULL"], (20, 60, 150), (255, 255, 255), 90, size=(900, 500),
              seed=1714, wall=(170, 170, 165), absent=("SPACES",)),
        Picture("exif_platform", _exif_jpeg(_exif_platform, 8),
                Truth(faces=0, words=("PLATFORM 4", "WAY OUT"), absent=("EXIT",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_soap", [["SOAP", "$2.60"]], size=(660, 460), font_size=72),
        _tags_picture("toys2", [["YOYO", "$3.50"], ["KITE", "$8.99"]], font_size=62),
        _tags_picture("pet3", [["COLLAR", "$6.40"], ["LEASH", "$9.15"], ["BOWL", "$4.50"]],
                      size=(1200, 420), font_size=50),
        _tags_picture("snacks4", [["CRISPS", "$1.25"], ["NUTS", "$2.70"], ["COLA", "$1.90"], ["GUM", "$0.80"]],
                      size=(1480, 420), font_size=46),
        _receipt("receipt_laundry", ["WASH 4.00", "DRY 2.50", "SOAP 1.20", "TOTAL 7.70"], size=(600, 720),
                 font_size=44),
        _receipt("receipt_vet", ["CHECKUP 35.00", "TABLETS 12.40", "TOTAL 47.40"], size=(700, 600),
                 font_size=44),
        _receipt("menu_cafe", ["TOAST 2.20", "EGGS 4.80", "COFFEE 2.90"], size=(600, 600), font_size=44),
        # people
        Picture("astro_left", _people_scene((1260, 650), [_ASTRO_LEFT], "brick", (170, 150, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1240, 660), [_CAM_RIGHT], "brick", (180, 160, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("duo_brick", _people_scene((1340, 660), _DUO_CAM_ASTRO, "brick", (165, 150, 145)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "gravel",
                                                          (150, 160, 150))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="right",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout17", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
