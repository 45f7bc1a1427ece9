import pytest

from visprog import InputError, ProgramSyntaxError, parse_program
from visprog.language.syntax import translate_eval_expression


def test_forms_are_recognised():
    assert parse_program("OBJ0=LOC(image=IMAGE,object='dog')\nFINAL=RESULT(var=OBJ0)").form == "steps"
    assert parse_program("x = 1\nresult(x)").form == "python"
    program = parse_program("def execute_command(image):\n    return 1\n")
    assert program.form == "function"
    assert program.entry is not None and program.entry.name == "execute_command"


def test_syntax_error_has_position():
    with pytest.raises(ProgramSyntaxError) as info:
        parse_program("x = 1\ny = (2 +\n")
    assert info.value.line is not None and info.value.line >= 2


def test_empty_program_is_an_input_error():
    with pytest.raises(InputError):
        parse_program("   \n  ")


def test_source_length_budget():
    with pytest.raises(ProgramSyntaxError, match="max_source_chars"):
        parse_program("x = 1\n" * 100, max_source_chars=50)


def test_deep_nesting_that_breaks_the_parser_is_a_syntax_error():
    with pytest.raises(ProgramSyntaxError):
        parse_program("x = " + "(" * 5000 + "1" + ")" * 5000, max_source_chars=100_000)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("'yes' if {N0} > 1 else 'no'", "'yes'if N0 >1 else 'no'"),
        ("{A} xor {B}", "A !=B"),
        ("'{N0}' + {X}", "'{N0}'+X"),
    ],
)
def test_eval_translation(expr, expected):
    assert translate_eval_expression(expr) == expected


def test_statement_text_for_compound_statements():
    program = parse_program("for i in range(3):\n    x = i\nresult(x)")
    loop = program.tree.body[0]
    assert program.statement_text(loop) == "for i in range(3):"


def test_a_null_byte_is_a_syntax_error_with_its_place_on_every_python():
    # Before Python 3.11.4 the parser raised ValueError for NUL, which escaped as a crash.
    with pytest.raises(ProgramSyntaxError, match="holds a null byte") as caught:
        parse_program("x = 1\nyy = 'a\x00b'\nresult(x)")
    assert (caught.value.line, caught.value.column) == (2, 8)
    with pytest.raises(ProgramSyntaxError, match="EVAL expression holds a null byte"):
        translate_eval_expression("{X} == 'a\x00'")
