"""Layer 3, trace: what a run leaves behind, and its renderers (HTML, terminal)."""

from visprog.trace.records import PlannerAttempt, StepRecord, ToolCall, Trace

__all__ = ["PlannerAttempt", "StepRecord", "ToolCall", "Trace"]
