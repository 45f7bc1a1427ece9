"""Chat-model calls made by tools (LIST, CuPL class descriptions, ViperGPT's
``llm_query``), cached on disk by (model, prompt), with a trace note saying which model
wrote the reply. The chat models themselves live in :mod:`visprog.models.chat`."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from visprog.errors import PlannerError, ToolUnavailable
from visprog.models.chat import ConfiguredChatModel, chat_model_name
from visprog.toolkit.context import current_context, note

__all__ = ["complete"]


def complete(prompt: str, *, chat_model: Any = None, cache_dir: Path | None = None, purpose: str = "tool") -> str:
    """The chat model's reply to ``prompt`` (a single user message), cached on disk.

    The tool call's trace gets a note naming the model that wrote the reply (and
    whether it came from the cache).

    Args:
        prompt: the user message.
        chat_model: a langchain-core chat model; default: the current run's.
        cache_dir: where replies are kept (default: the configured cache folder).
        purpose: a word naming the caller, for error messages and notes.

    Raises:
        ToolUnavailable: no chat model is configured, or it cannot be set up here.
    """
    chat_model = chat_model if chat_model is not None else current_context().chat_model
    if chat_model is None:
        raise ToolUnavailable(
            f"{purpose} needs a chat model: set VISPROG_LLM (local, hf:..., openai:...), "
            "or pass one to run_program(context=RunContext(chat_model=...))"
        )
    try:
        name = chat_model_name(chat_model)
        if isinstance(chat_model, ConfiguredChatModel):
            chat_model = chat_model.resolve()
    except PlannerError as exc:
        raise ToolUnavailable(f"{purpose} needs a chat model: {exc}") from None
    if cache_dir is None:
        from visprog.models.manager import model_manager

        cache_dir = model_manager().config.cache_dir
    key = hashlib.sha256(json.dumps([name, prompt]).encode()).hexdigest()
    path = cache_dir / "llm" / key[:2] / f"{key}.json"
    if path.is_file():
        try:
            text = str(json.loads(path.read_text(encoding="utf-8"))["reply"])
            note(f"{purpose}: written by chat model {name} (cached reply)")
            return text
        except (OSError, ValueError, KeyError):
            pass
    from langchain_core.messages import HumanMessage

    reply = chat_model.invoke([HumanMessage(content=prompt)])
    text = reply.content if isinstance(reply.content, str) else str(reply.content)
    note(f"{purpose}: written by chat model {name}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps({"model": name, "prompt": prompt, "reply": text}), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass  # the reply is still returned; it is just not kept
    return text
