"""What a run leaves behind: a :class:`Trace` of steps, each with its tool calls."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from visprog.errors import ErrorRecord

#: 2: images in a table at the top, referred to by key; bounded unless saved in full.
FORMAT_VERSION = 2


@dataclass(slots=True)
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
        notes: how the tool reached its answer when that differs from the plain path
            (a fallback, a correction), so that no answer is silently different.
    """

    tool: str
    name: str
    arguments: dict[str, Any]
    output: Any = None
    duration_s: float = 0.0
    cached: bool = False
    error: ErrorRecord | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
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
        notes: how inputs were read when that changed them (EXIF rotation, ...), so
            that such a change is never silent.
    """

    program: str
    steps: list[StepRecord] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    error: ErrorRecord | None = None
    request: str | None = None
    attempts: list[PlannerAttempt] = field(default_factory=list)
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    # -- JSON ------------------------------------------------------------
    def to_dict(self, *, full: bool = False) -> dict[str, Any]:
        """The trace as JSON-able data, bounded unless ``full`` (see
        :mod:`visprog.trace.serial`: images stored once and, without ``full``,
        downscaled; very long strings and containers summarised)."""
        from visprog.trace.serial import TraceEncoder

        enc = TraceEncoder(full=full)
        data: dict[str, Any] = {
            "format": "visprog-trace",
            "version": FORMAT_VERSION,
            "program": self.program,
            "request": self.request,
            "inputs": {k: enc.value(v) for k, v in self.inputs.items()},
            "result": enc.value(self.result),
            "error": self.error.to_dict() if self.error else None,
            "duration_s": self.duration_s,
            "notes": list(self.notes),
            "attempts": [vars(a) for a in self.attempts],
            "steps": [
                {
                    "index": s.index,
                    "line": s.line,
                    "column": s.column,
                    "end_line": s.end_line,
                    "source": s.source,
                    "targets": s.targets,
                    "output": enc.value(s.output),
                    "duration_s": s.duration_s,
                    "error": s.error.to_dict() if s.error else None,
                    "calls": [
                        {
                            "tool": c.tool,
                            "name": c.name,
                            "arguments": {k: enc.value(v) for k, v in c.arguments.items()},
                            "output": enc.value(c.output),
                            "duration_s": c.duration_s,
                            "cached": c.cached,
                            "error": c.error.to_dict() if c.error else None,
                            "notes": list(c.notes),
                        }
                        for c in s.calls
                    ],
                }
                for s in self.steps
            ],
        }
        data["encoding"] = enc.encoding()
        data["images"] = enc.images
        data["blobs"] = enc.blobs
        return data

    def to_json(self, indent: int | None = None, *, full: bool = False) -> str:
        """The trace as JSON text: bounded by default (a few hundred KB for a typical
        run), every image exact with ``full``. Never raises for any value a program
        can hold."""
        return json.dumps(self.to_dict(full=full), indent=indent, allow_nan=False)

    def save_json(self, path: str | os.PathLike[str], *, full: bool = False) -> None:
        """Write :meth:`to_json` to ``path`` atomically (temporary file, then rename).

        Raises:
            InputError: the file cannot be written (the old one, if any, is kept).
        """
        from visprog.trace.files import write_atomic

        write_atomic(path, self.to_json(full=full))

    @classmethod
    def from_json(cls, text: str) -> Trace:
        """Read a trace written by :meth:`to_json` (this version or version 1).

        Raises:
            ValueError: the text is not a visprog trace.
        """
        from visprog.trace.serial import TraceDecoder

        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != "visprog-trace":
            raise ValueError("not a visprog trace")
        dec = TraceDecoder(data.get("images"), data.get("blobs"))
        def err(d: dict[str, Any] | None) -> ErrorRecord | None:
            return ErrorRecord.from_dict(d) if d else None

        steps = [
            StepRecord(
                index=s["index"], line=s["line"], column=s["column"], end_line=s["end_line"],
                source=s["source"], targets=list(s["targets"]), output=dec.value(s["output"]),
                duration_s=s["duration_s"], error=err(s["error"]),
                calls=[
                    ToolCall(
                        tool=c["tool"], name=c["name"],
                        arguments={k: dec.value(v) for k, v in c["arguments"].items()},
                        output=dec.value(c["output"]), duration_s=c["duration_s"],
                        cached=c["cached"], error=err(c["error"]), notes=list(c.get("notes") or []),
                    )
                    for c in s["calls"]
                ],
            )
            for s in data["steps"]
        ]
        return cls(
            program=data["program"], steps=steps,
            inputs={k: dec.value(v) for k, v in data["inputs"].items()},
            result=dec.value(data["result"]), error=err(data["error"]),
            notes=[str(n) for n in data.get("notes") or []],
            request=data.get("request"), duration_s=data.get("duration_s", 0.0),
            attempts=[PlannerAttempt(**a) for a in data.get("attempts", [])],
        )

    # -- display -----------------------------------------------------------
    def __repr__(self) -> str:
        """One line (the dataclass repr would print every step): steps, outcome, time."""
        from visprog.trace.render import summarize

        outcome = f"error={summarize(str(self.error), 100)}" if self.error else f"result={summarize(self.result, 80)}"
        return f"Trace({len(self.steps)} step{'' if len(self.steps) == 1 else 's'}, {outcome}, {self.duration_s:.3f} s)"

    def to_html(self, *, title: str = "visprog trace") -> str:
        from visprog.trace.render import trace_to_html

        return trace_to_html(self, title=title)

    def save_html(self, path: str | os.PathLike[str], *, title: str = "visprog trace") -> None:
        """Write :meth:`to_html` to ``path`` atomically (temporary file, then rename).

        Raises:
            InputError: the file cannot be written (the old one, if any, is kept).
        """
        from visprog.trace.files import write_atomic

        write_atomic(path, self.to_html(title=title))

    def _repr_html_(self) -> str:
        from visprog.trace.render import trace_to_html

        return trace_to_html(self, title="visprog trace", standalone=False)

    def __rich__(self) -> Any:
        from visprog.trace.render import trace_to_rich

        return trace_to_rich(self)
