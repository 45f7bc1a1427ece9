"""The eighth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout8 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET8 = ROOT / "benchmarks" / "heldout8"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set8_test")


def test_set8_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET8, "h8", {"mirror_four", "astro_mirrored", "exif_three", "exif_carwash", "exif_cam"})


def test_set8_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET8)
    try:
        names = ["permit_parking", "pantry4", "exif_carwash", "exif_three", "mirror_four", "astro_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["permit_parking"]) as img:
            assert img.size == (960, 520)
        # stored turned, shown upright: EXIF orientation 8 turns the stored 500x920 pixels to 920x500
        check_turned(paths["exif_carwash"], 8, (920, 500))
        # and orientation 6 turns the stored 520x1100 pixels to 1100x520
        check_turned(paths["exif_three"], 6, (1100, 520))
        catalogue = runner.pictures.catalogue()
        # the EXIF picture's truth is in the displayed orientation: two faces left, one right
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (2, 1)
        # the mirrored pictures' truth is mirrored with them: three faces left, one right; the person on the left
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (3, 1)
        check_person_side(catalogue["astro_mirrored"].truth, runner.pictures.displayed_size(paths["astro_mirrored"])[0], "left")
        # the mirrored picture is the source layout flipped: its left half is the source's right half
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE, [runner.pictures._ASTRO_MIRROR_SRC],
                                               "grass", (150, 175, 150))()
        check_flipped(paths["astro_mirrored"], source)
        assert "permit_parking" not in runner.pictures._seventh.catalogue()  # the seventh set's own catalogue is unchanged
        assert "permit_parking" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
