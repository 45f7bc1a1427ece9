"""Sub-commands beyond run/check/tools: models, ask, repl. Each handler imports its
machinery only when it runs, so ``visprog --help`` stays fast and torch-free."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_commands(sub: Any) -> None:
    models = sub.add_parser("models", help="list the tools' models, or download them")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = models_sub.add_parser("list", help="each model, the tools that use it, and whether its weights are here")
    listing.set_defaults(handler=cmd_models_list)
    pull = models_sub.add_parser("pull", help="download models (on a connected machine)")
    pull.add_argument("names", nargs="*", metavar="NAME", help="model keys or tool names (default: all)")
    pull.set_defaults(handler=cmd_models_pull)


def model_table() -> list[tuple[Any, list[str]]]:
    """Each distinct model spec of the default registry, with the tools that use it."""
    from visprog.api import default_registry

    registry = default_registry()
    specs: dict[str, tuple[Any, list[str]]] = {}
    for t in registry.tools:
        for spec in t.models:
            entry = specs.setdefault(spec.key, (spec, []))
            aliases = [a.name for a in registry.aliases_of(t.name)]
            entry[1].append(t.name + (f" ({', '.join(aliases)})" if aliases else ""))
    return list(specs.values())


def cmd_models_list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from visprog.models import model_manager

    manager = model_manager()
    table = Table(title=f"visprog models (device: {manager.config.device}, cache: {manager.config.cache_dir})")
    for column in ("key", "model", "library", "tools", "weights"):
        table.add_column(column)
    for spec, tools in model_table():
        present = manager.is_present(spec)
        table.add_row(spec.key, manager.model_id(spec), spec.library, "\n".join(tools), "present" if present else "missing")
    Console().print(table)
    return 0


def _names(tools: list[str]) -> set[str]:
    """Tool and alias names out of entries like 'detect (LOC)'."""
    return {word.strip("(),") for entry in tools for word in entry.split()}


def cmd_models_pull(args: argparse.Namespace) -> int:
    from visprog.errors import InputError
    from visprog.models import model_manager

    table = model_table()
    chosen = []
    for name in args.names or [spec.key for spec, _ in table]:
        match = [spec for spec, tools in table if spec.key == name or name in _names(tools)]
        if not match:
            raise InputError(f"no model or tool named {name!r}; see `visprog models list`")
        chosen.extend(s for s in match if s not in chosen)
    manager = model_manager()
    for spec in chosen:
        print(f"pulling {spec.key}: {manager.model_id(spec)} ({spec.library})", file=sys.stderr)
        manager.fetch(spec)
    return 0
