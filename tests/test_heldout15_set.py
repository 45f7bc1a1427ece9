"""The fifteenth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout15 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET15 = ROOT / "benchmarks" / "heldout15"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set15_test")


def test_set15_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET15, "h15", {"mirror_four", "astro_mirrored", "exif_three", "exif_luggage"})


def test_set15_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET15)
    try:
        names = ["post_office", "post_counter", "exif_three", "exif_luggage", "mirror_four", "astro_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["post_office"]) as img:
            assert img.size == (960, 500)
        with Image.open(paths["post_counter"]) as img:
            assert img.size == (1600, 420)
        # stored turned, shown upright: EXIF orientation 6 turns the stored 580x1200 pixels to 1200x580
        check_turned(paths["exif_three"], 6, (1200, 580))
        # and orientation 8 turns the stored 520x1000 pixels to 1000x520
        check_turned(paths["exif_luggage"], 8, (1000, 520))
        catalogue = runner.pictures.catalogue()
        # the EXIF picture's truth is in the displayed orientation: two faces left, one right
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (2, 1)
        # the mirrored pictures' truth is mirrored with them: three faces left, one right; the astronaut on the left
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (3, 1)
        check_person_side(catalogue["astro_mirrored"].truth, runner.pictures.displayed_size(paths["astro_mirrored"])[0], "left")
        # the mirrored picture is the source layout flipped: its left half is the source's right half
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE, [runner.pictures._ASTRO_MIRROR_SRC],
                                               "gravel", (165, 160, 150))()
        check_flipped(paths["astro_mirrored"], source)
        check_flipped(paths["mirror_four"], runner.pictures._mirror_faces())
        # the earlier sets' own catalogues are unchanged
        assert "post_office" not in runner.pictures._eleventh.catalogue()
        assert "post_office" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
