"""The nineteenth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout19 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageOps

from tests.heldout_checks import ROOT, check_set_loads, load_runner

SET19 = ROOT / "benchmarks" / "heldout19"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set19_test")


def test_set19_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET19, "h19",
                    {"mirror_four", "astro_mirrored", "exif_three", "exif_bikehire", "exif_cam"})


def test_set19_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET19)
    try:
        names = ["pool_sign", "books4", "exif_three", "exif_bikehire", "exif_cam", "mirror_four", "astro_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["pool_sign"]) as img:
            assert img.size == (980, 500)
        with Image.open(paths["books4"]) as img:
            assert img.size == (1560, 420)
        # stored turned, shown upright: EXIF orientation 6 turns the stored 600x1200 pixels to 1200x600
        with Image.open(paths["exif_three"]) as img:
            assert img.size == (600, 1200)
            assert img.getexif().get(0x0112) == 6
            assert ImageOps.exif_transpose(img).size == (1200, 600)
        # and orientation 8 turns the stored 540x1000 pixels to 1000x540
        with Image.open(paths["exif_bikehire"]) as img:
            assert img.size == (540, 1000)
            assert img.getexif().get(0x0112) == 8
            assert ImageOps.exif_transpose(img).size == (1000, 540)
        with Image.open(paths["exif_cam"]) as img:
            assert img.getexif().get(0x0112) == 6
            assert ImageOps.exif_transpose(img).size == (1240, 640)
        catalogue = runner.pictures.catalogue()
        # the EXIF pictures' truth is in the displayed orientation
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (2, 1)
        cam = catalogue["exif_cam"].truth
        assert cam.person_side == "right" and cam.person_box is not None
        assert (cam.person_box[0] + cam.person_box[2]) / 2 > runner.pictures.displayed_size(paths["exif_cam"])[0] / 2
        # the mirrored pictures' truth is mirrored with them: one face left, three right; the astronaut on the left
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (1, 3)
        person = catalogue["astro_mirrored"].truth
        assert person.person_side == "left" and person.person_box is not None
        width = runner.pictures.displayed_size(paths["astro_mirrored"])[0]
        assert (person.person_box[0] + person.person_box[2]) / 2 < width / 2
        # the mirrored picture is the source layout flipped
        with Image.open(paths["astro_mirrored"]) as img:
            shown = img.convert("RGB")
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE, [runner.pictures._ASTRO_MIRROR_SRC],
                                               "brick", (170, 150, 135))()
        assert shown.tobytes() == source.transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()
        # the earlier sets' own catalogues are unchanged
        assert "pool_sign" not in runner.pictures._eleventh.catalogue()
        assert "pool_sign" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
