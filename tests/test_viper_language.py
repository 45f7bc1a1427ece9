"""The language features ViperGPT programs need (issue 11): ``key=`` lambdas of sorted,
min, max and list.sort (and nowhere else), ``sort(key=, reverse=)``, sets, ``str.format``
with plain fields, and ``*`` unpacking in calls. Attacks through them are in
tests/test_security.py; here: what runs, what it gives, and the one-line refusals."""

from __future__ import annotations

import pytest

from tests.helpers import make_registry
from visprog import Execution, Limits, check_program, parse_program, run_program
from visprog.toolkit.intrinsics import with_core

REG = with_core(make_registry())


def value(source: str, limits: Limits | None = None) -> object:
    """``result(...)`` of a program that must check clean and run."""
    assert [str(d) for d in check_program(source, REG)] == []
    result = run_program(source, registry=REG, limits=limits)
    assert result.error is None, result.error
    return result.result


def refused(source: str) -> tuple[str, str]:
    """(kind, message) of the runtime's refusal, the checker bypassed."""
    result = Execution(parse_program(source), REG, {}).run()
    assert result.error is not None, f"ran to {result.result!r}"
    assert result.error.line is not None and "\n" not in result.error.message
    return result.error.kind, result.error.message


def codes(source: str) -> list[str]:
    return [d.code for d in check_program(source, REG)]


# -- key= lambdas ------------------------------------------------------------------

def test_key_lambdas_of_sorted_min_max_and_sort() -> None:
    source = (
        "words = ['pear', 'fig', 'banana']\n"
        "a = sorted(words, key=lambda w: len(w))\n"
        "b = sorted(words, key=lambda w: len(w), reverse=True)\n"
        "c = min(words, key=lambda w: w[-1])\n"
        "d = max(words, key=lambda w: len(w))\n"
        "e = max([], key=lambda w: w, default='none')\n"
        "words.sort(key=lambda w: w[1], reverse=True)\n"
        "result([a, b, c, d, e, words])"
    )
    assert value(source) == [
        ["fig", "pear", "banana"], ["banana", "pear", "fig"], "banana", "banana", "none", ["fig", "pear", "banana"]]


def test_key_lambdas_read_the_enclosing_scopes_when_called() -> None:
    source = (
        "def execute_command(image):\n"
        "    target = 10\n"
        "    xs = [3, 12, 9, 20]\n"
        "    nearest = min(xs, key=lambda x: abs(x - target))\n"
        "    per_row = [sorted(row, key=lambda v: abs(v - pivot)) for pivot, row in [(0, [5, -1, 2]), (4, [1, 5, 9])]]\n"
        "    x = 'outer'\n"
        "    ys = sorted([2, 1], key=lambda x: -x)\n"
        "    nested = sorted([[3, 1], [2]], key=lambda r: sorted(r, key=lambda v: -v)[0])\n"
        "    return [nearest, per_row, x, ys, nested]\n"
    )
    result = run_program(source, registry=REG, inputs={"image": 0})
    assert result.error is None, result.error
    assert result.result == [9, [[-1, 2, 5], [5, 1, 9]], "outer", [2, 1], [[2], [3, 1]]]


def test_key_lambdas_may_call_tools_and_each_call_is_traced() -> None:
    result = run_program("xs = sorted([3, 1, 2], key=lambda v: noop(x=-v))\nresult(xs)", registry=REG)
    assert result.error is None and result.result == [3, 2, 1]
    assert [c.name for c in result.trace.steps[0].calls] == ["noop"] * 3


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("f = lambda x: x\nresult(1)", "only allowed as the key= of"),
        ("x = noop(x=lambda v: v)\nresult(x)", "only allowed as the key= of"),
        ("x = sorted([1], key=lambda a, b: a)\nresult(x)", "exactly one plain parameter"),
        ("x = sorted([1], key=lambda a=1: a)\nresult(x)", "exactly one plain parameter"),
        ("x = sorted([1], key=len)\nresult(x)", "key= takes a lambda"),
        ("x = sorted([1], key=lambda _a: 1)\nresult(x)", "starts with '_'"),
    ],
)
def test_lambdas_elsewhere_are_refused_by_checker_and_runtime(source: str, message: str) -> None:
    diagnostics = check_program(source, REG)
    assert diagnostics and any(message in d.message for d in diagnostics), diagnostics
    kind, text = refused(source)
    assert kind == "SandboxViolation" and message in text


def test_a_lambda_parameter_may_not_name_a_tool() -> None:
    source = "x = sorted([1], key=lambda noop: noop)\nresult(x)"
    assert codes(source) == ["shadowed-name"]
    assert refused(source) == ("SandboxViolation", "lambda parameter 'noop' names a tool or built-in")


def test_list_sort_takes_keywords_only_and_sorting_a_non_list_fails_cleanly() -> None:
    assert refused("xs = [2, 1]\nxs.sort(1)\nresult(xs)") == ("SandboxViolation", "list.sort only takes key= and reverse=")
    kind, message = refused("xs = [[1], 'a']\nys = sorted(xs, key=lambda v: v)\nresult(ys)")
    assert kind == "ProgramRuntimeError" and "not supported" in message


# -- sets ---------------------------------------------------------------------------

def test_sets_literals_builtin_methods_and_operators() -> None:
    source = (
        "a = {1, 2, (3, 4)}\n"
        "b = set([2, 5])\n"
        "c = set()\n"
        "c.add('x')\n"
        "c.update(['y', 'x'])\n"
        "d = a | b\n"
        "e = a & b\n"
        "f = a - b\n"
        "g = a ^ b\n"
        "h = [2 in a, 9 in a, (3, 4) in a, b.issubset({2, 5, 7}), a.isdisjoint({8})]\n"
        "result([sorted(c), len(d), e, sorted(f, key=lambda v: str(v)), len(g), h, sorted(b.union([9]))])"
    )
    assert value(source) == [["x", "y"], 4, {2}, [(3, 4), 1], 3, [True, False, True, True, True], [2, 5, 9]]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("s = {[1]}\nresult(1)", "set items must be plain values, not list"),
        ("s = set([[1]])\nresult(1)", "set items must be plain values, not list"),
        ("s = set()\ns.add({1: 2})\nresult(1)", "set items must be plain values, not dict"),
        ("s = set(5)\nresult(1)", "set() takes a list, tuple, set, range or string, not int"),
        ("s = set([1], [2])\nresult(1)", "set() takes at most one argument"),
    ],
)
def test_sets_hold_plain_values_only(source: str, message: str) -> None:
    kind, text = refused(source)
    assert kind == "ProgramRuntimeError" and message in text


def test_checker_knows_sets() -> None:
    assert codes("s = {1}\nt = s.union({2})\nresult(t.issubset({1, 2, 3}))") == []
    found = check_program("s = set()\ns.ad(1)\nresult(s)", REG)
    assert [(d.code, d.suggestion) for d in found] == [("unknown-attribute", "did you mean 'add'?")]
    assert codes("x = {i for i in [1]}\nresult(x)") == ["forbidden-syntax"]


# -- str.format -----------------------------------------------------------------------

def test_format_with_plain_fields() -> None:
    source = (
        "a = '{} and {}'.format('tea', 'milk')\n"
        "b = '{1}/{0}/{1}'.format('x', 'y')\n"
        "c = 'There are {n} {what}'.format(n=3, what='cups')\n"
        "d = '{:.2f}|{:>5}|{name:^7}|{{literal}}'.format(3.14159, 'ab', name='mid')\n"
        "t = '{} is {}'\n"
        "e = t.format('sky', 'blue')\n"
        "result([a, b, c, d, e])"
    )
    assert value(source) == ["tea and milk", "y/x/y", "There are 3 cups", "3.14|   ab|  mid  |{literal}", "sky is blue"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = '{} {0}'.format(1)\nresult(x)", "cannot mix automatic {} and numbered {0} fields"),
        ("x = '{} {}'.format(1)\nresult(x)", "needs positional argument 1, but only 1 were given"),
        ("x = '{name}'.format(other=1)\nresult(x)", "has no keyword argument name="),
        ("x = '{:.2f}'.format(noop)\nresult(x)", "can only be called"),
        ("x = '{'.format(1)\nresult(x)", "Single '{'"),
    ],
)
def test_format_errors_are_one_line(source: str, message: str) -> None:
    _, text = refused(source)
    assert message in text


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{0.real}", "reads an attribute or item"),
        ("{0[0]}", "reads an attribute or item"),
        ("{0!r}", "has a conversion (!r)"),
        ("{0:{1}}", "nests a field in its format spec"),
    ],
)
def test_format_fields_that_could_read_attributes_are_refused(template: str, message: str) -> None:
    literal = f"x = '{template}'.format(1, 2)\nresult(x)"
    found = check_program(literal, REG)
    assert [d.code for d in found] == ["forbidden-format"] and message in found[0].message
    computed = f"t = '{template}'\nx = t.format(1, 2)\nresult(x)"
    assert codes(computed) == []  # the checker cannot see a computed template ...
    kind, text = refused(computed)  # ... the runtime refuses it
    assert kind == "SandboxViolation" and message in text


def test_format_output_is_budgeted() -> None:
    result = run_program("x = '{}{}'.format('a' * 600, 'b' * 600)\nresult(x)", registry=REG, limits=Limits(max_sequence_length=1000))
    assert result.error is not None and result.error.budget == "max_sequence_length"


# -- * unpacking in calls ----------------------------------------------------------------

def test_star_unpacking_into_tools_builtins_and_methods() -> None:
    source = (
        "args = (4,)\n"
        "a = noop(*args)\n"
        "b = max(*[3, 9, 2])\n"
        "c = list(range(*(1, 7, 2)))\n"
        "d = '{}-{}'.format(*['x', 'y'])\n"
        "e = noop(*[], x=5)\n"
        "result([a, b, c, d, e])"
    )
    assert value(source) == [4, 9, [1, 3, 5], "x-y", 5]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x = noop(*'7')\nresult(x)", "* unpacks lists and tuples, not str"),
        ("x = max(*5)\nresult(x)", "* unpacks lists and tuples, not int"),
        ("x = noop(*[1, 2])\nresult(x)", "takes at most 1 positional arguments"),
    ],
)
def test_star_unpacking_errors(source: str, message: str) -> None:
    _, text = refused(source)
    assert message in text


def test_star_unpacking_is_bounded_and_only_in_calls() -> None:
    result = run_program("xs = list(range(50))\nx = max(*xs)\nresult(x)", registry=REG, limits=Limits(max_items_per_call=10))
    assert result.error is not None and result.error.budget == "max_items_per_call"
    assert codes("xs = [1]\nys = [*xs]\nresult(ys)") == ["forbidden-syntax"]
    assert codes("xs = [1]\nx = noop(*xs)\nresult(x)") == []  # positions past * are not checked statically
    assert codes("x = noop(*'ab')\nresult(x)") == ["argument-type"]
