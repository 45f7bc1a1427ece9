"""Knowledge lists from the chat model (VisProg's LIST), cached by (model, prompt)."""

from __future__ import annotations

import re

from visprog.errors import ToolError
from visprog.toolkit.llm import complete
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


@tool(family="knowledge")
def list_items(query: str, max: int = 5) -> list[str]:
    """Ask the chat model for a list of things (VisProg's LIST), e.g. "US presidents".

    Args:
        query: what to list, in words.
        max: at most this many items (1..50).

    Returns:
        The items, as a list of short strings.
    """
    if not 1 <= max <= 50:
        raise ToolError("max must be within 1..50", argument="max")
    if not query.strip():
        raise ToolError("query must say what to list", argument="query")
    reply = complete(_PROMPT.format(max=max, query=query.strip()), purpose="LIST")
    first = next((line for line in reply.strip().splitlines() if line.strip()), "")
    items = [re.sub(r"^[\s\-*\d.)]+", "", item).strip().strip(".") for item in first.split(",")]
    items = list(dict.fromkeys(i for i in items if i))
    if not items:
        raise ToolError(f"the chat model gave no list for {query!r}", argument="query")
    return items[:max]
