"""The ninth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout9 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET9 = ROOT / "benchmarks" / "heldout9"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set9_test")


def test_set9_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET9, "h9", {"mirror_three", "cam_mirrored", "exif_four", "exif_hotel", "exif_astro"})


def test_set9_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET9)
    try:
        names = ["road_works", "garden4", "exif_hotel", "exif_four", "mirror_three", "cam_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["road_works"]) as img:
            assert img.size == (960, 520)
        # stored turned, shown upright: EXIF orientation 6 turns the stored 500x940 pixels to 940x500
        check_turned(paths["exif_hotel"], 6, (940, 500))
        # and orientation 8 turns the stored 540x1150 pixels to 1150x540
        check_turned(paths["exif_four"], 8, (1150, 540))
        catalogue = runner.pictures.catalogue()
        # the EXIF picture's truth is in the displayed orientation: three faces left, one right
        four = catalogue["exif_four"].truth
        assert four.halves(runner.pictures.displayed_size(paths["exif_four"])[0]) == (3, 1)
        # the mirrored pictures' truth is mirrored with them: two faces left, one right; the man on the right
        truth = catalogue["mirror_three"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_three"])[0]) == (2, 1)
        check_person_side(catalogue["cam_mirrored"].truth, runner.pictures.displayed_size(paths["cam_mirrored"])[0], "right")
        # the mirrored picture is the source layout flipped: its right half is the source's left half
        source = runner.pictures._people_scene(runner.pictures._CAM_MIRROR_SIZE, [runner.pictures._CAM_MIRROR_SRC],
                                               "grass", (145, 180, 150))()
        check_flipped(paths["cam_mirrored"], source)
        # the earlier sets' own catalogues are unchanged
        assert "road_works" not in runner.pictures._eighth.catalogue()
        assert "road_works" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
