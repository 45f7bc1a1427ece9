import pytest

from visprog import ProgramSyntaxError, parse_program
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


def test_empty_program_is_an_empty_program_syntax_error():
    # Not InputError: run_program turns syntax errors into a CheckFailed result, and an
    # empty program is a problem *in the program* (it promises not to raise for those).
    from visprog.errors import EmptyProgram

    with pytest.raises(EmptyProgram):
        parse_program("   \n  ")
    with pytest.raises(EmptyProgram, match="only comments"):
        parse_program("# nothing but a comment\n")


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


@pytest.mark.parametrize("source", ["# only a comment\n", "# a\n\n# b\n", "   \n# c", "", " \n\t\n"])
def test_programs_without_a_statement_are_one_empty_program_diagnostic_and_never_raise(source):
    from visprog import check_program, run_program

    assert [d.code for d in check_program(source)] == ["empty-program"]
    result = run_program(source)  # promises never to raise for problems in the program
    assert result.error is not None and result.error.kind == "CheckFailed" and "empty" in result.error.message


@pytest.mark.parametrize(("source", "line", "column"), [("x = '\udce9'\nresult(x)", 1, 6), ("x = 1\n# \udcff\nresult(x)", 2, 3),
                                                        ("result('\ud800')", 1, 9)])
def test_lone_surrogates_are_a_syntax_error_with_their_place(source, line, column):
    from visprog import check_program, run_program

    [diagnostic] = check_program(source)
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("syntax-error", line, column)
    assert "not valid text" in diagnostic.message
    assert run_program(source).error.kind == "CheckFailed"


def test_an_error_record_prints_on_one_line_whatever_it_wraps():
    from visprog import Registry, ToolError, run_program, tool

    @tool
    def noisy(n: int) -> int:
        """Fails with a message of several lines.

        Args:
            n: ignored.

        Returns:
            never.
        """
        raise ToolError("first\nsecond\r\x1b[2J")

    @tool
    def crashing(n: int) -> int:
        """Fails with a foreign exception of several lines.

        Args:
            n: ignored.

        Returns:
            never.
        """
        raise RuntimeError("one\ntwo")

    registry = Registry([noisy, crashing])
    for name in ("noisy", "crashing"):
        text = str(run_program(f"x = {name}(1)\nresult(x)", registry=registry).error)
        assert "\n" not in text and "\r" not in text and "\x1b" not in text, text
        assert "\\n" in text
