"""``ask``: plan, check, run and repair in one call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from visprog.errors import (
    InputError,
)
from visprog.language.limits import Limits
from visprog.runtime.execution import RunResult, StepEvent
from visprog.toolkit.context import RunContext


def ask(
    question: str,
    image: Any = None,
    *,
    image2: Any = None,
    inputs: Mapping[str, Any] | None = None,
    planner: Any = None,
    limits: Limits | None = None,
    context: RunContext | None = None,
    listeners: list[Callable[[StepEvent], None]] | None = None,
    allow_downloads: bool = False,
    style: str = "visprog",
) -> RunResult:
    """Plan a program for ``question``, check it, run it, repairing on errors.

    Args:
        question: the request, e.g. "Hide the faces with a smiley".
        image: the image (``IMAGE``); with ``image2`` it is ``LEFT``.
        image2: a second image (``RIGHT``), for statements about a pair.
        inputs: named inputs instead of ``image``/``image2``.
        planner: a :class:`visprog.planner.Planner` (default: one over the configured
            chat model, or the offline local model).
        limits: budgets for the run.
        context: services for tools (default: the configured result cache and the
            planner's chat model, which also answers LIST and CuPL descriptions).
        listeners: called with a step event at each step start and end.
        allow_downloads: with the default planner, also plan over tools whose weights
            are not here but can be downloaded now (by default only tools that are
            ready are used; a request that needs another gets a one-line answer naming
            the missing model).
        style: with the default planner, ``"visprog"`` or ``"viper"`` (ViperGPT's
            ImagePatch programs; needs a chat model that writes free text).

    Returns:
        The run's result; ``.trace.request`` and ``.trace.attempts`` hold the planning.

    Raises:
        InputError: an image cannot be read (before any LLM call).
    """
    from visprog.planner import Planner

    if image2 is not None:
        if image is None:
            raise InputError("image2 needs image as well (they become LEFT and RIGHT)")
        inputs = {**(inputs or {}), "LEFT": image, "RIGHT": image2}
        image = None
    planner = planner if planner is not None else Planner(allow_downloads=allow_downloads, style=style)
    result: RunResult = planner.run(question, image, inputs=inputs, limits=limits, context=context, listeners=listeners)
    return result
