"""Chat-model calls made by tools (LIST, CuPL class descriptions), cached on disk by
(model, prompt) so that re-running a program asks the LLM nothing new."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from visprog.errors import ToolUnavailable

__all__ = ["chat_model_name", "complete"]


def chat_model_name(chat_model: Any) -> str:
    """A stable name for a chat model, used in cache keys."""
    for attr in ("model_name", "model", "model_id", "model_path"):
        value = getattr(chat_model, attr, None)
        if isinstance(value, str) and value:
            return f"{type(chat_model).__name__}:{value}"
    return type(chat_model).__name__


def complete(prompt: str, *, chat_model: Any = None, cache_dir: Path | None = None, purpose: str = "tool") -> str:
    """The chat model's reply to ``prompt`` (a single user message), cached on disk.

    Args:
        prompt: the user message.
        chat_model: a langchain-core chat model; default: the current run's.
        cache_dir: where replies are kept (default: the configured cache folder).
        purpose: a word naming the caller, for error messages.

    Raises:
        ToolUnavailable: no chat model is configured.
    """
    from visprog.toolkit.context import current_context

    chat_model = chat_model if chat_model is not None else current_context().chat_model
    if chat_model is None:
        raise ToolUnavailable(
            f"{purpose} needs a chat model: pass one to the planner or run_program(context=RunContext(chat_model=...)), or set VISPROG_LLM"
        )
    if cache_dir is None:
        from visprog.models.manager import model_manager

        cache_dir = model_manager().config.cache_dir
    key = hashlib.sha256(json.dumps([chat_model_name(chat_model), prompt]).encode()).hexdigest()
    path = cache_dir / "llm" / key[:2] / f"{key}.json"
    if path.is_file():
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["reply"])
        except (OSError, ValueError, KeyError):
            pass
    from langchain_core.messages import HumanMessage

    reply = chat_model.invoke([HumanMessage(content=prompt)])
    text = reply.content if isinstance(reply.content, str) else str(reply.content)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"model": chat_model_name(chat_model), "prompt": prompt, "reply": text}), encoding="utf-8")
    return text
