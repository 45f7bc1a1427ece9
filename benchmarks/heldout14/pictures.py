"""Pictures for the fourteenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts, people
cut-outs, the ground-truth record and the check against the real offline tools) are the second
set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box helpers are
the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied. The layouts, counts, words, prices,
receipts, scenes (a clinic, a cinema, a hardware shop, a bus depot, a school office), the
mirrored pictures and the EXIF-rotated ones here are new.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``, ``coffee``,
``rocket``, the ``grass`` / ``gravel`` / ``brick`` textures), and a photo that Debian's
``opencv-doc`` ships (``orange.jpg``; without the package that picture fails to build with one
line saying so). Nothing generated is committed: :func:`build_all` writes the files into a cache
folder (default ``~/.cache/visprog-heldout14``, or ``VISPROG_HELDOUT14_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what food or object, the weather, materials, brands, generative edits ...), whose right
answer is a refusal.

    .venv/bin/python benchmarks/heldout14/pictures.py --verify
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

# four faces: two on the left, two on the right, top and bottom
_CORNERS4: list[Face] = [("lfw", 8, 60, 40, 150), ("lfw", 31, 330, 330, 150), ("lfw", 57, 780, 50, 150),
                         ("lfw", 82, 1010, 320, 150)]
_CORNERS4_SIZE = (1240, 540)
# one face left, three right
_ONE_THREE: list[Face] = [("lfw", 14, 120, 150, 160), ("lfw", 40, 700, 60, 150), ("lfw", 72, 910, 280, 150),
                          ("lfw", 97, 1120, 90, 150)]
# the astronaut's head alone, left of centre
_ASTRO_HEAD: list[Face] = [("head", "astronaut", 300, 60, 260)]
# two heads: the cameraman left, the astronaut right
_HEADS_PAIR: list[Face] = [("head", "camera", 230, 90, 240), ("head", "astronaut", 900, 70, 250)]
# a tall board: two faces up top, three below
_TALL_2_3: list[Face] = [("lfw", 4, 60, 50, 150), ("lfw", 28, 470, 80, 150), ("lfw", 52, 40, 620, 140),
                         ("lfw", 76, 270, 700, 140), ("lfw", 90, 500, 600, 140)]
_TALL_SIZE = (720, 980)
# one face left, three right; shown mirrored (three on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 19, 90, 180, 160), ("lfw", 43, 720, 60, 150), ("lfw", 67, 930, 300, 150),
                           ("lfw", 88, 1120, 80, 150)]
_MIRROR_SIZE = (1320, 560)
# EXIF picture, displayed orientation: one face on the left, two on the right
_EXIF_THREE: list[Face] = [("lfw", 23, 90, 200, 160), ("lfw", 49, 760, 70, 160), ("lfw", 71, 980, 300, 160)]
_EXIF_THREE_SIZE = (1220, 580)
# the cameraman's head beside a clinic sign
_HEAD_CLINIC: list[Face] = [("head", "camera", 860, 80, 240)]

_ASTRO_LEFT = ("astronaut", 110, 90)
_CAM_RIGHT = ("camera", 880, 100)
_PAIR = [("astronaut", 60, 80), ("camera", 900, 100)]
_ASTRO_MIRROR_SRC = ("astronaut", 90, 90)  # on the left before mirroring: on the right as shown
_ASTRO_MIRROR_SIZE = (1300, 660)
_EXIF_CAM = ("camera", 820, 90)  # displayed orientation: on the right
_EXIF_CAM_SIZE = (1260, 640)


def _head_and_clinic() -> Image.Image:
    img = _paste_faces(_wall((1160, 560), (205, 215, 220), seed=1401, stripes=4), _HEAD_CLINIC)
    return _plate(img, ["CLINIC", "WAITING ROOM"], (50, 150, 560, 410), (240, 240, 240), (20, 70, 150), 60)


def _corners() -> Image.Image:
    return _paste_faces(_wall(_CORNERS4_SIZE, (210, 195, 180), 1402, 3), _CORNERS4)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (185, 200, 190), 1403, 5), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (220, 210, 190), 1404, 6), _EXIF_THREE)


def _exif_sign() -> Image.Image:
    img = _wall((1000, 540), (160, 165, 170), 1405, stripes=7)
    return _plate(img, ["RADIOLOGY", "LEVEL 2"], (90, 100, 910, 440), (20, 90, 150), (255, 255, 255), 80)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "brick", (175, 160, 150))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        Picture("four_corners", _corners, Truth(faces=4, face_boxes=_face_boxes(_CORNERS4))),
        _faces_picture("one_three", _ONE_THREE, lambda: _wall((1300, 520), (195, 190, 210), 1406, 0)),
        _faces_picture("astro_head", _ASTRO_HEAD, lambda: _wall((1000, 520), (175, 190, 200), 1407, 8)),
        _faces_picture("heads_pair", _HEADS_PAIR, lambda: _backdrop("brick", (1160, 560), (170, 150, 140))),
        _faces_picture("tall_2_3", _TALL_2_3, lambda: _wall(_TALL_SIZE, (215, 215, 200), 1408, 2)),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_clinic", _head_and_clinic, Truth(faces=1, face_boxes=_face_boxes(_HEAD_CLINIC),
                                                       words=("CLINIC", "WAITING ROOM"), absent=("PHARMACY",))),
        # no faces, no people
        Picture("coffee_cup", lambda: _skimage("coffee"), Truth(faces=0, persons=0)),
        Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, persons=0)),
        Picture("orange", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("cinema_sign", ["CINEMA", "TICKETS"], (20, 20, 30), (250, 220, 60), 90, size=(940, 500),
              seed=1411, absent=("POPCORN",)),
        _sign("depot_sign", ["BUS DEPOT", "NO ENTRY"], (250, 250, 250), (190, 20, 20), 80, size=(960, 500),
              seed=1412, absent=("EXIT",)),
        _sign("school_sign", ["SCHOOL OFFICE", "VISITORS"], (30, 100, 60), (255, 255, 255), 70, size=(1000, 500),
              seed=1413, absent=("LIBRARY",)),
        _sign("hardware_sign", ["HARDWARE", "OPEN"], (240, 150, 20), (20, 20, 20), 90, size=(900, 500),
              seed=1414, wall=(170, 165, 160), absent=("CLOSED",)),
        Picture("exif_radiology", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("RADIOLOGY", "LEVEL 2"), absent=("CARDIOLOGY",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_hammer", [["HAMMER", "$12.99"]], size=(700, 460), font_size=66),
        _tags_picture("nails_screws", [["NAILS", "$3.40"], ["SCREWS", "$4.25"]], font_size=60),
        _tags_picture("snacks3", [["POPCORN", "$6.50"], ["NACHOS", "$7.75"], ["SODA", "$3.20"]],
                      size=(1240, 420), font_size=50),
        _receipt("receipt_hardware", ["PAINT 18.40", "BRUSH 5.60", "TOTAL 24.00"], size=(640, 600), font_size=44),
        _receipt("receipt_cinema", ["TICKETS 24.00", "POPCORN 6.50", "TOTAL 30.50"], size=(660, 600),
                 font_size=44),
        _receipt("receipt_canteen", ["PASTA 4.20", "APPLE 0.80", "MILK 1.10", "TOTAL 6.10"], size=(600, 720),
                 font_size=42),
        # people
        Picture("astro_left", _people_scene((1300, 660), [_ASTRO_LEFT], "grass", (150, 170, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1300, 640), [_CAM_RIGHT], "gravel", (170, 160, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("pair_gravel", _people_scene((1360, 660), _PAIR, "gravel", (160, 150, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _PAIR), persons=2, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "brick",
                                                          (170, 150, 140))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="right",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout14", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
