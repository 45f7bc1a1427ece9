"""Per-run services that tools may need (limits, result cache, chat model, progress).

Tools stay plain typed functions: rather than taking extra parameters, a tool that
needs the run's limits or chat model asks :func:`current_context`. The interpreter sets
the context around each tool call; outside a run, a default context applies.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from visprog.language.limits import Limits

__all__ = ["RunContext", "current_context", "default_context"]


@dataclass
class RunContext:
    """Services for the tools of one run.

    Attributes:
        limits: the run's budgets (tools check ``max_image_pixels``).
        cache: a result cache (see ``visprog.models.ResultCache``), or None for no caching.
        chat_model: a langchain-core chat model for tools that ask an LLM (LIST, CuPL
            class descriptions), or None.
        extras: anything else a tool package wants to pass along.
    """

    limits: Limits = field(default_factory=Limits)
    cache: Any = None
    chat_model: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


_DEFAULT = RunContext()
_current: ContextVar[RunContext | None] = ContextVar("visprog_run_context", default=None)


def current_context() -> RunContext:
    """The context of the run whose tool is executing, or a default one."""
    return _current.get() or _DEFAULT


def default_context(limits: Limits | None = None, chat_model: Any = None) -> RunContext:
    """A context with the configured result cache (off when the config says so)."""
    from visprog.models.cache import default_result_cache

    return RunContext(limits=limits or Limits(), cache=default_result_cache(), chat_model=chat_model)


def set_context(context: RunContext) -> Any:
    """Make ``context`` current; returns a token for :func:`reset_context`."""
    return _current.set(context)


def reset_context(token: Any) -> None:
    _current.reset(token)
