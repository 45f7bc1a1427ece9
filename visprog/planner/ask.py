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
) -> RunResult:
    """Plan a program for ``question``, check it, run it, repairing on errors.

    Args:
        question: the request, e.g. "Hide the faces with a smiley".
        image: the image (``IMAGE``); with ``image2`` it is ``LEFT``.
        image2: a second image (``RIGHT``), for statements about a pair.
        inputs: named inputs instead of ``image``/``image2``.
        planner: a :class:`visprog.planner.Planner` (default: one over the configured
            chat model, or the offline local model).

    Returns:
        The run's result; ``.trace.request`` and ``.trace.attempts`` hold the planning.
    """
    from visprog.planner import Planner

    if image2 is not None:
        if image is None:
            raise InputError("image2 needs image as well (they become LEFT and RIGHT)")
        inputs = {**(inputs or {}), "LEFT": image, "RIGHT": image2}
        image = None
    planner = planner if planner is not None else Planner()
    return planner.run(question, image, inputs=inputs, limits=limits, context=context, listeners=listeners)
