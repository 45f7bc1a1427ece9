"""What the command line and the REPL share: one-line messages with control characters
escaped, Ctrl-C handling, image arguments (paths and bounded URL downloads), answers
as text, and atomic saving of outputs."""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: ``--image URL`` downloads at most this many bytes, within this many seconds.
MAX_DOWNLOAD_BYTES = 50_000_000


DOWNLOAD_TIMEOUT_S = 30.0


def printable(text: str) -> str:
    if text.isprintable():
        # Nothing to escape, and no import: after a Ctrl-C that broke off an import of
        # numpy, importing the renderer (which needs numpy) again would fail, and
        # "visprog: interrupted" must still be printed.
        return text
    from visprog.trace.render import printable as escaped

    return escaped(text)


def say(message: str) -> None:
    """One line on standard error, prefixed ``visprog:``, control characters escaped."""
    print(f"visprog: {printable(message)}", file=sys.stderr)


class InterruptFlag:
    """Set when SIGINT arrived while :func:`watch_interrupts` was active."""

    def __init__(self) -> None:
        self.hit = False


@contextlib.contextmanager
def watch_interrupts() -> Iterator[InterruptFlag]:
    """Notice Ctrl-C during a run even where the interpreter records the interrupt as a
    failed step instead of raising it: the flag is set, then KeyboardInterrupt is raised
    as usual. Outside the main thread it only yields the flag."""
    flag = InterruptFlag()
    try:
        previous = signal.getsignal(signal.SIGINT)
    except ValueError:
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        flag.hit = True
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        yield flag
        return
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _download(flag: str, url: str) -> bytes:
    """The bytes at an http(s) URL: at most :data:`MAX_DOWNLOAD_BYTES`, within
    :data:`DOWNLOAD_TIMEOUT_S` seconds in all."""
    import urllib.error
    import urllib.request

    from visprog import InputError

    request = urllib.request.Request(url, headers={"User-Agent": f"visprog/{version()}"})
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
    chunks: list[bytes] = []
    size = 0
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:  # noqa: S310 - http(s) only, checked by the caller
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_DOWNLOAD_BYTES:
                raise InputError(f"{flag} {url}: the file is {int(declared):,} bytes; the download limit is {MAX_DOWNLOAD_BYTES:,}")
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise InputError(f"{flag} {url}: larger than the download limit of {MAX_DOWNLOAD_BYTES:,} bytes")
                if time.monotonic() > deadline:
                    raise InputError(f"{flag} {url}: download took longer than {DOWNLOAD_TIMEOUT_S:.0f} s")
                chunks.append(chunk)
    except urllib.error.HTTPError as exc:
        raise InputError(f"{flag} {url}: download failed: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise InputError(f"{flag} {url}: download failed: {exc.reason}") from None
    except TimeoutError:
        raise InputError(f"{flag} {url}: download timed out after {DOWNLOAD_TIMEOUT_S:.0f} s") from None
    except OSError as exc:
        raise InputError(f"{flag} {url}: download failed: {exc.strerror or exc}") from None
    return b"".join(chunks)


def too_many_pixels(where: str, pixels: int, max_pixels: int, raise_hint: str | None, size: tuple[int, int] | None = None) -> str:
    """One line for an image over the pixel limit: its size, the limit, and what to do."""
    shown = f"{size[0]}x{size[1]} = {pixels:,} pixels" if size else f"{pixels:,} pixels"
    fix = "shrink the image" + (f", or raise the limit with {raise_hint}" if raise_hint else "")
    return f"{where}: the image is too large: {shown}; the limit is {max_pixels:,} (max_image_pixels): {fix}"


def load_image_argument(
    flag: str, text: str, *, max_pixels: int | None = None, raise_hint: str | None = None
) -> Any:
    """The image a flag names: a file, or an http(s) URL (downloaded with a size limit and
    a timeout). One precise :class:`~visprog.InputError` for a URL of another scheme, a
    missing file, a directory, a file that is no image, an image with more than
    ``max_pixels`` pixels (default: ``Limits().max_image_pixels``; the message names its
    size, the limit and ``raise_hint``, how to raise it), or an image that cannot be read.

    Returns:
        A :class:`visprog.Image`.
    """
    import io
    import re
    import urllib.parse
    import warnings

    import PIL.Image

    from visprog import InputError, Limits, load_image

    if max_pixels is None:
        max_pixels = Limits().max_image_pixels
    parts = urllib.parse.urlsplit(text)
    source: Path | bytes
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        source = _download(flag, text)
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", text):
        raise InputError(f"{flag} {text}: URLs are not supported here (only http:// and https:// are downloaded)")
    else:
        path = Path(text)
        if not path.exists():
            raise InputError(f"{flag} {text}: image not found")
        if path.is_dir():
            raise InputError(f"{flag} {text}: is a directory, not an image file")
        if not path.is_file():
            raise InputError(f"{flag} {text}: not a regular file")
        source = path
    where = f"{flag} {text}"
    try:
        with warnings.catch_warnings():
            # Pillow's own decompression-bomb guard: the size is checked against
            # max_pixels just below, with a message that says what to do.
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as probe:
                size = probe.size  # the header is read; the pixels are not
    except PIL.Image.DecompressionBombError as exc:
        # Pillow refuses images over twice its own limit before saying their size; its
        # message has the pixel count ("Image size (400000000 pixels) exceeds ...").
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else 2 * int(PIL.Image.MAX_IMAGE_PIXELS or 0) + 1
        raise InputError(too_many_pixels(where, pixels, max_pixels, raise_hint)) from None
    except PIL.UnidentifiedImageError:
        raise InputError(f"{flag} {text}: not a readable image (no image format recognised)") from None
    except OSError as exc:
        raise InputError(f"{flag} {text}: not a readable image ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for corrupt headers
        raise InputError(f"{flag} {text}: not a readable image ({type(exc).__name__})") from None
    if size[0] * size[1] > max_pixels:
        raise InputError(too_many_pixels(where, size[0] * size[1], max_pixels, raise_hint, size))
    try:
        return load_image(source, max_pixels=max_pixels)
    except InputError as exc:
        message = str(exc).replace("<bytes>", text)
        raise InputError(message if text in message else f"{flag} {text}: {message}") from None


def answer_text(value: Any) -> str:
    """The result as the last line(s) of output: text as it is (control characters
    escaped), other values summarised."""
    from visprog.trace.render import printable, summarize

    if isinstance(value, str):
        text = value if len(value) <= 100_000 else value[:100_000] + f"... ({len(value):,} characters)"
        return printable(text, newlines=True)
    return summarize(value, 10_000)


def save_outputs(result: Any, html: str | None, out: str | None) -> list[str]:
    """Write the HTML trace and the image result; one message per file that could not be
    written (the run's result stands either way)."""
    from visprog import Image, VisprogError
    from visprog.trace.files import save_image_atomic
    from visprog.trace.render import summarize

    problems = []
    if html:
        try:
            result.trace.save_html(html)
            print(f"trace: {printable(html)}", file=sys.stderr)
        except VisprogError as exc:
            problems.append(f"--html: {exc}")
    if out and result.error is None:
        if isinstance(result.result, Image):
            try:
                save_image_atomic(result.result.pil, out)
                print(f"result image: {printable(out)}", file=sys.stderr)
            except VisprogError as exc:
                problems.append(f"--out: {exc}")
        else:
            kind = article(type(result.result).__name__)
            problems.append(f"--out {out}: the result is {kind} ({summarize(result.result, 60)}), not an image; nothing was written")
    return problems


def first_sentence(text: str) -> str:
    """The first sentence of a tool's description, its lines joined ("e.g." and "i.e." do
    not end it). The docstring parser puts a blank line after the docstring's first
    line, even when the sentence goes on: the whole text is read as one."""
    import re

    paragraph = " ".join(text.split())
    end = re.search(r"(?<!\be\.g)(?<!\bi\.e)\.\s+(?![a-z])", paragraph)
    return paragraph if end is None else paragraph[: end.start() + 1]


def wrap_hanging(head: str, text: str, width: int) -> list[str]:
    """``head`` then ``text`` wrapped to ``width`` columns, continuation lines indented
    under the text's start; words (names, paths, ids) are never broken, at hyphens
    either."""
    import textwrap

    indent = " " * len(head)
    return textwrap.wrap(
        text, width=max(width, len(head) + 20), initial_indent=head, subsequent_indent=indent,
        break_long_words=False, break_on_hyphens=False,
    ) or [head.rstrip()]


def article(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("visprog")
    except PackageNotFoundError:
        import visprog

        return str(visprog.__version__)
