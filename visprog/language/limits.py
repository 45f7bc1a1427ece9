"""Budgets for one run."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """Budgets for one run. Exceeding any stops the run with ``BudgetExceeded`` naming it.

    Attributes:
        max_statements: statements executed, all frames together.
        max_loop_iterations: iterations of for/while loops and comprehensions, together.
        max_wall_time_s: seconds of wall time (checked between statements, iterations
            and tool calls; a tool call already running is not interrupted).
        max_source_chars: program length in characters.
        max_nesting_depth: depth of the program's syntax tree.
        max_int_bits: size of any integer an operator may produce (``**``, ``<<``, ``*``).
        max_sequence_length: length of any string or list an operator or method may build.
        max_range_length: length of a ``range``.
        max_image_pixels: pixels of an image a tool may create or load.
        max_format_width: width/precision in f-string format specs.
    """

    max_statements: int = 100_000
    max_loop_iterations: int = 100_000
    max_wall_time_s: float = 600.0
    max_source_chars: int = 50_000
    max_nesting_depth: int = 40
    max_int_bits: int = 100_000
    max_sequence_length: int = 1_000_000
    max_range_length: int = 1_000_000
    max_image_pixels: int = 50_000_000
    max_format_width: int = 1_000

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
