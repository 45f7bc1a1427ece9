"""The default registry: intrinsics plus every registry contributed under the
``visprog.registries`` entry point."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from visprog.errors import (
    RegistryError,
)
from visprog.toolkit.intrinsics import core_registry
from visprog.toolkit.registry import Registry

#: Entry-point group through which tool packages contribute registries.
REGISTRY_ENTRY_POINTS = "visprog.registries"


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """Intrinsics plus every registry contributed under the ``visprog.registries`` entry
    point (this project's ``visprog_tools`` contributes the vision tools and image ops).

    Tool modules are imported here, on first use, never when ``visprog`` is imported.
    Model weights load later still, on a tool's first call.
    """
    registry = core_registry()
    for ep in sorted(entry_points(group=REGISTRY_ENTRY_POINTS), key=lambda e: e.name):
        factory = ep.load()
        contributed = factory()
        if not isinstance(contributed, Registry):
            raise RegistryError(f"entry point {ep.name!r} returned {type(contributed).__name__}, not a Registry")
        registry = registry.merged(contributed)
    return registry
