"""Prompt building from the registry and examples, and program extraction from replies."""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from visprog.planner.examples import Example
from visprog.toolkit.registry import Registry

__all__ = ["build_messages", "extract_program", "render_messages", "template", "tool_listing"]


@cache
def template(name: str) -> str:
    """A prompt template from ``visprog_prompts/templates``."""
    return importlib.resources.files("visprog_prompts").joinpath("templates", f"{name}.txt").read_text(encoding="utf-8")


def _fill(text: str, **values: str) -> str:
    # Plain replacement, not str.format: values (programs, errors) contain braces.
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def tool_listing(registry: Registry, *, compact: bool) -> str:
    """Available tools as typed stubs with docstrings, or one signature line each (compact)."""
    available = [t for t in registry.tools if t.unavailable_reason() is None]
    if not compact:
        return registry.stubs([t.name for t in available])
    lines = []
    for t in available:
        params = ", ".join(f"{p.name}: {p.type_name}" + ("" if p.required else f" = {p.default!r}") for p in t.params)
        aliases = registry.aliases_of(t.name)
        alias = ""
        if aliases:
            mapped = aliases[0].arguments
            alias = f"  # VisProg: {', '.join(a.name for a in aliases)}" + (
                f" ({', '.join(f'{k}={v}' for k, v in mapped.items() if k != v)})" if any(k != v for k, v in mapped.items()) else ""
            )
        summary = t.description.split("\n")[0]
        lines.append(f"{t.name}({params}) -> {t.returns}: {summary}{alias}")
    return "\n".join(lines)


def build_messages(
    question: str, inputs: Sequence[str], registry: Registry, examples: Sequence[Example], *, compact: bool
) -> list[Any]:
    """System prompt (rules + tools), the examples as past turns, then the request."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    names = ", ".join(inputs)
    messages: list[Any] = [SystemMessage(content=_fill(template("system"), inputs=names, tools=tool_listing(registry, compact=compact)))]
    for example in examples:
        messages.append(HumanMessage(content=_fill(template("request"), question=example.question, inputs=", ".join(example.inputs))))
        messages.append(AIMessage(content=f"```python\n{example.program}\n```"))
    messages.append(HumanMessage(content=_fill(template("request"), question=question, inputs=names)))
    return messages


def repair_message(program: str, *, diagnostics: Sequence[str] = (), error: str | None = None) -> Any:
    from langchain_core.messages import HumanMessage

    if error is not None:
        return HumanMessage(content=_fill(template("repair_runtime"), program=program, error=error))
    return HumanMessage(content=_fill(template("repair_check"), program=program, diagnostics="\n".join(f"- {d}" for d in diagnostics)))


def render_messages(messages: Sequence[Any]) -> str:
    """Messages as plain text, for the trace."""
    return "\n\n".join(f"[{m.type}]\n{m.content}" for m in messages)


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)


def extract_program(reply: str) -> str:
    """The program in a reply: the first fenced code block (python or unlabelled), else
    the reply itself without chatter lines before the first statement."""
    blocks = _FENCE.findall(reply)
    for language, body in blocks:
        if language.lower() in ("", "python", "py", "visprog"):
            return body.strip("\n").rstrip()
    text = reply.strip()
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^\s*([A-Za-z_]\w*\s*(=|\()|def |for |if |while )", line)), 0)
    return "\n".join(lines[start:]).strip()
