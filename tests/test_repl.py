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
