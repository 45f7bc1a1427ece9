"""Pictures for the eighteenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied. The layouts, counts, words,
prices, receipts, menus and scenes here are new: a bowling alley, a garden centre, a barber's,
a taxi rank and a theatre box office.
Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``, ``camera``,
``coffee``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that Debian's
``opencv-doc`` ships (``orange.jpg``, ``home.jpg``; without the package those pictures fail to
build with one line saying so). Nothing generated is committed: :func:`build_all` writes the
files into a cache folder (default ``~/.cache/visprog-heldout18``, or ``VISPROG_HELDOUT18_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them).

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, hair, expressions, age, identity,
what fruit or plant, the weather, materials, brands, generative edits ...), whose right answer
is a refusal.

    .venv/bin/python benchmarks/heldout18/pictures.py --verify
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

# the bowling team: one face on the left, three on the right
_BOWLING_1_3: list[Face] = [("lfw", 9, 70, 70, 150), ("lfw", 31, 720, 60, 150), ("lfw", 56, 930, 300, 150),
                            ("lfw", 81, 1110, 70, 150)]
# the barber's queue: three faces, all in the right half
_BARBER_RIGHT3: list[Face] = [("lfw", 18, 660, 50, 145), ("lfw", 42, 860, 290, 145), ("lfw", 73, 1030, 60, 145)]
# the theatre choir: seven faces, four left and three right
_CHOIR7: list[Face] = [("lfw", 1, 40, 50, 135), ("lfw", 22, 250, 70, 135), ("lfw", 44, 120, 370, 135),
                       ("lfw", 61, 420, 390, 135), ("lfw", 77, 820, 60, 135), ("lfw", 89, 1040, 350, 135),
                       ("lfw", 97, 1220, 80, 135)]
# two head crops: the cameraman on the left, the astronaut on the right
_HEADS_CAM_ASTRO: list[Face] = [("head", "camera", 240, 90, 230), ("head", "astronaut", 880, 80, 240)]
# a tall picture: three faces up top, one below
_TALL_3_1: list[Face] = [("lfw", 12, 40, 60, 150), ("lfw", 37, 220, 170, 150), ("lfw", 64, 500, 50, 150),
                         ("lfw", 85, 430, 700, 160)]
# one face left, three right; shown mirrored (three on the left, one on the right)
_MIRROR_SRC: list[Face] = [("lfw", 15, 90, 180, 150), ("lfw", 39, 720, 50, 150), ("lfw", 68, 930, 290, 150),
                           ("lfw", 93, 1110, 60, 150)]
_MIRROR_SIZE = (1320, 540)
# EXIF picture, in its displayed orientation: two faces on the left, one on the right
_EXIF_THREE: list[Face] = [("lfw", 5, 60, 70, 155), ("lfw", 48, 320, 300, 155), ("lfw", 79, 900, 100, 155)]
_EXIF_THREE_SIZE = (1200, 560)
# one head beside the box office sign
_HEAD_BOX_OFFICE: list[Face] = [("head", "astronaut", 860, 70, 240)]

_ASTRO_LEFT = ("astronaut", 80, 100)
_CAM_RIGHT = ("camera", 800, 110)
_DUO_CAM_ASTRO = [("camera", 80, 120), ("astronaut", 880, 90)]
_ASTRO_MIRROR_SRC = ("astronaut", 100, 90)  # on the left before mirroring: on the right as shown
_ASTRO_MIRROR_SIZE = (1260, 640)
_EXIF_CAM = ("camera", 780, 100)  # displayed orientation: on the right
_EXIF_CAM_SIZE = (1200, 620)


def _head_and_box_office() -> Image.Image:
    img = _paste_faces(_wall((1120, 540), (180, 160, 170), seed=1801, stripes=4), _HEAD_BOX_OFFICE)
    return _plate(img, ["BOX OFFICE", "TICKETS"], (50, 150, 580, 390), (120, 20, 30), (255, 230, 160), 62)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (200, 210, 195), 1802, 5), _MIRROR_SRC)


def _exif_three_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_THREE_SIZE, (210, 205, 220), 1803, 3), _EXIF_THREE)


def _exif_sign() -> Image.Image:
    img = _wall((1000, 520), (140, 130, 150), 1804, stripes=6)
    return _plate(img, ["STAGE DOOR", "CAST ONLY"], (90, 100, 910, 420), (25, 25, 60), (250, 250, 250), 80)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "brick", (170, 150, 140))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("bowling_team", _BOWLING_1_3, lambda: _wall((1300, 520), (200, 195, 215), 1805, 6)),
        _faces_picture("barber_queue", _BARBER_RIGHT3, lambda: _wall((1220, 500), (215, 205, 185), 1806, 4)),
        _faces_picture("choir_seven", _CHOIR7, lambda: _wall((1400, 620), (190, 180, 200), 1807, 8)),
        _faces_picture("heads_pair", _HEADS_CAM_ASTRO, lambda: _wall((1150, 560), (175, 190, 180), 1808, 5)),
        _faces_picture("tall_3_1", _TALL_3_1, lambda: _wall((720, 980), (215, 210, 195), 1809, 2)),
        Picture("mirror_four", _mirrored(_mirror_faces),
                Truth(faces=4, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_three", _exif_jpeg(_exif_three_faces, 6), Truth(faces=3, face_boxes=_face_boxes(_EXIF_THREE)),
                suffix=".jpg"),
        Picture("head_box_office", _head_and_box_office,
                Truth(faces=1, face_boxes=_face_boxes(_HEAD_BOX_OFFICE), words=("BOX OFFICE", "TICKETS"),
                      absent=("SOLD OUT",))),
        # no faces, no people
        Picture("coffee_cup", lambda: _skimage("coffee"), Truth(faces=0, persons=0)),
        Picture("oranges", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("house", lambda: _opencv_photo("home.jpg"), Truth(faces=0, persons=0)),
        Picture("empty_brick", _people_scene((1200, 620), [], "brick", (165, 145, 135)), Truth(faces=0, persons=0)),
        # signs
        _sign("bowling_sign", ["LANE 9", "SHOE HIRE"], (20, 30, 90), (255, 220, 60), 82, size=(940, 500),
              seed=1811, absent=("BAR",)),
        _sign("garden_centre", ["GARDEN CENTRE", "OPEN DAILY"], (30, 100, 50), (255, 255, 255), 70,
              size=(1000, 500), seed=1812, absent=("CLOSED",)),
        _sign("taxi_rank", ["TAXI RANK", "QUEUE HERE"], (250, 215, 20), (10, 10, 10), 80, size=(960, 500),
              seed=1813, absent=("BUS",)),
        _sign("barber_sign", ["BARBER", "WALK INS WELCOME"], (240, 240, 240), (150, 20, 30), 64, size=(980, 480),
              seed=1814, absent=("SALON",)),
        Picture("exif_stage_door", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("STAGE DOOR", "CAST ONLY"), absent=("EXIT",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_seeds", [["SEEDS", "$2.50"]], size=(660, 460), font_size=70),
        _tags_picture("two_plants", [["FERN", "$6.40"], ["CACTUS", "$4.95"]], font_size=60),
        _tags_picture("bowling_prices", [["SHOES", "$3.50"], ["LANE", "$12.00"], ["SODA", "$1.75"]],
                      size=(1200, 420), font_size=52),
        _tags_picture("snacks4", [["CRISPS", "$1.20"], ["NACHOS", "$4.60"], ["POPCORN", "$3.15"],
                                  ["COLA", "$2.25"]], size=(1560, 420), font_size=42),
        _receipt("receipt_barber", ["HAIRCUT 18.00", "BEARD 7.50", "TOTAL 25.50"], size=(640, 600), font_size=44),
        _receipt("receipt_taxi", ["FARE 14.20", "TIP 2.80", "TOTAL 17.00"], size=(600, 600), font_size=44),
        _receipt("menu_interval", ["WINE 6.90", "ICES 3.40", "PROGRAMME 5.00"], size=(680, 600), font_size=44),
        # people
        Picture("astro_left", _people_scene((1260, 650), [_ASTRO_LEFT], "brick", (160, 145, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1220, 660), [_CAM_RIGHT], "brick", (175, 155, 145)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("duo_brick", _people_scene((1340, 660), _DUO_CAM_ASTRO, "brick", (165, 150, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_CAM_ASTRO), persons=2)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "grass",
                                                          (140, 170, 140))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 6),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="right",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout18", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
