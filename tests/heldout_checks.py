"""What every held-out request set's test checks about the set itself (shared by
``tests/test_heldout7_set.py`` ... ``tests/test_heldout19_set.py``; each of those checks
its own pictures): it loads through ``--set``, its ids run in order, about a third of it
is near misses spread over every group, every reference passes the checker, and every
picture is asked about. No tool runs here (``--verify`` runs the real tools). Their own
pictures share three checks too: ``check_turned`` (an EXIF-rotated picture is stored turned
and shown upright), ``check_flipped`` (a mirrored picture is its source flipped left-right)
and ``check_person_side`` (the truth's person stands on the named side).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from PIL import Image, ImageOps

from visprog import check_program

ROOT = Path(__file__).resolve().parents[1]


def load_runner(name: str) -> ModuleType:
    """``benchmarks/heldout_requests.py`` loaded as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "heldout_requests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def check_set_loads(runner: ModuleType, folder: Path, prefix: str, turned: set[str]) -> None:
    """The set in ``folder`` (ids ``{prefix}-001`` ...) loads, is about a third near
    misses, and asks about its mirrored and EXIF-rotated pictures ``turned``."""
    requests = runner.use_set(folder)
    try:
        items = runner.load_items(requests)
        assert 70 <= len(items) <= 90
        assert [item["id"] for item in items] == [f"{prefix}-{n:03d}" for n in range(1, len(items) + 1)]
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
        # the mirrored and EXIF-rotated pictures are asked about, and so is every picture of the set
        asked = {name for item in items for name in item["images"]}
        assert turned <= asked
        assert asked == set(runner.pictures.catalogue())
        assert runner.reported_apart() == ()
        # a confident answer to a near miss is wrong; a refusal naming a model is right
        item = near[0]
        assert not runner.score(item, True, "yes", "", {})[0]
        assert not runner.score(item, True, 2, "", {})[0]
        assert runner.score(item, False, None, "PlanningError: needs the model Salesforce/blip-vqa-base", {})[0]
    finally:
        runner.use_set(runner.DEFAULT_SET)


def check_turned(path: Path, orientation: int, shown: tuple[int, int]) -> None:
    """The JPEG at ``path`` has EXIF ``orientation`` and shows at ``shown``, stored turned (6, 8: a quarter turn)."""
    stored = shown[::-1] if orientation in (5, 6, 7, 8) else shown
    with Image.open(path) as img:
        assert img.size == stored
        assert img.getexif().get(0x0112) == orientation
        assert ImageOps.exif_transpose(img).size == shown


def check_flipped(path: Path, source: Image.Image) -> None:
    """The picture at ``path`` is ``source`` mirrored left-right, pixel for pixel."""
    with Image.open(path) as img:
        shown = img.convert("RGB")
    assert shown.tobytes() == source.transpose(Image.Transpose.FLIP_LEFT_RIGHT).tobytes()


def check_person_side(truth: Any, width: int, side: str) -> None:
    """The person of ``truth`` stands on ``side`` ("left" or "right") of a picture ``width`` wide."""
    assert side in ("left", "right")
    assert truth.person_side == side and truth.person_box is not None
    centre = (truth.person_box[0] + truth.person_box[2]) / 2
    assert centre < width / 2 if side == "left" else centre > width / 2
