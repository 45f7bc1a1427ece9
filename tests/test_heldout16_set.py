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
from PIL import Image, ImageOps

from tests.heldout_checks import ROOT, check_set_loads, load_runner

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
        with Image.open(paths["exif_dental"]) as img:
            assert img.size == (520, 1000)
            assert img.getexif().get(0x0112) == 8
            assert ImageOps.exif_transpose(img).size == (1000, 520)
        # and orientation 6 turns the stored 560x1200 pixels to 1200x560
        with Image.open(paths["exif_three"]) as img:
            assert img.size == (560, 1200)
            assert img.getexif().get(0x0112) == 6
            assert ImageOps.exif_transpose(img).size == (1200, 560)
        with Image.open(paths["exif_astro"]) as img:
            assert img.getexif().get(0x0112) == 6
            assert ImageOps.exif_transpose(img).size == (1240, 620)
        catalogue = runner.pictures.catalogue()
        # the EXIF pictures' truth is in the displayed orientation: one face left, two right; the astronaut right
        three = catalogue["exif_three"].truth
        assert three.halves(runner.pictures.displayed_size(paths["exif_three"])[0]) == (1, 2)
        astro = catalogue["exif_astro"].truth
        assert astro.person_side == "right" and astro.person_box is not None
        assert (astro.person_box[0] + astro.person_box[2]) / 2 > 1240 / 2
        # the mirrored pictures' truth is mirrored with them: three faces left, one right; the astronaut on the left
        truth = catalogue["mirror_four"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_four"])[0]) == (3, 1)
        person = catalogue["astro_mirrored"].truth
        assert person.person_side == "left" and person.person_box is not None
        width = runner.pictures.displayed_size(paths["astro_mirrored"])[0]
        assert (person.person_box[0] + person.person_box[2]) / 2 < width / 2
        # the mirrored picture is the source layout flipped: its left half is the source's right half
        with Image.open(paths["astro_mirrored"]) as img:
            shown = img.convert("RGB")
        source = runner.pictures._people_scene(runner.pictures._ASTRO_MIRROR_SIZE,
                                               [runner.pictures._ASTRO_MIRROR_SRC], "gravel", (150, 155, 160))()
        assert shown.tobytes() == source.transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()
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
