"""The program language: a safe subset of Python, parsed with :mod:`ast`.

Three shapes of program are accepted, all plain Python syntax:

* ``steps``: VisProg's line form, one tool call per line with keyword arguments and
  upper-case names, e.g. ``OBJ0=LOC(image=IMAGE,object='dog')``;
* ``python``: general statements (assignments, if/elif/else, for, bounded while,
  comprehensions, f-strings, ...) calling tools and a few safe built-ins;
* ``function``: a ViperGPT-style entry function ``def execute_command(image): ...``
  whose return value is the result.

Which AST nodes may appear is an allow-list (:data:`ALLOWED_NODES`); the checker and
the interpreter both enforce it.
"""

from __future__ import annotations

import ast
import io
import re
import threading
import tokenize
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from visprog.errors import BudgetExceeded, EmptyProgram, InputError, ProgramSyntaxError
from visprog.language.rules import ALLOWED_NODES, ENTRY_FUNCTION, Scan, scan

__all__ = [
    "ALLOWED_NODES", "ENTRY_FUNCTION", "Program", "parse_eval_expression", "parse_program", "parse_tree",
    "translate_eval_expression", "visprog_value",
]

ProgramForm = Literal["steps", "python", "function"]
#: Statements whose trace text is their first line only.
_HEADER_ONLY = frozenset({ast.If, ast.For, ast.While, ast.FunctionDef})


@dataclass(frozen=True, eq=False)
class Program:
    """A parsed program.

    Attributes:
        source: the program text.
        tree: its AST.
        form: ``"steps"`` (VisProg line form), ``"python"`` or ``"function"``.
        entry: the ``execute_command`` definition, for the function form.
    """

    source: str
    tree: ast.Module
    form: ProgramForm
    entry: ast.FunctionDef | None
    scan: Scan

    @cached_property
    def lines(self) -> list[str]:
        """The source's lines (split once)."""
        return self.source.splitlines()

    @property
    def depth(self) -> int:
        """Depth of the syntax tree."""
        return self.scan.depth

    def statement_text(self, node: ast.stmt) -> str:
        """Source of a statement; only the header line for if/for/while/def."""
        lines = self.lines
        end = node.end_lineno or node.lineno
        if end == node.lineno or type(node) in _HEADER_ONLY:
            return lines[node.lineno - 1].strip()
        return "\n".join(lines[node.lineno - 1 : end]).strip()


def parse_program(source: str, *, max_source_chars: int = 50_000) -> Program:
    """Parse program text.

    Raises:
        EmptyProgram: the program has no statement (empty, blank or only comments).
        ProgramSyntaxError: it is not valid text (a lone surrogate), it is too long, does not parse, or nests too deeply for the
            parser; ``line`` and ``column`` say where.
    """
    if not isinstance(source, str):
        raise InputError(f"a program is text, got {type(source).__name__}")
    if not source.strip():
        raise EmptyProgram("the program is empty", 1, 1)
    if len(source) > max_source_chars:
        raise ProgramSyntaxError(
            f"program is {len(source)} characters long; the limit (budget max_source_chars) is {max_source_chars}"
        )
    # Tabs are left alone: Python's parser reads tab indentation itself, and expanding
    # them would change string literals that hold a tab.
    source = source.replace("\r\n", "\n")
    tree = parse_tree(source)
    if not tree.body:
        raise EmptyProgram("the program is empty: it has only comments", 1, 1)
    entry = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY_FUNCTION), None
    )
    form: ProgramForm
    if entry is not None:
        form = "function"
    elif all(_is_step_line(n) for n in tree.body):
        form = "steps"
    else:
        form = "python"
    return Program(source=source, tree=tree, form=form, entry=entry, scan=scan(tree))


#: One parse at a time in this process. CPython 3.11 keeps the AST constructor's
#: recursion counter in interpreter-wide state, so two threads building trees at once
#: (run_program from several threads, a tool thread abandoned at its deadline) can fail
#: with "SystemError: AST constructor recursion depth mismatch" (seen in this suite).
_PARSER = threading.Lock()


def parse_tree(source: str) -> ast.Module:
    """Python's parser over program text, the one place (with
    :func:`parse_eval_expression`) that calls it: every way it can fail becomes
    :class:`ProgramSyntaxError` with a position, the same on every Python version.

    Unlike :func:`parse_program` this takes any length and an empty text (an empty
    module), and runs no structural scan: it answers "does this text parse?" (the REPL
    asks it line by line).

    Raises:
        ProgramSyntaxError: a null byte or a lone surrogate (not text), a syntax error,
            or nesting too deep for the parser; ``line`` and ``column`` say where when known.
    """
    _refuse_null_bytes(source, "program")
    _refuse_surrogates(source, "program")
    try:
        with _PARSER:
            return ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise ProgramSyntaxError(f"syntax error: {exc.msg}", exc.lineno, exc.offset) from None
    except (RecursionError, MemoryError):
        raise ProgramSyntaxError("program nests too deeply to parse") from None


def parse_eval_expression(expr: str) -> ast.Expression:
    """Parse a VisProg ``EVAL`` expression (after :func:`translate_eval_expression`).

    Positions in the tree are relative to the expression. The caller still runs the
    structural scan (:func:`visprog.language.rules.scan`) over ``tree.body``.

    Raises:
        ProgramSyntaxError: it does not parse (a null byte, a syntax error); the message
            is Python's, e.g. ``"invalid syntax"``.
        BudgetExceeded: it nests too deeply for the parser (budget ``max_nesting_depth``).
    """
    text = translate_eval_expression(expr)
    try:
        with _PARSER:
            return ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ProgramSyntaxError(exc.msg, exc.lineno, exc.offset) from None
    except (RecursionError, MemoryError):
        raise BudgetExceeded("max_nesting_depth", "EVAL expression nests too deeply") from None


def _refuse_null_bytes(text: str, what: str) -> None:
    """Python's parser refuses NUL with ValueError before 3.11.4 and SyntaxError after:
    refuse it here, the same way on every version, saying where it is."""
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise ProgramSyntaxError(f"syntax error: the {what} holds a null byte", line, column)


def _refuse_surrogates(text: str, what: str) -> None:
    """A lone surrogate (``'\\udce9'``: undecodable bytes read with ``surrogateescape``)
    is not Unicode text, and Python's parser fails on it with UnicodeEncodeError: refuse
    it here, saying where it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        at = exc.start
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        raise ProgramSyntaxError(
            f"syntax error: the {what} is not valid text (a lone surrogate {ascii(text[at])}: bytes that are not UTF-8?)",
            line, column,
        ) from None


def _is_step_line(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and not node.value.args
    )


_PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def translate_eval_expression(expr: str) -> str:
    """Turn a VisProg ``EVAL`` expression into an ordinary expression of the language.

    ``{NAME}`` placeholders become the bare variable ``NAME`` (the variable is read by
    the sandbox; no text is pasted into code), and VisProg's ``xor`` becomes ``!=``.
    String literals are left alone.

    Raises:
        ProgramSyntaxError: the expression does not tokenize.
    """
    _refuse_null_bytes(expr, "EVAL expression")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(expr).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ProgramSyntaxError(f"EVAL expression does not parse: {exc}") from None
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if (
            tok.type == tokenize.OP and tok.string == "{" and i + 2 < len(tokens)
            and tokens[i + 1].type == tokenize.NAME and _PLACEHOLDER.match(tokens[i + 1].string)
            and tokens[i + 2].type == tokenize.OP and tokens[i + 2].string == "}"
        ):
            out.append((tokenize.NAME, tokens[i + 1].string))
            i += 3
            continue
        if tok.type == tokenize.NAME and tok.string == "xor":
            out.append((tokenize.OP, "!="))
        elif tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            out.append((tok.type, tok.string))
        i += 1
    return tokenize.untokenize(out).strip()


def visprog_value(value: object) -> object:
    """How EVAL reads a variable, as VisProg does: 'yes'/'no' strings are booleans,
    decimal strings (shorter than 100 digits) integers; anything else is itself."""
    if type(value) is str:
        if value in ("yes", "no"):
            return value == "yes"
        if value.isdecimal() and len(value) < 100:
            return int(value)
    return value
