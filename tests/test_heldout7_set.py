"""The seventh held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout7 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET7 = ROOT / "benchmarks" / "heldout7"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set7_test")


def test_set7_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET7, "h7", {"mirror_five", "cam_mirrored", "exif_pair", "exif_garden", "exif_astro"})


def test_set7_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET7)
    try:
        names = ["desk_14", "bread_butter", "exif_garden", "exif_pair", "mirror_five", "cam_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["desk_14"]) as img:
            assert img.size == (820, 420)
        # stored turned, shown upright: EXIF orientation 6 turns the stored 480x900 pixels to 900x480
        check_turned(paths["exif_garden"], 6, (900, 480))
        # and orientation 8 turns the stored 500x1000 pixels to 1000x500
        check_turned(paths["exif_pair"], 8, (1000, 500))
        catalogue = runner.pictures.catalogue()
        # the mirrored pictures' truth is mirrored with them: three faces left, two right; the person on the left
        truth = catalogue["mirror_five"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_five"])[0]) == (3, 2)
        check_person_side(catalogue["cam_mirrored"].truth, runner.pictures.displayed_size(paths["cam_mirrored"])[0], "left")
        # the mirrored picture is the source layout flipped: its left half is the source's right half
        source = runner.pictures._people_scene(runner.pictures._CAM_MIRROR_SIZE, [runner.pictures._CAM_MIRROR_SRC],
                                               "grass", (150, 170, 150))()
        check_flipped(paths["cam_mirrored"], source)
        assert "desk_14" not in runner.pictures._sixth.catalogue()  # the sixth set's own catalogue is unchanged
        assert "desk_14" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
