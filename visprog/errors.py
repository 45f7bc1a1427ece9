"""The one error hierarchy of visprog.

Every exception visprog raises on purpose derives from :class:`VisprogError`.
Errors that happen *inside* a running program never escape the interpreter:
they become an :class:`ErrorRecord`, a plain frozen record of strings and
numbers that holds no host objects (no frames, no tracebacks, no values), so a
hostile program cannot reach anything through an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


def one_line(text: str) -> str:
    """``text`` on one line: newlines, other control characters and lone surrogates
    written as Python escapes (``\\n``, ``\\x1b``, ``\\udce9``), as a message that
    wraps another exception's text must be."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


@dataclass(frozen=True)
class ErrorRecord:
    """What went wrong in a program, where, and in which tool.

    Attributes:
        kind: name of the error class, e.g. ``"ToolError"`` or ``"BudgetExceeded"``.
        message: one readable sentence.
        line: 1-based program line, or None when the error has no place.
        column: 1-based column, or None.
        tool: canonical tool name (or the alias the program used), if a tool was involved.
        argument: argument name, if one argument was at fault.
        budget: name of the exceeded budget, for ``BudgetExceeded``.
    """

    kind: str
    message: str
    line: int | None = None
    column: int | None = None
    tool: str | None = None
    argument: str | None = None
    budget: str | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}" if self.column else ""))
        if self.tool:
            where.append(f"tool {self.tool}" + (f", argument '{self.argument}'" if self.argument else ""))
        elif self.argument:
            where.append(f"argument '{self.argument}'")
        prefix = f"{self.kind} ({'; '.join(where)})" if where else self.kind
        return f"{prefix}: {one_line(self.message)}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorRecord:
        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        def number(key: str) -> int | None:
            value = data.get(key)
            return value if isinstance(value, int) else None

        return cls(
            str(data.get("kind", "")), str(data.get("message", "")), number("line"), number("column"),
            text("tool"), text("argument"), text("budget"),
        )


class VisprogError(Exception):
    """Base of every error visprog raises."""


class InputError(VisprogError):
    """A user-supplied input is unusable: a missing file, a corrupt image, an empty program."""


class RegistryError(VisprogError):
    """A tool definition or registry operation is invalid (bad signature, name clash)."""


class ProgramSyntaxError(VisprogError):
    """The program text does not parse. ``line``/``column`` are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class EmptyProgram(ProgramSyntaxError):
    """The program has no statement: no text, only blank lines, or only comments."""


class CheckFailed(VisprogError):
    """Static checking found errors; ``diagnostics`` lists all of them."""

    def __init__(self, diagnostics: list[Any]) -> None:
        self.diagnostics = diagnostics
        super().__init__("; ".join(str(d) for d in diagnostics))


class RunError(VisprogError):
    """An error raised while a program runs; the interpreter turns it into an ErrorRecord.

    Subclasses carry the location and tool; ``record()`` makes the host-free record.
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        tool: str | None = None,
        argument: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.tool = tool
        self.argument = argument

    def record(self) -> ErrorRecord:
        return ErrorRecord(
            kind=type(self).__name__,
            message=self.message,
            line=self.line,
            column=self.column,
            tool=self.tool,
            argument=self.argument,
            budget=getattr(self, "budget", None),
        )


class SandboxViolation(RunError):
    """The program tried something the sandbox does not allow."""


class BudgetExceeded(RunError):
    """A resource budget (statements, loop iterations, time, sizes) ran out."""

    def __init__(self, budget: str, message: str, **where: Any) -> None:
        super().__init__(message, **where)
        self.budget = budget


class ProgramRuntimeError(RunError):
    """An ordinary runtime error in program code (undefined name, bad index, type mismatch)."""


class ToolError(RunError):
    """A tool failed, or got an argument it cannot take."""


class ToolUnavailable(ToolError):
    """A tool exists but cannot run here: a package or model it needs is missing."""


class ModelUnavailable(ToolUnavailable):
    """A model's weights are not present and cannot be fetched (offline, or a bad path)."""


class PlannerError(VisprogError):
    """The planner could not produce a program that checks and runs."""
