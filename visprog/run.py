"""Running programs: inputs, run/start/batch."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from visprog.checker.core import check_program
from visprog.errors import (
    CheckFailed,
    ErrorRecord,
    InputError,
    ProgramSyntaxError,
)
from visprog.language.limits import Limits
from visprog.language.syntax import Program, parse_program
from visprog.runtime.execution import Execution, RunResult, StepEvent
from visprog.toolkit.context import RunContext, default_context
from visprog.toolkit.discovery import default_registry
from visprog.toolkit.intrinsics import with_core
from visprog.toolkit.registry import Registry
from visprog.trace.records import Trace
from visprog.values.core import load_image


def prepare_inputs(image: Any = None, inputs: Mapping[str, Any] | None = None, *, limits: Limits | None = None) -> dict[str, Any]:
    """Input name -> program value. Image-like inputs (paths, PIL images, arrays) become
    :class:`~visprog.values.Image`; ``image`` is the ``IMAGE`` input.

    Raises:
        InputError: an image cannot be read.
    """
    limits = limits or Limits()
    prepared: dict[str, Any] = {}
    merged = dict(inputs or {})
    if image is not None:
        merged.setdefault("IMAGE", image)
    for name, value in merged.items():
        if not name.isidentifier() or name.startswith("_"):
            raise InputError(f"input name {name!r} is not a valid program variable")
        prepared[name] = _input_value(value, limits)
    return prepared


def _input_value(value: Any, limits: Limits) -> Any:
    from pathlib import Path

    import numpy as np
    import PIL.Image

    from visprog.language.rules import is_sandbox_value

    if isinstance(value, (PIL.Image.Image, np.ndarray, Path, bytes)):
        return load_image(value, max_pixels=limits.max_image_pixels)
    if is_sandbox_value(value):
        return value
    raise InputError(f"unsupported input type {type(value).__name__}")


def start_program(
    program: str | Program,
    image: Any = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
    limits: Limits | None = None,
    context: RunContext | None = None,
    listeners: list[Callable[[StepEvent], None]] | None = None,
) -> Execution:
    """Parse, check and prepare a program for step-by-step execution.

    Returns an :class:`~visprog.runtime.Execution`; call ``.step()`` or ``.run()``.

    Raises:
        InputError: empty program or unreadable image.
        CheckFailed: the checker found errors (``.diagnostics`` lists them all).
    """
    limits = limits or Limits()
    registry = with_core(registry if registry is not None else default_registry())
    prepared = prepare_inputs(image, inputs, limits=limits)
    if isinstance(program, str):
        try:
            program = parse_program(program, max_source_chars=limits.max_source_chars)
        except ProgramSyntaxError as exc:
            from visprog.checker.core import Diagnostic

            raise CheckFailed([Diagnostic(exc.line or 1, exc.column or 1, "syntax-error", exc.message)]) from None
    diagnostics = [d for d in check_program(program, registry, inputs=prepared.keys(), limits=limits) if d.severity == "error"]
    if diagnostics:
        raise CheckFailed(diagnostics)
    if context is None:
        context = default_context(limits)
    return Execution(program, registry, prepared, limits=limits, context=context, listeners=listeners)


def run_program(
    program: str | Program,
    image: Any = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
    limits: Limits | None = None,
    context: RunContext | None = None,
    listeners: list[Callable[[StepEvent], None]] | None = None,
    display: bool = False,
) -> RunResult:
    """Check and run a program; never raises for problems *in the program*.

    Args:
        program: program text (VisProg line form, Python, or ``def execute_command(image)``).
        image: the main image (``IMAGE``; ``image`` for an entry function): a path, PIL
            image, ``(H, W, 3)`` uint8 array or :class:`~visprog.values.Image`.
        inputs: more named inputs, e.g. ``{"LEFT": ..., "RIGHT": ...}``.
        registry: tools (default: :func:`default_registry`).
        limits: budgets (default :class:`~visprog.Limits`).
        context: services for tools (result cache, chat model).
        listeners: called with a :class:`~visprog.runtime.StepEvent` at each step start/end.
        display: in a notebook, show a live trace widget while the program runs.

    Returns:
        A :class:`~visprog.runtime.RunResult` with ``.result``, ``.trace``,
        ``.variables`` and ``.error`` (an :class:`~visprog.errors.ErrorRecord` or None).
        Check failures come back as ``.error`` with kind ``CheckFailed``.

    Raises:
        InputError: an input image cannot be read (a problem of the caller, not the program).
    """
    listeners = list(listeners or [])
    view = None
    if display:
        try:
            from visprog.present.widgets import TraceView
        except ImportError as exc:
            raise InputError(str(exc)) from None
        # Inputs are read once, here, and handed on as values.
        inputs, image = prepare_inputs(image, inputs, limits=limits), None
        view = TraceView()
        view.start(program if isinstance(program, str) else program.source, inputs)
        view.show()
        listeners.append(view.on_event)
    try:
        execution = start_program(
            program, image, inputs=inputs, registry=registry, limits=limits, context=context, listeners=listeners
        )
    except CheckFailed as exc:
        text = program if isinstance(program, str) else program.source
        first = exc.diagnostics[0]
        record = ErrorRecord("CheckFailed", "; ".join(str(d) for d in exc.diagnostics), first.line, first.column)
        trace = Trace(program=text, error=record)
        if view is not None:
            view.set_trace(trace)
        return RunResult(None, trace, {}, record)
    result = execution.run()
    if view is not None:
        view.set_trace(result.trace)
    return result


def run_batch(
    program: str | Program,
    images: list[Any],
    *,
    registry: Registry | None = None,
    limits: Limits | None = None,
    context: RunContext | None = None,
    progress: bool = True,
) -> list[RunResult]:
    """Run one program on many images (each as ``IMAGE``), with a progress bar: rich in
    a terminal, an ipywidgets bar in a notebook. Results come back in order; a failing
    image gives a result with ``.error`` and does not stop the others.
    """
    context = context or default_context(limits)

    def runs(advance: Callable[[], None]) -> list[RunResult]:
        results = []
        for image in images:
            results.append(run_program(program, image, registry=registry, limits=limits, context=context))
            advance()
        return results

    if not progress:
        return runs(lambda: None)
    if _in_notebook():
        from visprog.present.widgets import BatchProgress

        bar = BatchProgress(len(images))
        results = runs(bar.advance)
        bar.close()
        return results
    from rich.progress import Progress

    with Progress(transient=False) as rich_bar:
        task = rich_bar.add_task("running", total=len(images))
        return runs(lambda: rich_bar.advance(task))


def _in_notebook() -> bool:
    import sys

    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"
