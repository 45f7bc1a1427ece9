"""Chat models for the planner: the configured one, or the offline local default.

The models themselves live in :mod:`visprog.toolkit.llm`, so that tools (LIST, CuPL
class descriptions) and the planner use the same configured model; this module keeps
the planner-side names.
"""

from __future__ import annotations

from typing import Any

from visprog.toolkit.llm import chat_model_from_spec, local_chat_model, smollm2_path

__all__ = ["default_chat_model", "local_chat_model", "smollm2_path"]


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
