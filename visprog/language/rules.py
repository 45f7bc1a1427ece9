"""The language's static rules, written once and used by both the checker (which
reports them as diagnostics) and the runtime (which refuses to run a program that
breaks them, and enforces the per-type allow-lists at every access).

* :func:`scan`: one walk over a syntax tree finding its depth and every structural
  violation (forbidden constructs, private names, ``**`` arguments, ...). The parser
  runs it once; the result rides on the :class:`~visprog.language.syntax.Program`.
* Per-type allow-lists of attributes and methods: plain types here, value types from
  the value-type protocol (:mod:`visprog.values.protocol`).
* The safe built-ins: their names, keywords and result kinds (the runtime holds their
  implementations, keyed by the same names).
* Where the restricted constructs may appear (checked by :func:`scan`): a one-parameter
  ``lambda`` only as the ``key=`` of ``sorted``, ``min``, ``max`` and ``list.sort``;
  ``*`` unpacking only of call arguments; ``str.format`` templates with plain fields only
  (:func:`format_fields`, shared with the runtime).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from visprog.values.protocol import SCALAR_TYPES, value_type, value_type_named, value_types

__all__ = [
    "ALLOWED_NODES", "ENTRY_FUNCTION", "FORBIDDEN_NAMES", "BUILTIN_KEYWORDS", "BUILTIN_RETURNS", "KEY_BUILTINS", "KEY_METHODS",
    "KIND_NAMES", "PLAIN_METHODS", "STARRED_CALL", "Violation", "ast_depth", "attribute_kind", "attributes_of", "construct_name",
    "format_fields", "kind_of_type", "methods_of", "scan", "tool_method_of",
]

ENTRY_FUNCTION = "execute_command"

#: Every AST node type a program may contain. Anything else is rejected by name.
ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        # statements
        ast.Module, ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.For, ast.While,
        ast.Break, ast.Continue, ast.Pass, ast.FunctionDef, ast.Return,
        ast.arguments, ast.arg,
        # expressions
        ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword,
        ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice,
        ast.List, ast.Tuple, ast.Dict, ast.Set,
        # only where scan() allows them: key= lambdas, * in call arguments
        ast.Lambda, ast.Starred,
        ast.ListComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
        ast.JoinedStr, ast.FormattedValue,
        # contexts and operators
        ast.Load, ast.Store,
        ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Invert,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
        ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr, ast.BitXor,
        ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
    }
)

#: Plain-language names of rejected constructs, for diagnostics.
FORBIDDEN_NAMES: dict[type[ast.AST], str] = {
    ast.Import: "import", ast.ImportFrom: "import", ast.ClassDef: "a class definition",
    ast.Lambda: "lambda", ast.Global: "global", ast.Nonlocal: "nonlocal", ast.With: "with",
    ast.AsyncWith: "async with", ast.AsyncFor: "async for", ast.AsyncFunctionDef: "async def",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield from", ast.Match: "match",
    ast.Try: "try/except", ast.Raise: "raise", ast.Assert: "assert", ast.Delete: "del",
    ast.Set: "a set literal", ast.SetComp: "a set comprehension", ast.Starred: "* unpacking",
    ast.NamedExpr: "the walrus operator :=", ast.AnnAssign: "annotated assignment",
    ast.MatMult: "the @ operator",
}

#: Methods callable on plain types (exact type; subclasses are not looked up).
PLAIN_METHODS: dict[type, frozenset[str]] = {
    str: frozenset({
        "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join", "replace",
        "startswith", "endswith", "find", "rfind", "count", "title", "capitalize", "isdigit", "isalpha",
        "isalnum", "isnumeric", "isspace", "islower", "isupper", "index", "format",
    }),
    list: frozenset({"append", "extend", "index", "count", "pop", "insert", "remove", "copy", "reverse", "sort"}),
    tuple: frozenset({"index", "count"}),
    dict: frozenset({"get", "keys", "values", "items", "pop", "copy", "update"}),
    set: frozenset({
        "add", "update", "discard", "remove", "copy", "union", "intersection", "difference", "symmetric_difference",
        "issubset", "issuperset", "isdisjoint",
    }),
}

#: Coarse kind names of plain types, as the checker and tool schemas use them.
KIND_NAMES: dict[type, str] = {
    type(None): "None", bool: "bool", int: "int", float: "float", str: "str",
    list: "list", tuple: "list", dict: "dict", range: "list", set: "set",
}
_KIND_TO_PLAIN: dict[str, type] = {"str": str, "list": list, "dict": dict, "set": set}

#: Safe built-ins: name -> keywords they accept. The runtime implements each.
BUILTIN_KEYWORDS: dict[str, frozenset[str]] = {
    "len": frozenset(), "min": frozenset({"default", "key"}), "max": frozenset({"default", "key"}), "sum": frozenset(),
    "sorted": frozenset({"reverse", "key"}), "abs": frozenset(), "round": frozenset(), "any": frozenset(),
    "all": frozenset(), "enumerate": frozenset({"start"}), "zip": frozenset(), "range": frozenset(),
    "str": frozenset(), "int": frozenset(), "float": frozenset(), "bool": frozenset(), "list": frozenset(),
    "set": frozenset(),
}

#: Result kind of each built-in, where it does not depend on the arguments.
BUILTIN_RETURNS: dict[str, str] = {
    "len": "int", "str": "str", "int": "int", "float": "float", "bool": "bool", "list": "list",
    "sorted": "list", "enumerate": "list", "zip": "list", "any": "bool", "all": "bool", "range": "list", "set": "set",
}

#: Built-ins (by name) and list methods (by attribute) whose ``key=`` may be a lambda.
KEY_BUILTINS: frozenset[str] = frozenset({"sorted", "min", "max"})
KEY_METHODS: frozenset[str] = frozenset({"sort"})

#: Attribute :func:`scan` sets (to True) on a Call node with ``*`` arguments, so that the
#: runtime's call paths check one flag instead of looking at every argument.
STARRED_CALL = "visprog_starred"

_PLAIN_FIELD = re.compile(r"^(?:\d{1,4}|[A-Za-z][A-Za-z0-9_]*)?$")


def format_fields(template: str) -> list[tuple[str, str | None, str]]:
    """The parts of a ``str.format`` template: ``(literal text, field name or None, format
    spec)``, parsed by :class:`string.Formatter`.

    Only plain fields are allowed: ``{}``, ``{0}`` and ``{name}``, with an optional
    format spec that holds no nested field (``{:.2f}``, ``{name:>8}``). Attribute and
    index fields (``{0.x}``, ``{a[0]}``), conversions (``!r``, ``!s``, ``!a``) and nested
    fields in specs are refused: through them a template could read any attribute.

    Raises:
        ValueError: one line naming the field that is not allowed, or why the template
            does not parse.
    """
    parts: list[tuple[str, str | None, str]] = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            parts.append((literal, None, ""))
            continue
        shown = "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if conversion is not None:
            raise ValueError(f"format field {shown} has a conversion (!{conversion}); only plain fields such as {{}}, {{0}} or {{name}} are allowed")
        if not _PLAIN_FIELD.match(field) or field.startswith("_"):
            raise ValueError(f"format field {shown} reads an attribute or item; only plain fields such as {{}}, {{0}} or {{name}} are allowed")
        if spec and ("{" in spec or "}" in spec):
            raise ValueError(f"format field {shown} nests a field in its format spec, which is not allowed")
        parts.append((literal, field, spec or ""))
    return parts


def kind_of_type(cls: type) -> str:
    """Coarse kind name of a runtime type (``"int"``, ``"Box"``, ...), ``"any"`` if unknown."""
    plain = KIND_NAMES.get(cls)
    if plain is not None:
        return plain
    spec = value_type(cls)
    return spec.name if spec is not None else "any"


def attributes_of(cls: type) -> frozenset[str]:
    """Data attributes programs may read on exactly ``cls``."""
    spec = value_type(cls)
    return spec.attributes if spec is not None else frozenset()


def methods_of(cls: type) -> frozenset[str]:
    """Host methods programs may call on exactly ``cls`` (tool methods not included)."""
    plain = PLAIN_METHODS.get(cls)
    if plain is not None:
        return plain
    spec = value_type(cls)
    return spec.methods if spec is not None else frozenset()


def tool_method_of(cls: type, name: str) -> str | None:
    """The tool behind method ``name`` of ``cls``, when it is a tool method."""
    spec = value_type(cls)
    return spec.tool_methods.get(name) if spec is not None else None


def members_of_kind(kind: str) -> tuple[frozenset[str], frozenset[str]]:
    """``(attributes, methods incl. tool methods)`` of a kind name, for the checker."""
    plain = _KIND_TO_PLAIN.get(kind)
    if plain is not None:
        return frozenset(), PLAIN_METHODS[plain] | (PLAIN_METHODS[tuple] if kind == "list" else frozenset())
    spec = value_type_named(kind)
    if spec is None:
        return frozenset(), frozenset()
    return spec.attributes, spec.methods | frozenset(spec.tool_methods)


def attribute_kind(kind: str, name: str) -> str | None:
    """Coarse kind of attribute ``name`` of a value of kind ``kind``, if known."""
    spec = value_type_named(kind)
    return spec.attribute_kinds.get(name) if spec is not None else None


def every_member_name() -> frozenset[str]:
    """Every attribute or method name of any type (for did-you-mean suggestions)."""
    names: set[str] = set().union(*PLAIN_METHODS.values())
    for spec in value_types():
        names |= spec.attributes | spec.methods | set(spec.tool_methods)
    return frozenset(names)


def ast_depth(tree: ast.AST) -> int:
    """Depth of a syntax tree, computed without recursion."""
    return scan(tree).depth


def construct_name(node: ast.AST) -> str:
    return FORBIDDEN_NAMES.get(type(node), type(node).__name__)


@dataclass(frozen=True)
class Violation:
    """A structural rule broken at ``line``/``column`` (1-based), with a stable code."""

    line: int
    column: int
    code: str
    message: str
    suggestion: str | None = None


@dataclass(frozen=True)
class Scan:
    """What one walk over a syntax tree found."""

    depth: int
    nodes: int
    violations: tuple[Violation, ...]


_AST = ast.AST
_PLAIN_CONSTANTS = SCALAR_TYPES
#: Child fields of each node type worth walking (expression contexts are skipped).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in ("ctx", "type_comment"))  # type: ignore[attr-defined]
    return fields


def scan(tree: ast.AST, *, top_level: list[ast.stmt] | None = None) -> Scan:
    """Walk ``tree`` once: its depth, node count and every structural violation.

    Forbidden constructs are reported once, without looking inside them. ``top_level``
    is the module body, used to tell the entry function from nested definitions.
    """
    violations: list[Violation] = []
    top = top_level if top_level is not None else getattr(tree, "body", [])
    approved: set[int] = set()  # ids of key= lambdas and * arguments in their allowed places
    deepest = 0
    count = 0
    # The stack holds lists of sibling nodes with their depth: names and constants (half
    # of a program's nodes) are checked where they are found, without a push and a pop.
    stack: list[tuple[Sequence[Any], int]] = [((tree,), 1)]
    pop, push = stack.pop, stack.append
    allowed = ALLOWED_NODES
    while stack:
        siblings, depth = pop()
        if depth > deepest:
            deepest = depth
        for node in siblings:
            kind = type(node)
            if kind is ast.Name:
                count += 1
                if node.id.startswith("_"):
                    violations.append(_violation(node, "private-name", f"name '{node.id}' starts with '_'; such names are not allowed"))
                continue
            if kind is ast.Constant:
                count += 1
                if type(node.value) not in _PLAIN_CONSTANTS:
                    violations.append(_violation(node, "forbidden-syntax", f"constants of type {type(node.value).__name__} are not allowed"))
                continue
            if node is None:  # a dict display's ** entry has no key (the value is the node)
                continue
            count += 1
            if kind not in allowed:
                violations.append(_violation(node, "forbidden-syntax", f"{construct_name(node)} is not allowed"))
                continue
            if kind is ast.Attribute:
                if node.attr.startswith("_"):
                    violations.append(_violation(node, "private-name", f"attribute '{node.attr}' starts with '_'; such attributes are not allowed"))
                elif type(node.ctx) is not ast.Load:
                    violations.append(_violation(node, "forbidden-syntax", f"assigning to attribute '{node.attr}' is not allowed: values are read-only",
                                                 "make a new value instead (a tool, or a variable)"))
            elif kind is ast.keyword:
                if node.arg is None:
                    violations.append(_violation(node, "forbidden-syntax", "** arguments are not allowed"))
            elif kind is ast.FormattedValue:
                if node.conversion == ord("a"):
                    violations.append(_violation(node, "forbidden-syntax", "!a conversion is not allowed"))
            elif kind is ast.comprehension:
                if node.is_async:
                    violations.append(_violation(node, "forbidden-syntax", "async comprehensions are not allowed"))
            elif kind is ast.FunctionDef:
                violations.extend(_function_rules(node, top))
            elif kind is ast.Call:
                _call_rules(node, approved, violations)
            elif kind is ast.Lambda:
                if id(node) not in approved:
                    violations.append(_violation(node, "forbidden-syntax", "lambda is only allowed as the key= of sorted(), min(), max() or list.sort()",
                                                 "write a loop or a comprehension instead"))
                    continue
            elif kind is ast.Starred:
                if id(node) not in approved:
                    violations.append(_violation(node, "forbidden-syntax", "* unpacking is only allowed in call arguments, e.g. f(*args)"))
                    continue
            for name in _CHILD_FIELDS.get(kind) or _child_fields(kind):
                value = getattr(node, name, None)
                if type(value) is list:
                    if value:
                        push((value, depth + 1))
                elif isinstance(value, _AST):
                    push(((value,), depth + 1))
    violations.sort(key=lambda v: (v.line, v.column))
    return Scan(deepest, count, tuple(violations))


def _violation(node: ast.AST, code: str, message: str, suggestion: str | None = None) -> Violation:
    return Violation(getattr(node, "lineno", 1) or 1, (getattr(node, "col_offset", 0) or 0) + 1, code, message, suggestion)


def _call_rules(node: ast.Call, approved: set[int], violations: list[Violation]) -> None:
    """A call's restricted parts: key= lambdas, * arguments, str.format templates."""
    func = node.func
    if type(func) is ast.Name:
        keyable = func.id in KEY_BUILTINS
    elif type(func) is ast.Attribute:
        keyable = func.attr in KEY_METHODS
        template = func.value
        if func.attr == "format" and type(template) is ast.Constant and type(template.value) is str:
            try:
                format_fields(template.value)
            except ValueError as exc:
                violations.append(_violation(template, "forbidden-format", str(exc)))
    else:
        keyable = False
    for kw in node.keywords:
        value = kw.value
        if keyable and kw.arg == "key":
            if type(value) is ast.Lambda:
                approved.add(id(value))
                violations.extend(_lambda_rules(value))
            else:
                violations.append(_violation(value, "forbidden-syntax", "key= takes a lambda here",
                                             "e.g. key=lambda patch: patch.horizontal_center"))
    starred = False
    for arg in node.args:
        if type(arg) is ast.Starred:
            approved.add(id(arg))
            starred = True
    if starred:
        setattr(node, STARRED_CALL, True)


def _lambda_rules(node: ast.Lambda) -> list[Violation]:
    args = node.args
    found: list[Violation] = []
    if args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg or args.defaults or args.kw_defaults or len(args.args) != 1:
        found.append(_violation(node, "forbidden-syntax", "a key= lambda takes exactly one plain parameter (no defaults, *args or **kwargs)",
                                "e.g. key=lambda patch: patch.horizontal_center"))
    for arg in args.args:
        if arg.arg.startswith("_"):
            found.append(_violation(arg, "private-name", f"name '{arg.arg}' starts with '_'; such names are not allowed"))
    return found


def _function_rules(node: ast.FunctionDef, top: list[ast.stmt]) -> list[Violation]:
    if node.name != ENTRY_FUNCTION or not any(stmt is node for stmt in top):
        return [_violation(node, "forbidden-syntax", f"only one top-level function, '{ENTRY_FUNCTION}(image)', may be defined",
                           f"inline the logic of '{node.name}' into {ENTRY_FUNCTION}")]
    found: list[Violation] = []
    if node.decorator_list:
        found.append(_violation(node.decorator_list[0], "forbidden-syntax", "decorators are not allowed"))
    args = node.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or args.defaults or args.kw_defaults:
        found.append(_violation(node, "forbidden-syntax", f"{ENTRY_FUNCTION} takes plain parameters only (no defaults, *args, **kwargs)"))
    return found
