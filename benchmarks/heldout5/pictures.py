"""Pictures for the fifth held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts,
people cut-outs, the ground-truth record and the check against the real offline tools)
are the second set's (``benchmarks/heldout2/pictures.py``), reached through the fourth
set's module (``benchmarks/heldout4/pictures.py``), imported, not copied; the layouts,
counts, words and prices here are new. Sources: scikit-image's ``skimage.data``
(``lfw_subset``, ``astronaut``, ``camera``, ``coffee``, the ``grass`` / ``gravel`` /
``brick`` textures), the project's ``demos/images/*``, and photos that Debian's
``opencv-doc`` ships (``messi5.jpg``, ``fruits.jpg``, ``butterfly.jpg``; without the
package those pictures fail to build with one line saying so). Nothing generated is
committed: :func:`build_all` writes the files into a cache folder (default
``~/.cache/visprog-heldout5``, or ``VISPROG_HELDOUT5_DIR``).

About a third of the requests of this set are *near misses*: questions about these
pictures that the offline tools cannot answer (colours, clothing, expressions, age,
identity, what kind of fruit or insect, the brand ...), whose right answer is a refusal.

    .venv/bin/python benchmarks/heldout5/pictures.py --verify
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _load_fourth_set() -> ModuleType:
    name = "heldout_pictures_fourth_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout4" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout4/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_fourth = _load_fourth_set()
_second = _fourth._second
Truth = _second.Truth
Picture = _second.Picture
BoxT = tuple[int, int, int, int]
Face = tuple[str, object, int, int, int]
DEMOS = _second.DEMOS
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
_opencv_photo = _fourth._opencv_photo
_person_box = _fourth._person_box

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- layouts

# two faces on each side
_TWO_TWO: list[Face] = [("lfw", 5, 60, 60, 150), ("lfw", 33, 300, 200, 150), ("lfw", 47, 700, 50, 150),
                        ("lfw", 88, 930, 220, 150)]
# a single face far right
_SOLO_RIGHT: list[Face] = [("lfw", 14, 820, 130, 170)]
# four faces, all in the right half
_ALL_RIGHT4: list[Face] = [("lfw", 27, 660, 40, 130), ("lfw", 66, 880, 40, 130), ("lfw", 3, 660, 300, 130),
                           ("lfw", 95, 880, 300, 130)]
# six faces in a row, three per half
_ROW6: list[Face] = [("lfw", 8, 30, 50, 150), ("lfw", 21, 220, 50, 150), ("lfw", 36, 410, 50, 150),
                     ("lfw", 55, 740, 50, 150), ("lfw", 70, 930, 50, 150), ("lfw", 99, 1120, 50, 150)]
# two head crops, the photographer left, the astronaut right
_HEADS_PAIR: list[Face] = [("head", "camera", 120, 30, 210), ("head", "astronaut", 640, 20, 220)]
# one head beside a florist's sign
_HEAD_FLORIST: list[Face] = [("head", "right", 90, 80, 240)]

_ASTRO_LEFT = ("astronaut", 60, 90)
_CAM_RIGHT = ("camera", 760, 110)
_DUO_ASTRO_CAM = [("astronaut", 40, 90), ("camera", 700, 110)]


def _head_and_florist() -> Image.Image:
    img = _paste_faces(_wall((1080, 520), (185, 205, 180), seed=61, stripes=4), _HEAD_FLORIST)
    return _plate(img, ["FLORIST"], (480, 180, 1010, 340), (250, 240, 245), (150, 30, 80), 96)


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    pics: list[Picture] = [
        # faces
        _faces_picture("two_two", _TWO_TWO, lambda: _wall((1150, 480), (205, 185, 160), 62, 9)),
        _faces_picture("solo_right", _SOLO_RIGHT, lambda: _backdrop("brick", (1100, 480), (175, 140, 120))),
        _faces_picture("all_right4", _ALL_RIGHT4, lambda: _wall((1100, 500), (180, 180, 210), 63, 0)),
        _faces_picture("row6", _ROW6, lambda: _wall((1320, 460), (200, 210, 185), 64, 13)),
        _faces_picture("heads_pair", _HEADS_PAIR, lambda: _backdrop("gravel", (1000, 440), (165, 155, 140))),
        Picture("head_florist", _head_and_florist, Truth(faces=1, face_boxes=_face_boxes(_HEAD_FLORIST),
                                                         words=("FLORIST",), absent=("BAKERY",))),
        # no faces, no people
        Picture("coffee", lambda: _skimage("coffee"), Truth(faces=0, persons=0)),
        Picture("fruits", lambda: _opencv_photo("fruits.jpg"), Truth(faces=0, persons=0)),
        Picture("butterfly", lambda: _opencv_photo("butterfly.jpg"), Truth(faces=0, persons=0)),
        # signs
        _sign("wet_floor", ["CAUTION", "WET FLOOR"], (250, 210, 30), (15, 15, 15), 84, size=(880, 520), seed=71,
              absent=("DRY",)),
        _sign("no_parking", ["PERMIT PARKING", "TOW AWAY ZONE"], (200, 30, 30), (255, 255, 255), 70, size=(940, 520),
              seed=72, absent=("FREE",)),
        _sign("exit_sign", ["EXIT"], (20, 130, 60), (255, 255, 255), 150, size=(640, 420), seed=73,
              absent=("ENTRANCE",)),
        _sign("gate_12", ["GATE 12"], (30, 40, 80), (250, 250, 250), 110, size=(820, 420), seed=74),
        _sign("library", ["CITY LIBRARY", "CLOSED SUNDAY"], (240, 235, 220), (30, 50, 110), 68, size=(960, 520),
              seed=75, wall=(170, 160, 150), absent=("MONDAY",)),
        # prices
        _tags_picture("tag_tea", [["GREEN TEA", "$3.40"]], size=(700, 460), font_size=68),
        _tags_picture("apples_pears", [["APPLES", "$1.95"], ["PEARS", "$2.60"]], font_size=60),
        _tags_picture("hardware3", [["NAILS", "$4.10"], ["HAMMER", "$12.50"], ["GLUE", "$2.30"]], size=(1200, 420),
                      font_size=50),
        _receipt("receipt_dinner", ["PASTA 9.50", "SALAD 6.25", "TOTAL 15.75"]),
        # people
        Picture("astro_left", _people_scene((1200, 640), [_ASTRO_LEFT], "brick", (160, 135, 120)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_LEFT),), persons=1, person_side="left",
                      person_box=_person_box(*_ASTRO_LEFT))),
        Picture("cam_right", _people_scene((1200, 640), [_CAM_RIGHT], "gravel", (165, 160, 150)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_RIGHT),), persons=1, person_side="right",
                      person_box=_person_box(*_CAM_RIGHT))),
        Picture("duo_astro_cam", _people_scene((1250, 640), _DUO_ASTRO_CAM, "grass", (150, 175, 150)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_ASTRO_CAM), persons=2)),
        Picture("football", lambda: _opencv_photo("messi5.jpg"),
                Truth(faces=1, face_boxes=((225, 93, 255, 132),), persons=1, person_box=(69, 61, 457, 334))),
    ]
    return {p.name: p for p in pics}


def cache_dir() -> Path:
    return Path(os.environ.get("VISPROG_HELDOUT5_DIR", Path.home() / ".cache" / "visprog-heldout5"))


def build_all(folder: Path | None = None, names: list[str] | None = None) -> dict[str, Path]:
    """Write every picture (or ``names``) into ``folder``; return name -> path."""
    return _second.build_all(folder or cache_dir(), names, pictures=catalogue())  # type: ignore[no-any-return]


def verify(paths: dict[str, Path]) -> list[str]:
    """Run the real offline tools on each picture; return one line per disagreement."""
    return _second.verify(paths, pictures=catalogue())  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    return _second.main(argv, build=build_all, check=verify, doc=__doc__)  # type: ignore[no-any-return]


if __name__ == "__main__":
    sys.exit(main())
