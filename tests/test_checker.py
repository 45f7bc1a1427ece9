from visprog import check_program
from visprog.checker.core import Diagnostic

from tests.helpers import make_registry


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def test_valid_visprog_program_has_no_diagnostics():
    program = "BOX0=LOC(image=IMAGE,object='TOP')\nN0=COUNT(box=BOX0)\nFINAL=RESULT(var=N0)"
    assert check_program(program) == []


def test_every_problem_is_reported_at_once_with_positions():
    program = "X=LOCC(image=IMAGE, object='dog')\nY=CROP(image=IMAGE, boxx=X)\nZ=COUNT(box=W)\nimport os\n"
    found = check_program(program)
    by_code = {d.code: d for d in found}
    assert set(by_code) >= {"unknown-tool", "missing-argument", "unknown-argument", "undefined-variable", "forbidden-syntax", "missing-result"}
    assert by_code["unknown-tool"].suggestion == "did you mean 'LOC'?"
    assert (by_code["unknown-tool"].line, by_code["unknown-tool"].column) == (1, 3)
    assert by_code["unknown-argument"].suggestion == "did you mean 'box'?"
    assert (by_code["undefined-variable"].line, by_code["undefined-variable"].column) == (3, 13)
    assert codes(found).count("forbidden-syntax") == 1  # no extra noise for the import's insides
    assert found == sorted(found, key=lambda d: (d.line, d.column, d.code))


def test_syntax_error_is_a_diagnostic():
    [d] = check_program("x = = 1")
    assert d.code == "syntax-error" and d.line == 1


def test_argument_types_inferred_from_constants_and_tool_returns():
    found = check_program("N=COUNT(box='dog')\nC=CROP(image=N, box=N)\nFINAL=RESULT(var=C)")
    messages = [d.message for d in found if d.code == "argument-type"]
    assert "argument 'box' of COUNT expects Detections | list, got str" in messages
    assert any("argument 'image' of CROP expects Image, got int" in m for m in messages)


def test_unknown_attribute_and_private_names():
    found = check_program("x = IMAGE.__class__\ny = IMAGE.widht\n_z = 1\nresult(x)")
    assert codes(found) == ["private-name", "unknown-attribute", "private-name"]
    assert found[1].suggestion == "did you mean 'width'?"


def test_shadowing_a_tool_or_builtin():
    found = check_program("len = 3\ncrop = 1\nresult(len)")
    assert codes(found).count("shadowed-name") == 2


def test_missing_result_and_return_outside_function():
    assert "missing-result" in codes(check_program("x = 1"))
    assert "forbidden-syntax" in codes(check_program("return 1"))


def test_entry_function_rules():
    assert check_program("def execute_command(image):\n    return image.width\n") == []
    found = check_program("def helper(x):\n    return x\ndef execute_command(image):\n    return helper(1)\n")
    assert "forbidden-syntax" in codes(found)
    found = check_program("def execute_command(image, *rest):\n    return 1\n")
    assert "forbidden-syntax" in codes(found)


def test_eval_expression_is_checked():
    found = check_program("A=EVAL(expr='{N0} +')\nFINAL=RESULT(var=A)")
    assert codes(found) == ["eval-syntax"]
    found = check_program("A=EVAL(expr='{N9} > 1')\nFINAL=RESULT(var=A)")
    assert codes(found) == ["undefined-variable"]


def test_inputs_given_by_the_caller():
    program = "N=COUNT(box=LOC(image=LEFT, object='TOP'))\nFINAL=RESULT(var=N)"
    assert check_program(program, inputs=["LEFT"]) == []
    assert codes(check_program(program, inputs=["IMAGE"])) == ["undefined-variable"]


def test_unavailable_tool_is_reported():
    found = check_program("I=REPLACE(image=IMAGE, object=LOC(image=IMAGE, object='dog'), prompt='cat')\nFINAL=RESULT(var=I)")
    unavailable = [d for d in found if d.code == "tool-unavailable"]
    assert unavailable and "not available: needs diffusers" in unavailable[0].message


def test_custom_registry_and_loop_scoping():
    registry = make_registry()
    program = "total = 0\nfor i in range(3):\n    total = total + noop(x=i)\nresult(total)"
    assert check_program(program, registry) == []
    found = check_program("y = [k for k in range(3)]\nresult(k)", registry)
    assert codes(found) == ["undefined-variable"]


def test_diagnostic_text_is_short():
    [d] = check_program("FINAL=RESULT(var=nothing)")
    assert str(d) == "line 1, column 18: variable 'nothing' is used before it is assigned [undefined-variable] (assign it before this line)"
