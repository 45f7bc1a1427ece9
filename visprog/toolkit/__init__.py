"""Layer 5, toolkit: tools (schema from signature, one invoke path), registries,
discovery through entry points, run context and chat-model calls."""

from visprog.toolkit.context import RunContext, current_context, default_context
from visprog.toolkit.discovery import default_registry
from visprog.toolkit.registry import Registry, Resolved
from visprog.toolkit.result_cache import ResultCache, default_result_cache
from visprog.toolkit.tool import Alias, ParamSpec, Tool, ToolDefinition, tool

__all__ = ["Alias", "ParamSpec", "Registry", "Resolved", "ResultCache", "RunContext", "Tool", "ToolDefinition", "current_context", "default_context", "default_registry", "default_result_cache", "tool"]
