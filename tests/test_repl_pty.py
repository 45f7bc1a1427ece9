"""Each REPL behaviour of the fronts issue, driven in a real pseudo-terminal through
prompt_toolkit, as a person would type it."""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
import time
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

PROMPT = "visprog>"

# The default tools plus `nap`, which sleeps once (the first long nap): a step long
# enough to press Ctrl-C in, that runs instantly after a restart.
SCRIPT = textwrap.dedent(
    """
    import sys, time
    from visprog import Registry, default_registry, tool
    from visprog.fronts.repl import run_repl

    naps = []

    @tool
    def nap(seconds: float) -> float:
        '''Sleep, the first time it is asked for more than a second only.

        Args:
            seconds: how long.

        Returns:
            The seconds asked for.
        '''
        if seconds > 1 and not naps:
            naps.append(seconds)
            time.sleep(seconds)
        return seconds

    sys.exit(run_repl(sys.argv[1] if len(sys.argv) > 1 else None, registry=default_registry() | Registry([nap])))
    """
)


@pytest.fixture
def repl(tmp_path: Path, small_image):
    image = tmp_path / "photo.png"
    small_image.save(image)
    script = tmp_path / "repl_session.py"
    script.write_text(SCRIPT)
    env = {
        **os.environ, "VISPROG_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm", "COLUMNS": "160", "LINES": "50",
        "TMPDIR": str(tmp_path), "VISPROG_DEVICE": "cpu",  # an explicit device: no torch import for cache keys
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect answers no cursor-position requests: do not wait for them
    }
    child = pexpect.spawn(sys.executable, [str(script), str(image)], env=env, encoding="utf-8", timeout=60, dimensions=(50, 160))
    child.expect("IMAGE = Image\\(120x80\\)")
    child.expect(PROMPT)

    def send(line: str, *expected: str) -> None:
        """Type a line, wait for each expected output, then for the next prompt. (The
        prompt also shows in the echo of the typed line, so each command is matched on
        its output first.)"""
        if not expected:
            raise ValueError("give at least one expected output, so that the echo is not taken for the prompt")
        child.sendline(line)
        for pattern in expected:
            child.expect(pattern)
        child.expect(PROMPT)

    child.send_line = send
    yield child
    if child.isalive():
        child.sendline("quit")
        child.expect(pexpect.EOF)
    child.close()


def append(child, *lines: str) -> None:
    for line in lines:
        child.send_line(f"append {line}", r"\d+ \| " + re.escape(line))


def test_clear_clears_the_screen_and_keeps_the_program(repl):
    append(repl, "BOX0=LOC(image=IMAGE,object='LEFT')", "FINAL=RESULT(var=BOX0)")
    repl.sendline("clear")
    repl.expect(re.escape("\x1b[2J"))  # the erase-display sequence
    repl.expect(PROMPT)
    repl.send_line("program", "1 \\| BOX0=LOC", "2 \\| FINAL=RESULT")


def test_reset_asks_first_and_keeps_the_program_unless_confirmed(repl):
    append(repl, "BOX0=LOC(image=IMAGE,object='LEFT')", "FINAL=RESULT(var=BOX0)")
    repl.sendline("reset")
    repl.expect(re.escape("discard the program (2 lines) and its variables? [y/N]"))
    repl.sendline("n")
    repl.expect("kept the program")
    repl.expect(PROMPT)
    repl.send_line("program", "2 \\| FINAL=RESULT")
    repl.sendline("reset")
    repl.expect(re.escape("[y/N]"))
    repl.sendline("y")
    repl.expect("program and variables discarded; images still loaded: IMAGE")
    repl.expect(PROMPT)
    repl.send_line("program", re.escape("(empty program)"))


def test_a_mistyped_command_gets_a_suggestion(repl):
    repl.send_line("stpe", re.escape("unknown command 'stpe'; did you mean 'step'?"))
    repl.send_line("BOX0=LOC(image=IMAGE,object='LEFT')", "to add this line to the program, type: append BOX0=LOC")


def test_lines_are_checked_when_added(repl):
    repl.send_line("append Y = = 3", "line 1, column 5: invalid syntax; the line was not added")
    repl.send_line("append import os", "line 1, column 1: error: import is not allowed")
    repl.send_line("edit 1 X=LOCC(image=IMAGE,object='cat')", "line 1, column 3: error: 'LOCC' is not a registered tool", "did you mean 'LOC'")
    repl.send_line("append for i in range(2):", re.escape("(block opened: add its body with append, indented)"))
    repl.send_line("program", "1 \\| X=LOCC", "2 \\| for i in range")


def test_after_ctrl_c_continue_says_plainly_that_it_restarts(repl):
    append(repl, "a = nap(0.01)", "b = nap(30.0)", "result(a + b)")
    repl.send_line("step", "step 1, line 1")
    repl.sendline("continue")
    time.sleep(1.5)  # now inside the second step's sleep
    repl.sendintr()
    repl.expect(re.escape("interrupted in step 2 (line 2); the run stopped there"))
    repl.expect(PROMPT)
    repl.sendline("continue")
    repl.expect(re.escape("the run was interrupted in step 2 (line 2) and cannot resume there: restarting from step 1"))
    repl.expect("step 1, line 1")
    repl.expect("step 2, line 2")
    repl.expect("result: ")
    repl.expect(PROMPT)


def test_trace_writes_by_extension_or_refuses(repl, tmp_path):
    append(repl, "BOX0=LOC(image=IMAGE,object='LEFT')", "FINAL=RESULT(var=BOX0)")
    repl.send_line("run", "result: Detections")
    repl.send_line(f"trace {tmp_path / 'x.txt'}", "expected a .htm or .html or .json file, got .txt")
    assert not (tmp_path / "x.txt").exists()
    repl.send_line(f"trace {tmp_path / 'x.json'}", "trace saved to")
    assert json.loads((tmp_path / "x.json").read_text())["format"] == "visprog-trace"
    repl.send_line(f"trace {tmp_path / 'x.html'}", "trace saved to")
    assert (tmp_path / "x.html").read_text().startswith("<!DOCTYPE html>")


def test_open_of_a_missing_file_is_one_plain_line(repl):
    repl.sendline("open /nope.vp")
    repl.expect("error: open: file not found: /nope.vp")
    repl.expect(PROMPT)
    assert "Errno" not in repl.before


def test_show_lists_boxes_and_the_pictures_folder_is_removed_on_quit(repl):
    append(repl, "OBJ0=LOC(image=IMAGE,object='LEFT')", "FINAL=RESULT(var=OBJ0)")
    repl.send_line("run", "result: ")
    repl.sendline("show OBJ0")
    repl.expect(re.escape("OBJ0 = Detections(1 box: 'left'"))
    repl.expect("x1, y1, x2, y2")
    repl.expect(re.escape("1  'left'"))
    repl.expect(re.escape("(0, 0, 60, 80)"))
    repl.expect("image: (\\S+\\.png)")
    picture = Path(repl.match.group(1))
    repl.expect(PROMPT)
    assert picture.is_file()
    repl.sendline("quit")
    repl.expect(pexpect.EOF)
    assert not picture.parent.exists()


def test_program_text_cannot_drive_the_terminal(repl):
    repl.send_line("append x = 'a\\x1b]0;owned\\x07b'", "1 \\| x = ")
    repl.send_line("append result(x)", "2 \\| result")
    repl.sendline("run")
    repl.expect("result: ")
    repl.expect(PROMPT)
    assert "\x1b]0;owned" not in repl.before and "\\x1b]0;owned\\x07b" in repl.before
