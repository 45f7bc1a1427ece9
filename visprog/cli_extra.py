"""Sub-commands added by later layers (models, ask, repl). Kept apart so that the core
CLI module stays small; each handler imports its machinery only when it runs."""

from __future__ import annotations

from typing import Any


def add_commands(sub: Any) -> None:
    return None
