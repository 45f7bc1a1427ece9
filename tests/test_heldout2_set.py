"""The second held-out set loads through ``--set`` and its new scoring rules decide as documented.

No tool runs here: ``benchmarks/heldout_requests.py --set benchmarks/heldout2 --verify``
checks the ground truth with the real tools (it is a benchmark, not a test).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
SET2 = ROOT / "benchmarks" / "heldout2"


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("heldout_requests_set2_test", ROOT / "benchmarks" / "heldout_requests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_set2_loads_with_its_own_pictures(runner: ModuleType) -> None:
    first = runner.pictures
    assert runner.reported_apart() == ("people",)
    requests = runner.use_set(SET2)
    try:
        items = runner.load_items(requests)
        assert len(items) >= 80
        assert runner.pictures is not first and "grid6" in runner.pictures.catalogue()
        assert runner.reported_apart() == ()
        groups = {item["group"] for item in items}
        assert {"count", "halves", "pair", "text", "word", "price", "edit", "people", "refuse", "blank", "foreign"} <= groups
        assert all(item["expect"].get("mentions_any") == ["english"] for item in items if item["group"] == "foreign")
    finally:
        runner.use_set(runner.DEFAULT_SET)
    assert runner.reported_apart() == ("people",)


def test_refusal_rules(runner: ModuleType) -> None:
    item = {"images": ["x"], "expect": {"refuse": True, "mentions_any": ["english"], "one_line": True}}
    assert runner.score(item, False, None, "PlanningError: the offline planner reads English only", {})[0]
    assert not runner.score(item, False, None, "PlanningError: cannot plan this", {})[0]
    assert not runner.score(item, False, None, "PlanningError: English only\nsee the docs", {})[0]
    assert not runner.score(item, True, "3", "", {})[0]
    # without the new keys a refusal is judged as before
    plain = {"images": ["x"], "expect": {"refuse": True}}
    assert runner.score(plain, False, None, "PlanningError: cannot plan this\nmore", {})[0]


def _face_picture() -> tuple[Image.Image, tuple[int, int, int, int]]:
    rng = np.random.default_rng(0)
    arr = np.full((120, 200, 3), 128, dtype=np.uint8)
    arr[30:90, 60:120] = rng.integers(0, 255, size=(60, 60, 3), dtype=np.uint8)  # a detailed "face"
    return Image.fromarray(arr), (60, 30, 120, 90)


def test_obscure_faces_check(runner: ModuleType) -> None:
    inp, face = _face_picture()
    check = runner.EDIT_CHECKS["obscure_faces"]
    blurred = inp.copy()
    blurred.paste(inp.crop(face).filter(ImageFilter.GaussianBlur(6)), face[:2])
    pixelated = inp.copy()
    pixelated.paste(inp.crop(face).resize((6, 6)).resize((60, 60), Image.Resampling.NEAREST), face[:2])
    assert check(inp, blurred, [face], None) is None
    assert check(inp, pixelated, [face], None) is None
    assert check(inp, inp.copy(), [face], None) is not None
    spoiled = pixelated.copy()
    spoiled.paste((0, 0, 0), (0, 0, 40, 40))  # also changed the picture far from the face
    assert "outside" in check(inp, spoiled, [face], None)


def test_crop_person_check(runner: ModuleType) -> None:
    inp, _ = _face_picture()
    person = (50, 20, 130, 100)
    check = runner.EDIT_CHECKS["crop_person"]
    assert check(inp, inp.crop(person), [], person, person[:2]) is None
    assert check(inp, inp.crop((50, 20, 90, 60)), [], person, (50, 20)) is not None  # misses most of the person
    assert check(inp, inp.copy(), [], person, (0, 0)) is not None  # the whole picture
