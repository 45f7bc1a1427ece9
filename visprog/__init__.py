"""visprog: visual programming over a typed registry of vision tools.

Public API::

    from visprog import run_program, parse_program, check_program, tool, Registry

Importing visprog is nearly free: each name below is imported from its layer on first
use (PEP 562), so ``python -m visprog --help`` starts fast and a Ctrl-C during start-up
can be caught. No model and no torch are loaded until a tool needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visprog.lazy import lazy_exports

if TYPE_CHECKING:
    from visprog.checker.core import Diagnostic, check_program
    from visprog.errors import (
        CheckFailed,
        ErrorRecord,
        InputError,
        ModelUnavailable,
        PlannerError,
        ProgramSyntaxError,
        RegistryError,
        RunError,
        ToolError,
        ToolUnavailable,
        VisprogError,
    )
    from visprog.language.limits import Limits
    from visprog.language.syntax import Program, parse_program
    from visprog.planner.ask import ask
    from visprog.run import run_batch, run_program, start_program
    from visprog.runtime.execution import Execution, RunResult, StepEvent
    from visprog.toolkit.context import RunContext
    from visprog.toolkit.discovery import default_registry
    from visprog.toolkit.registry import Registry
    from visprog.toolkit.tool import Alias, Tool, tool
    from visprog.trace.records import StepRecord, Trace
    from visprog.values.core import Box, Detections, Image, Mask, load_image
    from visprog.values.patch import ImagePatch, VideoSegment

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(["Diagnostic", "check_program"], "visprog.checker.core"),
    **dict.fromkeys([
        "CheckFailed", "ErrorRecord", "InputError", "ModelUnavailable", "PlannerError", "ProgramSyntaxError",
        "RegistryError", "RunError", "ToolError", "ToolUnavailable", "VisprogError",
    ], "visprog.errors"),
    "Limits": "visprog.language.limits",
    **dict.fromkeys(["Program", "parse_program"], "visprog.language.syntax"),
    "ask": "visprog.planner.ask",
    **dict.fromkeys(["run_batch", "run_program", "start_program"], "visprog.run"),
    **dict.fromkeys(["Execution", "RunResult", "StepEvent"], "visprog.runtime.execution"),
    "RunContext": "visprog.toolkit.context",
    "default_registry": "visprog.toolkit.discovery",
    "Registry": "visprog.toolkit.registry",
    **dict.fromkeys(["Alias", "Tool", "tool"], "visprog.toolkit.tool"),
    **dict.fromkeys(["StepRecord", "Trace"], "visprog.trace.records"),
    **dict.fromkeys(["Box", "Detections", "Image", "Mask", "load_image"], "visprog.values.core"),
    **dict.fromkeys(["ImagePatch", "VideoSegment"], "visprog.values.patch"),
}

#: Spelled out for type checkers; tests/test_architecture.py keeps it equal to _EXPORTS.
__all__ = [
    "Alias", "Box", "CheckFailed", "Detections", "Diagnostic", "ErrorRecord", "Execution", "Image",
    "ImagePatch", "InputError", "Limits", "Mask", "ModelUnavailable", "PlannerError", "Program",
    "ProgramSyntaxError", "Registry", "RegistryError", "RunContext", "RunError", "RunResult",
    "StepEvent", "StepRecord", "Tool", "ToolError", "ToolUnavailable", "Trace", "VideoSegment",
    "VisprogError", "ask", "check_program", "default_registry", "load_image", "parse_program",
    "run_batch", "run_program", "start_program", "tool",
]

__version__ = "0.1.0"


__getattr__, __dir__ = lazy_exports("visprog", _EXPORTS, globals())
