"""Chat models for the planner: the configured one, or the offline local default.

The models themselves live in :mod:`visprog.toolkit.llm`, so that tools (LIST, CuPL
class descriptions) and the planner use the same configured model; this module keeps
the planner-side names.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from visprog.toolkit.llm import chat_model_from_spec, local_chat_model, smollm2_path

__all__ = ["ConstrainedChatModel", "SmallModel", "default_chat_model", "local_chat_model", "smollm2_path"]


@runtime_checkable
class ConstrainedChatModel(Protocol):
    """A chat model that decodes under a grammar (the offline local model): the planner
    constrains it to programs over the tools that can run here."""

    def with_grammar(self, grammar: Any) -> Any:
        """The same model, its replies constrained to ``grammar``
        (:class:`visprog.planner.grammar.ProgramGrammar`)."""
        ...


@runtime_checkable
class SmallModel(Protocol):
    """A chat model that says whether it is small (the planner keeps its prompt short,
    lists tools as one-line signatures and refuses requests that are not English)."""

    is_small_local_model: bool


def default_chat_model(spec: str | None = None) -> Any:
    """The chat model named by ``spec`` or the configuration (``VISPROG_LLM``, the config
    file's ``llm``): ``local`` (default, offline SmolLM2-135M), ``hf:PATH_OR_ID`` or
    ``openai:MODEL``. See :func:`visprog.toolkit.llm.chat_model_from_spec`.

    Raises:
        PlannerError: the named model cannot be set up here.
    """
    return chat_model_from_spec(spec)


def __getattr__(name: str) -> Any:
    if name == "LocalChatModel":
        from visprog.toolkit import llm

        return llm.LocalChatModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
