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
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

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
        check_turned(paths["exif_three"], 6, (1200, 600))
        # and orientation 8 turns the stored 540x1000 pixels to 1000x540
        check_turned(paths["exif_bikehire"], 8, (1000, 540))
        check_turned(paths["exif_cam"], 6, (1240, 640))
        catalogue = runner.pictures.catalogue()
        # the EXIF pictures' truth is in the displayed orientation
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (2, 1)
        check_person_side(catalogue["exif_cam"].truth, runner.pictures.displayed_size(paths["exif_cam"])[0], "right")
        # the mirrored pictures' truth is mirrored with them: one face left, three right; the astronaut on the left
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (1, 3)
        check_person_side(catalogue["astro_mirrored"].truth, runner.pictures.displayed_size(paths["astro_mirrored"])[0], "left")
        # the mirrored picture is the source layout flipped
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE, [runner.pictures._ASTRO_MIRROR_SRC],
                                               "brick", (170, 150, 135))()
        check_flipped(paths["astro_mirrored"], source)
        # the earlier sets' own catalogues are unchanged
        assert "pool_sign" not in runner.pictures._eleventh.catalogue()
        assert "pool_sign" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
