"""Knowledge lists from the chat model (VisProg's LIST), cached by (model, prompt).

The chat model is the run's (``RunContext.chat_model``), which by default is the
configured one (``VISPROG_LLM``, the config file's ``llm``, else the offline default),
the same model ``ask`` plans with. The trace of the call notes which model answered.
"""

from __future__ import annotations

import re

from visprog.errors import ToolError
from visprog.toolkit.tool import tool

_PROMPT = """Create comma separated lists based on the query.

Query: List at most 3 primary colors separated by commas
List:
red, blue, yellow

Query: List at most 2 north american states separated by commas
List:
California, Washington

Query: List at most {max} {query} separated by commas
List:"""

_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
#: Words that mark an item as chatter about the list rather than an item of it.
_CHATTER = re.compile(r"\b(list|here (?:is|are)|following|sure|query)\b", re.IGNORECASE)
_MAX_ITEM_WORDS = 8


def parse_list(reply: str) -> list[str]:
    """The items of a chat model's list reply, in order, without duplicates.

    Accepts a comma-separated line (``red, blue and yellow``), bullet or numbered lines,
    and a lead-in before a colon (``The colors are: red, blue``). Lead-ins with no items
    (``The list is:``), quotes, trailing periods and items longer than a few words are
    dropped. Returns ``[]`` when nothing usable is left.
    """
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    bullets = [_BULLET.sub("", line) for line in lines if _BULLET.match(line)]
    if len(bullets) >= 2:
        raw = bullets
    else:
        raw = []
        for line in lines:
            if ":" in line:
                head, _, tail = line.rpartition(":")
                line = tail.strip()
                if not line:
                    continue  # a lead-in such as "The list is:"
            raw = re.split(r",|;|\band\b", line)
            break
    items: list[str] = []
    for item in raw:
        text = _BULLET.sub("", item).strip().strip("\"'`*").strip().rstrip(".!").strip()
        if not text or text.endswith(":") or _CHATTER.search(text) or len(text.split()) > _MAX_ITEM_WORDS:
            continue
        items.append(text)
    return list(dict.fromkeys(items))


@tool(family="knowledge")
def list_items(query: str, max: int = 5) -> list[str]:
    """Ask the chat model for a list of things (VisProg's LIST), e.g. "US presidents".

    Args:
        query: what to list, in words.
        max: at most this many items (1..50).

    Returns:
        The items, as a list of short strings.
    """
    from visprog.toolkit.llm import complete

    if not 1 <= max <= 50:
        raise ToolError("max must be within 1..50", argument="max")
    if not query.strip():
        raise ToolError("query must say what to list", argument="query")
    reply = complete(_PROMPT.format(max=max, query=query.strip()), purpose="LIST")
    items = parse_list(reply)
    if not items:
        shown = " ".join(reply.split())[:80]
        raise ToolError(f"the chat model's reply holds no list of {query.strip()!r}: {shown!r}", argument="query")
    return items[:max]
