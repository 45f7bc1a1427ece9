"""Running programs: inputs, run/start/batch."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from visprog.checker.core import Diagnostic, check_program
from visprog.errors import (
    CheckFailed,
    EmptyProgram,
    ErrorRecord,
    InputError,
    ProgramSyntaxError,
)
from visprog.language.limits import Limits
from visprog.language.rules import kind_of_type
from visprog.language.syntax import Program, parse_program
from visprog.runtime.execution import Execution, RunResult, StepEvent
from visprog.runtime.lockstep import DEFAULT_BLOCK, run_block
from visprog.toolkit.context import RunContext, default_context
from visprog.toolkit.discovery import default_registry
from visprog.toolkit.intrinsics import with_core
from visprog.toolkit.registry import Registry
from visprog.trace.records import Trace
from visprog.values.core import load_image


def prepare_inputs(image: Any = None, inputs: Mapping[str, Any] | None = None, *, limits: Limits | None = None) -> dict[str, Any]:
    """Input name -> program value: images read through :func:`~visprog.load_image`
    and everything copied, so nothing the program does reaches the caller's objects.

    Rules:
        * ``image`` is the ``IMAGE`` input and is always an image: a ``str`` there is a
          path (a URL or a missing file is an InputError). Giving ``IMAGE`` both as
          ``image`` and in ``inputs`` is an InputError.
        * In ``inputs``, these become :class:`~visprog.values.Image`: ``pathlib.Path``
          (any ``os.PathLike``), ``bytes``, PIL images, numpy arrays, Images, and a
          ``str`` whose extension is one Pillow opens (``.jpg``, ``.png``, ``.webp``,
          ...): such a string must name a readable image file, else InputError. Any
          other ``str`` stays text (a question, a class name).
        * Lists, tuples and dicts are rebuilt with these rules applied to their items, so
          ``inputs={"CLASSES": names}`` hands the program a copy of ``names``.
        * numpy scalars become plain ``int``/``float``/``bool``; ``str``/``int``/
          ``float`` subclasses become the plain type.
        * Every image is within ``limits.max_image_pixels`` (checked before decoding).
        * Anything else (sets, functions, modules, objects) is an InputError, as are
          containers nested deeper than 20 levels or holding more than
          ``limits.max_sequence_length`` items in all.

    Raises:
        InputError: one line naming the input and what is wrong with it.
    """
    limits = limits or Limits()
    prepared: dict[str, Any] = {}
    merged = dict(inputs or {})
    if image is not None:
        if "IMAGE" in merged:
            raise InputError("input 'IMAGE' is given twice: as image= and in inputs=")
    budget = _InputBudget(limits)
    for name, value in merged.items():
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise InputError(f"input name {name!r} is not a valid program variable")
        prepared[name] = _input_value(value, limits, f"input {name!r}", budget, 0)
    if image is not None:
        prepared["IMAGE"] = _image_input(image, limits, "input 'IMAGE'")
    return prepared


_MAX_INPUT_DEPTH = 20


class _InputBudget:
    """Counts container items across all inputs (a copy must stay bounded too)."""

    def __init__(self, limits: Limits) -> None:
        self.left = limits.max_sequence_length

    def take(self, count: int, where: str) -> None:
        self.left -= count
        if self.left < 0:
            raise InputError(f"{where}: inputs hold more than max_sequence_length items in all")


def _image_extensions() -> frozenset[str]:
    import PIL.Image

    global _EXTENSIONS
    if _EXTENSIONS is None:
        _EXTENSIONS = frozenset(
            ext.lower() for ext, fmt in PIL.Image.registered_extensions().items() if fmt in PIL.Image.OPEN
        )
    return _EXTENSIONS


_EXTENSIONS: frozenset[str] | None = None


def _image_input(value: Any, limits: Limits, where: str) -> Any:
    try:
        return load_image(value, max_pixels=limits.max_image_pixels)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _input_value(value: Any, limits: Limits, where: str, budget: _InputBudget, depth: int) -> Any:
    import os

    import numpy as np
    import PIL.Image

    from visprog.values.core import Box, Detections, Image, Mask
    from visprog.values.protocol import value_type

    kind = type(value)
    if value is None or kind in (bool, int, float, range, Box, Detections, Mask):
        return value
    if isinstance(value, str):
        text = str(value)
        suffix = os.path.splitext(text)[1].lower()
        if suffix and "\n" not in text and suffix in _image_extensions():
            return _image_input(text, limits, where)
        return text
    if isinstance(value, (Image, PIL.Image.Image, np.ndarray, bytes, bytearray, memoryview, os.PathLike)):
        return _image_input(value, limits, where)
    if isinstance(value, np.generic) and isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    if isinstance(value, (list, tuple, dict)):
        if depth >= _MAX_INPUT_DEPTH:
            raise InputError(f"{where}: nested deeper than {_MAX_INPUT_DEPTH} levels")
        budget.take(len(value), where)
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                plain_key = _input_value(key, limits, where, budget, depth + 1)
                if type(plain_key) not in (str, int, float, bool, type(None)):
                    raise InputError(f"{where}: dict keys must be text or numbers, got {type(key).__name__}")
                out[plain_key] = _input_value(item, limits, f"{where}[{key!r}]", budget, depth + 1)
            return out
        items = [_input_value(item, limits, f"{where}[{i}]", budget, depth + 1) for i, item in enumerate(value)]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return float(value)
    spec = value_type(kind)
    if spec is not None:
        return spec.copy(value) if spec.copy is not None else value
    raise InputError(f"{where}: unsupported input type {kind.__name__}")


#: Programs already parsed and checked: (source, registry, its version, input names,
#: limits) -> (the registry, the Program, its error diagnostics). Re-running a program
#: (run_batch, the REPL, evaluation over a fixed program) then skips parse and check.
_CHECKED: OrderedDict[tuple[Any, ...], tuple[Registry, Program, tuple[Diagnostic, ...]]] = OrderedDict()
_CHECKED_SIZE = 64
#: ... and at most this many syntax-tree nodes in all (a 1,000-line program has about
#: 6,000; one over half of this is not kept): every node kept is an object the garbage
#: collector walks in each full collection, so a cache of long programs would slow
#: every run in the process.
_CHECKED_MAX_NODES = 60_000
_CHECKED_LOCK = threading.Lock()


def input_kinds(inputs: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """``(name, kind)`` of each prepared input, for the checker's type inference."""
    return tuple(sorted((name, kind_of_type(type(value))) for name, value in inputs.items()))


def checked_program(program: str | Program, registry: Registry, inputs: tuple[tuple[str, str], ...], limits: Limits) -> Program:
    """Parse (text) and check ``program``; raises CheckFailed with every problem.

    Results for program text are kept in a small LRU keyed by the text, the registry
    (identity and version), the input names and the limits, so a program run again is
    neither parsed nor checked again.
    """
    key: tuple[Any, ...] | None = None
    if isinstance(program, str):
        key = (program, id(registry), registry.version, inputs, limits)
        with _CHECKED_LOCK:
            hit = _CHECKED.get(key)
            if hit is not None and hit[0] is registry:
                _CHECKED.move_to_end(key)
                if hit[2]:
                    raise CheckFailed(list(hit[2]))
                return hit[1]
        try:
            parsed = parse_program(program, max_source_chars=limits.max_source_chars)
        except ProgramSyntaxError as exc:
            code = "empty-program" if isinstance(exc, EmptyProgram) else "syntax-error"
            raise CheckFailed([Diagnostic(exc.line or 1, exc.column or 1, code, exc.message)]) from None
    else:
        parsed = program
    errors = tuple(d for d in check_program(parsed, registry, inputs=dict(inputs), limits=limits) if d.severity == "error")
    if key is not None and parsed.scan.nodes <= _CHECKED_MAX_NODES // 2:
        with _CHECKED_LOCK:
            _CHECKED[key] = (registry, parsed, errors)
            nodes = sum(entry[1].scan.nodes for entry in _CHECKED.values())
            while len(_CHECKED) > _CHECKED_SIZE or nodes > _CHECKED_MAX_NODES:
                nodes -= _CHECKED.popitem(last=False)[1][1].scan.nodes
    if errors:
        raise CheckFailed(list(errors))
    return parsed


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
    program = checked_program(program, registry, input_kinds(prepared), limits)
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
        image: the main image (``IMAGE``; ``image`` for an entry function): a path
            (``str`` or ``Path``), bytes, a PIL image, a numpy array or an
            :class:`~visprog.values.Image`; read by :func:`~visprog.load_image`.
        inputs: more named inputs, e.g. ``{"LEFT": ..., "RIGHT": ...}``; see
            :func:`prepare_inputs` for which become images and how they are copied.
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
        failed = _failed(program, exc)
        if view is not None:
            view.set_trace(failed.trace)
        return failed
    result = execution.run()
    if view is not None:
        view.set_trace(result.trace)
    return result


def _failed(program: str | Program, exc: CheckFailed | InputError) -> RunResult:
    """The result of a run that could not start: the checker's diagnostics, or an input
    that cannot be read."""
    text = program if isinstance(program, str) else program.source
    if isinstance(exc, CheckFailed):
        first = exc.diagnostics[0]
        record = ErrorRecord("CheckFailed", "; ".join(str(d) for d in exc.diagnostics), first.line, first.column)
    else:
        record = ErrorRecord("InputError", str(exc))
    return RunResult(None, Trace(program=text, error=record), {}, record)


def run_batch(
    program: str | Program,
    images: list[Any],
    *,
    registry: Registry | None = None,
    limits: Limits | None = None,
    context: RunContext | None = None,
    progress: bool = True,
    block: int = DEFAULT_BLOCK,
) -> list[RunResult]:
    """Run one program on many images (each as ``IMAGE``), with a progress bar: rich in
    a terminal, an ipywidgets bar in a notebook. Results come back in order; a failing
    image gives a result with ``.error`` and does not stop the others.

    Items run in lockstep blocks of ``block`` (:mod:`visprog.runtime.lockstep`): each
    step of a tool with a batch path (``vqa``, ``caption``) calls its model once per
    block, and each item's result, error and trace are what it gets alone (a call that
    ran alone because the block diverged says so in its trace). ``block=1`` runs item
    by item.

    Raises:
        InputError: ``block`` is not a whole number of at least 1.
    """
    if type(block) is not int or block < 1:
        raise InputError(f"block must be a whole number of at least 1, got {block!r}")
    context = context or default_context(limits)

    def runs(advance: Callable[[], None]) -> list[RunResult]:
        results: list[RunResult] = []
        for start in range(0, len(images), block):
            chunk = images[start : start + block]
            out: list[RunResult | None] = [None] * len(chunk)
            ready: list[tuple[int, Execution]] = []
            for index, image in enumerate(chunk):
                try:
                    ready.append((index, start_program(program, image, registry=registry, limits=limits, context=context)))
                except (InputError, CheckFailed) as exc:
                    # One unreadable image is that item's error; the others still run.
                    out[index] = _failed(program, exc)
            for (index, _), ran in zip(ready, run_block([execution for _, execution in ready]).results):
                out[index] = ran
            for one in out:
                if one is not None:
                    results.append(one)
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
