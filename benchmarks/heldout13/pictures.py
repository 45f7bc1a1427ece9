"""Pictures for the thirteenth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts and menus,
people cut-outs, the ground-truth record and the check against the real offline tools) are the
second set's (``benchmarks/heldout2/pictures.py``); the mirror, EXIF, photo and person-box
helpers are the later sets'; all are reached through the eleventh set's module
(``benchmarks/heldout11/pictures.py``), imported, not copied.

New here: the layouts and counts (four faces left and one right, a lone face at the far left, a
board of eight, three faces all in the top half of a tall picture, two head crops of the "left"
and astronaut kinds), the places the words, prices and receipts come from (a bakery, a garage,
a train station, a pharmacy queue, a library's returns desk), three astronauts in one scene, and the
photos without faces (scikit-image's ``rocket``; OpenCV's ``smarties.png``, ``orange.jpg``,
``starry_night.jpg``). Sources: scikit-image's ``skimage.data`` (``lfw_subset``, ``astronaut``,
``camera``, ``rocket``, the ``grass`` / ``gravel`` / ``brick`` textures), and photos that
Debian's ``opencv-doc`` ships (without the package those pictures fail to build with one line
saying so). Nothing generated is committed: :func:`build_all` writes the files into a cache
folder (default ``~/.cache/visprog-heldout13``, or ``VISPROG_HELDOUT13_DIR``).

Three pictures are JPEGs whose stored pixels are turned and whose EXIF orientation tag says how
to show them (6: turn clockwise; 8: turn counter-clockwise); their ground truth is in the
displayed orientation, as every tool sees it. Two are mirror images of a layout (their truth
boxes mirrored with them): a board of faces, and the astronaut, who stands on the left before
the flip and on the right as shown.

About a third of the requests of this set are *near misses*: questions about these pictures
that the offline tools cannot answer (colours, clothing, expressions, age, identity, kinds of
people, what animal or sweet, the weather, painting style, materials, brands, generative
edits ...), whose right answer is a refusal.

    .venv/bin/python benchmarks/heldout13/pictures.py --verify
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

# five faces: four in the left half, one at the right edge
_FOUR_ONE: list[Face] = [("lfw", 1, 40, 50, 140), ("lfw", 28, 260, 40, 140), ("lfw", 44, 60, 320, 140),
                         ("lfw", 72, 330, 300, 140), ("lfw", 97, 1060, 180, 150)]
# one face alone at the far left of a wide wall
_LONE_LEFT: list[Face] = [("lfw", 36, 70, 140, 180)]
# a board of eight: two rows of four (four left of centre, four right)
_EIGHT: list[Face] = [("lfw", 0, 30, 40, 130), ("lfw", 18, 200, 50, 130), ("lfw", 39, 380, 40, 130),
                      ("lfw", 53, 30, 330, 130), ("lfw", 62, 760, 40, 130), ("lfw", 80, 930, 60, 130),
                      ("lfw", 90, 760, 330, 130), ("lfw", 98, 1110, 320, 130)]
# two head crops: the 'left' one on the left, the astronaut on the right
_HEADS_PAIR: list[Face] = [("head", "left", 250, 70, 240), ("head", "astronaut", 860, 80, 240)]
# a tall picture: three faces up top, nothing below
_TALL_TOP3: list[Face] = [("lfw", 10, 40, 60, 150), ("lfw", 31, 250, 170, 150), ("lfw", 57, 470, 70, 150)]
# no face on the left, three on the right; shown mirrored (three on the left, none on the right)
_MIRROR_SRC: list[Face] = [("lfw", 22, 700, 60, 150), ("lfw", 46, 930, 250, 150), ("lfw", 83, 1120, 50, 140)]
_MIRROR_SIZE = (1320, 540)
# EXIF picture, in its displayed orientation: one face left, three right
_EXIF_FOUR: list[Face] = [("lfw", 5, 120, 120, 150), ("lfw", 34, 680, 50, 150), ("lfw", 65, 900, 260, 150),
                          ("lfw", 91, 1080, 60, 140)]
_EXIF_FOUR_SIZE = (1260, 560)
# one head beside a bakery sign
_HEAD_BAKERY: list[Face] = [("head", "camera", 830, 80, 230)]

_ASTRO_SOLO = ("astronaut", 820, 90)  # on the right
_CAM_SOLO = ("camera", 70, 100)  # on the left
_TRIO = [("astronaut", 30, 100), ("astronaut", 650, 60), ("astronaut", 1170, 110)]  # three astronauts in a row
_TRIO_SIZE = (1600, 680)
_ASTRO_MIRROR_SRC = ("astronaut", 90, 100)  # on the left before mirroring: on the right as shown
_ASTRO_MIRROR_SIZE = (1240, 650)
_EXIF_CAM = ("camera", 100, 90)  # displayed orientation: on the left
_EXIF_CAM_SIZE = (1200, 620)


def _head_and_bakery() -> Image.Image:
    img = _paste_faces(_wall((1100, 540), (225, 210, 185), seed=1301, stripes=4), _HEAD_BAKERY)
    return _plate(img, ["BAKERY", "FRESH ROLLS"], (50, 150, 580, 390), (120, 70, 30), (250, 235, 200), 62)


def _mirror_faces() -> Image.Image:
    return _paste_faces(_wall(_MIRROR_SIZE, (210, 200, 190), 1302, 5), _MIRROR_SRC)


def _exif_four_faces() -> Image.Image:
    return _paste_faces(_wall(_EXIF_FOUR_SIZE, (190, 205, 215), 1303, 3), _EXIF_FOUR)


def _exif_sign() -> Image.Image:
    img = _wall((1000, 520), (160, 150, 130), 1304, stripes=6)
    return _plate(img, ["BOOK RETURNS", "LATE FEES"], (80, 100, 920, 420), (30, 70, 50), (255, 250, 230), 76)


def _exif_cam() -> Image.Image:
    return _people_scene(_EXIF_CAM_SIZE, [_EXIF_CAM], "gravel", (165, 160, 150))()


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    mirror_width = _MIRROR_SIZE[0]
    astro_width = _ASTRO_MIRROR_SIZE[0]
    pics: list[Picture] = [
        # faces
        _faces_picture("four_one", _FOUR_ONE, lambda: _wall((1260, 520), (200, 190, 210), 1305, 6)),
        _faces_picture("lone_left", _LONE_LEFT, lambda: _wall((1200, 480), (215, 215, 195), 1306, 0)),
        _faces_picture("board_eight", _EIGHT, lambda: _wall((1300, 520), (180, 170, 160), 1307, 8)),
        _faces_picture("heads_pair", _HEADS_PAIR, lambda: _backdrop("brick", (1120, 560), (175, 150, 140))),
        _faces_picture("tall_top3", _TALL_TOP3, lambda: _wall((700, 1000), (210, 220, 225), 1308, 2)),
        Picture("mirror_three", _mirrored(_mirror_faces),
                Truth(faces=3, face_boxes=tuple(_mirror_box(b, mirror_width) for b in _face_boxes(_MIRROR_SRC)))),
        Picture("exif_four", _exif_jpeg(_exif_four_faces, 6), Truth(faces=4, face_boxes=_face_boxes(_EXIF_FOUR)),
                suffix=".jpg"),
        Picture("head_bakery", _head_and_bakery, Truth(faces=1, face_boxes=_face_boxes(_HEAD_BAKERY),
                                                       words=("BAKERY", "FRESH ROLLS"), absent=("BUTCHER",))),
        # no faces, no people
        Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, persons=0)),
        Picture("sweets", lambda: _opencv_photo("smarties.png"), Truth(faces=0, persons=0)),
        Picture("orange", lambda: _opencv_photo("orange.jpg"), Truth(faces=0, persons=0)),
        Picture("painting", lambda: _opencv_photo("starry_night.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("platform_sign", ["PLATFORM 6", "TO BRIGHTON"], (25, 45, 110), (255, 255, 255), 76, size=(980, 520),
              seed=1311, absent=("LONDON",)),
        _sign("garage_sign", ["GARAGE", "TYRE REPAIR"], (240, 240, 240), (30, 30, 30), 84, size=(940, 500),
              seed=1312, absent=("CAR WASH",)),
        _sign("queue_sign", ["PLEASE QUEUE", "HERE"], (20, 120, 110), (255, 255, 255), 82, size=(960, 500),
              seed=1313, wall=(200, 200, 205), absent=("EXIT",)),
        _sign("no_entry", ["NO ENTRY"], (200, 20, 30), (255, 255, 255), 100, size=(900, 460), seed=1314,
              absent=("ENTRANCE",)),
        _sign("bike_sign", ["BICYCLE", "PARKING"], (250, 220, 40), (20, 20, 20), 86, size=(900, 520), seed=1315,
              wall=(140, 150, 140)),
        Picture("exif_returns", _exif_jpeg(_exif_sign, 8),
                Truth(faces=0, words=("BOOK RETURNS", "LATE FEES"), absent=("LIBRARY",)), suffix=".jpg"),
        # prices
        _tags_picture("tag_baguette", [["BAGUETTE", "$3.40"]], size=(700, 460), font_size=66),
        _tags_picture("oil_wipers", [["OIL", "$18.99"], ["WIPERS", "$12.50"]], font_size=60),
        _tags_picture("pharmacy3", [["PLASTERS", "$3.20"], ["LOZENGES", "$4.85"], ["VITAMINS", "$9.60"]],
                      size=(1260, 420), font_size=46),
        _tags_picture("bakery4", [["ROLLS", "$0.80"], ["TART", "$3.55"], ["ECLAIR", "$2.95"], ["BROWNIE", "$2.40"]],
                      size=(1560, 420), font_size=42),
        _receipt("receipt_garage", ["WIPERS 12.50", "BULBS 6.30", "TOTAL 18.80"], size=(620, 600), font_size=44),
        _receipt("receipt_bakery", ["BAGUETTE 3.40", "TART 3.55", "COFFEE 2.90", "TOTAL 9.85"], size=(640, 720),
                 font_size=42),
        _receipt("receipt_station", ["TICKET 14.60", "WATER 1.70", "TOTAL 16.30"], size=(620, 600), font_size=44),
        _receipt("menu_station", ["PORRIDGE 3.95", "TOAST 2.25", "OMELETTE 6.80"], size=(660, 600), font_size=42),
        # people
        Picture("astro_solo", _people_scene((1260, 650), [_ASTRO_SOLO], "grass", (135, 170, 140)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_SOLO),), persons=1, person_side="right",
                      person_box=_person_box(*_ASTRO_SOLO))),
        Picture("cam_solo", _people_scene((1240, 660), [_CAM_SOLO], "gravel", (170, 165, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_SOLO),), persons=1, person_side="left",
                      person_box=_person_box(*_CAM_SOLO))),
        Picture("trio", _people_scene(_TRIO_SIZE, _TRIO, "brick", (165, 150, 145)),
                Truth(faces=3, face_boxes=tuple(_person_face(*p) for p in _TRIO), persons=3, raised=0)),
        Picture("astro_mirrored", _mirrored(_people_scene(_ASTRO_MIRROR_SIZE, [_ASTRO_MIRROR_SRC], "brick",
                                                          (160, 150, 160))),
                Truth(faces=1, face_boxes=(_mirror_box(_person_face(*_ASTRO_MIRROR_SRC), astro_width),), persons=1,
                      person_side="right", person_box=_mirror_box(_person_box(*_ASTRO_MIRROR_SRC), astro_width))),
        Picture("exif_cam", _exif_jpeg(_exif_cam, 8),
                Truth(faces=1, face_boxes=(_person_face(*_EXIF_CAM),), persons=1, person_side="left",
                      person_box=_person_box(*_EXIF_CAM)), suffix=".jpg"),
    ]
    return {p.name: p for p in pics}


_FILES = _second.SetFiles("heldout13", catalogue, __doc__)
cache_dir, build_all, verify, main = _FILES.cache_dir, _FILES.build_all, _FILES.verify, _FILES.main


if __name__ == "__main__":
    sys.exit(main())
