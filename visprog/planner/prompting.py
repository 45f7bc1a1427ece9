"""Prompt building from the registry and examples, and program extraction from replies."""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from visprog.planner.examples import Example
from visprog.toolkit.registry import Registry

__all__ = [
    "STYLES", "build_messages", "duplicate_message", "extract_program", "render_messages", "repair_message", "template", "tool_listing",
    "viper_examples", "viper_system",
]


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
    """Available tools as typed stubs with docstrings, or one line each (compact): the
    name a line-form program calls (VisProg's, when the tool has one), its arguments
    under those names, and the first sentence of its description."""
    available = [t for t in registry.tools if t.unavailable_reason() is None]
    if not compact:
        return registry.stubs([t.name for t in available])
    lines = []
    for t in available:
        aliases = registry.aliases_of(t.name)
        alias = aliases[0] if aliases else None
        name = alias.name if alias else t.name
        params = ", ".join(
            f"{alias.alias_argument(p.name) if alias else p.name}: {p.type_name}" + ("" if p.required else f" = {p.default!r}")
            for p in t.params
        )
        summary = _VISPROG_NOTE.sub("", t.description.split("\n")[0]).strip()
        lines.append(f"{name}({params}) -> {t.returns}: {summary}")
    return "\n".join(lines)


_VISPROG_NOTE = re.compile(r"\s*\(VisProg's [^)]*\)")


def build_messages(
    question: str, inputs: Sequence[str], registry: Registry, examples: Sequence[Example], *, compact: bool, system: str | None = None
) -> list[Any]:
    """System prompt (rules + tools), the examples as past turns, then the request.

    With ``compact``, the short line-form system prompt (``system_lines``) and one
    signature line per tool: what a small model decoding under the grammar needs.
    ``system`` replaces the system prompt (the ViperGPT style's, :func:`viper_system`).
    """
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    names = ", ".join(inputs)
    if system is None:
        system = _fill(template("system_lines" if compact else "system"), inputs=names, tools=tool_listing(registry, compact=compact))
    messages: list[Any] = [SystemMessage(content=system)]
    for example in examples:
        messages.append(HumanMessage(content=_fill(template("request"), question=example.question, inputs=", ".join(example.inputs))))
        messages.append(AIMessage(content=f"```python\n{example.program}\n```"))
    messages.append(HumanMessage(content=_fill(template("request"), question=question, inputs=names)))
    return messages


#: Planner styles: VisProg's tools and program forms, or ViperGPT's ImagePatch API.
STYLES = ("visprog", "viper")


@cache
def _viper_file(name: str) -> str:
    return importlib.resources.files("visprog_prompts").joinpath("viper", name).read_text(encoding="utf-8")


def viper_system(inputs: Sequence[str]) -> str:
    """The ViperGPT style's system prompt: rules and the ImagePatch API as stubs
    (``visprog_prompts/viper/system.txt`` and ``api.txt``)."""
    return _fill(_viper_file("system.txt"), inputs=", ".join(inputs), api=_viper_file("api.txt").strip())


def viper_examples() -> list[Example]:
    """The ViperGPT style's in-context examples (``visprog_prompts/viper/examples.json``)."""
    import json

    from visprog.errors import InputError

    try:
        data = json.loads(_viper_file("examples.json"))
        return [Example(data["family"], e["question"], tuple(e["inputs"]), e["program"].strip()) for e in data["examples"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"examples file viper/examples.json: {exc}") from None


def repair_message(
    program: str,
    *,
    diagnostics: Sequence[str] = (),
    error: str | None = None,
    choices: Sequence[str] = (),
    argument: str | None = None,
) -> Any:
    """The request to fix ``program``: its runtime ``error`` (with the valid ``choices``
    for the ``argument`` at fault, when known), else its checker ``diagnostics``."""
    from langchain_core.messages import HumanMessage

    if error is not None:
        valid = ""
        if choices and argument:
            shown = ", ".join(choices[:20]) + (", ..." if len(choices) > 20 else "")
            valid = f"Valid values for {argument}: {shown}\n"
        return HumanMessage(content=_fill(template("repair_runtime"), program=program, error=error, choices=valid))
    return HumanMessage(content=_fill(template("repair_check"), program=program, diagnostics="\n".join(f"- {d}" for d in diagnostics)))


def duplicate_message(program: str) -> Any:
    """The request for a different program, after the model repeated one that failed."""
    from langchain_core.messages import HumanMessage

    return HumanMessage(content=_fill(template("repair_duplicate"), program=program))


def render_messages(messages: Sequence[Any]) -> str:
    """Messages as plain text, for the trace."""
    return "\n\n".join(f"[{m.type}]\n{m.content}" for m in messages)


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def extract_program(reply: str) -> str:
    """The program in a reply: the first fenced code block (python or unlabelled), else
    the reply itself without chatter lines before the first statement."""
    blocks = _FENCE.findall(reply)
    for language, body in blocks:
        if language.lower() in ("", "python", "py", "visprog"):
            return str(body).strip("\n").rstrip()
    text = reply.strip()
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(r"^\s*([A-Za-z_]\w*\s*(=|\()|def |for |if |while )", line)), 0)
    return "\n".join(lines[start:]).strip()
