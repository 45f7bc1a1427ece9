"""Static checking: every problem in a program, found before anything runs.

Diagnostics are short and precise (line, column, code, message, suggestion) because
the planner sends them back to an LLM to repair the program. The structural rules come
from the parser's scan (:func:`visprog.language.rules.scan`, shared with the runtime);
this module adds names, tools, arguments and types. Types are inferred as sets of
coarse kinds (``{"Box"}``, ``{"str", "None"}``); attribute and method access is checked
against the inferred kinds, falling back to the union of all types only when nothing is
known. The checker's own work is bounded: it stops after ``max_diagnostics`` problems
and computes did-you-mean suggestions for a bounded number of them.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from visprog.errors import BudgetExceeded, EmptyProgram, InputError, ProgramSyntaxError
from visprog.language.limits import Limits
from visprog.language.rules import (
    BUILTIN_KEYWORDS,
    BUILTIN_RETURNS,
    ENTRY_FUNCTION,
    STARRED_CALL,
    attribute_kind,
    every_member_name,
    members_of_kind,
    scan,
)
from visprog.language.syntax import Program, parse_eval_expression, parse_program
from visprog.toolkit.intrinsics import EVAL_TOOL, RESULT_TOOL, with_core
from visprog.toolkit.registry import Registry, Resolved
from visprog.toolkit.tool import Alias, Tool
from visprog.values.protocol import value_type_named

__all__ = ["DEFAULT_INPUTS", "Diagnostic", "FreeInput", "ProgramReport", "analyse_program", "check_program"]

#: Input names assumed when the caller does not say which inputs a run will have.
DEFAULT_INPUTS = frozenset({"IMAGE", "LEFT", "RIGHT"})

#: Suggestions (difflib) are computed for at most this many diagnostics.
MAX_SUGGESTIONS = 25
#: ... over at most this many candidate names each.
MAX_CANDIDATES = 400

_STR_RETURNS = {
    "lower": "str", "upper": "str", "strip": "str", "lstrip": "str", "rstrip": "str", "replace": "str",
    "title": "str", "capitalize": "str", "join": "str", "split": "list", "rsplit": "list", "splitlines": "list",
    "find": "int", "rfind": "int", "count": "int", "index": "int", "startswith": "bool", "endswith": "bool",
    "isdigit": "bool", "isalpha": "bool", "isalnum": "bool", "isnumeric": "bool", "isspace": "bool",
    "islower": "bool", "isupper": "bool", "format": "str",
}
_SET_RETURNS = {
    "copy": "set", "union": "set", "intersection": "set", "difference": "set", "symmetric_difference": "set",
    "issubset": "bool", "issuperset": "bool", "isdisjoint": "bool",
}
#: Kinds a set item may have (tuples have the kind "list").
_HASHABLE = frozenset({"str", "int", "float", "bool", "None", "list"})

Kinds = frozenset[str]


@dataclass(frozen=True)
class Diagnostic:
    """One problem found by the checker.

    Attributes:
        line, column: 1-based position (column of the offending node).
        code: a stable kebab-case identifier, e.g. ``unknown-tool``.
        message: one short sentence.
        suggestion: how to fix it, when there is an obvious fix.
        severity: ``"error"`` (the program will not run) or ``"warning"``.
        name: the variable or input the problem is about, for ``undefined-variable``
            and ``missing-input`` (so that callers need not read the message).
    """

    line: int
    column: int
    code: str
    message: str
    suggestion: str | None = None
    severity: str = "error"
    name: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        text = f"line {self.line}, column {self.column}: {self.message} [{self.code}]"
        return f"{text} ({self.suggestion})" if self.suggestion else text

    def located(self, filename: str) -> str:
        """``file:line:column: message`` — the form editors and terminals jump to."""
        text = f"{filename}:{self.line}:{self.column}: {self.severity}: {self.message} [{self.code}]"
        return f"{text} ({self.suggestion})" if self.suggestion else text


@dataclass(frozen=True)
class FreeInput:
    """A name the program reads and never assigns: an input the run must give.

    Attributes:
        name: the name, e.g. ``"IMAGE"``; an entry function's parameter is one too.
        line, column: 1-based position of its first use (of the ``def`` for a parameter).
        kinds: the coarse kinds it is taken to have: the kind the caller gave for it
            (``inputs`` as a mapping), else the types the tools it is passed to declare
            (``{"Image"}`` for ``LOC(image=PHOTO, ...)``), else ``{"Image"}`` for the
            image inputs by convention (IMAGE, LEFT, RIGHT, an entry function's
            ``image``); None when nothing says.
    """

    name: str
    line: int
    column: int
    kinds: frozenset[str] | None


@dataclass(frozen=True)
class ProgramReport:
    """What static analysis knows about a program, from one pass of the checker.

    Attributes:
        diagnostics: every problem, sorted by position (what :func:`check_program` returns).
        form: ``"steps"``, ``"python"`` or ``"function"``; None when the text does not parse.
        free_inputs: name -> :class:`FreeInput`, in order of first use, for the names the
            program reads and never assigns (whether or not the caller gives them).
        result_kinds: the coarse kinds the result may have (``{"Image"}``,
            ``{"str", "None"}``), the union over every ``RESULT``/``result()`` call or
            ``return``; None when any of them is not known statically.
        tools_called: canonical names of the tools the program calls (tool methods such
            as ``patch.find`` by the tool behind them; the intrinsics ``result`` and
            ``eval_expr`` too), in order of first call.
    """

    diagnostics: tuple[Diagnostic, ...]
    form: str | None = None
    free_inputs: Mapping[str, FreeInput] = field(default_factory=dict)
    result_kinds: frozenset[str] | None = None
    tools_called: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of severity ``"error"`` (the program will not run)."""
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def missing_inputs(self) -> dict[str, FreeInput]:
        """The free inputs the run will not have: those the checker reported as
        undefined (``undefined-variable``, ``missing-input``), given the inputs
        :func:`analyse_program` was told of."""
        reported = {d.name for d in self.diagnostics if d.code in ("undefined-variable", "missing-input")}
        return {n: f for n, f in self.free_inputs.items() if n in reported}


def check_program(
    program: str | Program,
    registry: Registry | None = None,
    *,
    inputs: Iterable[str] | Mapping[str, str] | None = None,
    limits: Limits | None = None,
) -> list[Diagnostic]:
    """Every problem in ``program``, sorted by position; an empty list means it may run.

    The diagnostics of :func:`analyse_program`, which says more (inputs, result kinds,
    tools); the arguments are the same.

    Args:
        program: program text or a parsed :class:`~visprog.language.Program`.
        registry: the tools it may call (default: :func:`visprog.default_registry`).
        inputs: names of the inputs the run will provide, or a mapping of each name to
            its kind (``"Image"``, ``"list"``, ...) so that attribute and method use can
            be checked against it (default: IMAGE, LEFT, RIGHT, all images; the entry
            function's parameters count as inputs).
        limits: budgets for length, nesting and the number of problems reported
            (default :class:`Limits`).
    """
    return list(analyse_program(program, registry, inputs=inputs, limits=limits).diagnostics)


def analyse_program(
    program: str | Program,
    registry: Registry | None = None,
    *,
    inputs: Iterable[str] | Mapping[str, str] | None = None,
    limits: Limits | None = None,
) -> ProgramReport:
    """The one static analysis of a program: its problems, free inputs, result kinds and
    the tools it calls (:class:`ProgramReport`). Arguments as :func:`check_program`."""
    limits = limits or Limits()
    if registry is None:
        from visprog.toolkit.discovery import default_registry

        registry = default_registry()
    registry = with_core(registry)
    if isinstance(program, str):
        try:
            program = parse_program(program, max_source_chars=limits.max_source_chars)
        except EmptyProgram as exc:
            return ProgramReport((Diagnostic(1, 1, "empty-program", exc.message, "write at least one statement"),))
        except ProgramSyntaxError as exc:
            return ProgramReport((Diagnostic(exc.line or 1, exc.column or 1, "syntax-error", exc.message),))
        except InputError as exc:
            return ProgramReport((Diagnostic(1, 1, "not-a-program", str(exc)),))
    kinds: dict[str, str] = {}
    if isinstance(inputs, Mapping):
        kinds = {str(k): str(v) for k, v in inputs.items()}
    elif inputs is None:
        kinds = {name: "Image" for name in DEFAULT_INPUTS}
    checker = _Checker(program, registry, frozenset(inputs) if inputs is not None else None, limits)
    checker.types.update({name: frozenset({kind}) for name, kind in kinds.items()})
    finished = True
    try:
        checker.run()
    except _Enough:
        finished = False
    unique = {(d.line, d.column, d.code, d.message): d for d in checker.diagnostics}
    diagnostics = tuple(sorted(unique.values(), key=lambda d: (d.line, d.column, d.code)))
    free: dict[str, FreeInput] = {}
    for name, (line, column) in checker.free.items():
        known: Kinds | None = frozenset({kinds[name]}) if name in kinds else checker.expected.get(name)
        if known is None and (name in DEFAULT_INPUTS or (name == "image" and program.entry is not None)):
            known = frozenset({"Image"})
        free[name] = FreeInput(name, line, column, known)
    results = checker.result_kinds()
    result_kinds: Kinds | None = None
    if finished and results and all(r is not None for r in results):
        result_kinds = frozenset().union(*(r for r in results if r is not None))
        if "any" in result_kinds or not result_kinds:
            result_kinds = None
    return ProgramReport(diagnostics, program.form, free, result_kinds, tuple(checker.tools_called))


class _Enough(Exception):
    """Raised once ``max_diagnostics`` problems have been found."""


class _Checker:
    def __init__(self, program: Program, registry: Registry, inputs: frozenset[str] | None, limits: Limits) -> None:
        self.program = program
        self.registry = registry
        self.inputs = inputs
        self.limits = limits
        self.diagnostics: list[Diagnostic] = []
        self.types: dict[str, Kinds] = {}
        self.has_result = False
        #: Inside the entry function, local variables may take tools' names (as in Python).
        self.in_entry = False
        self.suggested = 0
        self.reported_names: set[tuple[int, int]] = set()
        self._all_members: frozenset[str] | None = None
        #: Names read and never assigned (entry parameters too) -> first (line, column).
        self.free: dict[str, tuple[int, int]] = {}
        #: Free name -> the kinds the tool parameters it is passed to accept.
        self.expected: dict[str, Kinds] = {}
        #: Each result()/RESULT call or return: (its value, its kinds then, inside a loop).
        self.results: list[tuple[ast.expr | None, Kinds | None, bool]] = []
        self.tools_called: dict[str, None] = {}
        self.loops = 0

    def find_free_names(self) -> None:
        """Names the program reads and never assigns, at their first use; an entry
        function's parameters, at the ``def``."""
        assigned: set[str] = set()
        reads: list[ast.Name] = []
        for node in ast.walk(self.program.tree):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    reads.append(node)
                else:
                    assigned.add(node.id)
            elif isinstance(node, ast.arg):
                assigned.add(node.arg)
        found: dict[str, tuple[int, int]] = {}
        entry = self.program.entry
        if entry is not None:
            for arg in entry.args.args:
                found[arg.arg] = (entry.lineno, entry.col_offset + 1)
        for node in sorted(reads, key=lambda n: (n.lineno, n.col_offset)):
            name = node.id
            if name in assigned or name in found or name.startswith("_") or name in BUILTIN_KEYWORDS:
                continue
            if name in self.registry:
                continue  # a tool (called, or refused as a value)
            found[name] = (node.lineno, node.col_offset + 1)
        self.free = dict(sorted(found.items(), key=lambda item: item[1]))

    def result_kinds(self) -> tuple[Kinds | None, ...]:
        """The kinds of each result the program may set, once the whole program has been
        read: a variable's kinds are then the union of everything assigned to it, which
        also covers assignments later in a loop; another expression inside a loop may
        depend on such an assignment and is not known."""
        kinds: list[Kinds | None] = []
        for value, then, in_loop in self.results:
            if isinstance(value, ast.Name):
                kinds.append(self.types.get(value.id))
            elif isinstance(value, ast.Constant) or not in_loop:
                kinds.append(then)
            else:
                kinds.append(None)
        return tuple(kinds)

    def report(self, node: ast.AST, code: str, message: str, suggestion: str | None = None, *, name: str | None = None) -> None:
        line = getattr(node, "lineno", 1) or 1
        column = (getattr(node, "col_offset", 0) or 0) + 1
        self.diagnostics.append(Diagnostic(line, column, code, message, suggestion, name=name))
        if len(self.diagnostics) >= self.limits.max_diagnostics:
            self.diagnostics.append(Diagnostic(
                line, column, "too-many-problems",
                f"stopped checking after {self.limits.max_diagnostics} problems (budget max_diagnostics)",
            ))
            raise _Enough()

    def closest(self, name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
        """A did-you-mean by spelling, with the checker's total work bounded."""
        if self.suggested >= MAX_SUGGESTIONS:
            return None
        self.suggested += 1
        pool = sorted(candidates)[:MAX_CANDIDATES]
        match = difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
        return match[0] if match else None

    # -- whole program -----------------------------------------------------
    def run(self) -> None:
        program = self.program
        tree = program.tree
        found = program.scan
        self.find_free_names()
        if found.depth > self.limits.max_nesting_depth:
            self.report(tree.body[0], "nesting-too-deep", f"program nests {found.depth} levels; the limit is {self.limits.max_nesting_depth}")
            return
        for violation in found.violations:
            self.diagnostics.append(Diagnostic(violation.line, violation.column, violation.code, violation.message, violation.suggestion))
        if len(self.diagnostics) >= self.limits.max_diagnostics:
            raise _Enough()
        entry = program.entry
        top_defined = set(self.inputs if self.inputs is not None else DEFAULT_INPUTS)
        if entry is not None:
            top_defined = set(self.inputs or ())
        self.block(tree.body, top_defined, in_function=False)
        if entry is not None:
            params = {a.arg for a in entry.args.args}
            if self.inputs is not None:
                for name in sorted(params - self.inputs - ({"image"} if "IMAGE" in self.inputs else set())):
                    self.report(entry, "missing-input", f"parameter '{name}' of {ENTRY_FUNCTION} has no input", name=name)
            for name in params:
                if name not in self.types:
                    self.types[name] = self.types.get("IMAGE", frozenset({"any"})) if name == "image" else frozenset({"any"})
            self.in_entry = True
            self.block(entry.body, top_defined | params, in_function=True)
        elif not self.has_result:
            last = tree.body[-1]
            self.report(
                last, "missing-result", "the program never sets a result",
                "end with FINAL=RESULT(var=...) or result(...), or define def execute_command(image): ... return ...",
            )

    # -- statements --------------------------------------------------------
    def block(self, body: list[ast.stmt], defined: set[str], *, in_function: bool) -> None:
        for node in body:
            self.statement(node, defined, in_function)

    def statement(self, node: ast.stmt, defined: set[str], in_function: bool) -> None:
        if isinstance(node, ast.Assign):
            value_types = self.expr(node.value, defined)
            for target in node.targets:
                self.bind_target(target, defined, value_types)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value, defined)
            if isinstance(node.target, ast.Name):
                self.use_name(node.target, defined)
            self.bind_target(node.target, defined, None)
        elif isinstance(node, ast.Expr):
            self.expr(node.value, defined)
        elif isinstance(node, ast.If):
            self.expr(node.test, defined)
            self.block(node.body, defined, in_function=in_function)
            self.block(node.orelse, defined, in_function=in_function)
        elif isinstance(node, (ast.For, ast.While)):
            self.loops += 1
            try:
                if isinstance(node, ast.For):
                    self.expr(node.iter, defined)
                    self.bind_target(node.target, defined, None)
                else:
                    self.expr(node.test, defined)
                self.block(node.body, defined, in_function=in_function)
                self.block(node.orelse, defined, in_function=in_function)
            finally:
                self.loops -= 1
        elif isinstance(node, ast.Return):
            if not in_function:
                self.report(node, "forbidden-syntax", "'return' outside the entry function",
                            "use RESULT(var=...) or result(...) at top level")
            elif node.value is not None:
                self.results.append((node.value, self.expr(node.value, defined), self.loops > 0))
            else:
                self.results.append((None, _NONE, False))
            self.has_result = True

    def bind_target(self, target: ast.expr, defined: set[str], value_types: Kinds | None) -> None:
        if isinstance(target, ast.Name):
            name = target.id
            if name in BUILTIN_KEYWORDS or (name in self.registry and not self.in_entry):
                self.report(target, "shadowed-name", f"cannot assign to '{name}': it names a tool or built-in",
                            "choose another variable name")
                return
            defined.add(name)
            previous = self.types.get(name)
            if value_types is None:
                self.types[name] = frozenset({"any"})
            elif previous is not None and previous != value_types:
                self.types[name] = previous | value_types
            else:
                self.types[name] = value_types
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.bind_target(elt, defined, None)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value, defined)
            self.expr(target.slice, defined)
        # other targets are structural violations, reported by the scan

    # -- expressions -------------------------------------------------------
    def use_name(self, node: ast.Name, defined: set[str]) -> None:
        name = node.id
        if name in defined or name.startswith("_"):
            return
        if name in BUILTIN_KEYWORDS or name in self.registry:
            self.report(node, "not-a-value", f"'{name}' can only be called, not used as a value")
            return
        if _is_module_name(name):
            self.report(node, "module-not-available",
                        f"'{name}' is a Python module; programs cannot use modules, only the tools and a few built-ins",
                        "`visprog tools` lists the tools")
            return
        if name == ENTRY_FUNCTION and self.program.entry is not None:
            self.report(node, "not-a-value", f"'{name}' is the entry function: programs cannot read it or call it (no recursion)",
                        name=name)
            return
        close = self.closest(name, defined)
        if close:
            hint = f"did you mean '{close}'?"
        elif name in _PYTHON_BUILTINS:
            hint = f"'{name}' is a Python built-in, which programs cannot use; the allowed built-ins: {', '.join(sorted(BUILTIN_KEYWORDS))}"
        else:
            hint = "assign it before this line"
        self.report(node, "undefined-variable", f"variable '{name}' is used before it is assigned", hint, name=name)

    def expr(self, node: ast.expr | None, defined: set[str]) -> Kinds | None:
        """Check an expression; return its inferred coarse kinds, or None if unknown."""
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return _CONSTANT_KINDS.get(type(node.value), _ANY)
        if isinstance(node, ast.Name):
            self.use_name(node, defined)
            return self.types.get(node.id)
        if isinstance(node, ast.Call):
            return self.call(node, defined)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):  # SetComp: refused by the scan, scoped here
            inner = set(defined)
            for gen in node.generators:
                self.expr(gen.iter, inner)
                self.bind_comprehension_target(gen.target, inner)
                for cond in gen.ifs:
                    self.expr(cond, inner)
            if isinstance(node, ast.DictComp):
                self.expr(node.key, inner)
                self.expr(node.value, inner)
                return frozenset({"dict"})
            self.expr(node.elt, inner)
            return frozenset({"list"})
        if isinstance(node, ast.Subscript):
            base = self.expr(node.value, defined)
            self.expr(node.slice, defined)
            item = _item_kind(base)
            if item is not None and not isinstance(node.slice, ast.Slice):
                return frozenset({item})
            if base == frozenset({"str"}):
                return base
            return None
        if isinstance(node, ast.Attribute):
            return self.attribute(node, self.expr(node.value, defined), called=False)
        if isinstance(node, ast.Lambda):
            return self.key_lambda(node, defined)
        if isinstance(node, ast.Starred):
            known = _known(self.expr(node.value, defined))
            if known and not known & {"list"}:
                self.report(node, "argument-type", f"* unpacks lists and tuples, not {' | '.join(sorted(known))}")
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            left = self.expr(node.left, defined)
            self.expr(node.right, defined)
            if left == frozenset({"str"}):
                # The runtime refuses it too (sandbox.py): said here, before anything runs.
                self.report(node, "forbidden-format", "'%' formatting of strings is not allowed", "use an f-string")
            return None
        if isinstance(node, ast.Set):
            for element in node.elts:
                known = _known(self.expr(element, defined))
                if known and not known & _HASHABLE:
                    self.report(element, "unhashable", f"sets hold text, numbers and tuples of them, not {' | '.join(sorted(known))}")
            return frozenset({"set"})
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, defined)
        if isinstance(node, (ast.List, ast.Tuple)):
            return frozenset({"list"})
        if isinstance(node, ast.Dict):
            return frozenset({"dict"})
        if isinstance(node, ast.JoinedStr):
            return frozenset({"str"})
        if isinstance(node, ast.Compare) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            return frozenset({"bool"})
        return None

    def key_lambda(self, node: ast.Lambda, defined: set[str]) -> Kinds | None:
        """A ``key=`` lambda (where it may appear is the scan's rule): its parameter is
        defined in its body only, and may not name a tool or built-in."""
        inner = set(defined)
        saved: dict[str, Kinds | None] = {}
        for arg in node.args.args:
            if arg.arg in BUILTIN_KEYWORDS or arg.arg in self.registry:
                self.report(arg, "shadowed-name", f"lambda parameter '{arg.arg}' names a tool or built-in", "choose another name")
            inner.add(arg.arg)
            saved[arg.arg] = self.types.get(arg.arg)
            self.types[arg.arg] = _ANY  # an item of whatever is sorted: not the outer variable's kind
        try:
            self.expr(node.body, inner)
        finally:
            for name, kinds in saved.items():
                if kinds is None:
                    self.types.pop(name, None)
                else:
                    self.types[name] = kinds
        return None

    def attribute(self, node: ast.Attribute, base: Kinds | None, *, called: bool) -> Kinds | None:
        """Check ``base.attr`` (read, or called when ``called``) against the kinds the
        base may have; returns the result's kinds when known."""
        attr = node.attr
        if attr.startswith("_"):
            return None  # reported by the scan
        known = _known(base)
        if not known:
            if isinstance(node.value, ast.Name) and _is_module_name(node.value.id):
                return None  # the module itself is the error (use_name); no member to suggest
            # Nothing is known about the base: only names no type has are errors.
            if attr not in self._every_member():
                close = self.closest(attr, self._every_member())
                self.report(node, "unknown-attribute", f"attribute '{attr}' is not available to programs",
                            f"did you mean '{close}'?" if close else None)
            return None
        results: set[str] = set()
        if len(known) > 1:
            # A variable that may hold several kinds (reassigned, or a tool returning a
            # union): fine when one of them has the member; runtime checks the actual value.
            for kind in known:
                attributes, methods = members_of_kind(kind)
                if called and attr in methods:
                    results |= self.method_result(kind, attr) or {"any"}
                elif not called and attr in attributes:
                    results.add(attribute_kind(kind, attr) or "any")
            if results:
                return frozenset(results) if "any" not in results else None
        for kind in sorted(known):
            attributes, methods = members_of_kind(kind)
            if called and attr in methods:
                results |= self.method_result(kind, attr) or {"any"}
                continue
            if not called and attr in attributes:
                results.add(attribute_kind(kind, attr) or "any")
                continue
            if not called and attr in methods:
                self.report(node, "method-not-called", f"method '{attr}' of {kind} must be called, not used as a value",
                            f"write {attr}(...)")
                return None
            if called and attr in attributes:
                self.report(node, "not-callable", f"'{attr}' of {kind} is a value, not a method", f"write .{attr} without ()")
                return None
            members = attributes | methods
            close = self.closest(attr, members)
            what = "method" if called else "attribute"
            hint = f"did you mean '{close}'?" if close else (
                f"{kind} has: {', '.join(sorted(members))}" if members else f"{kind} has no {what}s")
            self.report(node, "unknown-attribute", f"{kind} has no {what} '{attr}'", hint)
            return None
        return frozenset(results) if "any" not in results else None

    def method_result(self, kind: str, name: str) -> set[str] | None:
        if kind == "str" or kind == "set":
            result = (_STR_RETURNS if kind == "str" else _SET_RETURNS).get(name)
            return {result} if result else None
        spec = value_type_named(kind)
        if spec is not None and name in spec.tool_methods:
            resolved = self.registry.resolve(spec.tool_methods[name])
            return set(resolved.tool.return_kinds) if resolved is not None else None
        return None

    def _every_member(self) -> frozenset[str]:
        if self._all_members is None:
            self._all_members = every_member_name()
        return self._all_members

    def bind_comprehension_target(self, target: ast.expr, defined: set[str]) -> None:
        if isinstance(target, ast.Name):
            defined.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.bind_comprehension_target(elt, defined)

    def call(self, node: ast.Call, defined: set[str]) -> Kinds | None:
        func = node.func
        arg_types = [self.expr(a, defined) for a in node.args]
        kw_types = {kw.arg: self.expr(kw.value, defined) for kw in node.keywords}
        if isinstance(func, ast.Attribute):
            base = self.expr(func.value, defined)
            kinds = self.attribute(func, base, called=True)
            self.tool_method_call(node, func, base, arg_types, kw_types, defined)
            return kinds
        if not isinstance(func, ast.Name):
            self.report(node, "not-callable", "only tools, built-ins and methods can be called")
            return None
        name = func.id
        resolved = self.registry.resolve(name)
        if resolved is not None:
            return self.tool_call(node, resolved, arg_types, kw_types, defined)
        if name == ENTRY_FUNCTION and self.program.entry is not None:
            self.report(func, "not-callable", f"'{name}' is the entry function: programs cannot call it (no recursion)")
            return None
        if name in BUILTIN_KEYWORDS:
            allowed = BUILTIN_KEYWORDS[name]
            for kw in node.keywords:
                if kw.arg is not None and kw.arg not in allowed:
                    self.report(kw, "unknown-argument", f"{name}() does not take keyword '{kw.arg}' here")
            returned = BUILTIN_RETURNS.get(name)
            return frozenset({returned}) if returned else None
        self.report(func, "unknown-tool", f"'{name}' is not a registered tool or an allowed built-in", self.suggest_tool(name))
        return None

    def tool_method_call(
        self,
        node: ast.Call,
        func: ast.Attribute,
        base: Kinds | None,
        arg_types: list[Kinds | None],
        kw_types: dict[str | None, Kinds | None],
        defined: set[str],
    ) -> None:
        """Arguments and availability of ``obj.method(...)`` when ``obj`` is known to be a
        value type whose method is a tool (``patch.find('cup')`` -> ``patch_find``)."""
        known = _known(base)
        if len(known) != 1:
            return
        from visprog.values.protocol import value_type_named

        kind = next(iter(known))
        spec = value_type_named(kind)
        if spec is None or func.attr not in spec.tool_methods:
            return
        shown = f"{kind}.{func.attr}"
        tool_name = spec.tool_methods[func.attr]
        resolved = self.registry.resolve(tool_name)
        if resolved is None:
            self.report(func, "unknown-tool", f"{shown} needs the tool '{tool_name}', which is not in the registry",
                        "add the tool package that provides it")
            return
        self.tool_call(node, Resolved(resolved.tool, Alias(shown, resolved.tool.name)), arg_types, kw_types, defined, first=1)

    def suggest_tool(self, name: str) -> str:
        """Did-you-mean for an unknown callable: by spelling when the spelling is close,
        else by meaning (tools whose names or descriptions share words with it)."""
        if self.suggested >= MAX_SUGGESTIONS:
            return "see the tool list"
        spelled = self.registry.closest(name)
        if spelled is not None and difflib.SequenceMatcher(None, name.lower(), spelled.lower()).ratio() >= 0.85:
            self.suggested += 1
            return f"did you mean '{spelled}'?"
        builtin = self.closest(name, BUILTIN_KEYWORDS, cutoff=0.75)
        if builtin is not None:
            return f"did you mean '{builtin}'?"
        meaning = _by_meaning(name, self.registry.tools)
        if meaning:
            return "tools that may do this: " + ", ".join(meaning)
        return "no tool does this; see the tool list (visprog tools)"

    def tool_call(
        self,
        node: ast.Call,
        resolved: Resolved,
        arg_types: list[Kinds | None],
        kw_types: dict[str | None, Kinds | None],
        defined: set[str],
        first: int = 0,
    ) -> Kinds | None:
        """Check a tool call; ``first`` leading parameters are given already (the object
        of a tool method). Past a ``*`` argument, positions are not known statically."""
        tool = resolved.tool
        shown = resolved.shown_name
        self.tools_called.setdefault(tool.name)
        if tool.name == RESULT_TOOL:
            self.has_result = True
            self.note_result(node, resolved, arg_types, kw_types)
        reason = tool.unavailable_reason()
        if reason:
            self.report(node.func, "tool-unavailable", f"{shown} is {reason}")
        params = tool.params[first:] if first else tool.params
        given: dict[str, ast.AST] = {p.name: node.func for p in tool.params[:first]} if first else {}
        starred = bool(node.args) and getattr(node, STARRED_CALL, False)
        if len(node.args) > len(params) and not starred:
            self.report(node, "too-many-arguments", f"{shown} takes at most {len(params)} positional arguments, got {len(node.args)}")
        for spec, arg, types in zip(params, node.args, arg_types):
            if isinstance(arg, ast.Starred):
                break
            given[spec.name] = arg
            self.check_type(arg, shown, resolved.shown_argument(spec.name), spec.kinds, spec.type_name, types)
            self.expect(arg, spec.kinds)
        alias = resolved.alias
        for kw in node.keywords:
            if kw.arg is None:
                continue
            canonical = alias.canonical_argument(kw.arg) if alias else kw.arg
            param = tool.param(canonical)
            if param is None:
                shown_params = [resolved.shown_argument(p.name) for p in tool.params]
                close = self.closest(kw.arg, shown_params)
                self.report(kw, "unknown-argument", f"{shown} has no argument '{kw.arg}'",
                            f"did you mean '{close}'?" if close else f"arguments: {', '.join(shown_params)}")
                continue
            if canonical in given:
                self.report(kw, "duplicate-argument", f"argument '{kw.arg}' of {shown} is given twice")
            given[canonical] = kw
            self.check_type(kw.value, shown, kw.arg, param.kinds, param.type_name, kw_types.get(kw.arg))
            self.expect(kw.value, param.kinds)
        for spec in tool.params:
            if spec.required and spec.name not in given and not starred:
                self.report(node, "missing-argument", f"{shown} needs argument '{resolved.shown_argument(spec.name)}' ({spec.type_name})")
        if tool.name == EVAL_TOOL:
            self.eval_argument(given.get("expr"), defined)
        return tool.return_kinds

    def note_result(self, node: ast.Call, resolved: Resolved, arg_types: list[Kinds | None], kw_types: dict[str | None, Kinds | None]) -> None:
        """Record the value a ``result()``/``RESULT(var=...)`` call sets."""
        if node.args:
            value = node.args[0]
            self.results.append((value, None if isinstance(value, ast.Starred) else arg_types[0], self.loops > 0))
            return
        alias = resolved.alias
        for kw in node.keywords:
            if kw.arg is not None and (alias.canonical_argument(kw.arg) if alias else kw.arg) == "value":
                self.results.append((kw.value, kw_types.get(kw.arg), self.loops > 0))
                return
        self.results.append((None, None, False))  # no value: reported as a missing argument

    def expect(self, value: ast.AST, kinds: Kinds) -> None:
        """A free input passed to a tool parameter is taken to have the kinds it accepts."""
        if isinstance(value, ast.Name) and value.id in self.free and "any" not in kinds:
            previous = self.expected.get(value.id)
            self.expected[value.id] = kinds if previous is None else (previous & kinds or previous)

    def check_type(self, node: ast.AST, shown: str, arg: str, kinds: frozenset[str], type_name: str, types: Kinds | None) -> None:
        if types is None or types <= kinds or "any" in types or "any" in kinds:
            return
        widened = set(types)
        if "bool" in widened:
            widened.add("int")
        if "int" in widened:
            widened.add("float")
        if not widened & kinds:
            got = " | ".join(sorted(types))
            self.report(node, "argument-type", f"argument '{arg}' of {shown} expects {type_name}, got {got}")

    def eval_argument(self, arg: ast.AST | None, defined: set[str]) -> None:
        value = arg.value if isinstance(arg, ast.keyword) else arg
        if not isinstance(value, ast.Constant) or not isinstance(value.value, str):
            return
        try:
            tree = parse_eval_expression(value.value)
        except ProgramSyntaxError as exc:
            self.report(value, "eval-syntax", f"EVAL expression does not parse: {exc}")
            return
        except BudgetExceeded as exc:
            self.report(value, "eval-syntax", str(exc))
            return
        found = scan(tree.body)
        for violation in found.violations:
            self.report(value, violation.code, f"{violation.message} in EVAL")
        for sub in ast.walk(tree):
            if isinstance(sub, ast.Name) and sub.id not in defined and sub.id not in BUILTIN_KEYWORDS:
                self.report(value, "undefined-variable", f"EVAL uses '{{{sub.id}}}' before it is assigned")


def _known(kinds: Kinds | None) -> Kinds:
    """The kinds that say something (``any`` and ``None`` say nothing useful)."""
    if kinds is None or "any" in kinds:
        return frozenset()
    return frozenset(k for k in kinds if k != "None")


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2}


def _by_meaning(name: str, tools: list[Tool]) -> list[str]:
    """Tools whose name or description shares words with ``name`` (best first, at most 3)."""
    wanted = _words(name)
    if not wanted:
        return []
    scored: list[tuple[int, str]] = []
    for candidate in tools:
        if candidate.family == "core":
            continue
        have = _words(candidate.name) | _words(candidate.description.split(".")[0])
        overlap = len(wanted & have)
        if overlap:
            scored.append((-overlap, candidate.name))
    return [n for _, n in sorted(scored)[:3]]


_ANY: Kinds = frozenset({"any"})
_NONE: Kinds = frozenset({"None"})
_CONSTANT_KINDS: dict[type, Kinds] = {
    bool: frozenset({"bool"}), int: frozenset({"int"}), float: frozenset({"float"}), str: frozenset({"str"}),
    type(None): frozenset({"None"}),
}


def _item_kind(kinds: frozenset[str] | None) -> str | None:
    """The item kind of a sequence value type (``"Box"`` for ``{"Detections"}``), else None."""
    if kinds is None or len(kinds) != 1:
        return None
    spec = value_type_named(next(iter(kinds)))
    return spec.item_kind if spec is not None else None


#: Modules a program may reach for besides the standard library's.
_OTHER_MODULES = frozenset({"np", "numpy", "cv2", "torch", "PIL", "scipy", "skimage", "requests", "pd", "pandas"})


#: Python's built-in names (``dict``, ``type``, ``print`` ...): not values in programs.
_PYTHON_BUILTINS = frozenset(dir(builtins))


def _is_module_name(name: str) -> bool:
    """Is ``name`` a Python module's usual name (``os``, ``sys``, ``np`` ...)?"""
    return name in sys.stdlib_module_names or name in _OTHER_MODULES
