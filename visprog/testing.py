"""Test doubles that ship with visprog: fake chat models and fake tools.

* :class:`ScriptedChatModel` replies with the texts it was given, in order (like
  pydantic-ai's ``TestModel``), and records what it was asked.
* :class:`FunctionChatModel` replies with what a function of the messages returns (like
  pydantic-ai's ``FunctionModel``).
* :func:`fake_tool` builds a tool with the *same* name, parameters, types, defaults,
  docstring and return type as a real one, answering from a function or a constant:
  a test's fake cannot drift from the tool it stands for, because it is generated from
  it. :func:`fake_registry` does that for several tools of a registry.

Both chat models are langchain-core chat models, so they serve ``ask``, the planner,
``evaluate`` and the tools that ask an LLM (LIST, CuPL descriptions) like a real one.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from visprog.errors import RegistryError
from visprog.toolkit.registry import Registry
from visprog.toolkit.tool import Tool

__all__ = ["FunctionChatModel", "ScriptedChatModel", "fake_registry", "fake_tool"]


class ScriptedChatModel(BaseChatModel):
    """Replies with ``replies`` in order; asked once more than it has replies, it raises
    ``IndexError`` naming how many it had. ``calls`` holds the messages of each call."""

    replies: list[str]
    calls: list[list[BaseMessage]] = []
    model_name: str = "scripted"

    @property
    def _llm_type(self) -> str:
        return "visprog-scripted"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        index = len(self.calls)
        self.calls.append(list(messages))
        if index >= len(self.replies):
            raise IndexError(f"ScriptedChatModel was asked {index + 1} times but has {len(self.replies)} replies")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.replies[index]))])


class FunctionChatModel(BaseChatModel):
    """Replies with ``function(messages)``; ``calls`` holds the messages of each call."""

    function: Callable[[list[BaseMessage]], str]
    calls: list[list[BaseMessage]] = []
    model_name: str = "function"

    @property
    def _llm_type(self) -> str:
        return "visprog-function"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.calls.append(list(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=str(self.function(list(messages)))))])


_NO_ANSWER = object()


def fake_tool(real: Tool, answer: Callable[..., Any] | Any = _NO_ANSWER, *, name: str | None = None) -> Tool:
    """A tool that looks exactly like ``real`` to programs, the checker and prompts (same
    name, parameters, types, defaults, docstring, return type, family) but needs no model
    and answers from ``answer``: a function called with the bound arguments by name, or a
    constant. Runs inline, not cached. It keeps ``real``'s batch path declaration
    (``batch``): in a lockstep block, ``answer`` then gets a list for each of those
    arguments, one element per item, and must return a list.

    Raises:
        RegistryError: no ``answer`` was given.
    """
    if answer is _NO_ANSWER:
        raise RegistryError(f"fake_tool({real.name}): give an answer (a function of the arguments, or a value)")
    respond: Callable[..., Any] = answer if callable(answer) else (lambda **kwargs: answer)
    hints = typing.get_type_hints(real.func)

    def fake(**kwargs: Any) -> Any:
        return respond(**kwargs)

    fake.__signature__ = inspect.signature(real.func)  # type: ignore[attr-defined]
    fake.__annotations__ = dict(hints)
    fake.__doc__ = inspect.getdoc(real.func)
    fake.__name__ = fake.__qualname__ = real.func.__name__
    return Tool(fake, name=name or real.name, family=real.family, preempt="inline", batch=real.batch)


def fake_registry(real: Registry, answers: Mapping[str, Callable[..., Any] | Any], *, keep: Sequence[str] = ()) -> Registry:
    """A registry of fakes of ``real``'s tools named in ``answers`` (tool name ->
    answer), plus the real tools named in ``keep`` and the aliases that point at them."""
    tools = [fake_tool(real[name], answer) for name, answer in answers.items()]
    tools += [real[name] for name in keep]
    names = {t.name for t in tools}
    aliases = [a for a in real.aliases if a.target in names]
    return Registry(tools, aliases)
