"""The command line, run as a user would: a subprocess of ``python -m visprog``."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = "BOX0=LOC(image=IMAGE,object='LEFT')\nN0=COUNT(box=BOX0)\nFINAL=RESULT(var=N0)\n"


def visprog(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "visprog", *args], input=stdin, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def files(tmp_path: Path, small_image):
    image = tmp_path / "img.png"
    small_image.save(image)
    program = tmp_path / "prog.vp"
    program.write_text(PROGRAM)
    return tmp_path, image, program


def _default_device_env() -> dict[str, str]:
    """This environment without the device tests/conftest.py names: device "auto", which
    imports torch when resolved, so that these tests see any such resolution."""
    return {k: v for k, v in os.environ.items() if k != "VISPROG_DEVICE"}


def test_help_does_not_import_torch():
    code = "import sys; from visprog.fronts.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)"
    env = _default_device_env()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.stdout.strip().endswith("False")
    out = subprocess.run([sys.executable, "-c", "import sys, visprog; print('torch' in sys.modules)"], capture_output=True, text=True, timeout=60,
                         env=env)
    assert out.stdout.strip() == "False"


def test_run_prints_answer_and_writes_html(files):
    folder, image, program = files
    html = folder / "trace.html"
    out = visprog("run", str(program), "--image", str(image), "--html", str(html))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"
    assert html.is_file() and "<!DOCTYPE html>" in html.read_text()
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_run_json(files):
    _, image, program = files
    out = visprog("run", str(program), "--image", str(image), "--json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["format"] == "visprog-trace" and len(data["steps"]) == 3 and data["result"] == 1


def test_run_from_stdin(files):
    _, image, _ = files
    out = visprog("run", "-", "--image", str(image), stdin=PROGRAM)
    assert out.returncode == 0 and out.stdout.strip() == "1"


def test_version():
    out = visprog("--version")
    assert out.returncode == 0 and out.stdout.strip().startswith("visprog ") and out.stdout.strip()[8:9].isdigit()


def test_ctrl_c_caught_inside_exec_of_a_string_still_exits_130(tmp_path):
    """CPython 3.11 remembers a KeyboardInterrupt that left code run by exec() of a
    string as unhandled, even when the command caught it, and when ``python -m`` ends
    normally it kills the process with SIGINT (-2). A Ctrl-C while dataclasses or
    namedtuples are built at import does just that; the command still ends with 130
    and its one line. (The module stands in for ``python -m visprog``.)"""
    (tmp_path / "interrupting.py").write_text(
        "import sys\n"
        "import visprog.fronts.cli as cli\n"
        "def interrupted(argv):\n"
        "    try:\n"
        "        exec('raise KeyboardInterrupt')\n"
        "    except KeyboardInterrupt:\n"
        "        print('visprog: interrupted', file=sys.stderr)\n"
        "        return 130\n"
        "cli.main = interrupted\n"
        "from visprog.__main__ import main\n"
        "raise SystemExit(main(['tools']))\n"
    )
    out = subprocess.run([sys.executable, "-m", "interrupting"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert (out.returncode, out.stderr) == (130, "visprog: interrupted\n")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing_image", "image not found"),
        ("corrupt_image", "not a readable image"),
        ("missing_program", "program file not found"),
        ("empty_program", "is empty"),
        ("bad_input_flag", "--input expects NAME=PATH"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(files, setup, message):
    folder, image, program = files
    args = ["run", str(program), "--image", str(image)]
    if setup == "missing_image":
        args[3] = str(folder / "nope.png")
    elif setup == "corrupt_image":
        bad = folder / "bad.jpg"
        bad.write_bytes(b"\xff\xd8garbage")
        args[3] = str(bad)
    elif setup == "missing_program":
        args[1] = str(folder / "nope.vp")
    elif setup == "empty_program":
        empty = folder / "empty.vp"
        empty.write_text("\n \n")
        args[1] = str(empty)
    else:
        args += ["--input", "LEFT"]
    out = visprog(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


def test_failing_program_exits_1_with_location(files):
    folder, image, _ = files
    program = folder / "bad.vp"
    program.write_text("B=LOC(image=IMAGE,object='LEFT')\nC=CROP(image=IMAGE,box=B,margin=-2.0)\nFINAL=RESULT(var=C)\n")
    out = visprog("run", str(program), "--image", str(image))
    assert out.returncode == 1
    assert "line 2" in out.stderr and "tool CROP" in out.stderr and "Traceback" not in out.stderr


def test_check_prints_file_line_column(files):
    folder, _, program = files
    assert visprog("check", str(program)).returncode == 0
    bad = folder / "bad.vp"
    bad.write_text("X=LOCC(image=IMAGE,object='dog')\n")
    out = visprog("check", str(bad))
    assert out.returncode == 1
    first = next(line for line in out.stdout.splitlines() if "LOCC" in line)
    assert first.startswith(f"{bad}:1:3: error: 'LOCC' is not a registered tool")
    assert "did you mean 'LOC'?" in first


def test_tools_listing():
    out = visprog("tools", "--json")
    names = {t["name"] for t in json.loads(out.stdout)}
    assert {"detect", "crop", "vqa", "classify", "result"} <= names
    stubs = visprog("tools", "--stubs").stdout
    assert "def detect(image: Image, query: str | list[str]" in stubs


def test_tools_table_says_which_tools_run_here(tmp_path):
    # An empty cache folder: the detector's weights are not here, the face detector's
    # ship with its package, crop needs nothing.
    env = {"VISPROG_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    out = visprog("tools", env=env)
    assert out.returncode == 0
    status = {}
    for line in out.stdout.splitlines():
        cells = line.split("│")
        # A row's first line: the tool's name (then its signature and description,
        # indented, on the lines below) and its status.
        if len(cells) == 4 and cells[1].startswith(" ") and not cells[1].startswith("  "):
            status[cells[1].split()[0]] = cells[2].strip()
    assert status["detect"].startswith("needs download")
    assert status["detect_faces"] == "ready" and status["crop"] == "ready"


def test_models_list_and_offline_pull(tmp_path):
    env = {"VISPROG_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    out = visprog("models", "list", env=env)
    assert out.returncode == 0
    for key in ("detector", "segmenter", "clip", "captioner", "vqa", "faces", "ocr"):
        assert key in out.stdout
    assert "google/owlv2-base-patch16-ensemble" in out.stdout
    pulled = visprog("models", "pull", "LOC", env=env)
    assert pulled.returncode == 1 and "Traceback" not in pulled.stderr
    assert "google/owlv2-base-patch16-ensemble" in pulled.stderr
    unknown = visprog("models", "pull", "nope", env=env)
    assert unknown.returncode == 2 and "no model or tool named 'nope'" in unknown.stderr


def test_models_pull_agrees_with_models_list(tmp_path):
    """A model that `models list` shows as present is not fetched again by `models pull`
    (it used to tell the user to pip-install a package that was installed)."""
    from visprog.fronts.cli_more import model_table
    from visprog.models.manager import model_manager

    env = {"VISPROG_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", "COLUMNS": "250"}
    present = [spec.key for spec, _ in model_table() if model_manager().is_present(spec)]
    assert {"faces", "ocr"} <= set(present)  # their weights ship in packages
    for key in present:
        out = visprog("models", "pull", key, env=env)
        assert out.returncode == 0, out.stderr
        assert f"{key}:" in out.stderr and "present already" in out.stderr and "pip install" not in out.stderr


def test_building_the_registry_imports_no_torch():
    code = "import sys, visprog; r = visprog.default_registry(); print(len(r.tools), 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=_default_device_env())
    count, torch_loaded = out.stdout.split()
    assert int(count) > 20 and torch_loaded == "False"


def test_models_list_and_tools_agree_on_missing_libraries():
    """A tool whose only model is missing a library is listed so by both `tools` and
    `models list` (the inpainter said 'needs download' while replace said 'missing
    library: diffusers')."""
    from visprog import default_registry
    from visprog.fronts.cli_more import model_table
    from visprog.models.manager import model_manager, tool_availability

    registry = default_registry()
    by_name = {t.name: t for t in registry.tools}
    checked = 0
    for spec, tools in model_table():
        model = model_manager().availability(spec, probe=False)
        for name, _ in tools:
            tool = by_name[name]
            if list(tool.models) != [spec]:
                continue
            status = tool_availability(tool.requires, tool.models, probe=False)
            if status.state == "missing-library" or model.state == "missing-library":
                assert (spec.key, model.label()) == (spec.key, status.label())
                checked += 1
    from visprog.models.manager import module_present

    if not module_present("diffusers"):
        assert checked >= 1  # replace and its inpainter were compared


def test_models_list_shows_the_planners_chat_model(monkeypatch, capsys):
    from visprog.fronts import cli

    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("VISPROG_LLM", raising=False)
    assert cli.main(["models", "list"]) == 0
    block = capsys.readouterr().out.split("\nllm: ")[1].split("\n\n")[0]
    assert block.startswith("ready\n") and "model:   SmolLM2-135M-Instruct" in block and "ask (the planner)" in block
    monkeypatch.setenv("VISPROG_LLM", "none")
    from visprog.models.manager import set_model_manager

    set_model_manager(None)  # the configuration is read again
    try:
        assert cli.main(["models", "list"]) == 0
        assert "\nllm: off (VISPROG_LLM=none)\n" in capsys.readouterr().out
    finally:
        monkeypatch.delenv("VISPROG_LLM")
        set_model_manager(None)
