"""How each red-team case runs and is judged. Runs inside the case's child process.

A case names a *scenario* (``Case.run``) and gives it data (``Case.input``); the
scenario does what a user or an attacker would, and returns what it observed as a dict
of plain values. :func:`judge` compares that with the case's expectation
(``Case.expect``):

==================  ============================================================
``raises``          exception class name(s) the API call must raise (else: none)
``error``           ``RunResult.error.kind`` expected (a name or a list; None = no error)
``budget``          budget name(s) the BudgetExceeded must name
``message``         text (or list: any of them) the error message must contain
``no_message``      text (or list) the error message must not contain
``line``            the error's program line
``result``          the program result, as :func:`plain` renders it
``max_s``           seconds the call may take (times :data:`TIME_SCALE`)
``facts``           scenario-specific observations, each must equal the given value
``host_alive``      only that the case finished (within time and memory)
==================  ============================================================

Only visprog's public facade, ``visprog.planner``, the result cache (whose owner
writes these cases) and ``visprog_tools`` are used.
"""

from __future__ import annotations

import base64
import ctypes
import functools
import io
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import typing
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import PIL.Image

import visprog
from visprog import (
    Box,
    Detections,
    Image,
    Limits,
    Mask,
    Registry,
    RunContext,
    default_registry,
    load_image,
    run_batch,
    run_program,
    start_program,
    tool,
)

ROOT = Path(__file__).resolve().parents[2]
CALLS: dict[str, int] = {}


# -- tools the cases use ------------------------------------------------------------

def _count(name: str) -> None:
    CALLS[name] = CALLS.get(name, 0) + 1


@tool
def rt_sleep(seconds: float) -> int:
    """Sleep (an I/O-bound tool).

    Args:
        seconds: how long.

    Returns:
        1.
    """
    time.sleep(seconds)
    return 1


@tool
def rt_spin(seconds: float) -> int:
    """Busy-loop (a CPU-bound tool that never yields to a signal check of its own).

    Args:
        seconds: how long.

    Returns:
        The number of loop turns.
    """
    end = time.monotonic() + seconds
    turns = 0
    while time.monotonic() < end:
        turns += 1
    return turns


@tool(cacheable=True)
def rt_words(n: int = 3) -> list[str]:
    """Words w0, w1, ... (deterministic, cacheable; counts its calls).

    Args:
        n: how many.

    Returns:
        The words.
    """
    _count("rt_words")
    return [f"w{i}" for i in range(n)]


@tool(cacheable=True)
def rt_table(n: int = 3) -> dict[str, list[int]]:
    """A small table (deterministic, cacheable).

    Args:
        n: rows.

    Returns:
        Row name -> values.
    """
    _count("rt_table")
    return {f"r{i}": [i, i * i] for i in range(n)}


@tool(cacheable=True)
def rt_find(image: Image, query: str) -> Detections:
    """One box on the left quarter of the image (cacheable; counts its calls).

    Args:
        image: the image.
        query: the label.

    Returns:
        One box.
    """
    _count("rt_find")
    x, y = image.offset
    return Detections([Box(x, y, x + image.width / 4, y + image.height, label=query, score=0.9)])


@tool(cacheable=True)
def rt_big_number(digits: int) -> int:
    """10 ** digits (cacheable).

    Args:
        digits: how many zeros.

    Returns:
        The number.
    """
    _count("rt_big_number")
    return int(10**digits)


@tool
def rt_echo(values: list[int]) -> list[int]:
    """Give back the list it was given (the very object).

    Args:
        values: numbers.

    Returns:
        The same list.
    """
    return values


@tool
def rt_module_label() -> Box:
    """A box whose label is a module (must be refused).

    Returns:
        Never a valid box.
    """
    return Box(0, 0, 1, 1, label=os)  # type: ignore[arg-type]


@tool
def rt_numpy_box(side: int) -> Box:
    """A box built from numpy integers.

    Args:
        side: its size.

    Returns:
        The box.
    """
    return Box(np.int64(0), np.int64(0), np.int64(side), np.int64(side), label=np.str_("np"), score=np.float32(0.5))  # type: ignore[arg-type]


class _SneakyBox(Box):
    @property
    def sneaky(self) -> Any:
        return os


@tool
def rt_subclass_boxes() -> Detections:
    """Detections holding a Box subclass (must be refused).

    Returns:
        Never valid.
    """
    return Detections([_SneakyBox(0, 0, 1, 1)])


@tool
def rt_nan_box() -> Box:
    """A box with a NaN coordinate (must be refused).

    Returns:
        Never valid.
    """
    return Box(float("nan"), 0, 1, 1)


@tool
def rt_float_mask() -> Mask:
    """A mask made of floats (must be refused: threshold first).

    Returns:
        Never valid.
    """
    return Mask(np.full((4, 4), 0.7))


@tool
def rt_leak_module() -> Any:
    """Returns the os module (must be refused).

    Returns:
        Never valid.
    """
    return os


@tool
def rt_generator() -> Any:
    """Returns a generator (must be refused).

    Returns:
        Never valid.
    """
    return (i for i in range(3))


@tool
def rt_interrupt() -> int:
    """Raises KeyboardInterrupt.

    Returns:
        Never returns.
    """
    raise KeyboardInterrupt


@tool
def rt_exit() -> int:
    """Raises SystemExit.

    Returns:
        Never returns.
    """
    raise SystemExit(3)


@tool
def rt_long_error() -> int:
    """Raises an error with a one-megabyte message.

    Returns:
        Never returns.
    """
    raise RuntimeError("x" * 1_000_000)


class _BadStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


@tool
def rt_bad_str_error() -> int:
    """Raises an exception whose ``str()`` raises.

    Returns:
        Never returns.
    """
    raise _BadStr()


@tool
def rt_boxes(n: int, size: int = 8) -> Detections:
    """``n`` boxes on a diagonal grid (for per-box cost cases).

    Args:
        n: how many.
        size: side of each box.

    Returns:
        The boxes.
    """
    return Detections([Box(i % 500, (i // 500) % 500, i % 500 + size, (i // 500) % 500 + size, label="b") for i in range(n)])


@tool
def rt_escape_text() -> str:
    """Text with terminal escape sequences (OSC title, clear screen).

    Returns:
        The text.
    """
    return "title\x1b]0;pwned\x07 clear\x1b[2J bell\x07"


@tool
def rt_script_label() -> Detections:
    """A box whose label is an HTML script tag.

    Returns:
        One box.
    """
    return Detections([Box(0, 0, 10, 10, label="<script>alert(1)</script>", score=0.5)])


@tool
def rt_big_image(side: int) -> Image:
    """A new image of ``side`` x ``side`` pixels, made by the tool itself.

    Args:
        side: width and height.

    Returns:
        The image.
    """
    return Image(PIL.Image.new("RGB", (side, side), (10, 20, 30)))


@tool
def rt_declared(kind: str) -> int:
    """Returns something other than the int it declares: a string, NaN, infinity or a bool.

    Args:
        kind: "str", "nan", "inf" or "bool".

    Returns:
        A count (declared; not what comes back).
    """
    wrong: Any = {"str": "7", "nan": float("nan"), "inf": float("inf"), "bool": True}[kind]
    return typing.cast(int, wrong)


@tool
def rt_scores(kind: str) -> list[float]:
    """Returns scores with a bad element: a string or a non-finite float.

    Args:
        kind: "str" or "nan".

    Returns:
        Scores (declared; not what comes back).
    """
    return typing.cast(list[float], [0.5, "high" if kind == "str" else float("nan")])


TEST_TOOLS = [
    rt_declared, rt_scores, rt_sleep, rt_spin, rt_words, rt_table, rt_find, rt_big_number, rt_echo, rt_module_label, rt_numpy_box,
    rt_subclass_boxes, rt_nan_box, rt_float_mask, rt_leak_module, rt_generator, rt_interrupt, rt_exit,
    rt_long_error, rt_bad_str_error, rt_boxes, rt_escape_text, rt_script_label, rt_big_image,
]


def registry(kind: str) -> Registry:
    """``test``: the tools above; ``default``: the shipped tools; ``both``."""
    if kind == "test":
        return Registry(TEST_TOOLS)
    if kind == "default":
        return default_registry()
    return default_registry() | Registry(TEST_TOOLS)


def warm_up() -> None:
    """Imports shared by every case, done once in the server before forking (no Python
    threads, no OpenCV work: forking must stay safe), and the astronaut photo that most
    cases use: reading it imports ``skimage.io`` and SciPy, about 0.2 s that every child
    would otherwise pay again. (SciPy's OpenBLAS starts a native worker pool, like the
    one NumPy's starts at import; OpenBLAS shuts its pool down around ``fork``.)"""
    import jsonschema  # noqa: F401 - the tools' argument validator; its import takes seconds
    import rich.console  # noqa: F401
    import skimage.data  # noqa: F401

    from visprog.toolkit.result_cache import ResultCache  # noqa: F401

    registry("both")
    _astronaut_pixels()


# -- images -----------------------------------------------------------------------

@functools.cache
def _astronaut_pixels() -> np.ndarray:
    from skimage import data

    pixels = np.asarray(data.astronaut())  # type: ignore[no-untyped-call]
    pixels.setflags(write=False)
    return pixels


def astronaut() -> np.ndarray:
    """scikit-image's astronaut photo (512x512 RGB): a fresh, writable copy per call."""
    return _astronaut_pixels().copy()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with almost no data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b"")


def _exif_bytes(orientation: int) -> bytes:
    exif = PIL.Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


_STORE = {  # how to store an upright picture so that EXIF orientation N shows it upright
    2: PIL.Image.Transpose.FLIP_LEFT_RIGHT, 3: PIL.Image.Transpose.ROTATE_180, 4: PIL.Image.Transpose.FLIP_TOP_BOTTOM,
    5: PIL.Image.Transpose.TRANSPOSE, 6: PIL.Image.Transpose.ROTATE_90, 7: PIL.Image.Transpose.TRANSVERSE,
    8: PIL.Image.Transpose.ROTATE_270,
}


def build_source(spec: dict[str, Any], tmp: Path) -> Any:
    """An image source (path, bytes, array, PIL image) from a builder spec."""
    kind = spec["make"]
    p = spec.get("params", {})
    if kind == "array":
        shape = tuple(p["shape"])
        if "broadcast" in p:
            return np.broadcast_to(np.array(p["broadcast"], dtype=p["dtype"]), shape)
        if "values" in p:
            return np.array(p["values"], dtype=p["dtype"]).reshape(shape)
        return np.full(shape, p.get("fill", 0), dtype=p["dtype"])
    if kind == "pil":
        array = np.array(p["values"], dtype=p["dtype"]).reshape(p["shape"])
        return PIL.Image.fromarray(array, mode=p.get("mode")) if p.get("mode") else PIL.Image.fromarray(array)
    if kind == "file":
        path = tmp / p.get("name", "image.png")
        if "bytes" in p:
            path.write_bytes(base64.b64decode(p["bytes"]) if p.get("base64") else p["bytes"].encode("latin-1"))
        elif "png_header" in p:
            path.write_bytes(png_header_only(*p["png_header"]))
        elif "text" in p:
            path.write_text(p["text"])
        elif "noise" in p:
            noise = np.random.default_rng(0).integers(0, 256, (*p["noise"], 3), dtype=np.uint8)
            PIL.Image.fromarray(noise).save(path)
        else:
            array = np.array(p["values"], dtype=p["dtype"]).reshape(p["shape"])
            image = PIL.Image.fromarray(array, mode=p.get("mode")) if p.get("mode") else PIL.Image.fromarray(array)
            image.save(path, **p.get("save", {}))
        if p.get("truncate"):
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * p["truncate"])])
        return str(path)
    if kind == "astronaut_exif":
        upright = PIL.Image.fromarray(astronaut())
        stored = upright.transpose(_STORE[p["orientation"]]) if p["orientation"] in _STORE else upright
        path = tmp / f"phone.{p.get('format', 'jpg')}"
        options: dict[str, Any] = {"quality": 95} if path.suffix == ".jpg" else {}
        stored.save(path, exif=_exif_bytes(p["orientation"]), **options)
        return str(path)
    if kind == "palette_transparent":
        image = PIL.Image.new("P", (8, 8), 0)
        image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
        image.info["transparency"] = 0
        path = tmp / "palette.png"
        image.save(path, transparency=0)
        return str(path)
    if kind == "gif":
        frames = [PIL.Image.new("RGB", (10, 10), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
        path = tmp / "anim.gif"
        frames[0].save(path, save_all=True, append_images=frames[1:])
        return str(path)
    if kind == "cmyk":
        path = tmp / "cmyk.jpg"
        PIL.Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(path)
        return str(path)
    if kind == "fifo":
        path = tmp / "pipe.png"
        os.mkfifo(path)
        return str(path)
    if kind == "directory":
        (tmp / "folder.png").mkdir()
        return str(tmp / "folder.png")
    if kind == "missing":
        return str(tmp / "missing.jpg")
    if kind == "text":
        return p["text"]
    if kind == "closed_pil":
        path = tmp / "closed.png"
        PIL.Image.new("RGB", (4, 4)).save(path)
        with PIL.Image.open(path) as image:
            pass
        return image
    if kind == "image_value":
        return Image(PIL.Image.new("RGB", tuple(p["size"])))
    raise ValueError(f"unknown image builder {kind}")


# -- observing ----------------------------------------------------------------------

def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-able rendering of a program value, for comparisons."""
    if depth > 8:
        return "..."
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
            return f"int:{len(str(value)) if value.bit_length() < 60000 else 'huge'}"
        return value
    if isinstance(value, Image):
        return f"Image {value.width}x{value.height}"
    if isinstance(value, Detections):
        return {"boxes": len(value), "labels": [b.label for b in list(value)[:5]]}
    if isinstance(value, Box):
        return {"box": [value.x1, value.y1, value.x2, value.y2], "label": value.label}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in list(value)[:50]]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in list(value.items())[:50]}
    return f"<{type(value).__name__}>"


def _text(exc: BaseException) -> str:
    try:
        return str(exc)[:500]
    except Exception:  # noqa: BLE001
        return type(exc).__name__


def observe_run(call: Callable[[], Any]) -> tuple[dict[str, Any], Any]:
    """Call ``call`` (returning a RunResult), observing what it raised or returned."""
    started = time.monotonic()
    try:
        result = call()
    except BaseException as exc:  # noqa: BLE001 - observing, not handling
        return {"raised": type(exc).__name__, "message": _text(exc), "elapsed_s": time.monotonic() - started}, None
    observed: dict[str, Any] = {"raised": None, "elapsed_s": time.monotonic() - started}
    error = getattr(result, "error", None)
    observed["error_kind"] = getattr(error, "kind", None)
    observed["budget"] = getattr(error, "budget", None)
    observed["line"] = getattr(error, "line", None)
    raw_message = str(getattr(error, "message", "")) if error is not None else ""
    observed["message"] = raw_message[:2000]
    observed["message_short"] = len(raw_message) <= 1000
    observed["result"] = plain(getattr(result, "result", None))
    return observed, result


#: Wall-time limits (``max_s``) are multiplied by this: the runner sets it in the case's
#: child from the machine's load (measured once per session, doubled on a retry).
TIME_SCALE = 1.0


def judge(expect: dict[str, Any], observed: dict[str, Any]) -> tuple[bool, str]:
    """Does ``observed`` meet ``expect``? Returns ``(ok, one line)``."""
    ok, line, _ = judge_timing(expect, observed)
    return ok, line


def judge_timing(expect: dict[str, Any], observed: dict[str, Any]) -> tuple[bool, str, bool]:
    """:func:`judge`, and whether the wall-time limit was the only problem (a case worth
    one retry with a longer limit)."""
    problems: list[str] = []
    raised = observed.get("raised")
    if "raises" in expect:
        wanted = _as_list(expect["raises"])
        if raised not in wanted:
            problems.append(f"expected {wanted} raised, got {raised or 'no exception'} ({observed.get('message', '')[:120]})")
    elif raised is not None and not expect.get("host_alive"):
        problems.append(f"raised {raised}: {observed.get('message', '')[:160]}")
    if "error" in expect:
        wanted = _as_list(expect["error"])
        if observed.get("error_kind") not in wanted:
            problems.append(f"expected error {wanted}, got {observed.get('error_kind')}: {observed.get('message', '')[:160]}")
    if "budget" in expect and observed.get("budget") not in _as_list(expect["budget"]):
        problems.append(f"expected budget {expect['budget']}, got {observed.get('budget')}")
    message = str(observed.get("message", "")).lower()
    if "message" in expect and not any(str(m).lower() in message for m in _as_list(expect["message"])):
        problems.append(f"message lacks {expect['message']!r}: {message[:160]!r}")
    for text in _as_list(expect.get("no_message", [])):
        if str(text).lower() in message:
            problems.append(f"message contains {text!r}")
    if "line" in expect and observed.get("line") != expect["line"]:
        problems.append(f"expected line {expect['line']}, got {observed.get('line')}")
    if "result" in expect and observed.get("result") != expect["result"]:
        problems.append(f"expected result {expect['result']!r}, got {observed.get('result')!r}")
    slow = False
    if "max_s" in expect and observed.get("elapsed_s", 0.0) > expect["max_s"] * TIME_SCALE:
        scaled = f" ({expect['max_s']} s x load factor {TIME_SCALE:.2f})" if TIME_SCALE != 1.0 else ""
        problems.append(f"took {observed.get('elapsed_s', 0.0):.2f} s, more than {expect['max_s'] * TIME_SCALE:.1f} s{scaled}")
        slow = True
    for key, value in expect.get("facts", {}).items():
        if observed.get(key) != value:
            problems.append(f"{key}: expected {value!r}, got {observed.get(key)!r}")
    if problems:
        return False, "; ".join(problems), slow and len(problems) == 1
    summary = observed.get("error_kind") or observed.get("raised") or "ok"
    return True, f"{summary}: {str(observed.get('message') or observed.get('result'))[:120]}", False


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


# -- scenarios ------------------------------------------------------------------------

def sc_program(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Run a program through ``run_program`` (checker and runtime, as a user does)."""
    sentinel = tmp / "pwned"
    source = data["source"].replace("{SENTINEL}", str(sentinel))
    image = build_source(data["image"], tmp) if "image" in data else None
    if image is None and data.get("astronaut"):
        image = astronaut()
    inputs = data.get("inputs")
    if data.get("inputs_module"):
        inputs = {"path": os.path}
    limits = Limits(**data.get("limits", {}))
    context = None
    if data.get("cache"):
        from visprog.toolkit.result_cache import ResultCache

        context = RunContext(limits=limits, cache=ResultCache(tmp / "cache"))
    reg = registry(data.get("registry", "both"))
    observed, result = observe_run(
        lambda: run_program(source, image, inputs=inputs, registry=reg, limits=limits, context=context)
    )
    observed["sentinel_exists"] = sentinel.exists()
    if result is not None and data.get("trace_checks"):
        observed.update(_trace_facts(result, data["trace_checks"]))
    return observed


def _trace_facts(result: Any, checks: list[str]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    trace = result.trace
    for check in checks:
        try:
            if check == "first_call_arguments":
                facts[check] = plain(trace.steps[0].calls[0].arguments)
            elif check == "second_call_output":
                facts[check] = plain(trace.steps[1].calls[0].output)
            elif check == "json_ok":
                facts[check] = isinstance(json.loads(trace.to_json()), dict)
            elif check == "html_ok":
                facts[check] = "<html" in trace.to_html().lower()
            elif check == "exif_note_in_trace":
                facts[check] = "exif orientation 6" in trace.to_json().lower()
            elif check == "input_notes":
                facts[check] = list(getattr(trace.inputs.get("IMAGE"), "notes", ()))
        except Exception as exc:  # noqa: BLE001 - an observation that fails is reported as such
            facts[check] = f"failed: {type(exc).__name__}: {_text(exc)[:100]}"
    return facts


def sc_load(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """``load_image`` on a built source; observes size, notes and a few pixels."""
    source = build_source(data["image"], tmp)
    started = time.monotonic()
    try:
        image = load_image(source, **({"max_pixels": data["max_pixels"]} if "max_pixels" in data else {}))
    except BaseException as exc:  # noqa: BLE001
        return {"raised": type(exc).__name__, "message": _text(exc), "elapsed_s": time.monotonic() - started}
    array = image.to_array()
    return {
        "raised": None,
        "elapsed_s": time.monotonic() - started,
        "size": list(image.size),
        "notes": [n.split(" (")[0] for n in image.notes],
        "pixel00": [int(v) for v in array[0, 0]],
        "pixel_last": [int(v) for v in array[-1, -1]],
        "mean": round(float(array.mean()), 1),
        "result": f"Image {image.width}x{image.height}",
        "message": "; ".join(image.notes),
    }


def sc_exif_upright(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Every EXIF orientation 1-8, stored transformed in a lossless PNG, must load back
    exactly as the upright picture."""
    upright = astronaut()[:96, :64]
    wrong = []
    for orientation in range(1, 9):
        stored = PIL.Image.fromarray(upright)
        if orientation in _STORE:
            stored = stored.transpose(_STORE[orientation])
        path = tmp / f"o{orientation}.png"
        stored.save(path, exif=_exif_bytes(orientation))
        loaded = load_image(str(path)).to_array()
        if loaded.shape != upright.shape or not np.array_equal(loaded, upright):
            wrong.append(orientation)
    return {"raised": None, "facts_wrong": wrong, "wrong_orientations": wrong}


def sc_faces_exif(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """A phone photo stored sideways with EXIF orientation 6: FACEDET must see one face."""
    path = build_source({"make": "astronaut_exif", "params": {"orientation": 6}}, tmp)
    observed, result = observe_run(lambda: run_program("F = FACEDET(image=IMAGE)\nN = COUNT(box=F)\nR = RESULT(var=N)", path))
    if result is not None:
        observed.update(_trace_facts(result, ["exif_note_in_trace", "input_notes"]))
    return observed


def sc_inputs_copy(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """A caller's containers given in ``inputs=`` must not change when the program
    changes its copies."""
    names = ["heron", "egret"]
    table = {"a": [1, 2]}
    observed, _ = observe_run(
        lambda: run_program(
            "CLASSES.append('stork')\nT['a'].append(3)\nT['b'] = 1\nresult(len(CLASSES))",
            inputs={"CLASSES": names, "T": table}, registry=registry("test"),
        )
    )
    observed["caller_list"] = names
    observed["caller_dict"] = table
    return observed


# -- cache scenarios --------------------------------------------------------------------

def _cache(folder: Path, **kwargs: Any) -> Any:
    from visprog.toolkit.result_cache import ResultCache

    return ResultCache(folder, **kwargs)


_WORDS = "W = rt_words(3)\nresult(W)"


def _entry_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.json"))


def sc_cache_entry(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Damage the stored entry of a cached call, then run again with a fresh cache on
    the same folder: the right answer, the tool called again, one warning, and the
    entry rewritten (a third run is a clean hit)."""
    folder = tmp / "cache"
    reg = registry("test")
    first, _ = observe_run(lambda: run_program(_WORDS, registry=reg, context=RunContext(cache=_cache(folder))))
    files = _entry_files(folder)
    if first["raised"] or len(files) != 1:
        return {"raised": first["raised"], "message": f"setup failed: {first} files={files}"}
    entry = files[0]
    damage = data["damage"]
    text = entry.read_text()
    if damage == "null":
        entry.write_text(json.dumps({**json.loads(text), "value": None}))
    elif damage == "number":
        entry.write_text(json.dumps({**json.loads(text), "value": 42}))
    elif damage == "wrong-type":
        entry.write_text(json.dumps({**json.loads(text), "value": {"type": "Detections", "boxes": []}}))
    elif damage == "raw-null":
        entry.write_text("null")
    elif damage == "truncated":
        entry.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        entry.write_bytes(os.urandom(4096))
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "other-key":
        entry.write_text(json.dumps({**json.loads(text), "key": "0" * 64}))
    elif damage == "png-bomb":
        bomb = "data:image/png;base64," + base64.b64encode(png_header_only(60000, 60000)).decode()
        entry.write_text(json.dumps({**json.loads(text), "value": [{"type": "Image", "offset": [0, 0], "root_size": [1, 1], "png": bomb}]}))
    elif damage == "deep-json":
        entry.write_text("[" * 200000 + "]" * 200000)
    elif damage == "directory":
        entry.unlink()
        entry.mkdir()
    calls_before = CALLS.get("rt_words", 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        observed, _ = observe_run(lambda: run_program(_WORDS, registry=reg, context=RunContext(cache=_cache(folder))))
    observed["recomputed"] = CALLS.get("rt_words", 0) - calls_before
    observed["warnings"] = sum(1 for w in caught if "result cache" in str(w.message))
    calls_before = CALLS.get("rt_words", 0)
    third, _ = observe_run(lambda: run_program(_WORDS, registry=reg, context=RunContext(cache=_cache(folder))))
    observed["third_run_calls"] = CALLS.get("rt_words", 0) - calls_before
    observed["third_result"] = third.get("result")
    return observed


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _private_tmpfs(path: Path, size: str, readonly: bool = False) -> bool:
    """Mount a tmpfs at ``path`` in a private mount namespace of this (child) process.
    Needs root; returns False when not possible."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    if _libc().unshare(0x00020000) != 0:  # CLONE_NEWNS
        return False
    path.mkdir(parents=True, exist_ok=True)
    steps = [["mount", "--make-rprivate", "/"], ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]]
    for step in steps:
        if subprocess.run(step, capture_output=True).returncode != 0:
            return False
    if readonly:
        (path / "results").mkdir()
        return subprocess.run(["mount", "-o", "remount,ro", str(path)], capture_output=True).returncode == 0
    return True


def _fill(path: Path) -> None:
    """Write to ``path`` until the file system is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError:
        pass
    finally:
        os.close(fd)


def sc_cache_fault(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Run a cached program three times while the cache folder is unusable: every run
    gives the right answer, and the cache warns once."""
    fault = data["fault"]
    folder = tmp / "cache"
    how = "none"
    if fault == "readonly":
        if _private_tmpfs(tmp / "mnt", "1m", readonly=True):
            folder, how = tmp / "mnt" / "results", "read-only tmpfs"
        elif os.geteuid() == 0:  # root ignores permissions; /proc refuses writes even to root
            folder, how = Path("/proc/self/visprog-results"), "/proc"
        else:
            folder.mkdir()
            os.chmod(folder, 0o555)
            how = "chmod 555"
    elif fault == "full":
        if _private_tmpfs(tmp / "mnt", "16k"):
            (tmp / "mnt" / "results").mkdir()
            _fill(tmp / "mnt" / "filler")
            folder, how = tmp / "mnt" / "results", "full tmpfs"
        else:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            import resource

            resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
            how = "RLIMIT_FSIZE"
    elif fault == "file-in-place":
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.write_text("not a folder")
        how = "a file where the folder should be"
    elif fault == "bad-path":
        folder = Path("/proc/visprog-no-such-place/results")
        how = "/proc"
    reg = registry("test")
    outcomes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = _cache(folder)
        for _ in range(3):
            if fault == "deleted":
                shutil.rmtree(folder, ignore_errors=True)
            observed, _ = observe_run(lambda: run_program("W = rt_words(4)\nresult(W)", registry=reg, context=RunContext(cache=cache)))
            cache.clear_memory()
            outcomes.append(observed)
    if how.endswith("tmpfs"):
        subprocess.run(["umount", "-l", str(tmp / "mnt")], capture_output=True)  # so the case's folder can be removed
    bad = [o for o in outcomes if o.get("raised") or o.get("error_kind") or o.get("result") != ["w0", "w1", "w2", "w3"]]
    return {
        "raised": None,
        "how": how,
        "runs_ok": not bad,
        "warnings": sum(1 for w in caught if "result cache" in str(w.message)),
        "message": f"{how}; bad runs: {bad[:1]}",
    }


def _hammer(folder: str, seed: int, rounds: int) -> int:
    """Child process: put and get the same keys as other processes; returns problems."""
    from visprog.toolkit.result_cache import ResultCache

    problems = 0
    for i in range(rounds):
        cache = ResultCache(Path(folder))
        key = f"{i % 5:064d}"
        value = [f"v{i % 5}", {"n": i % 5}]
        cache.put(key, value)
        cache.clear_memory()
        hit, got = cache.get(key)
        if hit and got != value:
            problems += 1
    return problems


def sc_cache_concurrent(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Processes (or threads) writing and reading the same keys at once: no error, no
    wrong value, no temporary files left."""
    import multiprocessing

    folder = tmp / "cache"
    folder.mkdir()
    rounds = data.get("rounds", 60)
    if data.get("threads"):
        results: list[int] = []
        workers = [threading.Thread(target=lambda s=s: results.append(_hammer(str(folder), s, rounds))) for s in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        problems = sum(results)
    else:
        with multiprocessing.get_context("fork").Pool(4) as pool:
            problems = sum(pool.starmap(_hammer, [(str(folder), s, rounds) for s in range(4)]))
    leftovers = [p.name for p in folder.rglob("*.tmp")]
    valid = 0
    for path in _entry_files(folder):
        entry = json.loads(path.read_text())
        valid += entry.get("body", [None])[0] == path.stem  # {"visprog_cache", "sha256", "body": [key, tool, notes, value]}
    return {"raised": None, "problems": problems, "leftover_tmp": leftovers, "valid_entries": valid, "message": f"problems={problems}"}


def sc_cache_mutation(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """A program that changes a cached result must not change what the next run gets
    (same context: the REPL, run_batch)."""
    context = RunContext(cache=_cache(tmp / "cache"))
    reg = registry("test")
    first, _ = observe_run(lambda: run_program(data["first"], registry=reg, context=context))
    second, _ = observe_run(lambda: run_program(data["second"], registry=reg, context=context))
    second["first_result"] = first.get("result")
    return second


def sc_cache_bigint(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """A result the JSON codec can only summarise must never come back as the summary."""
    reg = registry("test")
    program = "X = rt_big_number(5000)\nresult(X == 10 ** 5000)"
    first, _ = observe_run(lambda: run_program(program, registry=reg, context=RunContext(cache=_cache(tmp / "c"))))
    second, _ = observe_run(lambda: run_program(program, registry=reg, context=RunContext(cache=_cache(tmp / "c"))))
    second["first_result"] = first.get("result")
    return second


_CUPL_KEY = """
import sys
from visprog import Image
from visprog.toolkit.result_cache import ResultCache
from visprog_tools.vision import clip
import PIL.Image
image = Image(PIL.Image.new("RGB", (8, 8)))
for path in sys.argv[1:]:
    clip.clear_class_descriptions()
    clip.load_class_descriptions(path)
    print(ResultCache(None).key(clip.classify, {"image": image, "categories": ["heron", "egret"], "objects": None}))
"""


def sc_cache_cupl(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Two processes with different CuPL description files must get different cache
    keys; the same content gives the same key, in any process, whatever was loaded
    before (the old salt was a per-process load counter: equal for the first file of
    every process, different for the same file loaded second)."""
    files = []
    for name, sentence in (("a", "a long-legged wading bird"), ("b", "a small white heron"), ("c", "a long-legged wading bird")):
        path = tmp / f"{name}.json"
        path.write_text(json.dumps({"heron": [sentence], "egret": ["an egret"]}))
        files.append(str(path))
    env = {**os.environ, "VISPROG_DEVICE": "cpu", "VISPROG_LLM": "none", "VISPROG_CACHE_DIR": str(tmp / "cache"),
           "VISPROG_CONFIG": str(tmp / "none.toml")}
    runs = [subprocess.Popen([sys.executable, "-c", _CUPL_KEY, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=ROOT) for args in ([files[0]], [files[1], files[2]])]
    keys: list[str] = []
    for run in runs:
        out, err = run.communicate(timeout=12)
        keys.extend(out.split() if run.returncode == 0 else [f"error: {err[-200:]}"])
    ok = len(keys) == 3 and not any(k.startswith("error") for k in keys)
    return {
        "raised": None,
        "different_files_differ": ok and keys[0] != keys[1],
        "same_content_same_key": ok and keys[0] == keys[2],
        "message": " / ".join(k[:40] for k in keys),
    }


def sc_cache_cap(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Many results into a small cache: the folder stays under its cap, and an entry
    that keeps being used survives (least recently used eviction)."""
    cap = 60_000
    cache = _cache(tmp / "cache", max_bytes=cap, memory_items=1)
    hot = "f" * 64
    cache.put(hot, ["hot"] * 50)
    for i in range(200):
        cache.put(f"{i:064d}", [f"value {i} " + "x" * 900])
        if i % 10 == 0:
            time.sleep(0.01)
            cache.clear_memory()
            cache.get(hot)
    cache.clear_memory()
    hit, value = cache.get(hot)
    return {"raised": None, "under_cap": cache.disk_bytes() <= cap, "hot_kept": hit and value == ["hot"] * 50,
            "message": f"{cache.disk_bytes()} bytes, evictions={cache.evictions}"}


# -- threads ----------------------------------------------------------------------------

def _in_threads(work: Callable[[int], Any], threads: int, rounds: int) -> tuple[list[Any], list[str]]:
    results: list[Any] = []
    errors: list[str] = []
    lock = threading.Lock()

    def loop(index: int) -> None:
        for _ in range(rounds):
            try:
                value = work(index)
            except BaseException as exc:  # noqa: BLE001
                with lock:
                    errors.append(f"{type(exc).__name__}: {_text(exc)[:100]}")
                continue
            with lock:
                results.append(value)

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results, errors


def sc_threads(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The same work in many threads at once gives the single-thread answer every time."""
    kind = data["work"]
    os.environ.update(data.get("env", {}))
    if kind == "faces":
        photo = astronaut()
        tile = np.concatenate([np.concatenate([photo, photo], axis=1)] * 2, axis=0)
        image = load_image(tile)
        program = "F = FACEDET(image=IMAGE)\nN = COUNT(box=F)\nR = RESULT(var=N)"

        def work(index: int) -> Any:
            result = run_program(program, image)
            return plain(result.result) if result.error is None else f"error: {result.error}"
    elif kind == "pure":
        program = "total = 0\nfor i in range(2000):\n    total = total + i * i\nwords = [str(i) for i in range(50)]\nresult([total, '-'.join(words)[:20]])"
        reg = registry("test")

        def work(index: int) -> Any:
            result = run_program(program, registry=reg)
            return plain(result.result) if result.error is None else f"error: {result.error}"
    elif kind == "shared-cache":
        context = RunContext(cache=_cache(tmp / "cache"))
        reg = registry("test")

        def work(index: int) -> Any:
            result = run_program(f"W = rt_words({index % 3 + 2})\nW.append('x')\nresult(W)", registry=reg, context=context)
            return plain(result.result) if result.error is None else f"error: {result.error}"
    elif kind == "load-exif":
        path = build_source({"make": "astronaut_exif", "params": {"orientation": 8, "format": "png"}}, tmp)

        def work(index: int) -> Any:
            return load_image(path).content_hash
    else:
        raise ValueError(kind)
    expected = work(0) if kind != "shared-cache" else None
    results, errors = _in_threads(work, data.get("threads", 8), data.get("rounds", 10))
    if kind == "shared-cache":
        wrong = [r for r in results if not (isinstance(r, list) and r[-1] == "x" and r[:-1] == [f"w{j}" for j in range(len(r) - 1)])]
    else:
        wrong = [r for r in results if r != expected]
    return {"raised": None, "wrong": len(wrong), "errors": len(errors),
            "message": f"expected {str(expected)[:60]}; wrong {wrong[:2]}; errors {errors[:2]}"}


# -- Ctrl-C and time ----------------------------------------------------------------------

def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.daemon = True
    timer.start()
    return timer


def sc_ctrl_c(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """SIGINT while a run is busy: the call must raise KeyboardInterrupt promptly."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    reg = registry("test")
    mode = data["mode"]
    image = np.zeros((16, 16, 3), dtype=np.uint8)
    if mode == "run_batch":
        def call() -> Any:
            return run_batch("X = rt_sleep(0.3)\nresult(X)", [image] * 30, registry=reg, progress=False)
    elif mode == "run_program-sleep":
        def call() -> Any:
            return run_program("X = rt_sleep(5)\nresult(X)", registry=reg)
    elif mode == "run_program-loop":
        def call() -> Any:
            return run_program("n = 0\nwhile True:\n    n = n + 1\nresult(n)", registry=reg,
                               limits=Limits(max_loop_iterations=10**9, max_statements=10**9, max_wall_time_s=30))
    elif mode == "tool-raises":
        def call() -> Any:
            return run_program("X = rt_interrupt()\nresult(X)", registry=reg)
    else:
        raise ValueError(mode)
    timer = _interrupt_after(data.get("after_s", 0.5)) if mode != "tool-raises" else None
    observed, _ = observe_run(call)
    if timer is not None:
        timer.cancel()
    return observed


def sc_batch(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """``run_batch`` over images one of which cannot be read: that item gets an error,
    the others their answers."""
    good = np.zeros((8, 8, 3), dtype=np.uint8)
    images = [good, str(tmp / "missing.jpg"), good]
    observed, _ = observe_run(lambda: run_batch("R = RESULT(var=IMAGE)", images, registry=registry("test"), progress=False))
    if observed["raised"] is None:
        results = run_batch("R = RESULT(var=IMAGE)", images, registry=registry("test"), progress=False)
        observed["kinds"] = [getattr(r.error, "kind", None) for r in results]
    return observed


def sc_planner_interrupt(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Ctrl-C while ``ask`` plans or runs: KeyboardInterrupt, and no more LLM calls."""
    from visprog import ask
    from visprog.planner import Planner
    from visprog.testing import FunctionChatModel

    signal.signal(signal.SIGINT, signal.default_int_handler)

    def reply(messages: list[Any]) -> str:
        if data["mode"] == "llm-raises":
            raise KeyboardInterrupt
        return "X = rt_sleep(5)\nFINAL = RESULT(var=X)"

    chat = FunctionChatModel(function=reply)
    planner = Planner(chat, selection="lexical", registry=registry("test"), max_attempts=3)
    timer = _interrupt_after(1.0) if data["mode"] == "during-run" else None
    observed, _ = observe_run(lambda: ask("wait a while", planner=planner, inputs={}))
    if timer is not None:
        timer.cancel()
    observed["llm_calls"] = len(chat.calls)
    return observed


def sc_model_once(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Eight threads ask the process-wide model manager for the same model at once:
    one manager, one load."""
    from visprog.models import ModelSpec, model_manager, set_model_manager

    os.environ["VISPROG_DEVICE"] = "cpu"
    set_model_manager(None)
    loads: list[int] = []

    def load(model_id: str, device: str, dtype: str, cache_dir: Path) -> object:
        loads.append(1)
        time.sleep(0.3)
        return object()

    spec = ModelSpec(key="redteam", default="redteam-model", library="test", description="a slow loader",
                     load=load, present=lambda *a: True, fetch=lambda *a: None)
    managers: list[int] = []
    models: list[int] = []

    def work(index: int) -> Any:
        manager = model_manager()
        managers.append(id(manager))
        models.append(id(manager.load(spec)))
        return None

    _, errors = _in_threads(work, 8, 1)
    return {"raised": None, "loads": len(loads), "managers": len(set(managers)), "models": len(set(models)),
            "errors": len(errors), "message": f"errors: {errors[:2]}"}


def sc_save_full(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Saving a trace over a good file when the disk fills up mid-write: the good file
    stays whole, no temporary file is left, and the error is one clear exception."""
    import resource

    result = run_program("W = rt_words(50)\nresult(W)", registry=registry("test"))
    target = tmp / f"trace.{data['format']}"
    target.write_text("OLD GOOD FILE")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, hard))  # the soft limit only: it can be raised again
    saver = result.trace.save_html if data["format"] == "html" else result.trace.save_json
    observed, _ = observe_run(lambda: saver(target))
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    observed["old_kept"] = target.read_text() == "OLD GOOD FILE"
    observed["leftovers"] = sorted(p.name for p in tmp.iterdir() if p.name != target.name and p.name != "none.toml"
                                   and not p.name.endswith("cache"))
    return observed


def sc_wall(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Wall-time budget cases."""
    reg = registry("test")
    if data.get("idle_between_steps"):
        execution = start_program("A = rt_sleep(0.1)\nB = rt_sleep(0.1)\nresult(B)", registry=reg, limits=Limits(max_wall_time_s=1.0))
        started = time.monotonic()
        try:
            execution.step()
            time.sleep(1.5)  # the user reads the first step
            while execution.step() is not None:
                pass
        except BaseException as exc:  # noqa: BLE001
            return {"raised": type(exc).__name__, "message": _text(exc), "elapsed_s": time.monotonic() - started}
        result = execution.run() if hasattr(execution, "run") else None
        error = getattr(result, "error", None)
        return {"raised": None, "error_kind": getattr(error, "kind", None), "message": str(getattr(error, "message", ""))}
    observed, _ = observe_run(
        lambda: run_program(data["source"], registry=reg, limits=Limits(max_wall_time_s=data.get("budget_s", 1.0)))
    )
    return observed


# -- CLI and rendering ----------------------------------------------------------------------

def _cli(args: list[str], tmp: Path, *, interrupt_after: float | None = None, timeout: float = 12.0,
         marker: str = "visprog.fronts") -> dict[str, Any]:
    observed = _cli_once(args, tmp, interrupt_after=interrupt_after, timeout=timeout, marker=marker)
    tries = 1
    # The interrupt is timed from a readiness marker (see _cli_once), so it lands inside
    # the command's main(). Should the marker never come (a change of Python's import
    # system), a SIGINT that lands before main() runs (CPython's start-up, its site module,
    # or the package import that `python -m` does first) ends in CPython's own traceback,
    # or kills the process with -2 and nothing said, which no program can change: such a
    # try says nothing about visprog's start-up, so interrupt later and try again.
    while interrupt_after is not None and observed.pop("before_visprog") and tries < 4:
        interrupt_after *= 2
        tries += 1
        observed = _cli_once(args, tmp, interrupt_after=interrupt_after, timeout=timeout, marker=marker)
    observed.pop("before_visprog", None)
    observed["tries"] = tries
    return observed


def _cli_once(args: list[str], tmp: Path, *, interrupt_after: float | None, timeout: float,
              marker: str = "visprog.fronts") -> dict[str, Any]:
    env = {**os.environ, "VISPROG_CACHE_DIR": str(tmp / "cache"), "VISPROG_CONFIG": str(tmp / "none.toml"),
           "HF_HUB_OFFLINE": "1", "TERM": "xterm", "COLUMNS": "120"}
    started = time.monotonic()
    # To interrupt, Python reports each import as it completes (-X importtime, on stderr):
    # the first module that the command's main() imports, the `visprog.fronts` package,
    # marks the moment main() runs. Timed from there, the SIGINT lands in visprog's own
    # start-up whatever the machine's load (timed from the spawn, it fell in CPython's
    # start-up on a busy machine: -2 and no output, or CPython's traceback). A case may
    # name a later module as its marker (one imported just before the run starts).
    python = [sys.executable, "-X", "importtime"] if interrupt_after is not None else [sys.executable]
    process = subprocess.Popen([*python, "-m", "visprog", *args], cwd=tmp, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    streams: dict[str, list[bytes]] = {"out": [], "err": []}
    ready = threading.Event()

    def drain(name: str, stream: Any) -> None:
        for line in iter(stream.readline, b""):
            streams[name].append(line)
            if name == "err" and line.startswith(b"import time:") and line.rsplit(b"|", 1)[-1].strip() == marker.encode():
                ready.set()
        if name == "err":
            ready.set()  # the process ended: nothing more to wait for

    readers = [threading.Thread(target=drain, args=(name, stream), daemon=True)
               for name, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    if interrupt_after is not None:
        ready.wait(timeout / 2)
        time.sleep(interrupt_after)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for reader in readers:
        reader.join(timeout=5)
    text_err = "".join(line.decode(errors="replace") for line in streams["err"] if not line.startswith(b"import time:"))
    text_out = b"".join(streams["out"]).decode(errors="replace")
    return {
        "raised": None,
        "exit_code": process.returncode,
        "elapsed_s": time.monotonic() - started,
        "traceback": "Traceback" in text_err or "Traceback" in text_out,
        "stderr_lines": len([line for line in text_err.splitlines() if line.strip()]),
        "escape_in_output": "\x1b]" in text_out + text_err or "\x1b[2J" in text_out + text_err,
        "internal_error": "internal error" in (text_out + text_err).lower(),
        "stdout": text_out[-400:],
        "message": (text_err.strip().splitlines() or [""])[-1][:300],
        "before_visprog": process.returncode != 130 and (
            (process.returncode == -signal.SIGINT and not text_err.strip())
            or (text_err.rstrip().endswith("KeyboardInterrupt") and _MAIN_FILE not in text_err)),
    }


#: The command's entry point. Killed by SIGINT with nothing said, the process had not yet
#: installed Python's handler; a KeyboardInterrupt traceback with no frame in this file
#: was raised before ``main`` could catch it (CPython's start-up, or importing the
#: package, which ``python -m`` does before running ``__main__``).
_MAIN_FILE = str(Path(visprog.__file__).resolve().parent / "__main__.py")


# About 20 s of big-integer arithmetic that no budget stops (the CLI cases interrupt it).
_SLOW_PROGRAM = "x = 3 ** 20000\nfor i in range(50000):\n    y = (x * x) % 1000003\nresult(y)\n"


def sc_cli(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """The command line, as a user types it."""
    image = tmp / "photo.png"
    PIL.Image.fromarray(astronaut()[:64, :64]).save(image)
    program = tmp / "program.vp"
    program.write_text(data.get("program", _SLOW_PROGRAM).replace("{TMP}", str(tmp)))
    args = [a.replace("{TMP}", str(tmp)).replace("{PROGRAM}", str(program)).replace("{IMAGE}", str(image)) for a in data["args"]]
    observed = _cli(args, tmp, interrupt_after=data.get("interrupt_after"), marker=data.get("marker", "visprog.fronts"))
    if data.get("json_stdout"):
        try:
            json.loads(observed["stdout"] if len(observed["stdout"]) < 400 else "")
            observed["json_ok"] = True
        except ValueError:
            observed["json_ok"] = False
    if "stdout_contains" in data:
        observed["stdout_contains"] = data["stdout_contains"] in observed["stdout"]
    if "file_contains" in data:
        path, text = data["file_contains"]
        written = Path(path.replace("{TMP}", str(tmp)))
        observed["file_contains"] = written.is_file() and text in written.read_text(errors="replace")
    return observed


def sc_cli_json(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """``visprog run --json`` output must parse as JSON."""
    program = tmp / "program.vp"
    program.write_text(data["program"])
    env = {**os.environ, "VISPROG_CACHE_DIR": str(tmp / "cache"), "VISPROG_CONFIG": str(tmp / "none.toml"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "visprog", "run", str(program), "--json"], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=12)
    try:
        json.loads(done.stdout)
        parsed = True
    except ValueError:
        parsed = False
    return {"raised": None, "exit_code": done.returncode, "json_ok": parsed, "message": done.stderr.strip()[-200:]}


def sc_render(data: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Render a run's trace (HTML, JSON, terminal); observe time, size and content."""
    image = None
    if data.get("image_side"):
        side = data["image_side"]
        image = np.asarray(PIL.Image.fromarray(astronaut()).resize((side, side)))
    observed, result = observe_run(lambda: run_program(data["source"], image, registry=registry("both"),
                                                      limits=Limits(**data.get("limits", {}))))
    if result is None:
        return observed
    what = data["render"]
    started = time.monotonic()
    try:
        if what == "html":
            text = result.trace.to_html()
        elif what == "json":
            text = result.trace.to_json()
        else:
            from rich.console import Console

            buffer = io.StringIO()
            Console(file=buffer, color_system=None, width=120, force_terminal=False).print(result.trace)
            text = buffer.getvalue()
    except BaseException as exc:  # noqa: BLE001
        return {**observed, "raised": type(exc).__name__, "message": _text(exc)}
    observed["render_s"] = round(time.monotonic() - started, 2)
    observed["render_fast"] = observed["render_s"] <= data.get("max_render_s", 5.0)
    observed["render_mb"] = round(len(text.encode()) / 1e6, 2)
    observed["render_small"] = observed["render_mb"] <= data.get("max_mb", 20.0)
    observed["escape_in_output"] = "\x1b" in text
    observed["raw_script"] = "<script>alert(1)</script>" in text
    observed["message"] = f"{what}: {observed['render_mb']} MB in {observed['render_s']} s; {observed.get('message', '')}"
    return observed


SCENARIOS: dict[str, Callable[[dict[str, Any], Path], dict[str, Any]]] = {
    "program": sc_program,
    "load": sc_load,
    "exif-upright": sc_exif_upright,
    "faces-exif": sc_faces_exif,
    "inputs-copy": sc_inputs_copy,
    "cache-entry": sc_cache_entry,
    "cache-fault": sc_cache_fault,
    "cache-concurrent": sc_cache_concurrent,
    "cache-mutation": sc_cache_mutation,
    "cache-bigint": sc_cache_bigint,
    "cache-cupl": sc_cache_cupl,
    "cache-cap": sc_cache_cap,
    "threads": sc_threads,
    "ctrl-c": sc_ctrl_c,
    "wall": sc_wall,
    "batch": sc_batch,
    "planner-interrupt": sc_planner_interrupt,
    "model-once": sc_model_once,
    "save-full": sc_save_full,
    "cli": sc_cli,
    "cli-json": sc_cli_json,
    "render": sc_render,
}


def run_case(case: Any) -> tuple[bool, str, bool]:
    """Run one case (in the current process) and judge it: ``(handled, one line, only
    too slow)``."""
    tmp = Path(tempfile.mkdtemp(prefix=f"redteam-{case.name}-"))
    try:
        os.environ["VISPROG_CACHE_DIR"] = str(tmp / "default-cache")
        os.environ["VISPROG_CONFIG"] = str(tmp / "none.toml")
        (tmp / "none.toml").write_text("")
        observed = SCENARIOS[case.run](dict(case.input), tmp)
        return judge_timing(dict(case.expect), observed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
