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

__all__ = ["CallNotes", "RunContext", "current_context", "default_context", "note"]


@dataclass
class RunContext:
    """Services for the tools of one run.

    Attributes:
        limits: the run's budgets (tools check ``max_image_pixels``).
        cache: a result cache (see ``visprog.toolkit.ResultCache``), or None for no caching.
        chat_model: a langchain-core chat model for tools that ask an LLM (LIST, CuPL
            class descriptions), or None.
        extras: anything else a tool package wants to pass along.
    """

    limits: Limits = field(default_factory=Limits)
    cache: Any = None
    chat_model: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


#: The context outside a run, per configured chat model name.
_DEFAULT: dict[str | None, RunContext] = {}
#: (the run's context, the notes sink of the tool call in progress), in one variable so
#: that entering a tool call is a single ContextVar.set.
_current: ContextVar[tuple[RunContext, Any] | None] = ContextVar("visprog_run_context", default=None)


class CallNotes:
    """Notes a tool records about the call in progress (a fallback it took, a
    correction it made); they end up on the call's trace record."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: list[str] = []




def note(text: str) -> None:
    """Record ``text`` on the trace of the tool call in progress, so that an answer
    reached by a fallback (templates instead of LLM descriptions, a rotated image) is
    never silently different. Outside a tool call it does nothing."""
    current = _current.get()
    notes = current[1] if current is not None else None
    if notes is not None and len(notes.items) < 20:
        notes.items.append(str(text)[:300])


def current_context() -> RunContext:
    """The context of the run whose tool is executing; outside a run, a default one with
    the configured chat model (built on first use, no result cache)."""
    current = _current.get()
    if current is not None:
        return current[0]
    from visprog.models.chat import configured_chat_model, configured_spec

    spec = configured_spec()
    if spec not in _DEFAULT:
        _DEFAULT.clear()
        _DEFAULT[spec] = RunContext(chat_model=configured_chat_model())
    return _DEFAULT[spec]


def default_context(limits: Limits | None = None, chat_model: Any = None) -> RunContext:
    """A context with the configured result cache (off when the config says so) and a
    chat model for LIST and CuPL descriptions: ``chat_model`` if given, else the
    configured one (``VISPROG_LLM``, the config file's ``llm``, else the offline
    default; None when ``VISPROG_LLM=none`` or nothing is installed). The same model
    serves ``ask``, ``visprog run``, the REPL and notebooks; it loads on first use."""
    from visprog.toolkit.result_cache import default_result_cache

    if chat_model is None:
        from visprog.models.chat import configured_chat_model

        chat_model = configured_chat_model()
    return RunContext(limits=limits or Limits(), cache=default_result_cache(), chat_model=chat_model)


def set_context(context: RunContext, notes: CallNotes | None = None) -> Any:
    """Make ``context`` (and a notes sink for the call) current; returns a token for
    :func:`reset_context`."""
    return _current.set((context, notes))


def reset_context(token: Any) -> None:
    _current.reset(token)
