"""Tools: typed functions described for programs, the checker and LLMs."""

from __future__ import annotations

import inspect
import math
import textwrap
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin, overload

from pydantic import BaseModel

from visprog.errors import RegistryError, RunError, ToolError, ToolUnavailable
from visprog.toolkit.context import CallNotes, current_context, reset_context, set_context
from visprog.values.core import Image
from visprog.values.protocol import COPY_DEPTH, IMMUTABLE_TYPES, copy_value, is_sandbox_value, value_type

__all__ = [
    "COPY_DEPTH", "IMMUTABLE_TYPES", "REQUIRED", "Alias", "Invocation", "ParamSpec", "Tool", "ToolDefinition", "copy_out",
    "describe_exception", "tool",
]


def _is_value_class(annotation: Any) -> bool:
    """Is ``annotation`` a registered value type (passed by reference, checked by type,
    never JSON-validated)?"""
    return isinstance(annotation, type) and value_type(annotation) is not None


_PRIMITIVES: dict[type, str] = {str: "str", int: "int", float: "float", bool: "bool", type(None): "None"}


REQUIRED = inspect.Parameter.empty


class ToolDefinition(BaseModel):
    """Serializable description of a tool (what an LLM or another framework sees)."""

    name: str
    description: str
    parameters: dict[str, Any]
    returns: dict[str, Any]
    aliases: list[dict[str, Any]] = []


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a tool.

    Attributes:
        name: argument name.
        type_name: the annotation as Python source, e.g. ``"list[str]"``.
        kinds: coarse type names the argument accepts (``"any"`` accepts everything).
        json_schema: schema of the argument, or None for pure value-type parameters.
        description: from the docstring's ``Args:`` section.
        default: default value, or ``REQUIRED``.
    """

    name: str
    type_name: str
    kinds: frozenset[str]
    json_schema: dict[str, Any] | None
    description: str
    default: Any = REQUIRED
    annotation: Any = field(default=Any, compare=False, repr=False)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @cached_property
    def _validator(self) -> Callable[[Any], str | None]:
        return _make_validator(self)

    def check(self, value: Any) -> str | None:
        """None when ``value`` fits this parameter, else a short reason."""
        return self._validator(value)


def _type_name(annotation: Any) -> str:
    if annotation is type(None) or annotation is None:
        return "None"
    if isinstance(annotation, type) and get_origin(annotation) is None:
        return annotation.__name__
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is Literal:
        return "Literal[" + ", ".join(repr(a) for a in args) + "]"
    if origin is not None:
        base = getattr(origin, "__name__", str(origin))
        return f"{base}[{', '.join(_type_name(a) for a in args)}]"
    return str(annotation).replace("typing.", "")


def _kinds(annotation: Any) -> frozenset[str]:
    """Coarse type names for the checker: value type names, primitives, list, dict, any."""
    if annotation is Any or annotation is REQUIRED:
        return frozenset({"any"})
    if annotation in _PRIMITIVES:
        kind = _PRIMITIVES[annotation]
        return frozenset({"float", "int"}) if kind == "float" else frozenset({kind})
    if _is_value_class(annotation):
        spec = value_type(annotation)
        return frozenset({spec.name if spec is not None else annotation.__name__})
    if annotation in (list, tuple):
        return frozenset({"list"})
    if annotation is dict:
        return frozenset({"dict"})
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return frozenset().union(*(_kinds(a) for a in get_args(annotation)))
    if origin is Literal:
        return frozenset(_PRIMITIVES.get(type(a), "any") for a in get_args(annotation))
    if origin in (list, tuple, Sequence, typing.Sequence):
        return frozenset({"list"})
    if origin in (dict, Mapping, typing.Mapping):
        return frozenset({"dict"})
    raise RegistryError(f"unsupported parameter type {_type_name(annotation)!r}")


def _contains_value_type(annotation: Any) -> bool:
    if _is_value_class(annotation):
        return True
    return any(_contains_value_type(a) for a in get_args(annotation))


def _json_schema(annotation: Any) -> dict[str, Any] | None:
    """JSON schema of a JSON-typed annotation (via pydantic); None when it holds value types."""
    if annotation is REQUIRED or annotation is Any:
        return {}
    if _contains_value_type(annotation):
        return None
    from pydantic import TypeAdapter

    schema = TypeAdapter(annotation).json_schema()
    schema.pop("title", None)
    return schema


def _make_validator(spec: ParamSpec) -> Callable[[Any], str | None]:
    """A checker for one parameter: isinstance for value types and primitives, a compiled
    jsonschema validator for structured JSON types, and a structural check for
    containers of value types (``list[Image]``)."""
    if "any" in spec.kinds:
        return lambda value: None
    expected = spec.type_name
    # jsonschema only where a structural check would say less (dicts with typed values,
    # models): importing it costs over a second, and most tools never need it.
    if spec.json_schema is not None and not _structurally_checkable(spec.annotation):
        import jsonschema

        base = jsonschema.Draft202012Validator
        checker = base.TYPE_CHECKER.redefine("array", lambda _checker, inst: isinstance(inst, (list, tuple)))
        validator = jsonschema.validators.extend(base, type_checker=checker)(spec.json_schema)  # type: ignore[no-untyped-call]

        def check_json(value: Any) -> str | None:
            if value_type(type(value)) is not None:
                return f"expected {expected}, got {type(value).__name__}"
            error = jsonschema.exceptions.best_match(validator.iter_errors(value))
            return None if error is None else f"expected {expected}: {error.message[:200]}"

        return check_json
    annotation = spec.annotation
    if annotation in _PRIMITIVES and annotation is not float or _is_value_class(annotation):
        # The common case, one type test and no call inside: every tool call runs it.
        def check_type(value: Any) -> str | None:
            return None if type(value) is annotation else f"expected {expected}, got {_value_kind(value)}"

        return check_type
    fits = _structural(annotation)

    def check(value: Any) -> str | None:
        return None if fits(value) else f"expected {expected}, got {_value_kind(value)}"

    return check


def _structurally_checkable(annotation: Any) -> bool:
    """True for annotations made only of primitives, value types, Literal, unions and
    lists/tuples of those: :func:`_structural` checks them completely."""
    if annotation is Any or annotation in _PRIMITIVES or _is_value_class(annotation) or annotation in (list, tuple):
        return True
    origin = get_origin(annotation)
    if origin is Literal:
        return True
    if origin in (Union, types.UnionType, list, tuple, Sequence, typing.Sequence):
        return all(a is Ellipsis or _structurally_checkable(a) for a in get_args(annotation))
    return False


def _structural(annotation: Any, *, lenient: bool = False) -> Callable[[Any], bool]:
    """A predicate for annotations made of value types, primitives, unions, literals,
    lists, tuples (fixed or not) and dicts: the one structural check, for arguments and
    for cached results.

    Args:
        annotation: the declared type.
        lenient: accept anything for annotations it cannot check (a cached result of a
            tool declared with a model class); otherwise those raise ``RegistryError``.
    """
    if annotation is Any or annotation is object:
        return lambda value: True
    if annotation is None or annotation is type(None):
        return lambda value: value is None
    if _is_value_class(annotation):
        return lambda value: type(value) is annotation
    if annotation in _PRIMITIVES:
        if annotation is float:
            return lambda value: type(value) in (int, float)
        return lambda value: type(value) is annotation
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType):
        options = [_structural(a, lenient=lenient) for a in args]
        return lambda value: any(option(value) for option in options)
    if origin is Literal:
        return lambda value: value in args and type(value) in (str, int, bool)
    if origin is tuple and args and args[-1] is not Ellipsis:
        fixed = [_structural(a, lenient=lenient) for a in args]
        return lambda value: isinstance(value, (list, tuple)) and len(value) == len(fixed) and all(
            f(v) for f, v in zip(fixed, value)
        )
    if annotation in (list, tuple) or origin in (list, tuple, Sequence, typing.Sequence):
        item = _structural(args[0], lenient=lenient) if args else (lambda value: True)
        return lambda value: isinstance(value, (list, tuple)) and all(item(v) for v in value)
    if annotation is dict or origin in (dict, Mapping, typing.Mapping):
        if len(args) == 2:
            key, item = _structural(args[0], lenient=lenient), _structural(args[1], lenient=lenient)
            return lambda value: isinstance(value, dict) and all(key(k) and item(v) for k, v in value.items())
        return lambda value: isinstance(value, dict)
    if lenient:
        return lambda value: True
    raise RegistryError(f"unsupported parameter type {_type_name(annotation)!r}")


def _value_kind(value: Any) -> str:
    kind = _PRIMITIVES.get(type(value))
    if kind:
        return kind
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


@dataclass(frozen=True)
class Alias:
    """Another name for a tool, with its own argument names.

    Attributes:
        name: the alias, e.g. ``"LOC"``.
        target: canonical tool name, e.g. ``"detect"``.
        arguments: alias argument name -> canonical argument name; arguments not
            listed keep their name.
    """

    name: str
    target: str
    arguments: Mapping[str, str] = field(default_factory=dict)

    def canonical_argument(self, name: str) -> str:
        return self.arguments.get(name, name)

    def alias_argument(self, canonical: str) -> str:
        for alias_name, target in self.arguments.items():
            if target == canonical:
                return alias_name
        return canonical


class Tool:
    """A registered tool: the runtime function plus its typed description.

    Build one with :func:`tool`. There is one way to run a tool, :meth:`invoke`
    (calling the Tool does the same): arguments are validated, availability checked,
    the result cache consulted, the run context set for the function, its result
    checked to be a program value, stored and copied out.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        requires: Sequence[str] = (),
        cacheable: bool = False,
        family: str = "general",
        models: Sequence[Any] = (),
        cache_salt: Callable[[], str] | None = None,
        version: str = "1",
        preempt: Literal["auto", "inline", "worker"] = "auto",
        cost: Callable[[Mapping[str, Any]], Mapping[str, int]] | None = None,
        catalogues: Mapping[str, Callable[[], Iterable[str]]] | None = None,
        batch: Sequence[str] = (),
    ) -> None:
        self.func = func
        self.models = tuple(models)
        self.cache_salt = cache_salt
        self.name = name or func.__name__
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise RegistryError(f"tool name {self.name!r} must be a public identifier")
        if preempt not in ("auto", "inline", "worker"):
            raise RegistryError(f"tool {self.name}: preempt must be 'auto', 'inline' or 'worker', not {preempt!r}")
        self.requires = tuple(requires)
        self.cacheable = cacheable
        self.family = family
        self.version = version
        self.preempt = preempt
        self.cost = cost
        #: Calls in a row that finished fast (kept by the runtime for preempt="auto").
        self.fast_streak = 0
        self.description, self.params, self.returns, self.returns_doc, self.return_kinds = _describe(func, self.name)
        self._param_index = {p.name: p for p in self.params}
        self.catalogues: dict[str, Callable[[], Iterable[str]]] = dict(catalogues or {})
        for param, provider in self.catalogues.items():
            if param not in self._param_index:
                raise RegistryError(f"tool {self.name}: catalogue for {param!r}, which is not one of its parameters")
            if not callable(provider):
                raise RegistryError(f"tool {self.name}: the catalogue for {param!r} must be a function returning names")
        self.batch = tuple(batch)
        unknown = [name for name in self.batch if name not in self._param_index]
        if unknown:
            raise RegistryError(f"tool {self.name}: batch names {', '.join(unknown)}, which is not a parameter")

    def catalogue(self, param: str) -> list[str] | None:
        """The names the tool's catalogue offers for ``param`` (declared with
        ``@tool(catalogues={param: function})``), or None when it declares none. A
        catalogue that cannot load (its library missing) offers nothing: ``[]``."""
        provider = self.catalogues.get(param)
        if provider is None:
            return None
        try:
            return [str(name) for name in provider()]
        except Exception:  # noqa: BLE001 - a catalogue that cannot load offers nothing
            return []

    @cached_property
    def fits_return(self) -> Callable[[Any], bool]:
        """Does a value fit the declared return type (value types, primitives, unions,
        literals, lists, tuples, dicts; other annotations accept any program value)?"""
        try:
            annotation = typing.get_type_hints(self.func).get("return", Any)
        except Exception:  # noqa: BLE001 - checked at registration; a later failure accepts
            annotation = Any
        return _structural(annotation, lenient=True)

    def param(self, name: str) -> ParamSpec | None:
        return self._param_index.get(name)

    def unavailable_reason(self) -> str | None:
        """None when the tool can run here, else ``"not available: needs ..."``."""
        if not self.requires:
            return None
        from visprog.models.manager import module_present

        missing = [module for module in self.requires if not module_present(module)]
        if missing:
            return f"not available: needs {', '.join(missing)} (pip install {' '.join(missing)})"
        return None

    def bind(self, kwargs: Mapping[str, Any], alias: Alias | None = None) -> dict[str, Any]:
        """Validate keyword arguments (canonical names) and fill defaults.

        Raises:
            ToolError: naming the tool (as the program wrote it) and the argument.
        """
        index = self._param_index
        for key in kwargs:
            if key not in index:
                arg = alias.alias_argument(key) if alias else key
                raise ToolError(f"unknown argument '{arg}'", tool=alias.name if alias else self.name, argument=arg)
        bound: dict[str, Any] = {}
        for spec in self.params:
            name = spec.name
            if name in kwargs:
                value = kwargs[name]
                problem = spec.check(value)
                if problem is not None:
                    arg = alias.alias_argument(name) if alias else name
                    raise ToolError(f"argument '{arg}': {problem}", tool=alias.name if alias else self.name, argument=arg)
                bound[name] = value
            elif spec.default is REQUIRED:
                arg = alias.alias_argument(name) if alias else name
                raise ToolError(f"missing argument '{arg}'", tool=alias.name if alias else self.name, argument=arg)
            else:
                bound[name] = spec.default
        return bound

    def invoke(self, arguments: Mapping[str, Any], *, alias: Alias | None = None, context: Any = None) -> Invocation:
        """Run the tool: the one call path (programs, ``Tool.__call__``, ImagePatch methods).

        Args:
            arguments: canonical argument name -> value.
            alias: the alias the program used, for error messages.
            context: the run's :class:`~visprog.toolkit.context.RunContext` (default: the
                current one); its result cache and chat model serve the function.

        Returns:
            An :class:`Invocation`: the value (copied out when mutable) and whether it
            came from the result cache, plus notes the tool recorded.

        Raises:
            ToolUnavailable: a required library or model is missing.
            ToolError: bad arguments, the function failed, or it returned a value that is
                not a program value.
            KeyboardInterrupt: passed through, never swallowed.
        """
        reason = self.unavailable_reason()
        if reason:
            raise ToolUnavailable(f"{alias.name if alias else self.name} is {reason}")
        bound = self.bind(arguments, alias)
        if context is None:
            context = current_context()
        cache = context.cache if self.cacheable else None
        key = None
        if cache is not None:
            key = cache.key(self, bound)
            if key is not None:
                hit, value, cached_notes = cache.lookup(key, self)
                if hit:
                    # The original call's notes come back with its result: a cached
                    # answer reached by a fallback says so, like the original did.
                    return Invocation(value, True, tuple(cached_notes))
        return self._call_plain(bound, key, cache, context)

    def __call__(self, **kwargs: Any) -> Any:
        """``tool(**kwargs)``: :meth:`invoke` in the current context, returning the value."""
        return self.invoke(kwargs).value

    def invoke_batch(
        self, calls: Sequence[Mapping[str, Any]], *, alias: Alias | None = None, context: Any = None
    ) -> list[Invocation]:
        """Several calls of this tool (one per item of a lockstep block) through its batch
        path: the function runs once, with a list for each parameter in :attr:`batch`.

        Each call is what :meth:`invoke` would make of it alone: its arguments bound and
        checked, the result cache asked and filled under its own key (a call whose key
        an earlier call of the batch has comes back as a cache hit, as it would one
        after another), each result checked against the declared return type and
        copied out.

        Args:
            calls: canonical argument name -> value, one mapping per call; each
                :attr:`batch` argument a single value (not a list), the other arguments
                the same in every call.
            alias: the alias the program used, for error messages.
            context: the run context (default: the current one).

        Returns:
            One :class:`Invocation` per call, in order.

        Raises:
            ToolUnavailable: a required library or model is missing.
            ToolError: the tool has no batch path, a call's arguments are wrong or do
                not fit one batch, the function failed or recorded notes (which could
                not be told apart per call), or it did not return one fitting value per
                call. The caller then makes the calls one by one with :meth:`invoke`,
                which gives each its own answer or error.
            KeyboardInterrupt: passed through.
        """
        if not self.batch:
            raise ToolError("has no batch path", tool=self.name)
        reason = self.unavailable_reason()
        if reason:
            raise ToolUnavailable(f"{alias.name if alias else self.name} is {reason}")
        bound = [self.bind(arguments, alias) for arguments in calls]
        if not bound:
            return []
        shared = [name for name in bound[0] if name not in self.batch]
        for one in bound:
            for name in self.batch:
                if isinstance(one[name], (list, tuple)):
                    raise ToolError(f"argument '{name}' is a list; a batch takes one value per call", tool=self.name, argument=name)
            for name in shared:
                if not _same(one[name], bound[0][name]):
                    raise ToolError(f"argument '{name}' differs between the calls of a batch", tool=self.name, argument=name)
        if context is None:
            context = current_context()
        cache = context.cache if self.cacheable else None
        out: list[Invocation | None] = [None] * len(bound)
        keys: list[str | None] = [None] * len(bound)
        first_of: dict[str, int] = {}
        todo: list[int] = []
        later: list[tuple[int, int]] = []  # (call, the earlier call of the batch with its key)
        for index, one in enumerate(bound):
            key = cache.key(self, one) if cache is not None else None
            keys[index] = key
            if key is not None and cache is not None:
                if key in first_of:
                    later.append((index, first_of[key]))
                    continue
                hit, value, cached_notes = cache.lookup(key, self)
                if hit:
                    out[index] = Invocation(value, True, tuple(cached_notes))
                    first_of[key] = index
                    continue
                first_of[key] = index
            todo.append(index)
        if len(todo) == 1:
            # A batch of one is the plain call (the cache was asked already).
            out[todo[0]] = self._call_plain(bound[todo[0]], keys[todo[0]], cache, context)
        elif todo:
            merged = dict(bound[todo[0]])
            for name in self.batch:
                merged[name] = [bound[index][name] for index in todo]
            outputs, notes = self._call_func(merged, context)
            if notes.items:
                raise ToolError(f"recorded notes in a batch ({notes.items[0]}), which cannot be told apart per call")
            if not isinstance(outputs, list) or len(outputs) != len(todo):
                got = f"{len(outputs)} values" if isinstance(outputs, list) else _a(outputs)
                raise ToolError(f"returned {got} for a batch of {len(todo)} calls")
            for index, output in zip(todo, outputs):
                immutable = self._check_output(output)
                key = keys[index]
                if key is not None and cache is not None:
                    cache.put(key, output, self, ())
                out[index] = Invocation(output if immutable else copy_out(output), False, ())
        for index, earlier in later:
            value, _, earlier_notes = out[earlier]  # type: ignore[misc]
            fresh = value if type(value) in IMMUTABLE_TYPES else copy_out(value)
            out[index] = Invocation(fresh, True, earlier_notes)
        return [invocation for invocation in out if invocation is not None]

    def _call_plain(self, bound: dict[str, Any], key: str | None, cache: Any, context: Any) -> Invocation:
        """The function on one call's bound arguments, as :meth:`invoke` after its cache
        miss (the context set, the result checked, stored and copied out)."""
        output, notes = self._call_func(bound, context)
        immutable = self._check_output(output)
        if key is not None and cache is not None:
            cache.put(key, output, self, notes.items)
        return Invocation(output if immutable else copy_out(output), False, tuple(notes.items) if notes.items else ())

    def _call_func(self, arguments: dict[str, Any], context: Any) -> tuple[Any, CallNotes]:
        """The function on ``arguments`` (images copy-on-write) under ``context``, with
        the notes it recorded; anything it raises but a run error or Ctrl-C becomes
        :class:`ToolError`."""
        notes = CallNotes()
        token = set_context(context, notes)
        try:
            return self.func(**_images_copy_on_write(arguments)), notes
        except (RunError, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit and anything else a tool raises
            raise ToolError(describe_exception(exc)) from None
        finally:
            reset_context(token)

    def _check_output(self, output: Any) -> bool:
        """Refuse a value the sandbox cannot hold or that breaks the declared return
        type; True when it is immutable (needs no copy on the way out)."""
        immutable = type(output) in IMMUTABLE_TYPES
        if not immutable and not is_sandbox_value(output):
            raise ToolError(f"returned a value of unsupported type {type(output).__name__}")
        problem = _return_problem(output, self._return_annotation)
        if problem:
            raise ToolError(f"returned {problem}, but it declares -> {self.returns}")
        return immutable

    @cached_property
    def _return_annotation(self) -> Any:
        try:
            return typing.get_type_hints(self.func).get("return", Any)
        except Exception:  # noqa: BLE001 - resolved once at registration already
            return Any

    @cached_property
    def input_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments object (value types appear with ``x-visprog-type``)."""
        properties: dict[str, Any] = {}
        for spec in self.params:
            schema = dict(spec.json_schema) if spec.json_schema is not None else {
                "x-visprog-type": spec.type_name
            }
            if spec.description:
                schema["description"] = spec.description
            if not spec.required and _jsonable(spec.default):
                schema["default"] = spec.default
            properties[spec.name] = schema
        return {
            "type": "object",
            "properties": properties,
            "required": [p.name for p in self.params if p.required],
            "additionalProperties": False,
        }

    def definition(self, aliases: Iterable[Alias] = ()) -> ToolDefinition:
        return ToolDefinition(
            name=self.name,
            description=self.description,
            parameters=self.input_schema,
            returns={"type": self.returns, "description": self.returns_doc},
            aliases=[{"name": a.name, "arguments": dict(a.arguments)} for a in aliases],
        )

    def signature(self) -> str:
        """``(name: type = default, ...) -> returns``, as the stub has it."""
        params = [f"{p.name}: {p.type_name}" + ("" if p.required else f" = {p.default!r}") for p in self.params]
        return f"({', '.join(params)}) -> {self.returns}"

    def stub(self) -> str:
        """The tool as a typed Python stub with its docstring, for LLM prompts."""
        doc = [self.description, ""]
        if self.params:
            doc.append("Args:")
            doc.extend(f"    {p.name}: {p.description}" for p in self.params)
        if self.returns_doc:
            doc.append(f"Returns: {self.returns_doc}")
        body = textwrap.indent('"""' + "\n".join(doc).rstrip() + '\n"""', "    ")
        return f"def {self.name}{self.signature()}:\n{body}"

    def __repr__(self) -> str:
        return f"Tool({self.name})"


class Invocation(NamedTuple):
    """What :meth:`Tool.invoke` returns: the value, whether it was a cache hit, and notes
    the tool recorded about how it got the answer (fallbacks, corrections)."""

    value: Any
    cached: bool
    notes: tuple[str, ...]


#: The one copy at the sandbox boundary, in traces and in the result cache (the
#: value-type protocol's :func:`~visprog.values.protocol.copy_value`).
copy_out = copy_value


def _images_copy_on_write(bound: dict[str, Any]) -> dict[str, Any]:
    """``bound`` with each Image argument (alone or in a list) as a copy-on-write view
    (:meth:`Image.copy_on_write`): values are immutable, their pixels too, even for a tool
    that paints into ``image.pil``."""
    out = bound
    for name, value in bound.items():
        kind = type(value)
        if kind is Image:
            new: Any = value.copy_on_write()
        elif kind is list and any(type(item) is Image for item in value):
            new = [item.copy_on_write() if type(item) is Image else item for item in value]
        else:
            continue
        if out is bound:
            out = dict(bound)
        out[name] = new
    return out


def describe_exception(exc: BaseException) -> str:
    """A short message from an exception, built from strings only (a hostile
    ``__str__`` cannot break it)."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__
        text = ""
    text = text if len(text) <= 500 else text[:500] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _same(a: Any, b: Any) -> bool:
    """Are two values of a shared batch argument the same (same type and equal; a value
    whose equality fails or is not a bool counts as different)?"""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return (a == b) is True
    except Exception:  # noqa: BLE001 - a value type whose equality fails
        return False


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool)) or (
        isinstance(value, (list, tuple)) and all(_jsonable(v) for v in value)
    )


#: Elements of a returned list or tuple checked against the declared element type.
_RETURN_CHECK_ITEMS = 10_000


def _return_problem(value: Any, annotation: Any) -> str | None:
    """Why ``value`` does not match the declared return ``annotation`` (None when it does,
    or when the annotation is not one this checks: Any, generic containers of unknown
    element type). Numbers must be finite; ``bool`` is not an ``int`` here."""
    if annotation is Any or annotation is None and value is None:
        return None
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        options = get_args(annotation)
        problems = [_return_problem(value, option) for option in options]
        return None if any(p is None for p in problems) else next(p for p in problems if p)
    if origin is Literal:
        return None if value in get_args(annotation) else f"{value!r}, not one of {get_args(annotation)!r}"
    if annotation is type(None):
        return None if value is None else _a(value)
    if annotation is bool:
        return None if isinstance(value, bool) else _a(value)
    if annotation is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else _a(value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _a(value)
        return None if isinstance(value, int) or math.isfinite(value) else f"the float {value!r}"
    if annotation is str:
        return None if isinstance(value, str) else _a(value)
    if origin in (list, tuple) or annotation in (list, tuple):
        container = origin or annotation
        if not isinstance(value, container):
            return _a(value)
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        if len(args) == 1:
            for index, item in enumerate(value[:_RETURN_CHECK_ITEMS]):
                problem = _return_problem(item, args[0])
                if problem:
                    return f"{problem} at index {index}"
        return None
    if origin is dict or annotation is dict:
        return None if isinstance(value, dict) else _a(value)
    if isinstance(annotation, type) and _is_value_class(annotation):
        return None if isinstance(value, annotation) else _a(value)
    return None


def _a(value: Any) -> str:
    noun = type(value).__name__
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _describe(func: Callable[..., Any], name: str) -> tuple[str, list[ParamSpec], str, str, frozenset[str]]:
    import docstring_parser

    doc = docstring_parser.parse(inspect.getdoc(func) or "", docstring_parser.DocstringStyle.GOOGLE)
    description = "\n\n".join(x for x in (doc.short_description, doc.long_description) if x)
    if not description:
        raise RegistryError(f"tool {name!r} needs a docstring")
    arg_docs = {p.arg_name: p.description or "" for p in doc.params}
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:
        raise RegistryError(f"tool {name!r}: cannot resolve type hints ({exc})") from exc
    params: list[ParamSpec] = []
    for p in inspect.signature(func).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise RegistryError(f"tool {name!r}: parameter {p.name!r} must be an ordinary named parameter")
        if p.name not in hints:
            raise RegistryError(f"tool {name!r}: parameter {p.name!r} needs a type annotation")
        annotation = hints[p.name]
        params.append(
            ParamSpec(
                name=p.name,
                type_name=_type_name(annotation),
                kinds=_kinds(annotation),
                json_schema=_json_schema(annotation),
                description=" ".join(arg_docs.get(p.name, "").split()),
                default=p.default,
                annotation=annotation,
            )
        )
    if "return" not in hints:
        raise RegistryError(f"tool {name!r} needs a return annotation")
    returns_doc = " ".join((doc.returns.description or "").split()) if doc.returns else ""
    try:
        return_kinds = _kinds(hints["return"])
    except RegistryError:
        return_kinds = frozenset({"any"})
    return description, params, _type_name(hints["return"]), returns_doc, return_kinds


@overload
def tool(func: Callable[..., Any]) -> Tool: ...


@overload
def tool(
    func: None = None,
    *,
    name: str | None = None,
    requires: Sequence[str] = (),
    cacheable: bool = False,
    family: str = "general",
    models: Sequence[Any] = (),
    cache_salt: Callable[[], str] | None = None,
    version: str = "1",
    preempt: Literal["auto", "inline", "worker"] = "auto",
    cost: Callable[[Mapping[str, Any]], Mapping[str, int]] | None = None,
    catalogues: Mapping[str, Callable[[], Iterable[str]]] | None = None,
    batch: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    requires: Sequence[str] = (),
    cacheable: bool = False,
    family: str = "general",
    models: Sequence[Any] = (),
    cache_salt: Callable[[], str] | None = None,
    version: str = "1",
    preempt: Literal["auto", "inline", "worker"] = "auto",
    cost: Callable[[Mapping[str, Any]], Mapping[str, int]] | None = None,
    catalogues: Mapping[str, Callable[[], Iterable[str]]] | None = None,
    batch: Sequence[str] = (),
) -> Any:
    """Turn a typed, documented function into a :class:`Tool`.

    Usable bare (``@tool``) or with options (``@tool(name="detect", requires=["transformers"])``).

    Args:
        func: the function; its annotations give the types, its Google-style docstring
            the descriptions.
        name: tool name (defaults to the function's name).
        requires: importable modules the tool needs; while one is missing, the checker
            reports the tool as "not available: needs ...".
        cacheable: results may be stored in the content-addressed result cache
            (deterministic tools only).
        family: grouping used in listings (``"image"``, ``"vision"``, ...).
        models: the :class:`visprog.models.ModelSpec` values the tool loads (their ids
            go into result-cache keys and ``visprog models list``).
        cache_salt: returns extra text for result-cache keys, for state outside the
            arguments that changes results (e.g. which class descriptions are loaded).
        version: the tool's own version; part of result-cache keys, so bump it when a
            change makes old cached results wrong.
        preempt: how a call is stopped at the run's deadline. ``"worker"``: it runs on a
            worker thread that is abandoned at the deadline (model tools, anything that
            can take long); ``"inline"``: it runs on the caller's thread, for cheap work
            bounded by its arguments (image operations); ``"auto"`` (default): on a
            worker until its calls have proved fast (each under 5 ms), then inline.
        cost: estimates a call's cost from its bound arguments, checked against the
            run's budgets *before* the call: ``{"llm_calls": n, "items": n}``.
        catalogues: for a text parameter that takes one of many names (``emoji``),
            a function returning the names (underscore form); the planner offers the
            names a request mentions (:meth:`Tool.catalogue`).
        batch: the tool's batch path, for lockstep runs (:mod:`visprog.runtime.lockstep`):
            the parameters it maps over. Given a list for each of them (one element per
            call, the other arguments shared), the function must return a list with, for
            each element, exactly what that call alone returns (same model output: no
            padding or batch effects that change answers), record no notes, and call no
            other tool. ``vqa`` declares ``("image", "question")``.

    Raises:
        RegistryError: a catalogue or ``batch`` names a parameter the function does not have.
    """

    def wrap(f: Callable[..., Any]) -> Tool:
        return Tool(
            f, name=name, requires=requires, cacheable=cacheable, family=family, models=models, cache_salt=cache_salt,
            version=version, preempt=preempt, cost=cost, catalogues=catalogues, batch=batch,
        )

    return wrap(func) if func is not None else wrap
