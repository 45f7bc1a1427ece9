"""Layer 7, runtime: the sandboxed step interpreter."""

from visprog.runtime.execution import Execution, RunResult, StepEvent

__all__ = ["Execution", "RunResult", "StepEvent"]
