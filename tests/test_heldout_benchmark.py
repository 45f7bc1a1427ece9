"""The held-out benchmark's pictures generate and its requests parse (no asks, no models)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_pictures_generate_and_requests_parse(tmp_path: Path) -> None:
    runner = _load("heldout_requests_runner", ROOT / "benchmarks" / "heldout_requests.py")
    items = runner.load_items()
    assert len(items) >= 70
    used = {name for item in items for name in item["images"]}
    assert used <= set(runner.pictures.catalogue())
    # a few pictures of each kind (all of them take too long for the suite)
    paths = runner.pictures.build_all(tmp_path, names=["exif_rotated", "tag_price", "two_people"])
    assert set(paths) == {"exif_rotated", "tag_price", "two_people"}
    for name, path in paths.items():
        truth = runner.pictures.catalogue()[name].truth
        with Image.open(path) as im:
            width, height = ImageOps.exif_transpose(im).size
        for x1, y1, x2, y2 in truth.face_boxes:  # every face box lies inside its picture
            assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, (name, truth.face_boxes)
    # the EXIF picture is stored turned: its raw size differs from the displayed one
    with Image.open(paths["exif_rotated"]) as im:
        assert im.size[::-1] == ImageOps.exif_transpose(im).size
    # scoring normalises answers as documented
    assert runner.normalise("Two.") == "2" and runner.normalise(True) == "yes" and runner.normalise("$4.99") == "4.99"
    assert runner.normalise(["The", "LEFT side"]) == "left"
