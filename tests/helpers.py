"""Small tool registries for tests."""

from __future__ import annotations

from typing import Any

from visprog import Detections, Image, Registry, tool
from visprog.values.core import Box


@tool
def noop(x: int = 0) -> int:
    """Return the number given.

    Args:
        x: any integer.

    Returns:
        The same integer.
    """
    return x


@tool
def find(image: Image, query: str) -> Detections:
    """Pretend detector: one box covering the left quarter, labelled with the query.

    Args:
        image: the image.
        query: what to find.

    Returns:
        One box.
    """
    x, y = image.offset
    return Detections([Box(x, y, x + image.width / 4, y + image.height, label=query, score=0.9)])


@tool
def explode(reason: str = "boom") -> int:
    """Always fails.

    Args:
        reason: the message.

    Returns:
        Never returns.
    """
    raise RuntimeError(reason)


@tool
def leak() -> Any:
    """Returns a host object, which the interpreter must refuse.

    Returns:
        A function object.
    """
    return print


@tool
def exit_now() -> int:
    """Raises SystemExit.

    Returns:
        Never returns.
    """
    raise SystemExit(3)


@tool
def interrupt() -> int:
    """Raises KeyboardInterrupt.

    Returns:
        Never returns.
    """
    raise KeyboardInterrupt


class Carrier(Exception):
    def __init__(self) -> None:
        super().__init__("carrying a host object")
        self.payload = object()


@tool
def carry() -> int:
    """Raises an exception that carries an object.

    Returns:
        Never returns.
    """
    raise Carrier()


@tool
def tags(names: list[str], weights: dict[str, float] | None = None) -> int:
    """Count names.

    Args:
        names: a list of strings.
        weights: optional weights per name.

    Returns:
        How many names.
    """
    return len(names)


def make_registry() -> Registry:
    return Registry([noop, find, explode, leak, exit_now, interrupt, carry, tags])
