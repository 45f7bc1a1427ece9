"""A new value type is one module: registering it once makes it usable by programs,
the checker, tool signatures, traces (JSON) and the result cache."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from visprog import Registry, RegistryError, Trace, check_program, run_program, tool
from visprog.models.cache import ResultCache
from visprog.values import ValueType, is_sandbox_value, register_value_type
from visprog.values.codec import decode_value, encode_value


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
