"""Pictures for the sixth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts,
people cut-outs, the ground-truth record and the check against the real offline tools)
are the second set's (``benchmarks/heldout2/pictures.py``), reached through the fifth
set's module (``benchmarks/heldout5/pictures.py``), imported, not copied; the layouts,
counts, words, prices, the mirrored pictures and the EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``,
``rocket``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's
``opencv-doc`` ships (``smarties.png``, ``apple.jpg``, ``starry_night.jpg``;
without the package those pictures fail to build with one line saying so). Nothing
generated is committed: :func:`build_all` writes the files into a cache folder (default
``~/.cache/visprog-heldout6``, or ``VISPROG_HELDOUT6_DIR``).

Two pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag
says how to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth
is in the displayed orientation, as every tool sees it. Two are mirror images of a
layout (their truth boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these
pictures that the offline tools cannot answer (colours, clothing, expressions, age,
identity, kinds of people, what animal or sweet, the painter, the weather ...), whose
right answer is a refusal.

    .venv/bin/python benchmarks/heldout6/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import io
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_fifth_set() -> ModuleType:
    name = "heldout_pictures_fifth_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout5" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout5/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_fifth = _load_fifth_set()
_second = _fifth._second
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
_opencv_photo = _fifth._opencv_photo
_person_box = _fifth._person_box

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# two faces on the left, three on the right
_TWO_THREE: list[Face] = [("lfw", 12, 50, 70, 150), ("lfw", 58, 290, 210, 150), ("lfw", 6, 720, 40, 150),
                          ("lfw", 80, 950, 60, 150), ("lfw", 29, 830, 260, 150)]
# three faces, all in the left half
_LEFT_ONLY3: list[Face] = [("lfw", 44, 40, 50, 160), ("lfw", 90, 260, 40, 160), ("lfw", 17, 150, 290, 160)]
# nine faces: five left, four right
_CROWD9: list[Face] = [("lfw", 2, 30, 30, 130), ("lfw", 26, 210, 40, 130), ("lfw", 51, 400, 30, 130),
                       ("lfw", 74, 110, 330, 130), ("lfw", 97, 320, 340, 130), ("lfw", 10, 790, 30, 130),
                       ("lfw", 38, 1000, 50, 130), ("lfw", 63, 820, 330, 130), ("lfw", 85, 1040, 340, 130)]
# the cameraman's head alone, right of centre
_SOLO_CAM_RIGHT: list[Face] = [("head", "camera", 760, 60, 250)]
# three head crops: astronaut, right, camera
_HEADS_ROW3: list[Face] = [("head", "astronaut", 200, 50, 220), ("head", "right", 560, 60, 220),
                           ("head", "camera", 930, 50, 220)]
# a tall picture: one face up top, two below
_TALL_1_2: list[Face] = [("lfw", 31, 80, 60, 170), ("lfw", 67, 40, 620, 160), ("lfw", 53, 380, 640, 160)]
# one face on the left, two on the right; shown mirrored (two on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 15, 100, 90, 170), ("lfw", 46, 640, 60, 160), ("lfw", 72, 860, 250, 160)]
_MIRROR_SIZE = (1100, 520)
# EXIF pictures, in their displayed orientation: a tall one with two faces up top and one below
_EXIF_TALL: list[Face] = [("lfw", 35, 40, 60, 150), ("lfw", 88, 330, 80, 150), ("lfw", 20, 200, 600, 150)]
_EXIF_TALL_SIZE = (560, 860)
# one head beside a post-office sign
_HEAD_POST: list[Face] = [("head", "left", 820, 70, 240)]

_ASTRO_RIGHT = ("astronaut", 800, 100)
_CAM_LEFT = ("camera", 90, 130)
_DUO_CAM_ASTRO = [("camera", 90, 120), ("astronaut", 720, 80)]  # on grass: on gravel the pose model finds one
_ASTRO_MIRROR_SRC = ("astronaut", 60, 100)  # on the left before mirroring: on the right as shown
_ASTRO_MIRROR_SIZE = (1200, 640)


def _mirror_box(box: BoxT, width: int) -> BoxT:
    return (width - box[2], box[1], width - box[0], box[3])


def _mirrored(build: Callable[[], Image.Image]) -> Callable[[], Image.Image]:
    return lambda: build().transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _exif_jpeg(build: Callable[[], Image.Image], orientation: int) -> Callable[[], bytes]:
    """A JPEG whose stored pixels are turned so that EXIF ``orientation`` (6 or 8) shows ``build()`` upright."""

    def make() -> bytes:
        shown = build()
        # 6: the viewer turns the stored pixels 90 degrees clockwise; 8: counter-clockwise
        stored = shown.transpose(Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270)
        exif = Image.Exif()
        exif[0x0112] = orientation
        out = io.BytesIO()
        stored.save(out, format="JPEG", quality=95, exif=exif)
        return out.getvalue()

    return make


def _head_and_post_office() -> Image.Image:
    img = _paste_faces(_wall((1080, 520), (190, 180, 200), seed=81, stripes=5), _HEAD_POST)
    return _plate(img, ["POST OFFICE"], (50, 180, 600, 330), (200, 30, 30), (255, 240, 90), 72)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (200, 195, 175), 82, 6), _MIRROR_SRC)


def _exif_tall_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_TALL_SIZE, (175, 200, 205), 83, 3), _EXIF_TALL)


def _exif_sign() -> Image.Image:
    img = _wall((860, 460), (150, 150, 140), 84, stripes=9)
    return _plate(img, ["PLATFORM 3"], (100, 100, 760, 360), (20, 60, 130), (255, 255, 255), 100)


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("two_three", _TWO_THREE, lambda: _wall((1150, 470), (210, 195, 170), 85, 8)),
        _faces_picture("left_only3", _LEFT_ONLY3, lambda: _backdrop("grass", (1100, 480), (150, 170, 140))),
        _faces_picture("crowd9", _CROWD9, lambda: _wall((1200, 500), (120, 110, 100), 86, 12)),
        _faces_picture("solo_cam_right", _SOLO_CAM_RIGHT, lambda: _wall((1050, 520), (200, 215, 225), 87, 0)),
        _faces_picture("heads_row3", _HEADS_ROW3, lambda: _backdrop("brick", (1150, 460), (170, 140, 125))),
        _faces_picture("tall_1_2", _TALL_1_2, lambda: _wall((600, 900), (215, 200, 185), 88, 4)),
        Picture("mirror_faces", _mirrored(_mirror_faces),
                Truth(faces=3, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_tall", _exif_jpeg(_exif_tall_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_TALL)),
                suffix=".jpg"),
        Picture("head_post", _head_and_post_office, Truth(faces=1, face_boxes=_face_boxes(_HEAD_POST),
                                                          words=("POST OFFICE",), absent=("BANK",))),
        # no faces, no people
        Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, persons=0)),
        Picture("smarties", lambda: _opencv_photo("smarties.png"), Truth(faces=0, persons=0)),
        Picture("apple", lambda: _opencv_photo("apple.jpg"), Truth(faces=0, persons=0, words=())),
        Picture("starry_night", lambda: _opencv_photo("starry_night.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("quiet_please", ["QUIET PLEASE", "EXAM IN PROGRESS"], (245, 245, 240), (20, 20, 120), 66,
              size=(960, 520), seed=91, absent=("LOUD",)),
        _sign("loading_dock", ["LOADING DOCK", "KEEP CLEAR"], (250, 200, 30), (15, 15, 15), 74, size=(900, 520),
              seed=92, absent=("PARKING",)),
        _sign("suite_108", ["SUITE 108"], (60, 60, 60), (250, 250, 250), 110, size=(820, 420), seed=93),
        _sign("bike_shop", ["BIKE SHOP", "REPAIRS"], (20, 120, 120), (255, 255, 255), 88, size=(900, 520), seed=94,
              wall=(200, 170, 140), absent=("RENTALS",)),
        _sign("no_smoking", ["NO SMOKING"], (250, 250, 250), (190, 20, 20), 80, size=(900, 420), seed=95,
              absent=("VAPING",)),
        Picture("exif_platform", _exif_jpeg(_exif_sign, 8), Truth(faces=0, words=("PLATFORM 3",), absent=("EXIT",)),
                suffix=".jpg"),
        # prices
        _tags_picture("tag_honey", [["HONEY", "$6.80"]], size=(680, 460), font_size=72),
        _tags_picture("soap_towel", [["SOAP", "$1.45"], ["TOWEL", "$7.90"]], font_size=60),
        _tags_picture("school4", [["RULER", "$0.85"], ["ERASER", "$0.60"], ["FOLDER", "$2.15"],
                                  ["CRAYONS", "$3.70"]], size=(1500, 420), font_size=44),
        _receipt("receipt_cafe", ["LATTE 4.20", "MUFFIN 3.10", "TOTAL 7.30"]),
        _receipt("menu_pizza", ["PIZZA 11.00", "CALZONE 12.50", "SALAD 4.75"]),
        # people
        Picture("astro_right", _people_scene((1250, 640), [_ASTRO_RIGHT], "grass", (140, 170, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_ASTRO_RIGHT))),
        Picture("cam_left", _people_scene((1200, 660), [_CAM_LEFT], "brick", (170, 150, 135)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_CAM_LEFT))),
        Picture("duo_people", _people_scene((1150, 660), _DUO_CAM_ASTRO, "grass", (150, 170, 150)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "gravel",
                                                          (150, 140, 130))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout6", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
