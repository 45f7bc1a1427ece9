"""Every command and Python snippet in the README runs, as written.

Fenced ``bash`` blocks are run line by line, ``python`` blocks as whole scripts, each in
a scratch folder that links to the checkout's files (so outputs such as trace.html land
there, not in the checkout). Three exceptions, all stated here rather than hidden:

* the set-up and test commands (``bash scripts/setup.sh``, ``bash scripts/test.sh``):
  the first installs with pip and the second runs this suite; CI (``.ci/run``) runs
  exactly these two before and as the suite, which is the same check;
* commands that another test runs as written, with more checks than "exits 0" (``NOT_RUN``
  names the test): running them here too would only repeat the work;
* benchmark commands run with ``VISPROG_BENCH_QUICK=1``, which each benchmark reads to
  use small sizes: the test proves the command works and prints its figures; the full
  figures come from running it by hand.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOT_RUN = {
    "bash scripts/setup.sh": "the set-up command installs with pip; CI runs it before the suite (.ci/run)",
    "bash scripts/test.sh": "the test command runs this suite (CI runs it)",
    # These read datasets from disk: tests/test_evaluation.py::test_readme_commands runs
    # them as written, in a folder laid out as the README says.
    ".venv/bin/visprog eval gqa data/gqa --split testdev --program answer.vp --out gqa.jsonl":
        "needs a dataset on disk; run as written by tests/test_evaluation.py",
    ".venv/bin/visprog batch programs/count_left.vp --images 'photos/*.png' --out faces.jsonl":
        "needs photos on disk; run as written by tests/test_evaluation.py",
    # A ~12 s offline ask: tests/test_planner_offline.py runs it as written and checks
    # its answer and that stderr stays quiet, which covers "it runs".
    '.venv/bin/visprog ask "How many faces are there?" --image demos/images/two_people.jpg':
        "run as written, answer and quiet stderr checked, by tests/test_planner_offline.py",
}
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)
#: ``# prints: TEXT`` after a command or a snippet's line: what the README says it
#: prints. The test checks that a line of its output holds TEXT (up to two spaces,
#: after which the comment may go on).
PRINTS = re.compile(r"#\s*prints:\s*(.+?)(?:\s{2,}.*)?$")


def blocks(kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text(encoding="utf-8")) if lang == kind]


def commands() -> list[str]:
    return list(documented_commands())


def documented_commands() -> dict[str, list[str]]:
    """Each command of the bash blocks -> what the README says it prints."""
    found: dict[str, list[str]] = {}
    for body in blocks("bash"):
        for line in body.splitlines():
            command = line.split(" #", 1)[0].strip() if not line.strip().startswith("#") else ""
            if command:
                found[command] = prints(line)
    return found


def prints(text: str) -> list[str]:
    """The ``# prints: TEXT`` claims in ``text``, in order."""
    return [m.group(1).strip() for line in text.splitlines() if (m := PRINTS.search(line))]


def check_prints(where: str, stdout: str, claims: list[str]) -> None:
    lines = stdout.splitlines()
    for claim in claims:
        assert any(claim in line for line in lines), f"{where}: the README says it prints {claim!r}; it printed:\n{stdout[-3000:]}"


def scratch(tmp_path: Path) -> Path:
    for entry in ROOT.iterdir():
        if entry.name not in (".git",):
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["VISPROG_BENCH_QUICK"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_the_readme_has_commands_and_snippets():
    assert len(commands()) >= 5 and len(blocks("python")) >= 3
    # The main commands and the first snippets say what they print, and the tests check it.
    claimed = [c for c, said in documented_commands().items() if said and c not in NOT_RUN]
    assert len(claimed) >= 4, claimed
    assert sum(bool(prints(b)) for b in blocks("python")) >= 2


def test_prints_claims_are_read_as_written():
    assert prints("x  # prints: result image: hidden.png") == ["result image: hidden.png"]
    assert prints("print(v)  # prints: Detections(2 boxes)   (inspect, then run())") == ["Detections(2 boxes)"]
    assert prints("x  # a comment") == []
    with pytest.raises(AssertionError, match="says it prints 'three'"):
        check_prints("cmd", "one\ntwo\n", ["three"])


@pytest.mark.slow
@pytest.mark.parametrize("command", commands())
def test_readme_command_runs(command: str, tmp_path: Path) -> None:
    if command in NOT_RUN:
        pytest.skip(NOT_RUN[command])
    folder = scratch(tmp_path)
    argv = shlex.split(command)
    done = subprocess.run(argv, cwd=folder, env=environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command!r} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    check_prints(command, done.stdout, documented_commands()[command])


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_readme_python_snippet_runs(index: int, tmp_path: Path) -> None:
    code = blocks("python")[index]
    folder = scratch(tmp_path)
    python = ROOT / ".venv" / "bin" / "python"
    done = subprocess.run([str(python if python.exists() else sys.executable), "-c", code], cwd=folder,
                          env=environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"snippet {index} failed:\n{code}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    check_prints(f"snippet {index}", done.stdout, prints(code))


@pytest.mark.parametrize("index", range(len(blocks("visprog"))))
def test_readme_visprog_programs_check(index: int) -> None:
    from visprog import check_program

    source = blocks("visprog")[index]
    assert check_program(source) == [], source
