"""A new value type is one module: registering it once makes it usable by programs,
the checker, tool signatures, traces (JSON) and the result cache."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import PIL.Image
import pytest

from visprog import Registry, RegistryError, Trace, check_program, run_program, tool
from visprog.toolkit.result_cache import ResultCache
from visprog.values import Box, Detections, Mask, ValueType, is_sandbox_value, register_value_type, value_type
from visprog.values.codec import decode_value, encode_value
from visprog.values.protocol import approx_bytes, cache_token


@dataclass(frozen=True)
class Point:
    """A toy value type: a point in root-image pixels."""

    x: float
    y: float

    def secret(self) -> str:
        return "host method not exposed"

    def norm1(self) -> float:
        return abs(self.x) + abs(self.y)


POINT = register_value_type(ValueType(
    Point, "Point",
    attributes=frozenset({"x", "y"}),
    methods=frozenset({"norm1"}),
    tool_methods={"moved": "point_moved"},
    attribute_kinds={"x": "float", "y": "float"},
    encode=lambda p, nested: {"x": p.x, "y": p.y},
    decode=lambda d, nested: Point(float(d["x"]), float(d["y"])),
    token=lambda p: ["Point", p.x, p.y],
    prefix="POINT",
))


@tool
def make_point(x: float, y: float) -> Point:
    """A point.

    Args:
        x: x in pixels.
        y: y in pixels.

    Returns:
        The point.
    """
    return Point(x, y)


@tool
def point_moved(point: Point, dx: float) -> Point:
    """The point moved right.

    Args:
        point: the point.
        dx: how far, in pixels.

    Returns:
        The moved point.
    """
    return Point(point.x + dx, point.y)


REG = Registry([make_point, point_moved])


def test_programs_use_attributes_methods_and_tool_methods():
    result = run_program("p = make_point(3, -4)\nq = p.moved(2)\nresult([q.x, q.y, p.norm1()])", registry=REG)
    assert result.error is None, result.error
    assert result.result == [5.0, -4.0, 7.0]
    # The tool method is a step of its own, traced like any tool call.
    assert [s.tool for s in result.trace.steps] == ["make_point", "point_moved", "result"]
    assert result.trace.steps[1].calls[0].arguments["point"] == Point(3, -4)


def test_unlisted_members_are_refused_by_checker_and_runtime():
    diagnostics = check_program("p = make_point(1, 2)\nresult(p.secret())", REG)
    assert [d.code for d in diagnostics] == ["unknown-attribute"]
    assert "Point has no method 'secret'" in diagnostics[0].message
    from visprog import Execution, parse_program
    from visprog.toolkit.intrinsics import with_core

    direct = Execution(parse_program("p = make_point(1, 2)\nresult(p.secret())"), with_core(REG), {}).run()
    assert direct.error is not None and direct.error.kind == "SandboxViolation"


def test_checker_infers_the_new_type_through_tool_returns():
    diagnostics = check_program("p = make_point(1, 2)\nresult(p.yy)", REG)
    assert [(d.code, d.suggestion) for d in diagnostics] == [("unknown-attribute", "did you mean 'y'?")]
    listed = check_program("p = make_point(1, 2)\nresult(p.z)", REG)
    assert listed[0].suggestion == "Point has: moved, norm1, x, y"
    assert check_program("p = make_point(1, 2)\nq = p.moved(1)\nresult(q.y)", REG) == []


def test_codec_and_trace_round_trip():
    encoded = encode_value([Point(1.5, 2)])
    assert json.loads(json.dumps(encoded)) == encoded
    assert decode_value(encoded) == [Point(1.5, 2.0)]
    result = run_program("p = make_point(1, 2)\nresult(p)", registry=REG)
    again = Trace.from_json(result.trace.to_json())
    assert again.result == Point(1.0, 2.0)


def test_cache_keys_use_the_token(tmp_path):
    cache = ResultCache(tmp_path)
    a = cache.key(point_moved, {"point": Point(1, 2), "dx": 1.0})
    b = cache.key(point_moved, {"point": Point(1, 3), "dx": 1.0})
    assert a is not None and b is not None and a != b
    assert a == cache.key(point_moved, {"point": Point(1, 2), "dx": 1.0})


def test_sandbox_values_and_registration_rules():
    assert is_sandbox_value([Point(0, 0)])
    with pytest.raises(RegistryError, match="registered already"):
        register_value_type(ValueType(Point, "Point"))
    with pytest.raises(RegistryError, match="private"):
        register_value_type(ValueType(type("Other", (), {}), "Other", attributes=frozenset({"_hidden"})))


def test_the_offline_grammar_writes_the_new_type_under_its_prefix():
    from visprog.planner.grammar import ProgramGrammar, prefix_kinds

    assert prefix_kinds()["POINT"] == frozenset({"Point"})
    grammar = ProgramGrammar(REG, ["IMAGE"], "make a point at 3 and 4, then move it right by 2")
    # Nothing defined yet: only the tool that makes a Point; once POINT0 exists, the tool
    # that takes one is offered too, with POINT0 as its argument.
    assert [name for name, _ in grammar.tools_for("POINT", {})] == ["make_point"]
    defined = {"POINT0": prefix_kinds()["POINT"]}
    assert [name for name, _ in grammar.tools_for("POINT", defined)] == ["make_point", "point_moved"]
    assert grammar.variables_for(REG["point_moved"].param("point"), defined) == ["POINT0"]


# -- an array-backed type in one module: sized, counted, drawn and summarised -----------

class ToyDepth:
    """A toy depth map: ``(H, W)`` float32 metres, aligned with the input image."""

    __slots__ = ("array", "label")

    def __init__(self, array: np.ndarray, label: str = "depth") -> None:
        self.array = array
        self.label = label

    @property
    def height(self) -> int:
        return int(self.array.shape[0])


def _depth_picture(value: ToyDepth, base: object) -> PIL.Image.Image:
    scaled = value.array / max(float(value.array.max()), 1e-6) * 255
    return PIL.Image.fromarray(scaled.astype(np.uint8), mode="L")


# Registered with no nbytes: the protocol's default counts the arrays it holds.
DEPTH_MAP = register_value_type(ValueType(
    ToyDepth, "ToyDepth", attributes=frozenset({"height"}), attribute_kinds={"height": "int"},
    token=lambda v: [hashlib.sha256(v.array.tobytes()).hexdigest(), list(v.array.shape)],
    picture=_depth_picture, summary=lambda v: f"ToyDepth({v.array.shape[1]}x{v.array.shape[0]}, max {v.array.max():.1f} m)",
    pixels=lambda v: int(v.array.size), prefix="TOYDEPTH",
))


class Readings:
    """A toy read-only sequence of floats (like Detections holds boxes)."""

    def __init__(self, values: list[float]) -> None:
        self._values = list(values)

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: int) -> float:
        return self._values[index]

    def __iter__(self) -> Iterator[float]:
        return iter(self._values)


READINGS = register_value_type(ValueType(Readings, "Readings", item_kind="float", token=lambda v: list(v), prefix="READ"))


@tool
def fake_depth(width: int, height: int, scale: float = 1.0) -> ToyDepth:
    """A depth map that grows to the right.

    Args:
        width: width in pixels.
        height: height in pixels.
        scale: metres at the right edge.

    Returns:
        The map, ``(height, width)`` float32.
    """
    row = np.linspace(0, scale, width, dtype=np.float32)
    return ToyDepth(np.repeat(row[None, :], height, axis=0))


@tool
def readings(count: int) -> Readings:
    """Numbers 0.5, 1.5, ...

    Args:
        count: how many.

    Returns:
        The readings.
    """
    return Readings([i + 0.5 for i in range(count)])


@tool
def total(values: list[float]) -> float:
    """The sum.

    Args:
        values: numbers.

    Returns:
        Their sum.
    """
    return float(sum(values))


DEPTH_REG = Registry([fake_depth, readings, total])


def test_a_depth_map_counts_its_array_bytes_and_the_cache_bounds_them():
    depth = ToyDepth(np.zeros((768, 1024), dtype=np.float32))
    assert approx_bytes(depth) == 3_145_728  # was 64: the cache could hold any number of them
    assert approx_bytes([depth, depth]) > 2 * 3_145_728
    cache = ResultCache(None, memory_items=100, memory_max_bytes=13 << 20)
    for scale in range(6):
        key = cache.key(fake_depth, {"width": 1024, "height": 768, "scale": float(scale)})
        assert key is not None
        cache.put(key, fake_depth(width=1024, height=768, scale=float(scale)), fake_depth)
    assert cache.memory_bytes <= 13 << 20
    assert cache.memory_entries == 4  # the two oldest of six 3 MiB maps were let go
    from visprog_tools.vision.depth import DepthMap  # the real one: registered with no nbytes either

    real = approx_bytes(DepthMap(np.zeros((768, 1024), dtype=np.float32), Box(0, 0, 1024, 768)))
    assert 3_145_728 <= real <= 3_145_728 + 1024
    built_in = approx_bytes(Mask(np.zeros((768, 1024), dtype=bool)))
    assert built_in == 768 * 1024 + 256  # the built-ins answer through the same protocol


def test_a_depth_map_counts_against_the_pixel_budget():
    from visprog import Limits

    ok = run_program("d = fake_depth(100, 100)\nresult(d.height)", registry=DEPTH_REG, limits=Limits(max_total_pixels=10_000))
    assert ok.error is None and ok.result == 100
    over = run_program("d = fake_depth(100, 101)\nresult(d.height)", registry=DEPTH_REG, limits=Limits(max_total_pixels=10_000))
    assert over.error is not None and over.error.budget == "max_total_pixels"


def test_a_depth_map_is_summarised_and_drawn_through_the_protocol():
    from visprog.trace.render import render_value_image, summarize

    depth = fake_depth(width=40, height=30, scale=2.0)
    assert summarize(depth) == "ToyDepth(40x30, max 2.0 m)"
    assert summarize([depth]) == "[ToyDepth(40x30, max 2.0 m)]"
    picture = render_value_image(depth, None)
    assert picture is not None and picture.size == (40, 30)
    page = run_program("d = fake_depth(40, 30, 2.0)\nresult(d)", registry=DEPTH_REG).trace.to_html()
    assert "ToyDepth(40x30, max 2.0 m)" in page and 'src="data:image/jpeg' in page


def test_a_sequence_type_indexes_iterates_and_counts_its_items():
    from visprog import Limits

    program = "r = readings(3)\nfirst = r[0]\nresult(total([x for x in r]) + first)"
    assert check_program(program, DEPTH_REG) == []
    ran = run_program(program, registry=DEPTH_REG)
    assert ran.error is None and ran.result == 5.0
    # The checker knows an item is a float: a string method on it is refused.
    assert [d.code for d in check_program("r = readings(3)\nresult(r[0].upper())", DEPTH_REG)] == ["unknown-attribute"]
    # Its length counts against the per-call item budget like a list's.
    over = run_program("r = readings(5)\nresult(total_any(r))", registry=Registry([readings, total_any]), limits=Limits(max_items_per_call=4))
    assert over.error is not None and over.error.budget == "max_items_per_call"


@tool
def total_any(values: Any) -> float:
    """The sum of any numbers.

    Args:
        values: numbers.

    Returns:
        Their sum.
    """
    return float(sum(values))


def test_cache_tokens_of_built_ins_come_from_their_registration():
    box = Box(1, 2, 3, 4, label="x", score=0.5)
    assert cache_token(box) == ["Box", value_type(Box).token(box)]  # type: ignore[union-attr]
    assert cache_token(box) != cache_token(Box(1, 2, 3, 4, label="x", score=0.25))
    assert cache_token(Detections([box])) == ["Detections", [cache_token(box)]]
