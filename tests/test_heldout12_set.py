"""The twelfth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout12 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET12 = ROOT / "benchmarks" / "heldout12"
TURNED = {"mirror_six", "astro_mirrored", "exif_four", "exif_bakery", "exif_cam"}


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set12_test")


def test_set12_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET12, "h12", TURNED)


def test_set12_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET12)
    try:
        names = ["bus_stop", "dairy4", "exif_bakery", "exif_four", "exif_cam", "mirror_six", "astro_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["bus_stop"]) as img:
            assert img.size == (900, 500)
        with Image.open(paths["dairy4"]) as img:
            assert img.size == (1520, 420)
        # stored turned, shown upright: EXIF orientation 8 turns the stored 520x1000 pixels to 1000x520
        check_turned(paths["exif_bakery"], 8, (1000, 520))
        # and orientation 6 turns the stored 560x1240 and 640x1200 pixels to 1240x560 and 1200x640
        check_turned(paths["exif_four"], 6, (1240, 560))
        check_turned(paths["exif_cam"], 6, (1200, 640))
        catalogue = runner.pictures.catalogue()
        # the EXIF pictures' truth is in the displayed orientation: three faces left, one right; the cameraman left
        four = catalogue["exif_four"].truth
        assert four.halves(runner.pictures.displayed_size(paths["exif_four"])[0]) == (3, 1)
        assert four.vhalves(runner.pictures.displayed_size(paths["exif_four"])[1]) == (3, 1)
        check_person_side(catalogue["exif_cam"].truth, runner.pictures.displayed_size(paths["exif_cam"])[0], "left")
        # the mirrored pictures' truth is mirrored with them: two faces left, four right; the astronaut on the right
        truth = catalogue["mirror_six"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_six"])[0]) == (2, 4)
        person = catalogue["astro_mirrored"].truth
        width = runner.pictures.displayed_size(paths["astro_mirrored"])[0]
        check_person_side(person, width, "right")
        assert (person.face_boxes[0][0] + person.face_boxes[0][2]) / 2 > width / 2
        # the mirrored pictures are their source layouts flipped
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE, [runner.pictures._ASTRO_MIRROR_SRC],
                                               "brick", (160, 150, 150))()
        check_flipped(paths["astro_mirrored"], source)
        check_flipped(paths["mirror_six"], runner.pictures._mirror_faces())
        # the earlier sets' own catalogues are unchanged
        assert "bus_stop" not in runner.pictures._eleventh.catalogue()
        assert "bus_stop" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
