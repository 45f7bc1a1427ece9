"""The record of a run: what each step did, with which values, how long it took.

A :class:`Trace` serializes to JSON (never pickle): values are encoded by type
(images as PNG data URLs, masks as PNG, boxes as numbers) and decode back to the same
types. Rendering to HTML, the terminal and notebooks lives in :mod:`visprog.render`.
"""

from __future__ import annotations

import base64
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import PIL.Image

from visprog.errors import ErrorRecord
from visprog.values import Box, Detections, Image, Mask

__all__ = ["PlannerAttempt", "StepRecord", "ToolCall", "Trace", "decode_value", "encode_value"]

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
        from visprog.render import trace_to_html

        return trace_to_html(self, title=title)

    def save_html(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_html())

    def _repr_html_(self) -> str:
        from visprog.render import trace_to_html

        return trace_to_html(self, title="visprog trace", standalone=False)

    def __rich__(self) -> Any:
        from visprog.render import trace_to_rich

        return trace_to_rich(self)


def png_data_url(pil: PIL.Image.Image) -> str:
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _png_from_data_url(url: str) -> PIL.Image.Image:
    payload = url.split(",", 1)[1]
    pil = PIL.Image.open(io.BytesIO(base64.b64decode(payload)))
    pil.load()
    return pil


def _number(value: float) -> Any:
    return value if math.isfinite(value) else str(value)


MAX_DEPTH = 50


def encode_value(value: Any, images: dict[int, str] | None = None, depth: int = 0) -> Any:
    """A JSON-able encoding of a program value, tagged by type. Containers nested deeper
    than ``MAX_DEPTH`` (a program can build them) are cut off, not recursed into."""
    images = {} if images is None else images
    if depth > MAX_DEPTH:
        return {"type": "unknown", "repr": "nested too deeply"}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return {"type": "float", "value": _number(value)}
    if isinstance(value, Image):
        key = id(value.pil)
        if key not in images:
            images[key] = png_data_url(value.pil)
        return {"type": "Image", "offset": list(value.offset), "root_size": list(value.root_size), "png": images[key]}
    if isinstance(value, Box):
        return {
            "type": "Box", "xyxy": [_number(float(v)) for v in value.as_tuple()], "label": value.label,
            "score": None if value.score is None else _number(float(value.score)),
            "mask": encode_value(value.mask, images) if value.mask is not None else None,
        }
    if isinstance(value, Detections):
        return {"type": "Detections", "boxes": [encode_value(b, images) for b in value]}
    if isinstance(value, Mask):
        pil = PIL.Image.fromarray(value.array.astype(np.uint8) * 255, mode="L").convert("1")
        return {"type": "Mask", "label": value.label, "score": value.score, "png": png_data_url(pil)}
    if isinstance(value, range):
        return {"type": "range", "args": [value.start, value.stop, value.step]}
    if isinstance(value, tuple):
        return {"type": "tuple", "items": [encode_value(v, images, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode_value(v, images, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"type": "dict", "items": [[encode_value(k, images, depth + 1), encode_value(v, images, depth + 1)] for k, v in value.items()]}
    return {"type": "unknown", "repr": type(value).__name__}


def decode_value(data: Any) -> Any:
    """Inverse of :func:`encode_value`."""
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    kind = data.get("type")
    if kind == "float":
        return float(data["value"])
    if kind == "Image":
        return Image(_png_from_data_url(data["png"]), tuple(data["offset"]), tuple(data["root_size"]))
    if kind == "Box":
        mask = decode_value(data["mask"]) if data.get("mask") else None
        score = None if data["score"] is None else float(data["score"])
        return Box(*(float(v) for v in data["xyxy"]), label=data["label"], score=score, mask=mask)
    if kind == "Detections":
        return Detections([decode_value(b) for b in data["boxes"]])
    if kind == "Mask":
        return Mask(np.asarray(_png_from_data_url(data["png"]).convert("L")) > 127, data["label"], data["score"])
    if kind == "range":
        return range(*data["args"])
    if kind == "tuple":
        return tuple(decode_value(v) for v in data["items"])
    if kind == "dict":
        return {decode_value(k): decode_value(v) for k, v in data["items"]}
    return f"<{data.get('repr', 'unknown')}>"
