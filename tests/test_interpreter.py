import pytest

from tests.helpers import make_registry
from visprog import Execution, Image, Limits, Registry, RunContext, default_registry, parse_program, run_program, start_program, tool
from visprog.toolkit.intrinsics import with_core

REG = make_registry()


def run(program: str, image=None, **kwargs):
    return run_program(program, image, registry=REG, **kwargs)


def test_visprog_line_form_with_eval_semantics(small_image):
    program = """BOX0=LOC(image=IMAGE,object='LEFT')
N0=COUNT(box=BOX0)
ANS0=EVAL(expr="'yes' if {N0} > 0 else 'no'")
ANS1=EVAL(expr="{ANS0} xor 'no'")
ANS2=EVAL(expr="{ANS0} and {ANS1}")
FINAL=RESULT(var=ANS2)"""
    result = run_program(program, small_image)
    assert result.error is None
    assert result.variables["N0"] == 1
    assert result.variables["ANS0"] == "yes"
    assert result.variables["ANS1"] == "yes"  # True != False
    assert result.result == "yes"
    assert [s.tool for s in result.trace.steps] == ["LOC", "COUNT", "EVAL", "EVAL", "EVAL", "RESULT"]


def test_eval_reads_digit_strings_as_numbers():
    result = run("A = '12'\nB=EVAL(expr='{A} + 1')\nFINAL=RESULT(var=B)")
    assert result.result == 13


def test_eval_runs_in_the_sandbox():
    source = "A=EVAL(expr=\"().__class__\")\nFINAL=RESULT(var=A)"
    # The checker sees inside EVAL's constant expression ...
    result = run(source)
    assert result.error is not None and result.error.kind == "CheckFailed" and "private-name" in result.error.message
    # ... and the runtime refuses it even when the checker is bypassed.
    direct = Execution(parse_program(source), with_core(REG), {}).run()
    assert direct.error is not None and direct.error.kind == "SandboxViolation" and "__class__" in direct.error.message


def test_general_python_constructs():
    program = """
total = 0
for i in range(10):
    if i % 2 == 0:
        continue
    elif i > 7:
        break
    total += i
else:
    total = -1
n = 0
while n < 5:
    n = n + 1
pairs = [(a, b) for a in range(3) for b in range(3) if a < b]
squares = {k: k * k for k in range(4)}
evens = sum(x for x in range(10) if x % 2 == 0)
words = 'a,b,c'.split(',')
words.append('d')
text = f"{total}|{n}|{len(pairs)}|{squares[3]}|{evens}|{'-'.join(words)}|{3.14159:.2f}"
flags = [any([False, True]), all([]), abs(-2), round(2.6), min(3, 1), max([4, 9]), sorted([3, 1, 2], reverse=True)]
first, second = words[0], words[-1]
sliced = list(range(10))[2:8:2]
result([text, flags, first, second, sliced, noop(x=7), not True, 7 // 2, 2 ** 10, None is None])
"""
    result = run(program)
    assert result.error is None, result.error
    assert result.result == [
        "16|5|3|9|20|a-b-c-d|3.14", [True, True, 2, 3, 1, 9, [3, 2, 1]], "a", "d", [2, 4, 6], 7, False, 3, 1024, True,
    ]


def test_entry_function_form(small_image):
    program = """def execute_command(image):
    boxes = find(image, 'thing')
    if len(boxes) == 0:
        return 'none'
    part = crop(image, boxes[0], margin=1.0)
    return [part.width, part.height, boxes[0].label]
"""
    registry = make_registry() | _image_ops_registry()
    result = run_program(program, small_image, registry=registry)
    assert result.error is None, result.error
    assert result.result == [30, 80, "thing"]
    assert result.variables["part"].size == (30, 80)


def _image_ops_registry():
    from visprog_tools import image_ops

    from visprog.toolkit.registry import Registry

    return Registry([image_ops.crop])


def test_entry_function_needs_its_inputs():
    result = run_program("def execute_command(image, other):\n    return 1\n", None, registry=REG, inputs={"image": 1})
    assert result.error is not None and result.error.kind == "CheckFailed" and "other" in result.error.message


def test_step_by_step_with_variables_in_between():
    program = "a = noop(x=1)\nb = a + 1\nc = noop(x=b)\nfor i in range(2):\n    d = noop(x=i)\nresult(d)"
    execution = start_program(program, registry=REG)
    first = execution.step()
    assert first is not None and first.line == 1 and execution.variables == {"a": 1}
    second = execution.step()
    assert second.line == 3 and execution.variables["c"] == 2  # 'b = a + 1' is not a step
    assert [execution.step().output for _ in range(2)] == [0, 1]
    last = execution.step()
    assert last.tool == "result"
    assert execution.step() is None and execution.done and execution.result == 1


def test_events_are_sent_for_each_step():
    seen = []
    run("a = noop(x=1)\nb = noop(x=noop(x=2))\nresult(b)", listeners=[lambda e: seen.append((e.kind, e.step.line))])
    assert seen == [("start", 1), ("end", 1), ("start", 2), ("end", 2), ("start", 3), ("end", 3)]


def test_failing_step_names_line_tool_and_keeps_the_trace():
    result = run("a = noop(x=1)\nb = noop(x=2)\nc = explode(reason='bad input')\nd = noop(x=4)\nresult(d)")
    assert result.error is not None
    assert (result.error.kind, result.error.line, result.error.tool) == ("ToolError", 3, "explode")
    assert "RuntimeError: bad input" in result.error.message
    assert [s.line for s in result.trace.steps] == [1, 2, 3]
    assert result.trace.steps[-1].error == result.error
    assert result.variables == {"a": 1, "b": 2}
    assert result.result is None


def test_bad_argument_type_at_runtime_names_the_argument():
    result = run("a = ['seven'][0]\nb = noop(x=a)\nresult(b)")
    assert result.error is not None
    assert result.error.tool == "noop" and result.error.argument == "x" and result.error.line == 2
    assert "expected int, got str" in result.error.message


def test_jsonschema_validation_of_structured_arguments():
    ok = run("n = tags(names=['a', 'b'], weights={'a': 1.0})\nresult(n)")
    assert ok.result == 2
    bad = run("xs = ['a', 3]\nn = tags(names=xs)\nresult(n)")
    assert bad.error is not None and bad.error.argument == "names"
    assert "expected list[str]" in bad.error.message


def test_runtime_errors_carry_positions():
    result = run("x = [1, 2]\ny = x[5]\nresult(y)")
    assert (result.error.kind, result.error.line, result.error.column) == ("ProgramRuntimeError", 2, 5)
    result = run("x = undefined_name + 1\nresult(x)")
    assert result.error.kind == "CheckFailed"


def test_check_failure_runs_nothing():
    calls = []
    result = run("a = noop(x=1)\nb = nope(x=2)\nresult(b)", listeners=[calls.append])
    assert result.error.kind == "CheckFailed" and calls == [] and result.trace.steps == []


def test_abandoned_stepping_keeps_the_trace():
    execution = start_program("a = noop(x=1)\nb = noop(x=2)\nresult(b)", registry=REG)
    execution.step()
    execution.close()
    assert execution.done and len(execution.trace.steps) == 1


def test_tool_results_are_cached_when_the_tool_is_cacheable(tmp_path):
    from visprog.toolkit.registry import Registry
    from visprog.toolkit.result_cache import ResultCache
    from visprog.toolkit.tool import tool

    calls = []

    @tool(cacheable=True)
    def slow_square(x: int) -> int:
        """Square.

        Args:
            x: a number.

        Returns:
            x squared.
        """
        calls.append(x)
        return x * x

    registry = Registry([slow_square])
    cache = ResultCache(tmp_path / "results")
    program = "a = slow_square(x=3)\nresult(a)"
    first = run_program(program, registry=registry, context=RunContext(cache=cache))
    second = run_program(program, registry=registry, context=RunContext(cache=ResultCache(tmp_path / "results")))
    assert first.result == second.result == 9 and calls == [3]
    assert second.trace.steps[0].calls[0].cached is True


def test_execution_can_be_built_directly():
    execution = Execution(parse_program("result(noop(x=5))"), with_core(REG), limits=Limits())
    assert execution.run().result == 5


def test_inputs_become_images(small_image):
    result = run("result(IMAGE.size)", small_image)
    assert result.result == (120, 80)
    assert isinstance(result.trace.inputs["IMAGE"], Image)


def test_unreadable_image_input_raises_input_error(tmp_path):
    from visprog import InputError

    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(InputError, match="not a readable image"):
        run_program("result(1)", bad)


def _returning(annotation, value):
    from visprog import tool

    def t(n: int):
        """Returns what it was made with.

        Args:
            n: ignored.

        Returns:
            The value.
        """
        return value

    t.__annotations__["return"] = annotation
    return tool(t)


@pytest.mark.parametrize(("annotation", "value", "said"), [
    (int, "7", "returned a str"), (int, float("nan"), "returned a float"), (int, True, "returned a bool"),
    (float, float("inf"), "the float inf"), (float, float("nan"), "the float nan"), (str, 5, "returned an int"),
    ("list[int]", [1, "a"], "a str at index 1"), ("list[float]", [1.0, float("-inf")], "the float -inf at index 1"),
    ("Detections", 3, "returned an int"), ("bool", 0, "returned an int"),
])
def test_a_tool_output_must_match_its_declared_return_type(annotation, value, said):
    from visprog import Detections, Registry, run_program

    annotation = {"list[int]": list[int], "list[float]": list[float], "Detections": Detections, "bool": bool}.get(annotation, annotation)
    result = run_program("x = t(1)\nresult(x)", registry=Registry([_returning(annotation, value)]))
    assert result.error is not None and result.error.kind == "ToolError", result.result
    assert said in result.error.message and "declares ->" in result.error.message


@pytest.mark.parametrize(("annotation", "value"), [(float, 3), (int | None, None), (str, "ok"), (list[float], [1, 2.5])])
def test_outputs_that_match_their_declared_type_pass(annotation, value):
    from visprog import Registry, run_program

    result = run_program("x = t(1)\nresult(x)", registry=Registry([_returning(annotation, value)]))
    assert result.error is None and result.result == value


def _painting_tools() -> Registry:
    import PIL.ImageDraw

    @tool(preempt="inline")
    def scribble(image: Image, how: str) -> int:
        """Paint into the image's pixels in place.

        Args:
            image: the image.
            how: 'draw', 'paste' or 'putpixel'.

        Returns:
            1.
        """
        if how == "draw":
            PIL.ImageDraw.Draw(image.pil).rectangle((0, 0, 20, 20), fill=(255, 0, 0))
        elif how == "paste":
            image.pil.paste((255, 0, 0), (0, 0, 20, 20))
        else:
            image.pil.putpixel((0, 0), (255, 0, 0))
        return 1

    @tool(preempt="inline")
    def scribble_all(images: list[Image]) -> int:
        """Paint into every image of a list in place.

        Args:
            images: the images.

        Returns:
            How many were painted.
        """
        for image in images:
            PIL.ImageDraw.Draw(image.pil).rectangle((0, 0, 20, 20), fill=(255, 0, 0))
        return len(images)

    @tool(preempt="inline")
    def red(image: Image) -> bool:
        """Whether the top-left pixel is red.

        Args:
            image: the image.

        Returns:
            True when it is pure red.
        """
        return image.pil.getpixel((0, 0)) == (255, 0, 0)

    return default_registry() | Registry([scribble, scribble_all, red])


@pytest.mark.parametrize("how", ["draw", "paste", "putpixel"])
def test_a_tool_painting_into_its_input_changes_neither_the_caller_nor_later_steps(how):
    import PIL.Image

    registry = _painting_tools()
    program = f"a = red(IMAGE)\nx = scribble(IMAGE, '{how}')\ny = scribble_all([IMAGE, IMAGE])\nb = red(IMAGE)\nresult([a, b])"
    result = run_program(program, Image(PIL.Image.new("RGB", (32, 32), (10, 10, 10))), registry=registry)
    assert result.ok and result.result == [False, False], result.error
    mine = Image(PIL.Image.new("RGB", (32, 32), (10, 10, 10)))
    registry["scribble"](image=mine, how=how)
    assert mine.pil.getpixel((0, 0)) == (10, 10, 10)
