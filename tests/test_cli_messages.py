"""Each message of the fronts issue's CLI list, as one precise line (run in-process
through ``visprog.fronts.cli.main`` for speed; test_cli.py runs the real command)."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import threading
from pathlib import Path

import pytest

from visprog.fronts import cli, common

COUNT = "BOX0=LOC(image=IMAGE,object='LEFT')\nN0=COUNT(box=BOX0)\nFINAL=RESULT(var=N0)\n"
TAG = "BOX0=LOC(image=IMAGE,object='LEFT')\nIMAGE0=TAG(image=IMAGE,object=BOX0)\nFINAL=RESULT(var=IMAGE0)\n"
# The result's type is known only after the run: an if/else picks it.
EITHER = "BOX0=LOC(image=IMAGE,object='LEFT')\nif len(BOX0) > 5:\n    x = crop(IMAGE, BOX0[0])\nelse:\n    x = 'few'\nresult(x)\n"


def run(capsys, *args: str) -> tuple[int, str, list[str]]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, [line for line in captured.err.splitlines() if line.strip()]


@pytest.fixture
def folder(tmp_path: Path, small_image) -> Path:
    small_image.save(tmp_path / "img.png")
    (tmp_path / "count.vp").write_text(COUNT)
    (tmp_path / "tag.vp").write_text(TAG)
    (tmp_path / "either.vp").write_text(EITHER)
    (tmp_path / "hide_faces.vp").write_text("OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='smiley')\nFINAL=RESULT(var=IMAGE0)\n")
    return tmp_path


def test_a_program_that_needs_an_image_names_the_flag(folder, capsys):
    code, out, err = run(capsys, "run", str(folder / "hide_faces.vp"))
    assert code == 2 and out == ""
    assert err == [f"{folder / 'hide_faces.vp'}:1:20: error: the program reads IMAGE, but no image was given: add --image PATH"]


def test_a_missing_named_input_names_the_input_flag(folder, capsys):
    (folder / "pair.vp").write_text("N0=COUNT(box=LOC(image=LEFT,object='LEFT'))\nN1=COUNT(box=LOC(image=RIGHT,object='LEFT'))\nFINAL=RESULT(var=N0)\n")
    code, _, err = run(capsys, "run", str(folder / "pair.vp"), "--input", f"LEFT={folder / 'img.png'}")
    assert code == 2 and len(err) == 1
    assert err[0].endswith("the program reads RIGHT, but no input RIGHT was given: add --input RIGHT=PATH")


def test_check_failures_print_file_line_column_and_no_empty_table(folder, capsys):
    (folder / "bad.vp").write_text("B=LOCC(image=IMAGE,object='x')\nFINAL=RESULT(var=B)\n")
    code, out, err = run(capsys, "run", str(folder / "bad.vp"), "--image", str(folder / "img.png"))
    assert code == 1 and out == ""
    assert len(err) == 1 and err[0].startswith(f"{folder / 'bad.vp'}:1:3: error: 'LOCC' is not a registered tool")
    assert "┏" not in "".join(err) and "visprog trace" not in "".join(err)


def test_a_directory_as_image_says_so(folder, capsys):
    code, _, err = run(capsys, "run", str(folder / "count.vp"), "--image", str(folder))
    assert code == 2 and err == [f"visprog: error: --image {folder}: is a directory, not an image file"]


def test_a_text_file_named_jpg_says_it_is_not_an_image(folder, capsys):
    (folder / "notes.jpg").write_text("just some text\n")
    code, _, err = run(capsys, "run", str(folder / "count.vp"), "--image", str(folder / "notes.jpg"))
    assert code == 2 and len(err) == 1
    assert "not a readable image" in err[0] and "_io." not in err[0] and "BufferedReader" not in err[0]


def test_other_url_schemes_are_refused_plainly(folder, capsys):
    code, _, err = run(capsys, "run", str(folder / "count.vp"), "--image", "ftp://example.org/a.jpg")
    assert code == 2 and err == ["visprog: error: --image ftp://example.org/a.jpg: URLs are not supported here (only http:// and https:// are downloaded)"]


@contextlib.contextmanager
def serve(folder: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_http_url_is_downloaded_with_its_slashes_intact(folder, capsys, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    with serve(folder) as base:
        code, out, err = run(capsys, "run", str(folder / "count.vp"), "--image", f"{base}/img.png")
        assert code == 0, err
        assert out.strip() == "1"
        code, _, err = run(capsys, "run", str(folder / "count.vp"), "--image", f"{base}/nope.png")
        assert code == 2 and err == [f"visprog: error: --image {base}/nope.png: download failed: HTTP 404 File not found"]
        monkeypatch.setattr(common, "MAX_DOWNLOAD_BYTES", 100)
        code, _, err = run(capsys, "run", str(folder / "count.vp"), "--image", f"{base}/img.png")
        assert code == 2 and len(err) == 1 and "download limit is 100" in err[0]


def test_unknown_out_extension_is_refused_before_the_run(folder, capsys, monkeypatch):
    ran = []
    monkeypatch.setattr("visprog.run_program", lambda *a, **k: ran.append(1))
    code, _, err = run(capsys, "run", str(folder / "tag.vp"), "--image", str(folder / "img.png"), "--out", str(folder / "x.txt"))
    assert code == 2 and ran == [] and len(err) == 1 and "unknown image extension .txt" in err[0]
    code, _, err = run(capsys, "run", str(folder / "tag.vp"), "--image", str(folder / "img.png"), "--html", str(folder / "no" / "t.html"))
    assert code == 2 and ran == [] and err == [f"visprog: error: --html {folder / 'no' / 't.html'}: folder {folder / 'no'} does not exist"]


def test_out_with_a_result_that_is_statically_not_an_image_is_refused_before_the_run(folder, capsys):
    code, out, err = run(capsys, "run", str(folder / "count.vp"), "--image", str(folder / "img.png"), "--out", str(folder / "o.png"))
    assert code == 2 and out == ""
    assert err == [f"visprog: error: --out {folder / 'o.png'}: the program's result is an int, not an image; drop --out, or return an image"]


def test_out_with_a_non_image_result_found_after_the_run_prints_the_result_and_says_so(folder, capsys):
    code, out, err = run(capsys, "run", str(folder / "either.vp"), "--image", str(folder / "img.png"), "--out", str(folder / "o.png"))
    assert code == 1
    assert out.strip() == "few"  # the computed result is printed
    assert err[-1] == f"visprog: --out {folder / 'o.png'}: the result is a str ('few'), not an image; nothing was written"
    assert not (folder / "o.png").exists()


def test_out_writes_an_image_result(folder, capsys):
    code, out, err = run(capsys, "run", str(folder / "tag.vp"), "--image", str(folder / "img.png"), "--out", str(folder / "o.jpg"))
    assert code == 0 and "Image(120x80)" in out
    import PIL.Image

    with PIL.Image.open(folder / "o.jpg") as saved:
        assert saved.format == "JPEG" and saved.size == (120, 80)


def test_the_result_is_printed_even_when_saving_fails(folder, capsys, monkeypatch):
    from visprog import InputError
    from visprog.trace import files

    def full_disk(*args, **kwargs):
        raise InputError(f"cannot write {folder / 't.html'}: No space left on device")

    monkeypatch.setattr(files, "write_atomic", full_disk)
    code, out, err = run(capsys, "run", str(folder / "count.vp"), "--image", str(folder / "img.png"), "--html", str(folder / "t.html"))
    assert code == 1
    assert out.strip() == "1"
    assert err[-1] == f"visprog: --html: cannot write {folder / 't.html'}: No space left on device"


def test_json_is_bounded_and_full_is_complete(folder, capsys, astronaut):
    astronaut.save(folder / "astronaut.png")
    code, out, _ = run(capsys, "run", str(folder / "tag.vp"), "--image", str(folder / "astronaut.png"), "--json")
    assert code == 0 and len(out) < 500_000
    assert json.loads(out)["encoding"]["downscaled"] >= 2
    code, full, _ = run(capsys, "run", str(folder / "tag.vp"), "--image", str(folder / "astronaut.png"), "--json", "--full")
    assert code == 0 and len(full) > 2 * len(out) and json.loads(full)["encoding"]["downscaled"] == 0
    code, _, err = run(capsys, "run", str(folder / "tag.vp"), "--image", str(folder / "astronaut.png"), "--full")
    assert code == 2 and err == ["visprog: error: --full goes with --json (the whole trace, every image exact)"]


def test_control_characters_in_results_and_messages_are_escaped(folder, capsys):
    (folder / "evil.vp").write_text("x = 'a\\x1b]0;owned\\x07b\\x1b[2J'\nresult(x)\n")
    code, out, err = run(capsys, "run", str(folder / "evil.vp"), "--image", str(folder / "img.png"))
    assert code == 0 and "\x1b" not in out + "".join(err) and "\x07" not in out
    assert out.strip() == "a\\x1b]0;owned\\x07b\\x1b[2J"
    code, _, err = run(capsys, "run", str(folder / "no\x1b[31mpe.vp"))
    assert code == 2 and err == [f"visprog: error: program file not found: {folder}/no\\x1b[31mpe.vp"]


def test_ctrl_c_exits_130_with_one_line(folder, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("visprog.start_program", interrupted)
    code, out, err = run(capsys, "run", str(folder / "count.vp"), "--image", str(folder / "img.png"))
    assert code == 130 and out == "" and err == ["visprog: interrupted"]


def test_watch_interrupts_notices_sigint_even_when_it_is_swallowed():
    with cli.watch_interrupts() as flag:
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            pass  # what the interpreter does today: records it as a failed step
    assert flag.hit
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_entry_function_without_its_image_names_the_flag(folder, capsys):
    (folder / "read.py").write_text("def execute_command(image):\n    return len(read_text(image))\n")
    code, _, err = run(capsys, "run", str(folder / "read.py"))
    assert code == 2 and err == [f"{folder / 'read.py'}:1:1: error: the program reads image, but no image was given: add --image PATH"]


def test_ask_checks_its_output_paths_before_planning(folder, capsys, monkeypatch):
    import visprog.planner

    monkeypatch.setattr(visprog.planner, "Planner", lambda *a, **k: pytest.fail("planned despite a bad --out"))
    code, out, err = run(capsys, "ask", "Hide the faces", "--image", str(folder / "img.png"), "--out", str(folder / "x.txt"))
    assert code == 2 and out == "" and len(err) == 1 and "unknown image extension .txt" in err[0]


def test_interrupted_is_said_even_when_the_interrupt_broke_an_import_of_numpy():
    """A Ctrl-C in the middle of ``import numpy`` leaves numpy unimportable in that
    process; saying "interrupted" must not need it (it once raised ImportError there)."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['numpy'] = None\n"  # any import of numpy now fails
        "from visprog.fronts.common import say\n"
        "say('interrupted')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "visprog: interrupted\n")
    # Messages that need escaping still get it.
    assert common.printable("odd \x1b[2J name") == "odd \\x1b[2J name"


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header says width x height (the pixels are never read)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize(("width", "height", "shown"), [
    (20_000, 20_000, "400,000,000 pixels"),  # over twice Pillow's own limit: Pillow refuses it at once
    (12_000, 12_000, "12000x12000 = 144,000,000 pixels"),  # over Pillow's warning limit
    (8_000, 8_000, "8000x8000 = 64,000,000 pixels"),  # over visprog's limit only
])
def test_an_oversized_image_says_its_size_the_limit_and_how_to_raise_it(folder, capsys, width, height, shown):
    big = _png_header_only(folder / "big.png", width, height)
    code, out, err = run(capsys, "run", str(folder / "count.vp"), "--image", str(big))
    assert code == 2 and out == ""
    assert err == [
        f"visprog: error: --image {big}: the image is too large: {shown}; the limit is 50,000,000 (max_image_pixels): "
        "shrink the image, or raise the limit with --max-image-pixels N"
    ]


def test_max_image_pixels_sets_the_limit(folder, capsys):
    code, _, err = run(capsys, "run", str(folder / "count.vp"), "--image", str(folder / "img.png"), "--max-image-pixels", "9000")
    assert code == 2 and "120x80 = 9,600 pixels; the limit is 9,000" in err[0]
    code, out, _ = run(capsys, "run", str(folder / "count.vp"), "--image", str(folder / "img.png"), "--max-image-pixels", "9600")
    assert code == 0 and out.strip() == "1"


def test_a_failing_run_says_its_error_once(folder, capsys):
    (folder / "loop.vp").write_text("x = 0\nwhile True:\n    x = x + 1\nresult(x)\n")
    code, out, err = run(capsys, "run", str(folder / "loop.vp"))
    assert code == 1 and out == ""
    assert err == ["visprog: program failed: BudgetExceeded (line 3, column 5): more than 100000 statements executed (budget max_statements)"]
    (folder / "bad_margin.vp").write_text("B=LOC(image=IMAGE,object='LEFT')\nC=CROP(image=IMAGE,box=B,margin=-1.0)\nFINAL=RESULT(var=C)\n")
    code, _, err = run(capsys, "run", str(folder / "bad_margin.vp"), "--image", str(folder / "img.png"))
    text = "\n".join(err)
    assert code == 1 and text.count("margin must be positive") == 1
    assert err[-1] == "visprog: program failed: ToolError (line 2, column 3; tool CROP, argument 'margin'): margin must be positive"
    assert "ToolError (the error below)" in text  # the step's row points at it


def test_a_refused_requests_trace_says_why_once_and_that_no_planner_ran():
    from visprog import ErrorRecord, Trace

    reason = "'dog' is nothing the tools that can run here find; this request needs the detect (LOC) tool"
    trace = Trace(program="", error=ErrorRecord("ModelUnavailable", reason), request="Is the dog asleep?", attempts=[])
    page = trace.to_html()
    assert page.count("nothing the tools that can run here find") == 1
    assert "None: the request was refused before planning" in page and '<pre class="program"></pre>' not in page
    assert "<h2>Planner attempts</h2>" in page and "None: the chat model was not asked." in page
    assert "Steps (0)" not in page and "Run stopped" not in page


def test_a_refused_ask_prints_no_blank_line_for_its_missing_program(folder, capsys):
    from visprog import default_registry
    from visprog.models.manager import model_manager

    if all(model_manager().availability(spec, probe=False).ready for spec in default_registry()["detect"].models):
        pytest.skip("the detector's weights are here")
    html = folder / "refused.html"
    code = cli.main(["ask", "Is the dog asleep?", "--image", str(folder / "img.png"), "--show-program", "--html", str(html)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"trace: {html}\nvisprog: ModelUnavailable: ") and "\n\n" not in err


def test_model_help_texts_come_from_the_provider_table(monkeypatch):
    """A provider added to models/chat.py's PROVIDERS shows in both --model help texts."""
    import argparse

    from visprog.evaluation.cli import add_commands
    from visprog.models import chat

    extra = chat.ChatProvider("acme", "acme:MODEL", "Acme's chat endpoint", lambda name: pytest.fail("built"))
    monkeypatch.setitem(chat.PROVIDERS, "acme", extra)
    helps = []
    for command, add in (("ask", cli_more_add_ask), ("eval", add_commands)):
        parser = argparse.ArgumentParser()
        add(parser.add_subparsers())
        [model] = [a for a in parser._subparsers._group_actions[0].choices[command]._actions if "--model" in a.option_strings]
        helps.append(model.help)
    for text in helps:
        assert all(p.form in text for p in chat.PROVIDERS.values()) and "acme:MODEL: Acme's chat endpoint" in text


def cli_more_add_ask(sub):  # the ask command alone
    from visprog.fronts.cli_more import add_ask

    add_ask(sub)
