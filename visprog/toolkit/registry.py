"""A :class:`Registry` holds tools and VisProg-style aliases, renders stubs and exports."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from visprog.errors import RegistryError
from visprog.toolkit.tool import Alias, Tool, ToolDefinition


@dataclass(frozen=True)
class Resolved:
    """A name resolved by the registry: the tool and, if called by an alias, the alias."""

    tool: Tool
    alias: Alias | None

    @property
    def shown_name(self) -> str:
        return self.alias.name if self.alias else self.tool.name

    def canonical_argument(self, name: str) -> str:
        return self.alias.canonical_argument(name) if self.alias else name

    def shown_argument(self, canonical: str) -> str:
        return self.alias.alias_argument(canonical) if self.alias else canonical


class Registry:
    """A set of tools and aliases, looked up by name.

    Registries compose: ``default_registry() | my_registry`` is a new registry with the
    tools of both (the right side wins on a name clash only if ``override=True`` was
    used with :meth:`merged`; ``|`` refuses clashes).
    """

    def __init__(self, tools: Iterable[Tool] = (), aliases: Iterable[Alias] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._aliases: dict[str, Alias] = {}
        #: Bumped by every change, so that caches of checked programs can tell.
        self.version = 0
        #: Names found by :meth:`resolve` (runs and the checker ask for every call);
        #: emptied by every change. Misses are not kept: programs ask about any name.
        self._found: dict[str, Resolved] = {}
        for t in tools:
            self.add(t)
        for a in aliases:
            self.add_alias(a)

    def add(self, new: Tool, *, override: bool = False) -> Tool:
        """Register a tool; returns it, so this also works as a decorator's last step."""
        if not isinstance(new, Tool):
            raise RegistryError(f"expected a Tool (use @tool), got {type(new).__name__}")
        if not override and (new.name in self._tools or new.name in self._aliases):
            raise RegistryError(f"a tool or alias named {new.name!r} is already registered")
        self._tools[new.name] = new
        self.version += 1
        self._found.clear()
        return new

    def add_alias(self, alias: Alias, *, override: bool = False) -> None:
        target = self._tools.get(alias.target)
        if target is None:
            raise RegistryError(f"alias {alias.name!r} points to unknown tool {alias.target!r}")
        if not override and (alias.name in self._tools or alias.name in self._aliases):
            raise RegistryError(f"a tool or alias named {alias.name!r} is already registered")
        for canonical in alias.arguments.values():
            if target.param(canonical) is None:
                raise RegistryError(f"alias {alias.name!r} maps to unknown argument {canonical!r} of {target.name!r}")
        self._aliases[alias.name] = alias
        self.version += 1
        self._found.clear()

    def resolve(self, name: str) -> Resolved | None:
        """The tool behind a canonical name or alias, or None."""
        resolved = self._found.get(name)
        if resolved is not None:
            return resolved
        found = self._tools.get(name)
        if found is not None:
            resolved = Resolved(found, None)
        else:
            alias = self._aliases.get(name)
            if alias is None:
                return None
            resolved = Resolved(self._tools[alias.target], alias)
        self._found[name] = resolved
        return resolved

    def __contains__(self, name: object) -> bool:
        return name in self._tools or name in self._aliases

    def __getitem__(self, name: str) -> Tool:
        resolved = self.resolve(name)
        if resolved is None:
            raise KeyError(name)
        return resolved.tool

    @property
    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    @property
    def aliases(self) -> list[Alias]:
        return list(self._aliases.values())

    def names(self) -> list[str]:
        """Every callable name: canonical tools, then aliases."""
        return [*self._tools, *self._aliases]

    def closest(self, name: str) -> str | None:
        """The registered name nearest to ``name`` (case-insensitive), for suggestions."""
        names = self.names()
        lowered = {n.lower(): n for n in names}
        if name.lower() in lowered:
            return lowered[name.lower()]
        match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
        return lowered[match[0]] if match else None

    def merged(self, other: Registry, *, override: bool = False) -> Registry:
        """A new registry with this one's tools and aliases, then ``other``'s."""
        result = Registry(self.tools, self.aliases)
        for t in other.tools:
            result.add(t, override=override)
        for a in other.aliases:
            result.add_alias(a, override=override)
        return result

    def __or__(self, other: Registry) -> Registry:
        return self.merged(other)

    def aliases_of(self, name: str) -> list[Alias]:
        return [a for a in self._aliases.values() if a.target == name]

    def stubs(self, names: Iterable[str] | None = None) -> str:
        """Every tool as a typed Python stub with its docstring, then the alias table."""
        chosen = self.tools if names is None else [self[n] for n in names]
        parts = [t.stub() for t in chosen]
        alias_lines = []
        for t in chosen:
            for a in self.aliases_of(t.name):
                mapped = ", ".join(f"{k}->{v}" for k, v in a.arguments.items() if k != v)
                alias_lines.append(f"# {a.name} = {t.name}" + (f" (arguments: {mapped})" if mapped else ""))
        if alias_lines:
            parts.append("# VisProg step names:\n" + "\n".join(alias_lines))
        return "\n\n".join(parts)

    def definitions(self) -> list[ToolDefinition]:
        """Serializable definitions of every tool, aliases included."""
        return [t.definition(self.aliases_of(t.name)) for t in self.tools]

    def to_json(self) -> list[dict[str, Any]]:
        return [d.model_dump() for d in self.definitions()]

    def to_langchain(self) -> list[Any]:
        """The tools as langchain-core ``StructuredTool`` objects (JSON-schema arguments)."""
        from langchain_core.tools import StructuredTool

        return [
            StructuredTool(
                name=t.name,
                description=t.description,
                args_schema=t.input_schema,
                func=_bound_call(t),
            )
            for t in self.tools
        ]

    def __repr__(self) -> str:
        return f"Registry({len(self._tools)} tools, {len(self._aliases)} aliases)"


def _bound_call(t: Tool) -> Callable[..., Any]:
    def call(**kwargs: Any) -> Any:
        return t(**kwargs)

    call.__name__ = t.name
    return call
