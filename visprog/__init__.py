"""visprog: visual programming over a typed registry of vision tools.

Public API::

    from visprog import run_program, parse_program, check_program, tool, Registry

Importing visprog loads no model and no torch; tools load their models on first use.
"""

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

__all__ = [
    "Alias", "Box", "CheckFailed", "Detections", "Diagnostic", "ErrorRecord", "Execution", "Image",
    "InputError", "Limits", "Mask", "ModelUnavailable", "PlannerError", "RegistryError", "Program", "ProgramSyntaxError", "Registry", "RunContext", "RunError", "RunResult",
    "StepEvent", "StepRecord", "Tool", "ToolError", "ToolUnavailable", "Trace", "VisprogError",
    "ask", "check_program", "default_registry", "load_image", "parse_program", "run_batch", "run_program", "start_program", "tool",
]

__version__ = "0.1.0"
