"""Escape attempts. Each is refused twice: by the checker, and, with the checker
bypassed, by the interpreter itself (the sandbox must not rely on the checker)."""

import dataclasses
import json

import pytest

from tests.helpers import make_registry
from visprog import Execution, Limits, check_program, parse_program, run_program, start_program
from visprog.toolkit.intrinsics import with_core

REG = with_core(make_registry())


def run_unchecked(source: str, limits: Limits | None = None, inputs=None):
    """Run without the checker, to test the interpreter's own enforcement."""
    return Execution(parse_program(source), REG, inputs or {}, limits=limits or Limits()).run()


ESCAPES = {
    "class hierarchy walk": "x = ().__class__.__bases__[0].__subclasses__()\nresult(x)",
    "dunder on a string": "x = 'a'.__class__\nresult(x)",
    "builtins name": "x = __builtins__\nresult(x)",
    "import function": "x = __import__('os')\nresult(x)",
    "generator frame": "g = (i for i in [1])\nx = g.gi_frame\nresult(x)",
    "format method": "x = '{0.__class__}'.format(1)\nresult(x)",
    "format_map": "x = '{a}'.format_map({'a': 1})\nresult(x)",
    "computed attribute via getattr": "x = getattr('a', '__cl' + 'ass__')\nresult(x)",
    "type builtin": "x = type(1)\nresult(x)",
    "eval builtin": "x = eval('1+1')\nresult(x)",
    "exec builtin": "exec('x=1')\nresult(1)",
    "open a file": "x = open('/etc/passwd')\nresult(x)",
    "globals": "x = globals()\nresult(x)",
    "vars": "x = vars()\nresult(x)",
    "compile": "x = compile('1', 'f', 'eval')\nresult(x)",
    "image internals": "x = IMAGE.pil\nresult(x)",
    "calling a variable": "f = 1\nx = f()\nresult(x)",
    "method as a value": "f = 'a'.upper\nresult(f)",
    "tool as a value": "f = noop\nresult(f)",
    "lambda": "f = lambda: 1\nresult(1)",
    "class definition": "class A:\n    pass\nresult(1)",
    "import statement": "import os\nresult(1)",
    "from import": "from os import path\nresult(1)",
    "with statement": "with open('x') as f:\n    pass\nresult(1)",
    "try/except": "try:\n    x = 1\nexcept Exception as e:\n    x = e\nresult(x)",
    "global": "global x\nresult(1)",
    "decorated function": "@noop\ndef execute_command(image):\n    return 1\n",
    "nested helper def": "def execute_command(image):\n    def inner():\n        return 1\n    return inner()\n",
    "ascii conversion": "x = f'{1!a}'\nresult(x)",
    # * is allowed in call arguments (issue 11); everywhere else it stays refused.
    "star in a list display": "xs = [1]\nx = [*xs]\nresult(x)",
    "star in an assignment target": "a, *b = [1, 2, 3]\nresult(b)",
    "star of a string into a tool": "x = noop(*'7')\nresult(x)",
    "double star arguments": "kw = {'x': 1}\nx = noop(**kw)\nresult(x)",
    "bytes constant": "x = b'abc'\nresult(x)",
    "walrus": "result((y := 1))",
    # Sets are allowed (issue 11), set comprehensions and sets of non-plain values are not.
    "set comprehension": "x = {i for i in [1, 2]}\nresult(x)",
    # Lambdas only as the key= of sorted/min/max/list.sort (issue 11): never a value.
    "lambda stored in a variable": "f = lambda x: x\nresult(1)",
    "lambda passed to a tool": "x = noop(x=lambda y: y)\nresult(x)",
    "lambda as a tool's key": "x = noop(key=lambda y: y)\nresult(x)",
    "lambda as min's default": "x = min([], key=lambda a: a, default=lambda b: b)\nresult(x)",
    "lambda in a list": "x = sorted([lambda: 1])\nresult(x)",
    "lambda returned by a key lambda": "x = sorted([1, 2], key=lambda a: (lambda b: b))\nresult(x)",
    "lambda with a default capturing a class": "x = sorted([1], key=lambda a, f=().__class__: f)\nresult(x)",
    "lambda with star args": "x = sorted([1], key=lambda *a: a)\nresult(x)",
    "lambda reading a dunder": "x = sorted([1], key=lambda a: a.__class__)\nresult(x)",
    "lambda parameter shadowing a tool": "x = sorted([1], key=lambda noop: noop)\nresult(x)",
    "lambda as the entry's return": "def execute_command(image):\n    return lambda: image\n",
    "builtin as key": "x = sorted([3, 1], key=len)\nresult(x)",
    "key of a dict method": "d = {'a': 1}\nx = d.get('a', lambda: 1)\nresult(x)",
    # str.format: plain fields only (issue 11); attribute, index, conversion and nested fields stay closed.
    "format index field": "x = '{0[0]}'.format(['a'])\nresult(x)",
    "format keyword attribute": "x = '{a.__class__.__mro__}'.format(a=1)\nresult(x)",
    "format conversion r": "x = '{0!r}'.format(1)\nresult(x)",
    "format conversion a": "x = '{!a}'.format('x')\nresult(x)",
    "format nested spec field": "x = '{0:{1}}'.format(1, 5)\nresult(x)",
    "format private keyword": "x = '{_x}'.format(_x=1)\nresult(x)",
    "format inside a key lambda": "x = sorted([1], key=lambda a: '{0.real}'.format(a))\nresult(x)",
}


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_checker_rejects(name):
    diagnostics = check_program(ESCAPES[name], REG, inputs=["IMAGE"])
    assert diagnostics, f"{name}: the checker accepted it"
    assert all(d.severity == "error" for d in diagnostics)


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_interpreter_rejects_without_the_checker(name, small_image):
    from visprog.values.core import load_image

    source = ESCAPES[name]
    program = parse_program(source)  # every escape parses: the interpreter, not the parser, must refuse it
    result = Execution(program, REG, {"IMAGE": load_image(small_image)}).run()
    assert result.error is not None, f"{name}: ran to {result.result!r}"
    assert result.error.kind in {"SandboxViolation", "ProgramRuntimeError"}, result.error
    assert result.error.line is not None and 1 <= result.error.line <= len(source.splitlines())


#: Escapes the checker cannot see (the template or value is computed), so the interpreter
#: alone must refuse them.
RUNTIME_ESCAPES = {
    "format template from a variable": "t = '{0.__class__}'\nx = t.format(1)\nresult(x)",
    "format template built at run time": "t = '{0' + '.__class__}'\nx = t.format(1)\nresult(x)",
    "format conversion from a variable": "t = '{!r}'\nx = t.format(1)\nresult(x)",
    "format index from a variable": "t = '{0[0]}'\nx = t.format([1])\nresult(x)",
    "set item that is an image, through a variable": "s = set()\nxs = [IMAGE]\nfor x in xs:\n    s.add(x)\nresult(s)",
    "set of images through set()": "xs = [IMAGE]\ns = set(xs)\nresult(s)",
    "set literal of an image (the checker does not know IMAGE's kind here)": "x = {IMAGE}\nresult(x)",
    "set update with a list of lists": "s = {1}\ns.update([[1]])\nresult(s)",
    "star of a dict into a tool": "d = {'x': 1}\nx = noop(*d)\nresult(x)",
}


@pytest.mark.parametrize("name", sorted(RUNTIME_ESCAPES))
def test_interpreter_rejects_what_only_runtime_sees(name, small_image):
    from visprog.values.core import load_image

    result = Execution(parse_program(RUNTIME_ESCAPES[name]), REG, {"IMAGE": load_image(small_image)}).run()
    assert result.error is not None, f"{name}: ran to {result.result!r}"
    assert result.error.kind in {"SandboxViolation", "ProgramRuntimeError"}, result.error
    assert result.error.line is not None


@pytest.mark.parametrize("name", sorted(n for n in ESCAPES if "lambda" in n or "format" in n or "star" in n))
def test_evaluator_refuses_even_without_the_scan(name, small_image):
    """Defence in depth: with the structural scan's verdict removed, the evaluator's own
    handlers still refuse lambdas, * and format fields outside their allowed places."""
    from visprog.language.rules import Scan
    from visprog.values.core import load_image

    program = parse_program(ESCAPES[name])
    blind = dataclasses.replace(program, scan=Scan(program.scan.depth, program.scan.nodes, ()))
    result = Execution(blind, REG, {"IMAGE": load_image(small_image)}).run()
    assert result.error is not None, f"{name}: ran to {result.result!r}"
    assert result.error.kind in {"SandboxViolation", "ProgramRuntimeError"}, result.error


def test_allowed_forms_of_the_restricted_constructs_run():
    """The same constructs in their allowed places run (so the refusals above are about
    the place, not the construct)."""
    program = (
        "xs = [3, 1, 2]\n"
        "a = sorted(xs, key=lambda v: -v)\n"
        "xs.sort(key=lambda v: v, reverse=True)\n"
        "b = min(xs, key=lambda v: abs(v - 2))\n"
        "c = max([], key=lambda v: v, default=0)\n"
        "s = {1, 2}\n"
        "s.add((3, 4))\n"
        "t = set('aab')\n"
        "d = noop(*[5])\n"
        "e = '{} {name} {0!s}'.replace('{0!s}', '') .format(1, name='n')\n"
        "result([a, xs, b, c, len(s), sorted(t), d, e])"
    )
    result = run_unchecked(program)
    assert result.error is None, result.error
    assert result.result == [[3, 2, 1], [3, 2, 1], 2, 0, 3, ["a", "b"], 5, "1 n "]
    assert check_program(program, REG) == []


def test_key_lambdas_count_as_loop_iterations():
    result = run_unchecked("xs = list(range(300))\ny = sorted(xs, key=lambda v: -v)\nresult(y[0])", Limits(max_loop_iterations=100))
    assert result.error is not None and result.error.budget == "max_loop_iterations"


def _primitive_record(record) -> bool:
    return all(v is None or isinstance(v, (str, int)) for v in dataclasses.astuple(record))


@pytest.mark.parametrize(
    ("program", "kind"),
    [
        ("x = exit_now()\nresult(x)", "ToolError"),
        ("x = carry()\nresult(x)", "ToolError"),
        ("x = leak()\nresult(x)", "ToolError"),
    ],
)
def test_host_exceptions_and_objects_never_escape(program, kind):
    result = run_program(program, registry=REG)  # SystemExit must not propagate
    assert result.error is not None and result.error.kind == kind
    assert _primitive_record(result.error)
    assert _primitive_record(result.trace.steps[0].calls[0].error)


def test_error_records_hold_no_host_objects():
    result = run_program("x = carry()\nresult(x)", registry=REG)
    assert "carrying a host object" in result.error.message
    # Every field is plain data: the record survives JSON and holds nothing of the exception.
    data = result.error.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert all(type(v) in (str, int, type(None)) for v in data.values())


def test_ctrl_c_in_a_tool_is_recorded_then_raised():
    execution = start_program("a = noop(x=1)\nx = interrupt()\nresult(x)", registry=REG)
    with pytest.raises(KeyboardInterrupt):
        execution.run()
    assert execution.interrupted and execution.done
    assert execution.trace.error is not None and execution.trace.error.kind == "Interrupted"
    assert execution.trace.error.line == 2
    assert [s.error is not None for s in execution.trace.steps] == [False, True]


BUDGETS = [
    ("x = 2 ** 10000000\nresult(x)", "max_int_bits", Limits()),
    ("x = 1 << 10000000\nresult(x)", "max_int_bits", Limits()),
    ("a = 10 ** 30000\nb = a * a * a * a\nresult(b)", "max_int_bits", Limits()),
    ("x = 'a' * 10000000000\nresult(x)", "max_sequence_length", Limits()),
    ("x = [0] * 10000000000\nresult(x)", "max_sequence_length", Limits()),
    ("x = range(10 ** 12)\nresult(x)", "max_range_length", Limits()),
    ("x = 'ab' * 1000\ny = x.replace('', x)\nresult(y)", "max_sequence_length", Limits(max_sequence_length=100_000)),
    ("x = ['a' * 1000] * 1000\ny = '-'.join(x)\nresult(y)", "max_sequence_length", Limits(max_sequence_length=100_000)),
    ("x = f'{1:>999999999}'\nresult(x)", "max_format_width", Limits()),
    ("n = 0\nwhile True:\n    n = n + 1\nresult(n)", "max_loop_iterations", Limits(max_loop_iterations=1000)),
    ("x = [i for i in range(100) for j in range(100)]\nresult(x)", "max_loop_iterations", Limits(max_loop_iterations=5000)),
    ("a = 1\nb = 2\nc = 3\nresult(c)", "max_statements", Limits(max_statements=2)),
    ("n = 0\nwhile True:\n    n = n + 1\nresult(n)", "max_wall_time_s", Limits(max_wall_time_s=0.05, max_loop_iterations=10**9, max_statements=10**9)),
    ("x = " + "[" * 50 + "]" * 50 + "\nresult(x)", "max_nesting_depth", Limits(max_nesting_depth=30)),
    ("x = 1\n" * 10 + "result(x)", "max_source_chars", Limits(max_source_chars=20)),
    ("xs = list(range(20000))\nx = max(*xs)\nresult(x)", "max_items_per_call", Limits()),
    ("x = '{:>999999999}'.format(1)\nresult(x)", "max_format_width", Limits()),
    ("x = ('{}' * 600).format(*(['a' * 1000] * 600))\nresult(x)", "max_sequence_length", Limits(max_sequence_length=100_000)),
    ("s = set(range(1000))\nt = set(range(1000, 2000))\nu = s | t\nresult(len(u))", "max_sequence_length", Limits(max_sequence_length=1500)),
    ("k = (1,)\nfor i in range(40):\n    k = (k,)\ns = {k}\nresult(1)", "max_container_depth", Limits()),
]

# One C-level operation that no deadline can stop once it runs (issue: a list
# comparison of a million 1 MB strings ran 41 s under a 10 s budget; one set() of
# 90,000 keys that all hash alike ran past 90 s). Each is refused before it starts.
_BIG = "s = 'x' * 1000000\nt = 'x' * 999999 + 'x'\n"
_COLLIDING = "m = 2 ** 61 - 1\nkeys = [i * m for i in range(90000)]\n"
WORK = [
    (_BIG + "a = [s] * 1000000\nb = [t] * 1000000\nresult(a == b)", "list equality"),
    (_BIG + "a = [s] * 1000000\nb = [t] * 1000000\nresult(a != b)", "list inequality"),
    (_BIG + "a = ([s] * 1000000,)\nb = ([t] * 1000000,)\nresult(a < b)", "ordering of nested tuples"),
    (_BIG + "a = {1: [s] * 1000000}\nb = {1: [t] * 1000000}\nresult(a == b)", "dict equality"),
    (_BIG + "a = [s] * 1000000\nresult(t[:-1] + 'y' in a)", "containment in a list"),
    (_BIG + "a = [s] * 1000\nresult(len(sorted(a)))", "sorted()"),
    (_BIG + "a = [s] * 1000\na.sort()\nresult(1)", "list.sort"),
    (_BIG + "a = [s] * 1000000\nresult(len(max(a)))", "max()"),
    (_COLLIDING + "result(len(set(keys)))", "set() of colliding keys"),
    (_COLLIDING + "u = set()\nu.update(keys)\nresult(len(u))", "set.update of colliding keys"),
    (_COLLIDING + "result(len(set([1]).union(keys)))", "set.union of colliding keys"),
    # Building the colliding dict is itself quadratic, one insertion a step (bounded by
    # the deadline); a smaller budget keeps that part short.
    ("m = 2 ** 61 - 1\nd = {i * m: 1 for i in range(3000)}\nx = {}\nx.update(d)\nresult(len(x))", "dict.update of colliding keys"),
]


@pytest.mark.parametrize(("program", "what"), WORK, ids=[w for _, w in WORK])
def test_c_level_work_is_estimated_and_refused_before_it_starts(program, what):
    work = 5_000_000 if what.startswith("dict.update") else Limits().max_operation_work
    result = run_unchecked(program, Limits(max_wall_time_s=60, max_operation_work=work))
    assert result.error is not None, f"{what}: ran to the end"
    assert result.error.kind == "BudgetExceeded" and result.error.budget == "max_operation_work", result.error
    assert "max_operation_work" in result.error.message


@pytest.mark.parametrize("program", [
    "a = list(range(200000))\nresult(sorted(a, reverse=True)[0] + max(a) + len(set(a)))",
    "a = [str(i) for i in range(50000)]\nresult(a == list(a) and '49999' in a and len(sorted(a)) == 50000)",
    "d = {i: i for i in range(50000)}\ne = {}\ne.update(d)\nresult(d == e)",
    "keys = [i * (2 ** 61 - 1) for i in range(60)]\nresult(len(set(keys)))",
])
def test_ordinary_work_passes_the_work_estimate(program):
    result = run_unchecked(program, Limits())
    assert result.ok, result.error


@pytest.mark.parametrize(("program", "budget", "limits"), BUDGETS)
def test_budgets_stop_the_run_and_name_the_budget(program, budget, limits):
    result = run_unchecked(program, limits)
    assert result.error is not None, f"{budget}: not enforced"
    assert result.error.kind == "BudgetExceeded" and result.error.budget == budget, result.error
    assert budget in result.error.message


def test_budget_through_run_program_reports_line():
    result = run_program("a = 1\nx = 'a' * 10000000000\nresult(x)", registry=REG)
    assert (result.error.budget, result.error.line) == ("max_sequence_length", 2)


def test_image_size_budget_in_tools(small_image):
    from visprog_tools.image_ops import crop  # noqa: F401 - registered through the default registry

    from visprog import InputError

    program = "B = LOC(image=IMAGE, object='LEFT')\nC = CROP(image=IMAGE, box=B)\nFINAL=RESULT(var=C)"
    # An input over the per-image budget is the caller's problem: refused before the run.
    with pytest.raises(InputError, match="max_image_pixels"):
        run_program(program, small_image, limits=Limits(max_image_pixels=100))
    # Images tools return count towards the run's cumulative pixel budget.
    looped = "n = 0\nfor i in range(50):\n    c = CROP(image=IMAGE, box=LOC(image=IMAGE, object='LEFT'))\n    n = n + 1\nresult(n)"
    ok = run_program(looped, small_image)
    assert ok.error is None and ok.result == 50
    stopped = run_program(looped, small_image, limits=Limits(max_total_pixels=10 * 60 * 80))
    assert stopped.error is not None and stopped.error.budget == "max_total_pixels"
    assert stopped.error.line == 3 and stopped.error.tool in ("CROP", "LOC")


def test_oversized_input_image_is_refused_before_decoding(tmp_path):
    import numpy as np
    import PIL.Image

    from visprog import InputError, load_image

    path = tmp_path / "big.png"
    PIL.Image.fromarray(np.zeros((200, 300, 3), dtype=np.uint8)).save(path)
    with pytest.raises(InputError, match="larger than the limit"):
        load_image(path, max_pixels=1000)


def test_deeply_nested_values_do_not_break_traces():
    program = "x = []\nfor i in range(5000):\n    x = [x]\nresult(x)"
    result = run_program(program, registry=REG)
    assert result.error is None
    text = result.trace.to_json()  # no RecursionError in host code
    assert "nested too deeply" in text
    assert "[[[[[" in result.trace.to_html()  # summarised, not recursed into
