"""Static checking: every problem in a program, found before anything runs.

Diagnostics are short and precise (line, column, code, message, suggestion) because
the planner sends them back to an LLM to repair the program.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from visprog.errors import InputError, ProgramSyntaxError
from visprog.language.limits import Limits
from visprog.language.rules import (
    all_attribute_names,
    ast_depth,
    construct_name,
    method_only_names,
)
from visprog.language.syntax import (
    ALLOWED_NODES,
    ENTRY_FUNCTION,
    Program,
    parse_program,
    translate_eval_expression,
)
from visprog.runtime.execution import EVAL_TOOL, RESULT_TOOL
from visprog.runtime.sandbox import BUILTINS
from visprog.toolkit.intrinsics import with_core
from visprog.toolkit.registry import Registry, Resolved

__all__ = ["DEFAULT_INPUTS", "Diagnostic", "check_program"]

#: Input names assumed when the caller does not say which inputs a run will have.
DEFAULT_INPUTS = frozenset({"IMAGE", "LEFT", "RIGHT"})

_BUILTIN_RETURNS = {
    "len": "int", "str": "str", "int": "int", "float": "float", "bool": "bool", "list": "list",
    "sorted": "list", "enumerate": "list", "zip": "list", "any": "bool", "all": "bool", "abs": None,
}


@dataclass(frozen=True)
class Diagnostic:
    """One problem found by the checker.

    Attributes:
        line, column: 1-based position (column of the offending node).
        code: a stable kebab-case identifier, e.g. ``unknown-tool``.
        message: one short sentence.
        suggestion: how to fix it, when there is an obvious fix.
        severity: ``"error"`` (the program will not run) or ``"warning"``.
    """

    line: int
    column: int
    code: str
    message: str
    suggestion: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        text = f"line {self.line}, column {self.column}: {self.message} [{self.code}]"
        return f"{text} ({self.suggestion})" if self.suggestion else text


def check_program(
    program: str | Program,
    registry: Registry | None = None,
    *,
    inputs: Iterable[str] | None = None,
    limits: Limits | None = None,
) -> list[Diagnostic]:
    """Every problem in ``program``, sorted by position; an empty list means it may run.

    Args:
        program: program text or a parsed :class:`~visprog.language.Program`.
        registry: the tools it may call (default: :func:`visprog.default_registry`).
        inputs: names of the inputs the run will provide (default: IMAGE, LEFT, RIGHT;
            the entry function's parameters count as inputs).
        limits: budgets for length and nesting (default :class:`Limits`).
    """
    limits = limits or Limits()
    if registry is None:
        from visprog.toolkit.discovery import default_registry

        registry = default_registry()
    registry = with_core(registry)
    if isinstance(program, str):
        try:
            program = parse_program(program, max_source_chars=limits.max_source_chars)
        except ProgramSyntaxError as exc:
            return [Diagnostic(exc.line or 1, exc.column or 1, "syntax-error", exc.message)]
        except InputError as exc:
            return [Diagnostic(1, 1, "empty-program", str(exc), "write at least one statement")]
    checker = _Checker(program, registry, frozenset(inputs) if inputs is not None else None, limits)
    checker.run()
    unique = {(d.line, d.column, d.code, d.message): d for d in checker.diagnostics}
    return sorted(unique.values(), key=lambda d: (d.line, d.column, d.code))


class _Checker:
    def __init__(self, program: Program, registry: Registry, inputs: frozenset[str] | None, limits: Limits) -> None:
        self.program = program
        self.registry = registry
        self.inputs = inputs
        self.limits = limits
        self.diagnostics: list[Diagnostic] = []
        self.types: dict[str, frozenset[str]] = {}
        self.has_result = False
        self.attribute_names = all_attribute_names()
        self.method_only = method_only_names()

    def report(self, node: ast.AST, code: str, message: str, suggestion: str | None = None) -> None:
        line = getattr(node, "lineno", 1) or 1
        column = (getattr(node, "col_offset", 0) or 0) + 1
        self.diagnostics.append(Diagnostic(line, column, code, message, suggestion))

    # -- whole program -----------------------------------------------------
    def run(self) -> None:
        tree = self.program.tree
        depth = ast_depth(tree)
        if depth > self.limits.max_nesting_depth:
            self.report(tree.body[0], "nesting-too-deep", f"program nests {depth} levels; the limit is {self.limits.max_nesting_depth}")
            return
        self.check_syntax(tree)
        entry = self.program.entry
        top_defined = set(self.inputs if self.inputs is not None else DEFAULT_INPUTS)
        if entry is not None:
            top_defined = set(self.inputs or ())
        self.block(tree.body, top_defined, in_function=False)
        if entry is not None:
            params = {a.arg for a in entry.args.args}
            if self.inputs is not None:
                for name in sorted(params - self.inputs - ({"image"} if "IMAGE" in self.inputs else set())):
                    self.report(entry, "missing-input", f"parameter '{name}' of {ENTRY_FUNCTION} has no input")
            self.block(entry.body, top_defined | params, in_function=True)
        elif not self.has_result:
            last = tree.body[-1]
            self.report(
                last, "missing-result", "the program never sets a result",
                "end with FINAL=RESULT(var=...) or result(...), or define def execute_command(image): ... return ...",
            )

    def check_syntax(self, tree: ast.Module) -> None:
        stack: list[ast.AST] = [tree]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind not in ALLOWED_NODES:
                # One diagnostic per forbidden construct, none for its insides.
                self.report(node, "forbidden-syntax", f"{construct_name(node)} is not allowed")
                continue
            stack.extend(ast.iter_child_nodes(node))
            if kind is ast.Constant and type(node.value) not in (str, int, float, bool, type(None)):  # type: ignore[attr-defined]
                self.report(node, "forbidden-syntax", f"constants of type {type(node.value).__name__} are not allowed")  # type: ignore[attr-defined]
            elif kind is ast.Name and node.id.startswith("_"):  # type: ignore[attr-defined]
                self.report(node, "private-name", f"name '{node.id}' starts with '_'; such names are not allowed")  # type: ignore[attr-defined]
            elif kind is ast.Attribute:
                attr = node.attr  # type: ignore[attr-defined]
                if attr.startswith("_"):
                    self.report(node, "private-name", f"attribute '{attr}' starts with '_'; such attributes are not allowed")
                elif attr not in self.attribute_names:
                    close = difflib.get_close_matches(attr, sorted(self.attribute_names), n=1)
                    self.report(node, "unknown-attribute", f"attribute '{attr}' is not available to programs",
                                f"did you mean '{close[0]}'?" if close else None)
            elif kind is ast.FunctionDef:
                self.check_function(node, tree)  # type: ignore[arg-type]
            elif kind is ast.keyword and node.arg is None:  # type: ignore[attr-defined]
                self.report(node, "forbidden-syntax", "** arguments are not allowed")
            elif kind is ast.FormattedValue and node.conversion == ord("a"):  # type: ignore[attr-defined]
                self.report(node, "forbidden-syntax", "!a conversion is not allowed")
            elif kind is ast.comprehension and node.is_async:  # type: ignore[attr-defined]
                self.report(node, "forbidden-syntax", "async comprehensions are not allowed")

    def check_function(self, node: ast.FunctionDef, tree: ast.Module) -> None:
        if node not in tree.body or node.name != ENTRY_FUNCTION:
            self.report(node, "forbidden-syntax", f"only one top-level function, '{ENTRY_FUNCTION}(image)', may be defined",
                        f"inline the logic of '{node.name}' into {ENTRY_FUNCTION}")
            return
        if node.decorator_list:
            self.report(node.decorator_list[0], "forbidden-syntax", "decorators are not allowed")
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults or args.kw_defaults:
            self.report(node, "forbidden-syntax", f"{ENTRY_FUNCTION} takes plain parameters only (no defaults, *args, **kwargs)")

    # -- statements --------------------------------------------------------
    def block(self, body: list[ast.stmt], defined: set[str], *, in_function: bool) -> None:
        for node in body:
            self.statement(node, defined, in_function)

    def statement(self, node: ast.stmt, defined: set[str], in_function: bool) -> None:
        kind = type(node)
        if kind is ast.Assign:
            value_types = self.expr(node.value, defined)  # type: ignore[attr-defined]
            for target in node.targets:  # type: ignore[attr-defined]
                self.bind_target(target, defined, value_types)
        elif kind is ast.AugAssign:
            target = node.target  # type: ignore[attr-defined]
            self.expr(node.value, defined)  # type: ignore[attr-defined]
            if type(target) is ast.Name:
                self.use_name(target, defined)
            self.bind_target(target, defined, None)
        elif kind is ast.Expr:
            self.expr(node.value, defined)  # type: ignore[attr-defined]
        elif kind is ast.If:
            self.expr(node.test, defined)  # type: ignore[attr-defined]
            self.block(node.body, defined, in_function=in_function)  # type: ignore[attr-defined]
            self.block(node.orelse, defined, in_function=in_function)  # type: ignore[attr-defined]
        elif kind is ast.For:
            self.expr(node.iter, defined)  # type: ignore[attr-defined]
            self.bind_target(node.target, defined, None)  # type: ignore[attr-defined]
            self.block(node.body, defined, in_function=in_function)  # type: ignore[attr-defined]
            self.block(node.orelse, defined, in_function=in_function)  # type: ignore[attr-defined]
        elif kind is ast.While:
            self.expr(node.test, defined)  # type: ignore[attr-defined]
            self.block(node.body, defined, in_function=in_function)  # type: ignore[attr-defined]
            self.block(node.orelse, defined, in_function=in_function)  # type: ignore[attr-defined]
        elif kind is ast.Return:
            if not in_function:
                self.report(node, "forbidden-syntax", "'return' outside the entry function",
                            "use RESULT(var=...) or result(...) at top level")
            elif node.value is not None:  # type: ignore[attr-defined]
                self.expr(node.value, defined)  # type: ignore[attr-defined]
            self.has_result = True

    def bind_target(self, target: ast.expr, defined: set[str], value_types: frozenset[str] | None) -> None:
        kind = type(target)
        if kind is ast.Name:
            name = target.id  # type: ignore[attr-defined]
            if name in BUILTINS or name in self.registry:
                self.report(target, "shadowed-name", f"cannot assign to '{name}': it names a tool or built-in",
                            "choose another variable name")
                return
            defined.add(name)
            previous = self.types.get(name)
            if value_types is None or previous is not None and previous != value_types:
                self.types[name] = frozenset({"any"}) if value_types is None else (previous or frozenset()) | value_types
            else:
                self.types[name] = value_types
        elif kind in (ast.Tuple, ast.List):
            for elt in target.elts:  # type: ignore[attr-defined]
                self.bind_target(elt, defined, None)
        elif kind is ast.Subscript:
            self.expr(target.value, defined)  # type: ignore[attr-defined]
            self.expr(target.slice, defined)  # type: ignore[attr-defined]
        else:
            self.report(target, "forbidden-syntax", f"cannot assign to {construct_name(target)}")

    # -- expressions -------------------------------------------------------
    def use_name(self, node: ast.Name, defined: set[str]) -> None:
        name = node.id
        if name in defined or name.startswith("_"):
            return
        if name in BUILTINS or name in self.registry:
            self.report(node, "not-a-value", f"'{name}' can only be called, not used as a value")
            return
        candidates = sorted(defined)
        close = difflib.get_close_matches(name, candidates, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "assign it before this line"
        if name.isupper() and self.inputs is None and name not in DEFAULT_INPUTS:
            hint = close and f"did you mean '{close[0]}'?" or hint
        self.report(node, "undefined-variable", f"variable '{name}' is used before it is assigned", hint)

    def expr(self, node: ast.expr | None, defined: set[str]) -> frozenset[str] | None:
        """Check an expression; return its inferred coarse types, or None if unknown."""
        if node is None:
            return None
        kind = type(node)
        if kind is ast.Constant:
            return frozenset({_kind_of(node.value)})  # type: ignore[attr-defined]
        if kind is ast.Name:
            self.use_name(node, defined)  # type: ignore[arg-type]
            return self.types.get(node.id)  # type: ignore[attr-defined]
        if kind is ast.Call:
            return self.call(node, defined)  # type: ignore[arg-type]
        if kind in (ast.ListComp, ast.GeneratorExp, ast.DictComp):
            inner = set(defined)
            for gen in node.generators:  # type: ignore[attr-defined]
                self.expr(gen.iter, inner)
                self.bind_comprehension_target(gen.target, inner)
                for cond in gen.ifs:
                    self.expr(cond, inner)
            if kind is ast.DictComp:
                self.expr(node.key, inner)  # type: ignore[attr-defined]
                self.expr(node.value, inner)  # type: ignore[attr-defined]
                return frozenset({"dict"})
            self.expr(node.elt, inner)  # type: ignore[attr-defined]
            return frozenset({"list"})
        if kind is ast.Subscript:
            base = self.expr(node.value, defined)  # type: ignore[attr-defined]
            self.expr(node.slice, defined)  # type: ignore[attr-defined]
            if base == frozenset({"Detections"}) and type(node.slice) is not ast.Slice:  # type: ignore[attr-defined]
                return frozenset({"Box"})
            return None
        if kind is ast.Attribute:
            self.expr(node.value, defined)  # type: ignore[attr-defined]
            if node.attr in self.method_only:  # type: ignore[attr-defined]
                self.report(node, "method-not-called", f"method '{node.attr}' must be called, not used as a value")  # type: ignore[attr-defined]
            return None
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, defined)
        if kind in (ast.List, ast.Tuple):
            return frozenset({"list"})
        if kind is ast.Dict:
            return frozenset({"dict"})
        if kind is ast.JoinedStr:
            return frozenset({"str"})
        if kind is ast.Compare or (kind is ast.UnaryOp and type(node.op) is ast.Not):  # type: ignore[attr-defined]
            return frozenset({"bool"})
        return None

    def bind_comprehension_target(self, target: ast.expr, defined: set[str]) -> None:
        if type(target) is ast.Name:
            defined.add(target.id)
        elif type(target) in (ast.Tuple, ast.List):
            for elt in target.elts:  # type: ignore[attr-defined]
                self.bind_comprehension_target(elt, defined)

    def call(self, node: ast.Call, defined: set[str]) -> frozenset[str] | None:
        func = node.func
        arg_types = [self.expr(a, defined) for a in node.args]
        kw_types = {kw.arg: self.expr(kw.value, defined) for kw in node.keywords}
        if type(func) is ast.Attribute:
            self.expr(func.value, defined)
            return None
        if type(func) is not ast.Name:
            self.report(node, "not-callable", "only tools, built-ins and methods can be called")
            return None
        name = func.id
        resolved = self.registry.resolve(name)
        if resolved is not None:
            return self.tool_call(node, resolved, arg_types, kw_types, defined)
        if name in BUILTINS:
            allowed = BUILTINS[name][1]
            for kw in node.keywords:
                if kw.arg is not None and kw.arg not in allowed:
                    self.report(kw, "unknown-argument", f"{name}() does not take keyword '{kw.arg}' here")
            returned = _BUILTIN_RETURNS.get(name)
            return frozenset({returned}) if returned else None
        close = self.registry.closest(name)
        if close is None:
            builtin = difflib.get_close_matches(name, list(BUILTINS), n=1)
            close = builtin[0] if builtin else None
        self.report(func, "unknown-tool", f"'{name}' is not a registered tool or an allowed built-in",
                    f"did you mean '{close}'?" if close else "see the tool list")
        return None

    def tool_call(
        self,
        node: ast.Call,
        resolved: Resolved,
        arg_types: list[frozenset[str] | None],
        kw_types: dict[str | None, frozenset[str] | None],
        defined: set[str],
    ) -> frozenset[str] | None:
        tool = resolved.tool
        shown = resolved.shown_name
        if tool.name == RESULT_TOOL:
            self.has_result = True
        reason = tool.unavailable_reason()
        if reason:
            self.report(node.func, "tool-unavailable", f"{shown} is {reason}")
        given: dict[str, ast.AST] = {}
        if len(node.args) > len(tool.params):
            self.report(node, "too-many-arguments", f"{shown} takes at most {len(tool.params)} positional arguments, got {len(node.args)}")
        for spec, arg, types in zip(tool.params, node.args, arg_types):
            given[spec.name] = arg
            self.check_type(arg, shown, resolved.shown_argument(spec.name), spec, types)
        shown_params = [resolved.shown_argument(p.name) for p in tool.params]
        for kw in node.keywords:
            if kw.arg is None:
                continue
            canonical = resolved.canonical_argument(kw.arg)
            spec = tool.param(canonical)
            if spec is None:
                close = difflib.get_close_matches(kw.arg, shown_params, n=1)
                self.report(kw, "unknown-argument", f"{shown} has no argument '{kw.arg}'",
                            f"did you mean '{close[0]}'?" if close else f"arguments: {', '.join(shown_params)}")
                continue
            if canonical in given:
                self.report(kw, "duplicate-argument", f"argument '{kw.arg}' of {shown} is given twice")
            given[canonical] = kw
            self.check_type(kw.value, shown, kw.arg, spec, kw_types.get(kw.arg))
        for spec in tool.params:
            if spec.required and spec.name not in given:
                self.report(node, "missing-argument", f"{shown} needs argument '{resolved.shown_argument(spec.name)}' ({spec.type_name})")
        if tool.name == EVAL_TOOL:
            self.eval_argument(node, given.get("expr"), defined)
        return tool.return_kinds

    def check_type(self, node: ast.AST, shown: str, arg: str, spec: object, types: frozenset[str] | None) -> None:
        kinds = spec.kinds  # type: ignore[attr-defined]
        if types is None or "any" in types or "any" in kinds:
            return
        widened = set(types)
        if "bool" in widened:
            widened.add("int")
        if "int" in widened:
            widened.add("float")
        if not widened & kinds:
            got = " | ".join(sorted(types))
            self.report(node, "argument-type", f"argument '{arg}' of {shown} expects {spec.type_name}, got {got}")  # type: ignore[attr-defined]

    def eval_argument(self, node: ast.Call, arg: ast.AST | None, defined: set[str]) -> None:
        value = arg.value if isinstance(arg, ast.keyword) else arg
        if not isinstance(value, ast.Constant) or not isinstance(value.value, str):
            return
        try:
            tree = ast.parse(translate_eval_expression(value.value), mode="eval")
        except (SyntaxError, ProgramSyntaxError) as exc:
            self.report(value, "eval-syntax", f"EVAL expression does not parse: {getattr(exc, 'msg', exc)}")
            return
        for sub in ast.walk(tree):
            if type(sub) not in ALLOWED_NODES and type(sub) is not ast.Expression:
                self.report(value, "forbidden-syntax", f"{construct_name(sub)} is not allowed in EVAL")
            elif type(sub) is ast.Name and sub.id not in defined and sub.id not in BUILTINS:
                self.report(value, "undefined-variable", f"EVAL uses '{{{sub.id}}}' before it is assigned")


def _kind_of(value: object) -> str:
    return {bool: "bool", int: "int", float: "float", str: "str", type(None): "None"}.get(type(value), "any")
