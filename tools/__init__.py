"""visprog's tools: image operations and vision models (installed as ``visprog_tools``).

Nothing here is imported by ``visprog`` itself; :func:`visprog_tools.registry.build_registry`
is found through the ``visprog.registries`` entry point. Model-backed tools import
torch and their model libraries inside the call, never at import.
"""
