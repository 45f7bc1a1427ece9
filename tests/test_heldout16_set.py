"""The sixteenth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout16 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET16 = ROOT / "benchmarks" / "heldout16"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set16_test")


def test_set16_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET16, "h16",
                    {"mirror_four", "astro_mirrored", "exif_three", "exif_dental", "exif_astro"})


def test_set16_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET16)
    try:
        names = ["zoo_gate", "flowers4", "receipt_hostel", "exif_dental", "exif_three", "exif_astro",
                 "mirror_four", "astro_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["zoo_gate"]) as img:
            assert img.size == (960, 500)
        with Image.open(paths["flowers4"]) as img:
            assert img.size == (1600, 420)
        with Image.open(paths["receipt_hostel"]) as img:
            assert img.size == (640, 720)
        # stored turned, shown upright: EXIF orientation 8 turns the stored 520x1000 pixels to 1000x520
        check_turned(paths["exif_dental"], 8, (1000, 520))
        # and orientation 6 turns the stored 560x1200 pixels to 1200x560
        check_turned(paths["exif_three"], 6, (1200, 560))
        check_turned(paths["exif_astro"], 6, (1240, 620))
        catalogue = runner.pictures.catalogue()
        # the EXIF pictures' truth is in the displayed orientation: one face left, two right; the astronaut right
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (1, 2)
        check_person_side(catalogue["exif_astro"].truth, 1240, "right")
        # the mirrored pictures' truth is mirrored with them: three faces left, one right; the astronaut on the left
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (3, 1)
        check_person_side(catalogue["astro_mirrored"].truth, runner.pictures.displayed_size(paths["astro_mirrored"])[0], "left")
        # the mirrored picture is the source layout flipped: its left half is the source's right half
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE,
                                               [runner.pictures._ASTRO_MIRROR_SRC], "gravel", (150, 155, 160))()
        check_flipped(paths["astro_mirrored"], source)
        # faces keep away from the middle line, so halves do not hinge on a few pixels
        for name in ("row_four", "left_two", "three_one", "heads_pair", "tall_2_2", "mirror_four", "exif_three"):
            pic = catalogue[name]
            w = pic.build().size[0] if name != "exif_three" else 1200
            for box in pic.truth.face_boxes:
                assert abs((box[0] + box[2]) / 2 - w / 2) > 60
        # the earlier sets' own catalogues are unchanged
        assert "zoo_gate" not in runner.pictures._eleventh.catalogue()
        assert "zoo_gate" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
