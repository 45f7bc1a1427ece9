"""One analysis of a program (``analyse_program`` -> ``ProgramReport``), and no other
module parsing program text on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from visprog import Registry, default_registry, tool
from visprog.checker.core import analyse_program, check_program
from visprog.errors import ProgramSyntaxError
from visprog.fronts import cli
from visprog.language.syntax import parse_tree
from visprog.values.core import Image

ROOT = Path(__file__).resolve().parents[1]

#: Calls of Python's parser outside visprog/language/ that are allowed: path -> how many
#: (none: the planner's moved to language.parse_tree; a new one fails at once).
KNOWN_OUTSIDE: dict[str, int] = {}


def parser_calls(tree: ast.Module) -> int:
    """Uses of ``ast.parse`` (under any alias of the module, or imported by name) and of
    ``compile(...)`` with flags (``ast.PyCF_ONLY_AST``) in one module."""
    modules = {"ast"}
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name == "ast"}
        elif isinstance(node, ast.ImportFrom) and node.module == "ast":
            functions |= {a.asname or a.name for a in node.names if a.name == "parse"}
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "parse" and isinstance(node.value, ast.Name) and node.value.id in modules:
            count += 1
        elif isinstance(node, ast.Name) and node.id in functions and isinstance(node.ctx, ast.Load):
            count += 1
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "compile"
              and (len(node.args) > 3 or any(k.arg == "flags" for k in node.keywords))):
            count += 1
    return count


def test_the_scan_sees_every_spelling_of_the_parser():
    sources = [
        "import ast\nast.parse('x')",
        "import ast as a\nf = a.parse",
        "from ast import parse\nparse('x')",
        "from ast import parse as p\np('x')",
        "compile('x', '<s>', 'exec', 1024)",
        "compile('x', '<s>', 'exec', flags=1024)",
    ]
    assert [parser_calls(parse_tree(s)) for s in sources] == [1, 1, 1, 1, 1, 1]
    assert parser_calls(parse_tree("import json\njson.loads('1')\ncompile('x', '<s>', 'eval')")) == 0


def test_only_the_language_layer_calls_the_parser():
    found: dict[str, int] = {}
    for folder in ("visprog", "tools"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("visprog/language/"):
                continue
            count = parser_calls(parse_tree(path.read_text(encoding="utf-8")))
            if count:
                found[relative] = count
    assert found == KNOWN_OUTSIDE
    assert parser_calls(parse_tree((ROOT / "visprog/language/syntax.py").read_text(encoding="utf-8"))) == 2


def test_report_of_a_step_program():
    report = analyse_program("X=LOC(image=PHOTO,object='dog')\nY=CROP(image=IMAGE,box=X)\nFINAL=RESULT(var=Y)", inputs=["IMAGE"])
    assert report.form == "steps"
    assert report.tools_called == ("detect", "crop", "result")
    assert [(f.name, f.line, f.column, f.kinds) for f in report.free_inputs.values()] == [
        ("PHOTO", 1, 13, frozenset({"Image"})),  # from LOC's image parameter
        ("IMAGE", 2, 14, frozenset({"Image"})),
    ]
    assert report.result_kinds == frozenset({"Image"})
    assert list(report.missing_inputs) == ["PHOTO"]
    [error] = report.errors
    assert (error.code, error.name) == ("undefined-variable", "PHOTO")
    assert check_program("X=LOC(image=PHOTO,object='dog')\nY=CROP(image=IMAGE,box=X)\nFINAL=RESULT(var=Y)", inputs=["IMAGE"]) == [error]


def test_report_of_an_entry_function():
    source = "def execute_command(image, question):\n    p = ImagePatch(image)\n    return p.simple_query(question)\n"
    report = analyse_program(source, inputs={"IMAGE": "Image"})
    assert report.form == "function"
    assert report.tools_called == ("ImagePatch", "patch_simple_query")
    assert {n: f.kinds for n, f in report.free_inputs.items()} == {"image": frozenset({"Image"}), "question": frozenset({"str", "None"})}
    assert report.result_kinds == frozenset({"str"})
    assert list(report.missing_inputs) == ["question"]
    assert [(d.code, d.name) for d in report.errors] == [("missing-input", "question")]
    given = analyse_program(source, inputs={"IMAGE": "Image", "question": "str"})
    assert given.errors == () and given.missing_inputs == {}
    assert given.free_inputs["question"].kinds == frozenset({"str"})  # the caller's kind wins


@pytest.mark.parametrize(("source", "kinds"), [
    ("result(3)", {"int"}),
    ("x = 'a'\nx = 2.5\nresult(x)", {"str", "float"}),
    ("B = LOC(image=IMAGE, object='cat')\nif len(B) > 1:\n    x = crop(IMAGE, B[0])\nelse:\n    x = 'few'\nresult(x)", {"Image", "str"}),
    # A loop may assign the variable again after result() read it: its kinds cover both.
    ("x = 1\nfor i in range(3):\n    result(x)\n    x = 'a'\n", {"int", "str"}),
    ("result(1)\nresult('a')", {"int", "str"}),
    ("def execute_command(image):\n    if image.width > 5:\n        return image\n    return None\n", {"Image", "None"}),
])
def test_result_kinds(source, kinds):
    report = analyse_program(source)
    assert report.errors == (), report.errors
    assert report.result_kinds == frozenset(kinds)


@pytest.mark.parametrize("source", [
    "x = 1\nfor i in range(3):\n    result(x)\n    x = IMAGE\n",  # IMAGE's kind is not given: unknown
    "x = 1\nfor b in LOC(image=IMAGE, object='cat'):\n    result([x])\n    x = b\n",  # not a variable, in a loop
    "x = 1\nresult(eval_expr(expr='{x} + 1'))",  # eval_expr returns any value
    "x = 1",  # no result at all
])
def test_result_kinds_unknown(source):
    assert analyse_program(source, inputs=["IMAGE"]).result_kinds is None


def test_report_of_text_that_does_not_parse():
    report = analyse_program("x = = 1")
    assert report.form is None and report.free_inputs == {} and report.result_kinds is None and report.tools_called == ()
    assert [d.code for d in report.errors] == ["syntax-error"]


def test_null_bytes_are_refused_in_one_place_the_same_everywhere():
    # The program text, an EVAL expression (a literal with an escaped NUL), and parse_tree
    # (the REPL's "does this line parse?").
    [program] = check_program("x = 1\ny = '\x00'\nresult(y)")
    assert (program.code, program.line, program.column) == ("syntax-error", 2, 6)
    assert program.message == "syntax error: the program holds a null byte"
    [in_eval] = check_program("A=EVAL(expr='1 +\\x00 2')\nFINAL=RESULT(var=A)")
    assert in_eval.code == "eval-syntax" and in_eval.message.endswith("the EVAL expression holds a null byte")
    with pytest.raises(ProgramSyntaxError, match="holds a null byte") as raised:
        parse_tree("x = 1\n\x00")
    assert (raised.value.line, raised.value.column) == (2, 1)


def _registry() -> Registry:
    @tool
    def paint(image: Image) -> Image:
        """Return the image.

        Args:
            image: the picture.

        Returns:
            The same picture.
        """
        return image

    @tool
    def words(image: Image) -> str:
        """Say something about the image.

        Args:
            image: the picture.

        Returns:
            Some words.
        """
        return "words"

    return Registry([paint, words])


def test_cli_refuses_out_for_an_entry_function_whose_result_is_text(tmp_path, small_image, capsys, monkeypatch):
    # The entry-function form's result kinds come from its return statements now.
    small_image.save(tmp_path / "img.png")
    monkeypatch.setattr("visprog.default_registry", _registry)
    (tmp_path / "f.vp").write_text("def execute_command(image):\n    return words(image)\n")
    code = cli.main(["run", str(tmp_path / "f.vp"), "--image", str(tmp_path / "img.png"), "--out", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and "the program's result is a str, not an image" in err
    assert not (tmp_path / "o.png").exists()
    (tmp_path / "g.vp").write_text("def execute_command(image):\n    return paint(image)\n")
    assert cli.main(["run", str(tmp_path / "g.vp"), "--image", str(tmp_path / "img.png"), "--out", str(tmp_path / "o.png")]) == 0
    assert (tmp_path / "o.png").exists()


def test_cli_names_the_flag_for_a_missing_entry_parameter(tmp_path, small_image, capsys):
    small_image.save(tmp_path / "img.png")
    (tmp_path / "q.vp").write_text("def execute_command(image, question):\n    return question\n")
    code = cli.main(["run", str(tmp_path / "q.vp"), "--image", str(tmp_path / "img.png")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    assert err == [f"{tmp_path / 'q.vp'}:1:1: error: the program reads question, but no input question was given: add --input question=PATH"]


def test_default_registry_is_used_when_none_is_given():
    assert analyse_program("result(1)").tools_called == analyse_program("result(1)", default_registry()).tools_called == ("result",)
