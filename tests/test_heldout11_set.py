"""The eleventh held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout11 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET11 = ROOT / "benchmarks" / "heldout11"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set11_test")


def test_set11_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET11, "h11", {"mirror_five", "cam_mirrored", "exif_two", "exif_hotel", "exif_astro"})


def test_set11_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET11)
    try:
        names = ["gate_sign", "veg4", "exif_hotel", "exif_two", "mirror_five", "cam_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["gate_sign"]) as img:
            assert img.size == (960, 500)
        # stored turned, shown upright: EXIF orientation 6 turns the stored 520x980 pixels to 980x520
        check_turned(paths["exif_hotel"], 6, (980, 520))
        # and orientation 8 turns the stored 560x1180 pixels to 1180x560
        check_turned(paths["exif_two"], 8, (1180, 560))
        catalogue = runner.pictures.catalogue()
        # the EXIF picture's truth is in the displayed orientation: both faces on the right
        two = catalogue["exif_two"].truth
        assert two.halves(runner.pictures.displayed_size(paths["exif_two"])[0]) == (0, 2)
        # the mirrored pictures' truth is mirrored with them: three faces left, two right; the cameraman on the right
        truth = catalogue["mirror_five"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_five"])[0]) == (3, 2)
        check_person_side(catalogue["cam_mirrored"].truth, runner.pictures.displayed_size(paths["cam_mirrored"])[0], "right")
        # the mirrored picture is the source layout flipped: its right half is the source's left half
        source = runner.pictures._people_scene(runner.pictures._CAM_MIRROR_SIZE, [runner.pictures._CAM_MIRROR_SRC],
                                               "grass", (145, 165, 150))()
        check_flipped(paths["cam_mirrored"], source)
        # the earlier sets' own catalogues are unchanged
        assert "gate_sign" not in runner.pictures._tenth.catalogue()
        assert "gate_sign" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
