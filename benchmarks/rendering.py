"""Rendering benchmark: seconds and bytes of ``Trace.to_html()`` and ``Trace.to_json()``
(bounded, and ``full=True``) for three traces made by real runs through the public API:

* **3 steps**: hide the faces of a 512x512 photo with an emoji (the README's example);
* **200 steps**: a loop that draws on the photo 200 times, each step a new image;
* **100 crops**: one list of 100 crops of the photo.

Before the fronts work, the issue measured 200 steps -> to_html() 24 s and 207 MB, and
100 crops -> to_json() 24 s and 328 MB.

    .venv/bin/python benchmarks/rendering.py

``VISPROG_BENCH_QUICK=1`` (the README test) makes the long traces 20 steps and 10 crops,
to prove the script works end to end; the figures come from the full run.
"""

from __future__ import annotations

import functools
import os
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

#: VISPROG_BENCH_QUICK=1 (the README test): short traces, to prove the script works.
QUICK = os.environ.get("VISPROG_BENCH_QUICK") == "1"
STEPS = 20 if QUICK else 200
CROPS = 10 if QUICK else 100

PROGRAMS = {
    "3 steps": "OBJ0=FACEDET(image=IMAGE)\nIMAGE0=EMOJI(image=IMAGE,object=OBJ0,emoji='smiley')\nFINAL=RESULT(var=IMAGE0)",
    f"{STEPS} steps": (
        "OBJ0=FACEDET(image=IMAGE)\nIMG=IMAGE\n"
        f"for i in range({STEPS - 1}):\n    IMG=TAG(image=IMG,object=OBJ0)\n"
        "FINAL=RESULT(var=IMG)"
    ),
    f"{CROPS} crops": (
        "BOX0=LOC(image=IMAGE,object='LEFT')\n"
        f"crops = [CROP(image=IMAGE,box=BOX0) for i in range({CROPS})]\n"
        "result(crops)"
    ),
}


def measure(action: Callable[[], str]) -> tuple[float, int, float]:
    """(seconds, bytes of the text, peak MB that Python allocated while making it). The
    time is taken on a run of its own: tracemalloc slows allocation down."""
    started = time.perf_counter()
    text = action()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, len(text.encode("utf-8")), peak / 1e6


def main() -> None:
    import PIL.Image
    from skimage import data

    from visprog import run_program

    photo = PIL.Image.fromarray(data.astronaut())  # type: ignore[no-untyped-call]  # 512x512
    print(f"{'trace':<10} {'steps':>5} {'images':>6}  {'output':<15} {'seconds':>8} {'bytes':>12} {'peak MB':>8}")
    for name, program in PROGRAMS.items():
        result = run_program(program, photo)
        if result.error is not None:
            raise SystemExit(f"{name}: the run failed: {result.error}")
        trace = result.trace
        images = _count_images(trace)
        actions: list[tuple[str, Callable[[], str]]] = [
            ("to_html()", trace.to_html),
            ("to_json()", trace.to_json),
            ("to_json(full)", functools.partial(trace.to_json, full=True)),
        ]
        for label, action in actions:
            seconds, size, peak = measure(action)
            print(f"{name:<10} {len(trace.steps):>5} {images:>6}  {label:<15} {seconds:>8.3f} {size:>12,} {peak:>8.1f}")


def _count_images(trace: Any) -> int:
    from visprog import Image

    seen: set[int] = set()

    def visit(value: Any) -> None:
        if isinstance(value, Image):
            seen.add(id(value.pil))
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    for step in trace.steps:
        visit(step.output)
        for call in step.calls:
            visit(call.output)
            for argument in call.arguments.values():
                visit(argument)
    return len(seen)


if __name__ == "__main__":
    main()
