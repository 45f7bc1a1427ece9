import pytest

from tests.helpers import make_registry
from visprog import check_program
from visprog.checker.core import Diagnostic


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
    assert "argument 'box' of COUNT expects Detections | list[Any], got str" in messages
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


# -- type inference for attributes and methods ------------------------------------------

REG = make_registry() | __import__("visprog").default_registry()

def _codes(source: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in check_program(source, REG)]


def test_methods_are_checked_against_the_inferred_type():
    assert _codes("x = 'a'.center(3)\nresult(x)") == [("unknown-attribute", "str has no method 'center'")]
    assert _codes("x = (1).mask\nresult(x)") == [("unknown-attribute", "int has no attribute 'mask'")]
    assert _codes("x = IMAGE.find('cat')\nresult(x)") == [("unknown-attribute", "Image has no method 'find'")]
    # union of kinds: fine only if every possible kind has it
    assert _codes("x = 'a b'.split()\ny = x.append(1)\nresult(x)") == []
    assert _codes("x = IMAGE.width\ny = x.lower()\nresult(y)") == [("unknown-attribute", "int has no method 'lower'")]


def test_a_method_used_as_a_value_and_a_value_called():
    assert _codes("x = 'a'.lower\nresult(x)") == [("method-not-called", "method 'lower' of str must be called, not used as a value")]
    assert _codes("x = IMAGE.width()\nresult(x)") == [("not-callable", "'width' of Image is a value, not a method")]


def test_suggestions_by_meaning_not_only_spelling():
    by_code = {d.code: d for d in check_program("x = open('f')\nresult(x)", REG)}
    assert "CROP_BEHIND" not in (by_code["unknown-tool"].suggestion or "")
    crop_not = check_program("X=CROP_NOT(image=IMAGE,box=IMAGE)\nFINAL=RESULT(var=X)", REG)
    # No confident wrong guess for a name that is not a misspelling ...
    assert not any((d.suggestion or "").startswith("did you mean") for d in crop_not)
    # ... but tools that share its words.
    assert crop_not[0].suggestion is not None and "crop" in crop_not[0].suggestion
    spelled = check_program("X=LOCC(image=IMAGE,object='cat')\nFINAL=RESULT(var=X)", REG)
    assert spelled[0].suggestion == "did you mean 'LOC'?"


def test_diagnostics_locate_for_editors():
    diagnostic = check_program("x = 1\ny = zz\nresult(y)", REG)[0]
    assert diagnostic.located("prog.vp") == "prog.vp:2:5: error: variable 'zz' is used before it is assigned [undefined-variable] (assign it before this line)"


def test_the_checkers_own_work_is_bounded():
    names = [f"undefined_name_{i}" for i in range(1500)]
    source = "\n".join(f"v{i} = {name}" for i, name in enumerate(names)) + "\nresult(v0)"
    diagnostics = check_program(source, REG)
    assert len(diagnostics) == 101  # max_diagnostics, then one saying it stopped
    assert diagnostics[-1].code == "too-many-problems" or any(d.code == "too-many-problems" for d in diagnostics)
    with_hints = [d for d in diagnostics if d.suggestion and d.suggestion.startswith("did you mean")]
    assert len(with_hints) <= 25


@pytest.mark.parametrize("source", ['x = os.listdir("/")\nresult(x)', "x = sys.argv\nresult(x)", "y = np.zeros(3)\nresult(y)",
                                    "result(subprocess)"])
def test_a_python_module_is_named_as_a_module_not_a_missing_input_or_a_typo(source):
    from visprog import check_program

    diagnostics = check_program(source)
    assert [d.code for d in diagnostics] == ["module-not-available"], diagnostics
    assert "is a Python module" in diagnostics[0].message
    assert "lstrip" not in str(diagnostics) and "input" not in str(diagnostics)


def test_attribute_assignment_is_refused_before_running():
    # Once accepted by the checker and refused only by the runtime ("cannot assign to Attribute").
    for source in ("IMAGE.offset = (5, 5)\nresult(IMAGE)", "IMAGE.width += 1\nresult(1)", "for IMAGE.x in [1]:\n    y = 1\nresult(1)"):
        [d] = check_program(source)
        assert d.code == "forbidden-syntax" and "assigning to attribute" in d.message and "read-only" in d.message, source
    assert [d.message for d in check_program("x = {i for i in range(3)}\nresult(x)")] == ["a set comprehension is not allowed"]


def test_what_the_runtime_refused_is_said_before_running():
    # Calling the entry function (recursion) once read "'execute_command' is not a registered tool".
    [d] = check_program("def execute_command(image):\n    return execute_command(image)\n")
    assert (d.code, d.line, d.column) == ("not-callable", 2, 12) and "is the entry function" in d.message
    [d, _] = check_program("def execute_command(image):\n    return execute_command.func_globals\n")
    assert d.code == "not-a-value" and "is the entry function" in d.message
    # '%' on a string: refused by the sandbox at run time, and now by the checker.
    [d] = check_program("y = '%999999999d' % 1\nresult(y)")
    assert (d.code, d.message, d.suggestion) == ("forbidden-format", "'%' formatting of strings is not allowed", "use an f-string")
    assert check_program("y = 7 % 3\nz = IMAGE.width % 2\nresult(y + z)") == []
    # A Python built-in read as a value says so, instead of only "assign it before this line".
    [d] = check_program("x = '{0}'.format(dict)\nresult(x)")
    assert d.code == "undefined-variable" and d.suggestion.startswith("'dict' is a Python built-in, which programs cannot use")
