"""The third held-out set loads through ``--set``, builds its pictures with the second set's helpers, and is
a third near misses (requests the offline tools cannot answer, scored right only as refusals).

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout3 --verify`` checks the ground
truth and the reference programs with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SET3 = ROOT / "benchmarks" / "heldout3"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("heldout_requests_set3_test", ROOT / "benchmarks" / "heldout_requests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_set3_loads_and_is_a_third_near_misses(runner: ModuleType) -> None:
    requests = runner.use_set(SET3)
    try:
        items = runner.load_items(requests)
        assert len(items) >= 90
        assert [item["id"] for item in items] == [f"h3-{n:03d}" for n in range(1, len(items) + 1)]
        near = [item for item in items if "refuse" in item["expect"]]
        assert len(items) / 4 <= len(near) <= len(items) / 2
        assert all("reference" not in item for item in near)
        assert all("reference" in item for item in items if "refuse" not in item["expect"])
        assert runner.reported_apart() == ()
        # a confident answer to a near miss is wrong; a refusal naming a model is right
        item = near[0]
        assert not runner.score(item, True, "yes", "", {})[0]
        assert not runner.score(item, True, 3, "", {})[0]
        assert runner.score(item, False, None, "PlanningError: needs the model google/owlv2-base-patch16-ensemble", {})[0]
    finally:
        runner.use_set(runner.DEFAULT_SET)


def test_set3_builds_its_own_pictures_with_the_second_sets_helpers(runner: ModuleType, tmp_path: Path) -> None:
    runner.use_set(SET3)
    try:
        paths = runner.pictures.build_all(tmp_path, names=["push", "tag_apples"])
        assert set(paths) == {"push", "tag_apples"}
        assert all(path.parent == tmp_path for path in paths.values())
        with Image.open(paths["push"]) as img:
            assert img.size == (640, 420)
        assert "push" not in runner.pictures._second.catalogue()  # the second set's own catalogue is unchanged
    finally:
        runner.use_set(runner.DEFAULT_SET)
