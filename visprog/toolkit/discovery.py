"""What tool packages contribute, found through entry points (the core never imports a
tool package by name): the default registry (``visprog.registries``) and what
evaluations need beyond it (``visprog.evaluation``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from visprog.errors import (
    RegistryError,
    ToolUnavailable,
)
from visprog.toolkit.intrinsics import core_registry
from visprog.toolkit.registry import Registry
from visprog.toolkit.tool import Tool

#: Entry-point group through which tool packages contribute registries.
REGISTRY_ENTRY_POINTS = "visprog.registries"
#: Entry-point group through which a tool package offers evaluations extra support.
EVALUATION_ENTRY_POINTS = "visprog.evaluation"


@dataclass(frozen=True)
class EvaluationSupport:
    """What a tool package offers evaluations beyond its registry (entry point group
    ``visprog.evaluation``; this project's is ``visprog_tools.vision.classification``).

    Attributes:
        tools: tools added for classification datasets (``class_scores``: every class's
            score for a whole image, for top-k).
        load_class_descriptions: ``path -> count``: use a CuPL descriptions file.
        clear_class_descriptions: forget loaded descriptions (they are process-wide).
    """

    tools: tuple[Tool, ...]
    load_class_descriptions: Callable[[str | Path], int]
    clear_class_descriptions: Callable[[], None]


@lru_cache(maxsize=1)
def evaluation_support() -> EvaluationSupport:
    """The :class:`EvaluationSupport` a tool package contributes.

    Raises:
        ToolUnavailable: no installed package contributes one.
        RegistryError: the entry point gives something else.
    """
    found = sorted(entry_points(group=EVALUATION_ENTRY_POINTS), key=lambda e: e.name)
    if not found:
        raise ToolUnavailable(f"no tool package offers evaluation support (entry point group {EVALUATION_ENTRY_POINTS!r})")
    support = found[0].load()
    if not isinstance(support, EvaluationSupport):
        raise RegistryError(f"entry point {found[0].name!r} gave {type(support).__name__}, not EvaluationSupport")
    return support


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """Intrinsics plus every registry contributed under the ``visprog.registries`` entry
    point (this project's ``visprog_tools`` contributes the vision tools and image ops).

    Tool modules are imported here, on first use, never when ``visprog`` is imported.
    Model weights load later still, on a tool's first call.
    """
    registry = core_registry()
    for ep in sorted(entry_points(group=REGISTRY_ENTRY_POINTS), key=lambda e: e.name):
        factory = ep.load()
        contributed = factory()
        if not isinstance(contributed, Registry):
            raise RegistryError(f"entry point {ep.name!r} returned {type(contributed).__name__}, not a Registry")
        registry = registry.merged(contributed)
    return registry
