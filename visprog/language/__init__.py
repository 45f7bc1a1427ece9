"""Layer 2, language: syntax, the static rules shared by the checker and the runtime,
EVAL semantics and budgets."""

from visprog.language.limits import Limits
from visprog.language.syntax import (
    ALLOWED_NODES,
    ENTRY_FUNCTION,
    Program,
    parse_program,
    translate_eval_expression,
)

__all__ = ["ALLOWED_NODES", "ENTRY_FUNCTION", "Limits", "Program", "parse_program", "translate_eval_expression"]
