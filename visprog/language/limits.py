"""Budgets for one run, checked *before* the work they bound."""

from __future__ import annotations

from dataclasses import dataclass, fields

from visprog.errors import InputError

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """Budgets for one run. Exceeding any stops the run with ``BudgetExceeded`` naming it.

    Per-operation budgets bound one piece of work; cumulative ones (``max_total_*``)
    bound what a whole run may create, so that many small pieces cannot add up.

    Attributes:
        max_statements: statements executed, all frames together.
        max_loop_iterations: iterations of for/while loops and comprehensions, together.
        max_wall_time_s: seconds of wall time while the run is running (time between
            ``step()`` calls does not count). The deadline is pre-emptive: a tool call
            still running at the deadline is abandoned and the run stops, naming its line.
        max_source_chars: program length in characters.
        max_nesting_depth: depth of the program's syntax tree.
        max_int_bits: size of any integer an operator may produce (``**``, ``<<``, ``*``).
        max_sequence_length: length of any string or list an operator or method may build.
        max_range_length: length of a ``range``.
        max_image_pixels: pixels of any one image a tool may create or load.
        max_format_width: width/precision in f-string format specs.
        max_total_items: list items and string characters created by the program's own
            operations (concatenation, repetition, comprehensions, joins, f-strings, ...),
            summed over the run.
        max_total_pixels: pixels of all images tools return, summed over the run.
        max_trace_steps: steps the trace may record.
        max_container_depth: nesting of tuples used as dict keys (hashing very deep
            tuples would exhaust the C stack).
        max_items_per_call: items in any list or Detections argument of one tool call.
        max_operation_work: items visited plus characters compared by one C-level
            operation (a comparison or containment test of containers, a sort, min/max,
            a set or dict built from many keys, counting the keys whose hashes collide).
            Such an operation cannot be stopped once it runs, so its work is estimated
            from the operands and refused before it starts.
        max_llm_calls: chat-model calls tools may estimate for the run (e.g. CuPL
            descriptions: one per new class).
        max_diagnostics: problems the checker reports before it stops looking.
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
    max_total_items: int = 20_000_000
    max_total_pixels: int = 100_000_000
    max_trace_steps: int = 20_000
    max_container_depth: int = 32
    max_items_per_call: int = 10_000
    max_operation_work: int = 100_000_000
    max_llm_calls: int = 200
    max_diagnostics: int = 100

    def __post_init__(self) -> None:
        # A budget that is not a positive number would fail later, deep inside a run, as
        # an error that blames the program; say which field is wrong, here, once.
        for field in fields(self):
            value = getattr(self, field.name)
            seconds = field.type in ("float", float)
            number = (int, float) if seconds else (int,)
            if isinstance(value, bool) or not isinstance(value, number) or not (value > 0 if seconds else value >= 0):
                kind = "a number of seconds above 0" if seconds else "a whole number, 0 or more"
                raise InputError(f"Limits({field.name}=...) must be {kind}, got {value!r}")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
