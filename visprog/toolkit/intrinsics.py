"""Core tools that are part of the language: ``eval_expr`` (VisProg's EVAL) and
``result`` (VisProg's RESULT). The interpreter runs them itself; they are registered
like other tools so that the checker, prompts and exports see them."""

from __future__ import annotations

import weakref
from functools import lru_cache
from typing import Any

from visprog.errors import ToolError
from visprog.toolkit.registry import Registry
from visprog.toolkit.tool import Alias, tool

__all__ = ["EVAL_TOOL", "RESULT_TOOL", "core_registry", "with_core"]

#: Canonical names of the intrinsics the runtime runs itself.
EVAL_TOOL = "eval_expr"
RESULT_TOOL = "result"


@tool(family="core", preempt="inline")
def eval_expr(expr: str) -> Any:
    """Evaluate a small expression over program variables (VisProg's EVAL).

    ``{NAME}`` stands for the variable NAME. As in VisProg, 'yes'/'no' strings read as
    booleans, digit strings as integers, ``xor`` means "differs", and a boolean result
    is returned as 'yes' or 'no'. The expression runs in the same sandbox as the program.

    Args:
        expr: the expression, e.g. "'yes' if {N0} > 1 else 'no'".

    Returns:
        The value of the expression ('yes'/'no' for a boolean).
    """
    raise ToolError("eval_expr only runs inside a program")


@tool(family="core", preempt="inline")
def result(value: Any) -> Any:
    """Set the program's result (VisProg's RESULT); returns the value unchanged.

    Args:
        value: the answer: text, number, image, boxes, ...

    Returns:
        The same value.
    """
    return value


@lru_cache(maxsize=1)
def core_registry() -> Registry:
    """The intrinsics every registry includes, with their VisProg names."""
    return Registry(
        [eval_expr, result],
        [Alias("EVAL", "eval_expr"), Alias("RESULT", "result", {"var": "value"})],
    )


_WITH_CORE: dict[int, tuple[weakref.ref[Registry], int, Registry]] = {}


def with_core(registry: Registry) -> Registry:
    """``registry`` plus the intrinsics, unless it already has them. The merged registry
    is reused while ``registry`` is unchanged, so repeated runs share one registry (and
    the cache of checked programs keyed by it)."""
    if "result" in registry and "eval_expr" in registry:
        return registry
    cached = _WITH_CORE.get(id(registry))
    if cached is not None and cached[0]() is registry and cached[1] == registry.version:
        return cached[2]
    merged = core_registry().merged(registry)
    if len(_WITH_CORE) > 256:
        _WITH_CORE.clear()
    _WITH_CORE[id(registry)] = (weakref.ref(registry), registry.version, merged)
    return merged
