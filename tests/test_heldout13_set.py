"""The thirteenth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout13 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.heldout_checks import ROOT, check_flipped, check_person_side, check_set_loads, check_turned, load_runner

SET13 = ROOT / "benchmarks" / "heldout13"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set13_test")


def test_set13_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET13, "h13", {"mirror_three", "astro_mirrored", "exif_four", "exif_returns", "exif_cam"})


def test_set13_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET13)
    try:
        names = ["platform_sign", "bakery4", "exif_returns", "exif_four", "exif_cam", "mirror_three",
                 "astro_mirrored", "tall_top3"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["platform_sign"]) as img:
            assert img.size == (980, 520)
        with Image.open(paths["bakery4"]) as img:
            assert img.size == (1560, 420)
        # stored turned, shown upright: EXIF orientation 8 turns the stored 520x1000 pixels to 1000x520
        check_turned(paths["exif_returns"], 8, (1000, 520))
        # and orientation 6 turns the stored 560x1260 pixels to 1260x560
        check_turned(paths["exif_four"], 6, (1260, 560))
        check_turned(paths["exif_cam"], 8, (1200, 620))
        catalogue = runner.pictures.catalogue()
        size = runner.pictures.displayed_size
        # the EXIF pictures' truth is in the displayed orientation: one face left, three right; the man on the left
        assert catalogue["exif_four"].truth.halves(size(paths["exif_four"])[0]) == (1, 3)
        check_person_side(catalogue["exif_cam"].truth, size(paths["exif_cam"])[0], "left")
        # the tall picture's three faces are all in its top half
        assert catalogue["tall_top3"].truth.vhalves(size(paths["tall_top3"])[1]) == (3, 0)
        # the mirrored pictures' truth is mirrored with them: three faces left, none right; the astronaut on the right
        truth = catalogue["mirror_three"].truth
        assert truth.halves(size(paths["mirror_three"])[0]) == (3, 0)
        person = catalogue["astro_mirrored"].truth
        width = size(paths["astro_mirrored"])[0]
        check_person_side(person, width, "right")
        assert all((b[0] + b[2]) / 2 > width / 2 for b in person.face_boxes)
        # the mirrored pictures are the source layouts flipped
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE, [runner.pictures._ASTRO_MIRROR_SRC],
                                               "brick", (160, 150, 160))()
        check_flipped(paths["astro_mirrored"], source)
        check_flipped(paths["mirror_three"], runner.pictures._mirror_faces())
        # the earlier sets' own catalogues are unchanged
        assert "platform_sign" not in runner.pictures._eleventh.catalogue()
        assert "platform_sign" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
