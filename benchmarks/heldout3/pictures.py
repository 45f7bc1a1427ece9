"""Pictures for the third held-out request set, generated at run time from assets that ship.

The helpers (LFW tiles and head crops on painted walls, signs, shelf tags, receipts,
people cut-outs, the ground-truth record and the check against the real offline tools)
are the second set's (``benchmarks/heldout2/pictures.py``), imported, not copied; the
layouts, counts, words and prices here are new. Sources: scikit-image's ``skimage.data``
(``lfw_subset``, ``astronaut``, ``camera``, ``clock``, ``coffee``, ``rocket``,
``chelsea``, the ``grass`` / ``gravel`` / ``brick`` textures), the project's
``demos/images/*``, and two photos that Debian's ``opencv-doc`` ships (``messi5.jpg``,
``fruits.jpg``; without the package those pictures fail to build with one line saying
so). Text is drawn with the DejaVu fonts of the ``opencv-python`` wheel. Nothing
generated is committed: :func:`build_all` writes the files into a cache folder (default
``~/.cache/visprog-heldout3``, or ``VISPROG_HELDOUT3_DIR``).

Many requests of this set are *near misses*: questions about these pictures that the
offline tools cannot answer (colours, expressions, clothing, what someone holds, the
kind of animal, the time on an analog clock ...), whose right answer is a refusal.

    .venv/bin/python benchmarks/heldout3/pictures.py --verify
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


def _load_second_set() -> ModuleType:
    name = "heldout_pictures_second_set"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout2" / "pictures.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load benchmarks/heldout2/pictures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_second = _load_second_set()
Truth = _second.Truth
Picture = _second.Picture
BoxT = tuple[int, int, int, int]
Face = tuple[str, object, int, int, int]
DEMOS = _second.DEMOS
OPENCV_DATA = _second.OPENCV_DATA
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

# Every group is scored in the overall figure.
REPORTED_APART: tuple[str, ...] = ()


def _opencv_photo(name: str) -> Image.Image:
    path = OPENCV_DATA / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: install Debian's opencv-doc for this picture")
    return Image.open(path).convert("RGB")


def _person_box(kind: str, x: int, y: int) -> BoxT:
    """The person inside a cut-out pasted at (x, y) (offsets measured by the second set)."""
    if kind == "astronaut":
        return (x - 5, y + 10, x + 350, y + 512)
    return (x, y + 25, x + 275, y + 472)


# ----------------------------------------------------------------------------- layouts

_TRIO: list[Face] = [("lfw", 8, 60, 80, 160), ("lfw", 31, 300, 60, 170), ("head", "astronaut", 850, 90, 240)]
_RIGHT4: list[Face] = [("lfw", 13, 620, 40, 140), ("lfw", 44, 820, 60, 140), ("lfw", 71, 1010, 40, 140),
                       ("lfw", 86, 800, 300, 140)]
_SOLO_RIGHT: list[Face] = [("head", "astronaut", 700, 60, 250)]
_TALL_1_1: list[Face] = [("lfw", 19, 200, 60, 180), ("lfw", 58, 260, 600, 180)]
_CROWD7: list[Face] = [("lfw", 2, 40, 40, 140), ("lfw", 27, 240, 60, 140), ("lfw", 49, 60, 360, 140),
                       ("lfw", 66, 300, 380, 140), ("lfw", 81, 760, 50, 140), ("lfw", 97, 1000, 70, 140),
                       ("lfw", 38, 880, 380, 140)]
_TWO_HEADS: list[Face] = [("head", "left", 250, 80, 230), ("head", "right", 720, 70, 230)]
_CAM_NOTICE: list[Face] = [("head", "camera", 220, 60, 240)]

_CAM_LEFT = ("camera", 80, 100)
_ASTRO_RIGHT = ("astronaut", 700, 90)
_DUO_SWAP = [("astronaut", 40, 60), ("camera", 600, 100)]


def _cam_and_notice() -> Image.Image:
    img = _paste_faces(_wall((1000, 500), (175, 160, 140), seed=21, stripes=7), _CAM_NOTICE)
    return _plate(img, ["NO PARKING"], (470, 170, 960, 330), (30, 60, 150), (255, 255, 255), 64)


def _fruits() -> Image.Image:
    return _opencv_photo("fruits.jpg")


def _messi() -> Image.Image:
    return _opencv_photo("messi5.jpg")


@functools.cache
def catalogue() -> dict[str, Picture]:
    """Every picture of the set by name (lazy: ``build`` makes the image)."""
    pics: list[Picture] = [
        # faces
        _faces_picture("trio", _TRIO, lambda: _wall((1100, 480), (190, 205, 180), 31, 5)),
        _faces_picture("right4", _RIGHT4, lambda: _backdrop("grass", (1200, 500), (150, 190, 130))),
        _faces_picture("solo_right", _SOLO_RIGHT, lambda: _wall((900, 520), (160, 150, 200), 32, 0)),
        _faces_picture("tall_pair", _TALL_1_1, lambda: _wall((620, 900), (210, 190, 170), 33, 3)),
        _faces_picture("crowd7", _CROWD7, lambda: _wall((1300, 640), (95, 110, 90), 34, 9)),
        _faces_picture("two_heads", _TWO_HEADS, lambda: _backdrop("brick", (960, 460), (175, 140, 120))),
        Picture("cam_notice", _cam_and_notice, Truth(faces=1, face_boxes=_face_boxes(_CAM_NOTICE),
                                                      words=("NO PARKING",), absent=("EXIT",))),
        # no faces, no people
        Picture("cat", lambda: Image.open(DEMOS / "cat.jpg").convert("RGB"), Truth(faces=0, persons=0)),
        Picture("coffee", lambda: _skimage("coffee"), Truth(faces=0, persons=0, words=())),
        Picture("rocket", lambda: _skimage("rocket"), Truth(faces=0, persons=0)),
        Picture("clock", lambda: _skimage("clock"), Truth(faces=0, persons=0)),
        Picture("fruits", _fruits, Truth(faces=0, persons=0)),
        # signs
        _sign("no_entry", ["NO ENTRY"], (190, 20, 25), (255, 255, 255), 86, size=(820, 420), absent=("EXIT", "OPEN")),
        _sign("platform", ["PLATFORM 9", "LONDON"], (20, 40, 90), (250, 250, 250), 72, size=(820, 500), seed=4),
        _sign("gate", ["GATE B12"], (250, 200, 30), (20, 20, 20), 96, size=(800, 420), wall=(120, 125, 130), seed=5),
        _sign("push", ["PUSH"], (240, 240, 240), (30, 30, 30), 120, size=(640, 420), seed=6, absent=("PULL",)),
        _sign("library", ["CITY LIBRARY", "QUIET PLEASE"], (235, 225, 200), (60, 40, 20), 66, size=(900, 520),
              seed=8, absent=("CLOSED",)),
        _sign("hotel", ["GRAND HOTEL"], (110, 20, 60), (250, 220, 120), 84, size=(960, 420), seed=9),
        # prices
        _tags_picture("tag_apples", [["APPLES", "$1.85"]], size=(640, 460), font_size=72),
        _tags_picture("soap_shampoo", [["SOAP", "$2.30"], ["SHAMPOO", "$5.60"]], font_size=58),
        _tags_picture("pantry3", [["RICE", "$3.10"], ["BEANS", "$1.45"], ["OIL", "$6.80"]], size=(1200, 420),
                      font_size=56),
        _receipt("receipt_cafe", ["COFFEE 2.60", "MUFFIN 3.40", "TOTAL 6.00"]),
        _receipt("menu_italian", ["PIZZA 9.50", "PASTA 8.75", "WATER 1.50"]),
        # people
        Picture("astronaut", lambda: Image.open(DEMOS / "astronaut.jpg").convert("RGB"),
                Truth(faces=1, face_boxes=((178, 63, 267, 175),), persons=1, raised=0, person_box=(0, 15, 450, 512))),
        Picture("cam_left", _people_scene((1150, 620), [_CAM_LEFT], "gravel", (150, 140, 120)),
                Truth(faces=1, face_boxes=(_person_face(*_CAM_LEFT),), persons=1, person_side="left", raised=0,
                      person_box=_person_box(*_CAM_LEFT))),
        Picture("astro_right", _people_scene((1150, 640), [_ASTRO_RIGHT], "grass", (120, 170, 130)),
                Truth(faces=1, face_boxes=(_person_face(*_ASTRO_RIGHT),), persons=1, person_side="right", raised=0,
                      person_box=_person_box(*_ASTRO_RIGHT))),
        Picture("duo_swap", _people_scene((1050, 620), _DUO_SWAP, "grass", (140, 170, 140)),
                Truth(faces=2, face_boxes=tuple(_person_face(*p) for p in _DUO_SWAP), persons=2, raised=0)),
        Picture("football", _messi, Truth(faces=1, face_boxes=((225, 93, 255, 132),), persons=1,
                                           person_box=(69, 61, 457, 334))),
        Picture("hand", lambda: Image.open(DEMOS / "hand_closeup.jpg").convert("RGB").resize((520, 520), Image.Resampling.LANCZOS),
                Truth(faces=0, hands=1, persons=0)),
    ]
    return {p.name: p for p in pics}


def cache_dir() -> Path:
    return Path(os.environ.get("VISPROG_HELDOUT3_DIR", Path.home() / ".cache" / "visprog-heldout3"))


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
