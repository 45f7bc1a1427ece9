"""The eleventh held-out set loads through ``--set``, builds its pictures (mirrored and EXIF-rotated ones among
them) with the earlier sets' helpers, and is about a third near misses (requests the offline tools cannot
answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout11 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageOps

from visprog import check_program

ROOT = Path(__file__).resolve().parents[1]
SET11 = ROOT / "benchmarks" / "heldout11"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("heldout_requests_set11_test", ROOT / "benchmarks" / "heldout_requests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_set11_loads_and_is_about_a_third_near_misses(runner: ModuleType) -> None:
    requests = runner.use_set(SET11)
    try:
        items = runner.load_items(requests)
        assert 70 <= len(items) <= 90
        assert [item["id"] for item in items] == [f"h11-{n:03d}" for n in range(1, len(items) + 1)]
        assert len({item["request"] for item in items}) == len(items)
        near = [item for item in items if "refuse" in item["expect"]]
        assert len(items) / 4 <= len(near) <= len(items) / 2
        assert all(item["expect"] == {"refuse": True} and "reference" not in item for item in near)
        # near misses sit among the answerable requests of every group, not in a group of their own
        groups = {item["group"] for item in items}
        assert groups == {"count", "sides", "text", "prices", "people", "edits", "pairs"}
        assert {item["group"] for item in near} == groups
        answerable = [item for item in items if "refuse" not in item["expect"]]
        assert all("reference" in item for item in answerable)
        # every reference passes the checker (its truth is checked with the real tools by --verify)
        bad = {item["id"]: [d.message for d in check_program(item["reference"]) if d.severity == "error"]
               for item in answerable}
        assert {k: v for k, v in bad.items() if v} == {}
        assert sum(len(item["images"]) == 2 for item in items) >= 5
        assert sum("edit" in item["expect"] for item in items) >= 5
        # the mirrored and EXIF-rotated pictures are asked about
        asked = {name for item in items for name in item["images"]}
        assert {"mirror_five", "cam_mirrored", "exif_two", "exif_hotel", "exif_astro"} <= asked
        # every picture of the set is asked about
        assert asked == set(runner.pictures.catalogue())
        assert runner.reported_apart() == ()
        # a confident answer to a near miss is wrong; a refusal naming a model is right
        item = near[0]
        assert not runner.score(item, True, "yes", "", {})[0]
        assert not runner.score(item, True, 3, "", {})[0]
        assert runner.score(item, False, None, "PlanningError: needs the model Salesforce/blip-vqa-base", {})[0]
    finally:
        runner.use_set(runner.DEFAULT_SET)


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
        with Image.open(paths["exif_hotel"]) as img:
            assert img.size == (520, 980)
            assert img.getexif().get(0x0112) == 6
            assert ImageOps.exif_transpose(img).size == (980, 520)
        # and orientation 8 turns the stored 560x1180 pixels to 1180x560
        with Image.open(paths["exif_two"]) as img:
            assert img.size == (560, 1180)
            assert img.getexif().get(0x0112) == 8
            assert ImageOps.exif_transpose(img).size == (1180, 560)
        catalogue = runner.pictures.catalogue()
        # the EXIF picture's truth is in the displayed orientation: both faces on the right
        two = catalogue["exif_two"].truth
        assert two.halves(runner.pictures.displayed_size(paths["exif_two"])[0]) == (0, 2)
        # the mirrored pictures' truth is mirrored with them: three faces left, two right; the cameraman on the right
        truth = catalogue["mirror_five"].truth
        assert truth.halves(runner.pictures.displayed_size(paths["mirror_five"])[0]) == (3, 2)
        person = catalogue["cam_mirrored"].truth
        assert person.person_side == "right" and person.person_box is not None
        width = runner.pictures.displayed_size(paths["cam_mirrored"])[0]
        assert (person.person_box[0] + person.person_box[2]) / 2 > width / 2
        # the mirrored picture is the source layout flipped: its right half is the source's left half
        with Image.open(paths["cam_mirrored"]) as img:
            shown = img.convert("RGB")
        source = runner.pictures._people_scene(runner.pictures._CAM_MIRROR_SIZE, [runner.pictures._CAM_MIRROR_SRC],
                                               "grass", (145, 165, 150))()
        assert shown.tobytes() == source.transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()
        # the earlier sets' own catalogues are unchanged
        assert "gate_sign" not in runner.pictures._tenth.catalogue()
        assert "gate_sign" not in runner.pictures._second.catalogue()
    finally:
        runner.use_set(runner.DEFAULT_SET)
