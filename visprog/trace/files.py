"""Files visprog writes: atomically, after checking where they go.

Every file the project writes (HTML and JSON traces, result images, saved programs)
goes through :func:`write_atomic`: the bytes go to a temporary file in the same folder,
are flushed and fsynced, and only then replace the target with :func:`os.replace`.
Ctrl-C, a crash or a full disk leave either the old file or the new one, never a
truncated mix. :func:`check_output_path` validates a path *before* a run, so a bad
``--out`` costs nothing.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from visprog.errors import InputError

if TYPE_CHECKING:
    import PIL.Image

__all__ = [
    "HTML_EXTENSIONS",
    "JSON_EXTENSIONS",
    "check_output_path",
    "image_extensions",
    "save_image_atomic",
    "write_atomic",
]

HTML_EXTENSIONS = frozenset({".html", ".htm"})
JSON_EXTENSIONS = frozenset({".json"})


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder,
    flushed and fsynced, then renamed over ``path`` (:func:`os.replace`).

    Returns:
        The path written.

    Raises:
        InputError: the folder does not exist or cannot be written, the disk is full,
            or ``path`` is a directory. The old file, if any, is left as it was, and no
            temporary file is left behind.
    """
    target = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError(f"cannot write {target}: it is a directory")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise InputError(f"cannot write {target}: folder {folder} does not exist") from None
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            with contextlib.suppress(OSError):  # keep the old file's permissions
                os.chmod(temporary, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException as exc:  # KeyboardInterrupt too: never leave the temporary file
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
        raise
    _fsync_folder(folder)
    return target


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def image_extensions() -> dict[str, str]:
    """Extension (``".png"``) -> PIL format name (``"PNG"``) for every format PIL can
    write here."""
    import PIL.Image

    PIL.Image.init()
    return {ext: fmt for ext, fmt in PIL.Image.registered_extensions().items() if fmt in PIL.Image.SAVE}


def check_output_path(path: str | os.PathLike[str], *, kind: str, flag: str | None = None) -> Path:
    """Validate an output path before any work is done.

    Args:
        path: where a file will be written.
        kind: ``"image"`` (any extension PIL can write), ``"html"``, ``"json"`` or
            ``"trace"`` (``.html``/``.htm`` or ``.json``), or ``"any"``.
        flag: how the user gave the path (``"--out"``), used in messages.

    Returns:
        The path.

    Raises:
        InputError: one line naming the flag and what is wrong: unknown extension,
            missing folder, folder not writable, or the path is a directory.
    """
    target = Path(path)
    shown = f"{flag} {target}" if flag else str(target)
    suffix = target.suffix.lower()
    if kind == "image":
        known = image_extensions()
        if suffix not in known:
            raise InputError(
                f"{shown}: unknown image extension {suffix or '(none)'!s}; use one of .png, .jpg, .webp, .bmp, .tif"
            )
    elif kind in ("html", "json", "trace"):
        allowed = {
            "html": HTML_EXTENSIONS, "json": JSON_EXTENSIONS, "trace": HTML_EXTENSIONS | JSON_EXTENSIONS,
        }[kind]
        if suffix not in allowed:
            raise InputError(f"{shown}: expected a {' or '.join(sorted(allowed))} file, got {suffix or 'no extension'}")
    elif kind != "any":
        raise InputError(f"unknown output kind {kind!r}")
    if target.is_dir():
        raise InputError(f"{shown}: is a directory; give a file name")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{shown}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{shown}: folder {folder} is not writable")
    return target


def save_image_atomic(pil: PIL.Image.Image, path: str | os.PathLike[str]) -> Path:
    """Encode ``pil`` in the format its extension names, then write it atomically.

    Raises:
        InputError: unknown extension, or the file cannot be written.
    """
    target = Path(path)
    fmt = image_extensions().get(target.suffix.lower())
    if fmt is None:
        raise InputError(f"{target}: unknown image extension {target.suffix or '(none)'}")
    picture = pil
    if fmt in ("JPEG", "BMP", "PPM") and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    buffer = io.BytesIO()
    try:
        picture.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{target}: cannot encode the image as {fmt}: {exc}") from None
    return write_atomic(target, buffer.getvalue())
