"""The tenth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout10 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET10 = ROOT / "benchmarks" / "heldout10"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set10_test")


def test_set10_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET10, "h10", {"mirror_four", "astro_mirrored", "exif_three", "exif_museum", "exif_cam"})


def test_set10_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET10)
    try:
        names = ["platform_3", "fruit4", "exif_museum", "exif_three", "mirror_four", "astro_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["platform_3"]) as img:
            assert img.size == (980, 520)
        # stored turned, shown upright: EXIF orientation 8 turns the stored 520x960 pixels to 960x520
        check_turned(paths["exif_museum"], 8, (960, 520))
        # and orientation 6 turns the stored 560x1200 pixels to 1200x560
        check_turned(paths["exif_three"], 6, (1200, 560))
        catalogue = runner.pictures.catalogue()
        # the EXIF picture's truth is in the displayed orientation: one face left, two right
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (1, 2)
        # the mirrored pictures' truth is mirrored with them: three faces left, one right; the woman on the left
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (3, 1)
        check_person_side(catalogue["astro_mirrored"].truth, runner.pictures.displayed_size(paths["astro_mirrored"])[0], "left")
        # the mirrored picture is the source layout flipped: its left half is the source's right half
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE, [runner.pictures._ASTRO_MIRROR_SRC],
                                               "gravel", (150, 150, 165))()
        check_flipped(paths["astro_mirrored"], source)
        # the earlier sets' own catalogues are unchanged
        assert "platform_3" not in runner.pictures._ninth.catalogue()
        assert "platform_3" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
