"""Layer 6, checker: every problem of a program before it runs, with line and column."""

from visprog.checker.core import Diagnostic, check_program

__all__ = ["Diagnostic", "check_program"]
