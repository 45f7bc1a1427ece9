"""The fourteenth held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones
among them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools
cannot answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout14 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageOps

from tests.heldout_checks import ROOT, check_set_loads, load_runner

SET14 = ROOT / "benchmarks" / "heldout14"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    return load_runner("heldout_requests_set14_test")


def test_set14_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    check_set_loads(runner, SET14, "h14", {"mirror_four", "astro_mirrored", "exif_three", "exif_radiology",
                                           "exif_cam"})


def test_set14_builds_its_own_pictures_with_the_earlier_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET14)
    try:
        names = ["depot_sign", "snacks3", "exif_radiology", "exif_three", "exif_cam", "mirror_four",
                 "astro_mirrored"]
        paths = runner.pictures.build_all(tmp_path, names=names)
        assert set(paths) == set(names)
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["depot_sign"]) as img:
            assert img.size == (960, 500)
        with Image.open(paths["snacks3"]) as img:
            assert img.size == (1240, 420)
        # stored turned, shown upright: EXIF orientation 8 turns the stored 540x1000 pixels to 1000x540
        with Image.open(paths["exif_radiology"]) as img:
            assert img.size == (540, 1000)
            assert img.getexif().get(0x0112) == 8
            assert ImageOps.exif_transpose(img).size == (1000, 540)
        # and orientation 6 turns the stored 580x1220 pixels to 1220x580
        with Image.open(paths["exif_three"]) as img:
            assert img.size == (580, 1220)
            assert img.getexif().get(0x0112) == 6
            assert ImageOps.exif_transpose(img).size == (1220, 580)
        with Image.open(paths["exif_cam"]) as img:
            assert img.getexif().get(0x0112) == 6
            assert ImageOps.exif_transpose(img).size == (1260, 640)
        catalogue = runner.pictures.catalogue()
        # the EXIF pictures' truth is in the displayed orientation: one face left, two right; the man on the right
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (1, 2)
        cam = catalogue["exif_cam"].truth
        assert cam.person_side == "right" and cam.person_box is not None
        assert (cam.person_box[0] + cam.person_box[2]) / 2 > 1260 / 2
        # the mirrored pictures' truth is mirrored with them: three faces left, one right; the astronaut on the right
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (3, 1)
        person = catalogue["astro_mirrored"].truth
        assert person.person_side == "right" and person.person_box is not None
        width = runner.pictures.displayed_size(paths["astro_mirrored"])[0]
        assert (person.person_box[0] + person.person_box[2]) / 2 > width / 2
        # the mirrored picture is the source layout flipped
        with Image.open(paths["astro_mirrored"]) as img:
            shown = img.convert("RGB")
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE,
                                               [runner.pictures._ASTRO_MIRROR_SRC], "brick", (170, 150, 140))()
        assert shown.tobytes() == source.transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()
        with Image.open(paths["mirror_four"]) as img:
            shown = img.convert("RGB")
        assert shown.tobytes() == runner.pictures._mirror_faces().transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()
        # the earlier sets' own catalogues are unchanged
        assert "depot_sign" not in runner.pictures._eleventh.catalogue()
        assert "depot_sign" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
