"""What a run leaves behind: a :class:`Trace` of steps, each with its tool calls."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from visprog.errors import ErrorRecord
from visprog.values.codec import decode_value, encode_value

FORMAT_VERSION = 1


@dataclass
class ToolCall:
    """One call of a tool inside a step.

    Attributes:
        tool: canonical tool name.
        name: the name the program used (an alias such as ``LOC``, or the tool name).
        arguments: canonical argument name -> value.
        output: the returned value (None if the call failed).
        duration_s: seconds spent in the tool (near zero on a cache hit).
        cached: whether the result came from the result cache.
        error: what went wrong, if the call failed.
    """

    tool: str
    name: str
    arguments: dict[str, Any]
    output: Any = None
    duration_s: float = 0.0
    cached: bool = False
    error: ErrorRecord | None = None


@dataclass
class StepRecord:
    """One step: a statement that called at least one tool.

    Attributes:
        index: 0-based position among the run's steps.
        line, column: where the statement starts (1-based).
        end_line: last line of the statement.
        source: the statement's text (header line only for if/for/while).
        calls: the tool calls the statement made, in order.
        targets: variable names the statement assigned.
        output: the statement's value (the assigned value, or the expression's value).
        duration_s: wall time of the whole statement.
        error: set when the step failed; the run stops after a failed step.
    """

    index: int
    line: int
    column: int
    end_line: int
    source: str
    calls: list[ToolCall] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    output: Any = None
    duration_s: float = 0.0
    error: ErrorRecord | None = None

    @property
    def tool(self) -> str:
        """Names of the tools called, as the program wrote them, joined by ``+``."""
        return "+".join(c.name for c in self.calls)


@dataclass
class PlannerAttempt:
    """One planner attempt (filled in by the planner): prompt, reply, what was wrong."""

    index: int
    prompt: str
    reply: str
    program: str | None
    diagnostics: list[str] = field(default_factory=list)
    runtime_error: str | None = None
    duration_s: float = 0.0


@dataclass
class Trace:
    """Everything a run did, in order.

    Attributes:
        program: the program text.
        steps: completed or failed steps, in execution order.
        inputs: input name -> value.
        result: the program's result (None until it has one).
        error: the error that stopped the run, if any.
        request: the natural-language request, when a planner wrote the program.
        attempts: planner attempts, when a planner wrote the program.
        duration_s: wall time of the run.
    """

    program: str
    steps: list[StepRecord] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    error: ErrorRecord | None = None
    request: str | None = None
    attempts: list[PlannerAttempt] = field(default_factory=list)
    duration_s: float = 0.0

    # -- JSON ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        images: dict[int, str] = {}
        return {
            "format": "visprog-trace",
            "version": FORMAT_VERSION,
            "program": self.program,
            "request": self.request,
            "inputs": {k: encode_value(v, images) for k, v in self.inputs.items()},
            "result": encode_value(self.result, images),
            "error": self.error.to_dict() if self.error else None,
            "duration_s": self.duration_s,
            "attempts": [vars(a) for a in self.attempts],
            "steps": [
                {
                    "index": s.index,
                    "line": s.line,
                    "column": s.column,
                    "end_line": s.end_line,
                    "source": s.source,
                    "targets": s.targets,
                    "output": encode_value(s.output, images),
                    "duration_s": s.duration_s,
                    "error": s.error.to_dict() if s.error else None,
                    "calls": [
                        {
                            "tool": c.tool,
                            "name": c.name,
                            "arguments": {k: encode_value(v, images) for k, v in c.arguments.items()},
                            "output": encode_value(c.output, images),
                            "duration_s": c.duration_s,
                            "cached": c.cached,
                            "error": c.error.to_dict() if c.error else None,
                        }
                        for c in s.calls
                    ],
                }
                for s in self.steps
            ],
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Trace:
        data = json.loads(text)
        if data.get("format") != "visprog-trace":
            raise ValueError("not a visprog trace")
        err = lambda d: ErrorRecord.from_dict(d) if d else None  # noqa: E731
        steps = [
            StepRecord(
                index=s["index"], line=s["line"], column=s["column"], end_line=s["end_line"],
                source=s["source"], targets=list(s["targets"]), output=decode_value(s["output"]),
                duration_s=s["duration_s"], error=err(s["error"]),
                calls=[
                    ToolCall(
                        tool=c["tool"], name=c["name"],
                        arguments={k: decode_value(v) for k, v in c["arguments"].items()},
                        output=decode_value(c["output"]), duration_s=c["duration_s"],
                        cached=c["cached"], error=err(c["error"]),
                    )
                    for c in s["calls"]
                ],
            )
            for s in data["steps"]
        ]
        return cls(
            program=data["program"], steps=steps,
            inputs={k: decode_value(v) for k, v in data["inputs"].items()},
            result=decode_value(data["result"]), error=err(data["error"]),
            request=data.get("request"), duration_s=data.get("duration_s", 0.0),
            attempts=[PlannerAttempt(**a) for a in data.get("attempts", [])],
        )

    # -- display -----------------------------------------------------------
    def to_html(self, *, title: str = "visprog trace") -> str:
        from visprog.trace.render import trace_to_html

        return trace_to_html(self, title=title)

    def save_html(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_html())

    def _repr_html_(self) -> str:
        from visprog.trace.render import trace_to_html

        return trace_to_html(self, title="visprog trace", standalone=False)

    def __rich__(self) -> Any:
        from visprog.trace.render import trace_to_rich

        return trace_to_rich(self)
