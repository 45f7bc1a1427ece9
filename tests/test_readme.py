"""Every command and Python snippet in the README runs, as written.

Fenced ``bash`` blocks are run line by line, ``python`` blocks as whole scripts, each in
a scratch folder that links to the checkout's files (so outputs such as trace.html land
there, not in the checkout). What the README says a command or snippet prints
(``# prints X``) is checked. Four exceptions, all stated here rather than hidden:

* the set-up and test commands (``bash scripts/setup.sh``, ``bash scripts/test.sh``):
  the first installs with pip and the second runs this suite; CI (``.ci/run``) runs
  exactly these two, before and as the suite, which is the same check;
* commands that another test runs as written, with more checks than "exits 0" (``NOT_RUN``
  names the test): running them here too would only repeat the work;
* commands whose README comment says ``# prints X`` run in
  ``test_readme_command_prints_what_it_says``, which also checks that their output ends
  with X (in a python snippet, ``print(...)  # prints X`` means its output holds X);
* benchmark commands run with ``VISPROG_BENCH_QUICK=1``, which each benchmark reads to
  use small sizes: the test proves the command works and prints the figures its README
  comment names (``BENCHMARK_PRINTS``); the full figures come from running it by hand.

Each command and snippet is its own test group (``xdist_group``), so the suite's two
workers share the slow ones out (tests/conftest.py groups everything else by file); the
Ray benchmark's line runs in the Ray tests' group, on their session's Ray node.
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
#: What each benchmark line's README comment says it prints, as words its quick run's
#: output must hold (a benchmark line missing here fails test_every_benchmark_says_what_it_prints).
BENCHMARK_PRINTS: dict[str, tuple[str, ...]] = {
    # quick: Ray with 2 workers only (the full run also times 1)
    "benchmarks/evaluation.py": ("items/s", "local (", "ray (2 workers", "model", "framework"),
    "benchmarks/interpreter.py": ("smolagents", "cold:", "warm:"),
    "benchmarks/reliability.py": ("family", "tried", "handled"),
    "benchmarks/rendering.py": ("to_html()", "to_json()", "bytes", "seconds"),
    "benchmarks/viper.py": ("corpus:", "answered right", "cold (", "warm ("),
    "benchmarks/tools.py": ("cold start", "batching", "result cache"),
    "benchmarks/faces.py": ("haar", "yunet", "prec", "recall", "FP", "ms"),
    "benchmarks/offline_requests.py": ("answered right", "attempts", "a program passed the checker", "seconds per request"),
    "benchmarks/people.py": ("pose px", "mask IoU", "ours ms", "recall"),
}
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text(encoding="utf-8")) if lang == kind]


def commands() -> list[str]:
    found: list[str] = []
    for body in blocks("bash"):
        for line in body.splitlines():
            line = line.split(" #", 1)[0].strip() if not line.strip().startswith("#") else ""
            if line:
                found.append(line)
    return found


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


def printed_claims() -> list[tuple[str, str]]:
    """(command, what it prints) for the bash lines whose comment says ``# prints X``:
    the last line of the command's output must be X."""
    found = []
    for body in blocks("bash"):
        for line in body.splitlines():
            command, sep, comment = line.partition(" #")
            if sep and comment.strip().startswith("prints "):
                found.append((command.strip(), comment.strip().removeprefix("prints ").strip()))
    return found


def snippet_claims(code: str) -> list[str]:
    """What the ``# prints X`` comments of a python snippet say its output holds."""
    found = []
    for line in code.splitlines():
        _, sep, comment = line.partition("  #")
        if sep and comment.strip().startswith("prints "):
            found.append(comment.strip().removeprefix("prints ").split(";")[0].strip())
    return found


def test_the_readme_has_commands_and_snippets():
    assert len(commands()) >= 5 and len(blocks("python")) >= 3
    # The main commands and the first snippets say what they print, and the tests check it.
    assert len([c for c, _ in printed_claims() if c not in NOT_RUN]) >= 6
    assert sum(bool(snippet_claims(b)) for b in blocks("python")) >= 2


#: The README line whose benchmark runs on Ray: it joins the session's local Ray node
#: (``local_ray_node``, tests/conftest.py; ``VISPROG_BENCH_RAY`` tells the benchmark)
#: instead of starting its own, so it runs in that node's xdist group.
RAY_BENCHMARK = "benchmarks/evaluation.py"
RAY_GROUP = "test_evaluation_ray.py"


def own_group(values: list[str]) -> list[object]:
    """Parameters that each form their own xdist group (see the module docstring), but
    the Ray benchmark's, which joins the Ray tests' group."""
    return [pytest.param(v, marks=pytest.mark.xdist_group(RAY_GROUP if benchmark_of(v) == RAY_BENCHMARK else f"readme:{v}"))
            for v in values]


def benchmark_of(command: str) -> str | None:
    """The benchmark script a README line runs, if it runs one."""
    return next((word for word in shlex.split(command) if word.startswith("benchmarks/")), None)


def test_every_benchmark_says_what_it_prints():
    lines = [benchmark_of(c) for c in commands() if benchmark_of(c)]
    assert len(lines) >= 8 and set(lines) == set(BENCHMARK_PRINTS)


def test_snippet_claims_are_read_as_written():
    assert snippet_claims("print(v)  # prints Detections(2 boxes); inspect, then run()") == ["Detections(2 boxes)"]
    assert snippet_claims("print(v)  # a comment\nx = 1") == []


@pytest.mark.slow
@pytest.mark.parametrize("command", own_group(commands()))
def test_readme_command_runs(command: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if command in NOT_RUN:
        pytest.skip(NOT_RUN[command])
    if command in dict(printed_claims()):
        pytest.skip("run, and its output checked, by test_readme_command_prints_what_it_says")
    folder = scratch(tmp_path)
    argv = shlex.split(command)
    script = benchmark_of(command)
    env = environment()
    if script == RAY_BENCHMARK:
        node = request.getfixturevalue("local_ray_node")
        env |= node.auth_environment() | {"VISPROG_BENCH_RAY": node.address}
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command!r} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    if script is not None:
        missing = [words for words in BENCHMARK_PRINTS[script] if words not in done.stdout]
        assert not missing, f"{command!r}: the README says it prints these; missing {missing}:\n{done.stdout[-3000:]}"


@pytest.mark.parametrize(("command", "printed"), [
    pytest.param(c, p, marks=pytest.mark.xdist_group(f"readme:{c}")) for c, p in printed_claims()])
def test_readme_command_prints_what_it_says(command: str, printed: str, tmp_path: Path) -> None:
    done = subprocess.run(shlex.split(command), cwd=scratch(tmp_path), env=environment(), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{command!r} exited {done.returncode}:\n{done.stderr[-3000:]}"
    assert done.stdout.strip().splitlines()[-1].strip() == printed, f"{command!r} printed:\n{done.stdout[-2000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("index", [
    pytest.param(i, marks=pytest.mark.xdist_group(f"readme:snippet {i}")) for i in range(len(blocks("python")))])
def test_readme_python_snippet_runs(index: int, tmp_path: Path) -> None:
    code = blocks("python")[index]
    folder = scratch(tmp_path)
    python = ROOT / ".venv" / "bin" / "python"
    done = subprocess.run([str(python if python.exists() else sys.executable), "-c", code], cwd=folder,
                          env=environment(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"snippet {index} failed:\n{code}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    for claim in snippet_claims(code):
        assert claim in done.stdout, f"snippet {index}: the README says it prints {claim!r}; it printed:\n{done.stdout[-3000:]}"


@pytest.mark.parametrize("index", range(len(blocks("visprog"))))
def test_readme_visprog_programs_check(index: int) -> None:
    from visprog import check_program

    source = blocks("visprog")[index]
    assert check_program(source) == [], source
