"""Files are written atomically and output paths are checked before any work."""

from __future__ import annotations

import os

import PIL.Image
import pytest

from visprog import InputError, Trace


def _leftovers(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_write_atomic_replaces_the_file_whole(tmp_path):
    from visprog.trace.files import write_atomic

    target = tmp_path / "trace.html"
    write_atomic(target, "old")
    write_atomic(target, "new " * 1000)
    assert target.read_text() == "new " * 1000
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(28, "No space left on device")], ids=["ctrl-c", "disk-full"])
def test_an_interrupted_or_failed_write_keeps_the_old_file(tmp_path, monkeypatch, failure):
    from visprog.trace import files

    target = tmp_path / "trace.json"
    target.write_text("the good old trace")

    def broken_fsync(fd: int) -> None:
        raise failure

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    expected = KeyboardInterrupt if failure is KeyboardInterrupt else InputError
    with pytest.raises(expected) as caught:
        files.write_atomic(target, "x" * 100_000)
    assert target.read_text() == "the good old trace"
    assert _leftovers(tmp_path) == []
    if expected is InputError:
        assert "No space left on device" in str(caught.value) and str(target) in str(caught.value)


def test_trace_saves_go_through_the_atomic_writer(tmp_path, monkeypatch):
    from visprog.trace import files

    target = tmp_path / "t.html"
    target.write_text("previous")
    monkeypatch.setattr(files.os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    trace = Trace(program="x", result=1)
    with pytest.raises(KeyboardInterrupt):
        trace.save_html(target)
    with pytest.raises(KeyboardInterrupt):
        trace.save_json(tmp_path / "t.json")
    assert target.read_text() == "previous" and not (tmp_path / "t.json").exists()
    assert _leftovers(tmp_path) == []


def test_new_files_get_ordinary_permissions(tmp_path):
    from visprog.trace.files import write_atomic

    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.json", "{}")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("out.txt", "image", "unknown image extension .txt"),
        ("out", "image", "unknown image extension (none)"),
        ("missing/out.png", "image", "does not exist"),
        ("trace.htm", "json", "expected a .json file"),
        ("trace.txt", "trace", "expected a .htm or .html or .json file"),
        ("adir", "html", "expected a .htm or .html file"),
        ("adir.html", "html", "is a directory"),
    ],
)
def test_output_paths_are_checked_with_one_precise_line(tmp_path, name, kind, message):
    from visprog.trace.files import check_output_path

    (tmp_path / "adir").mkdir()
    (tmp_path / "adir.html").mkdir()
    with pytest.raises(InputError) as caught:
        check_output_path(tmp_path / name, kind=kind, flag="--out")
    text = str(caught.value)
    assert message in text and text.startswith("--out ") and "\n" not in text


_CHECK_READ_ONLY = """
import sys
from pathlib import Path
from visprog.errors import InputError
from visprog.trace.files import check_output_path
try:
    check_output_path(Path(sys.argv[1]) / "x.png", kind="image")
    print("accepted")
except InputError as exc:
    print(exc)
"""


def test_read_only_folder_is_refused_before_the_run(tmp_path, run_read_only):
    # Runs as root too (CI): the folder is a read-only mount there.
    folder = tmp_path / "ro"
    folder.mkdir()
    done = run_read_only(folder, _CHECK_READ_ONLY, [str(folder)])
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == f"{folder / 'x.png'}: folder {folder} is not writable"


def test_save_image_atomic_uses_the_extension(tmp_path):
    from visprog.trace.files import save_image_atomic

    picture = PIL.Image.new("RGB", (8, 6), (200, 10, 10))
    for name, fmt in [("a.png", "PNG"), ("a.jpg", "JPEG"), ("a.webp", "WEBP")]:
        save_image_atomic(picture, tmp_path / name)
        with PIL.Image.open(tmp_path / name) as saved:
            assert saved.format == fmt and saved.size == (8, 6)
    assert _leftovers(tmp_path) == []
