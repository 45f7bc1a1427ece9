"""Constrained decoding of programs, for small local models.

:class:`ProgramGrammar` describes VisProg's line form over a registry, with types and
argument domains: each line is ``VAR=TOOL(arg=value,...)`` where the variable's prefix
says what kind of value it holds (``BOX``/``OBJ``/``TEXT`` Detections, ``IMAGE`` an
Image, ``ANS`` an answer, ``N`` a number, ``LIST`` a list), the tool must return that
kind, argument names are the tool's, a value-typed argument can only be a variable of a
fitting type that is already defined, and the program ends with
``FINAL=RESULT(var=<the last variable>)``.

Every other argument has a *domain* drawn from the request (see
:mod:`visprog.planner.request`):

* strings (``object``, ``query``, ``question``, ...): the request's own phrases and
  quoted strings;
* a parameter with a catalogue (declared on the tool, ``@tool(catalogues={"emoji":
  emoji_names})``): the catalogue names the request mentions ("smiley",
  "smiling face with sunglasses"); with no mention, an optional one keeps its default;
* lists of strings (``categories``): the request's enumerations;
* numbers: the numbers the request states; optional numeric parameters keep their
  defaults;
* ``Literal`` parameters: the values the request names ("left" -> ``'LEFT'``), else
  all their values; booleans: True/False;
* EVAL: a fixed set of expressions over the variables so far and the request's numbers
  and phrases (counts compared, yes/no logic, read text joined or searched).

:class:`GrammarDecoder` walks that grammar with a causal LM: at each choice point the
next token is the LM's most likely among the tokens that keep the text inside the
grammar. The output always parses and checks; the repair loop handles meaning.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, get_args, get_origin

from visprog.errors import ProgramSyntaxError
from visprog.language.syntax import parse_tree
from visprog.planner.request import AnswerKind, RequestFacts, analyse, answer_kind, catalogue_mentions
from visprog.toolkit.registry import Registry, Resolved
from visprog.toolkit.tool import ParamSpec, Tool
from visprog.values.protocol import value_types

__all__ = ["GUIDE_BONUS", "GrammarDecoder", "ProgramGrammar", "TokenLM", "TransformersLM", "catalogue_names", "eval_expressions", "is_yes_no", "normalise_program", "parse_guide"]

#: VisProg's own variable prefixes, in the order the grammar offers them: detections by
#: where they come from (detector, faces, OCR), images, answers, numbers and lists.
_VISPROG_PREFIXES: dict[str, frozenset[str]] = {
    "BOX": frozenset({"Detections"}),
    "OBJ": frozenset({"Detections"}),
    "TEXT": frozenset({"Detections"}),
    "IMAGE": frozenset({"Image"}),
    "ANS": frozenset({"str", "any"}),
    "N": frozenset({"int"}),
    "LIST": frozenset({"list"}),
}


def prefix_kinds() -> dict[str, frozenset[str]]:
    """Variable prefix -> the kinds its variables hold: VisProg's prefixes, then each
    registered value type's own (``prefix`` in its protocol entry), so that a new value
    type's tools reach the grammar without editing it."""
    table = {prefix: set(kinds) for prefix, kinds in _VISPROG_PREFIXES.items()}
    for spec in value_types():
        table.setdefault(spec.prefix, set()).add(spec.name)
    return {prefix: frozenset(kinds) for prefix, kinds in table.items()}


#: Catalogue names a request about faces mentions without meaning an emoji.
_GENERIC_NAMES = ("face", "emoji", "person", "people")
#: String parameters that take the whole request as one of their values.
_WHOLE_REQUEST = ("question", "prompt")


def normalise_program(program: str) -> str:
    """A program's text with blank lines and spaces removed, for "same program" tests."""
    return "\n".join("".join(line.split()) for line in program.strip().splitlines() if line.strip())


def eval_expressions(
    defined: Mapping[str, frozenset[str]],
    facts: RequestFacts | None = None,
    *,
    yes_no: Iterable[str] | None = None,
    answer: AnswerKind | None = None,
) -> list[str]:
    """The EVAL expressions the grammar offers, over the variables defined so far:
    counts compared with 0, with each other and with the request's numbers (only as the
    request compares them, when it says: "more than two" -> ``> 2``); yes/no logic
    over yes/no answers (``yes_no``: which answers are yes/no; default: every answer);
    read text joined, or searched for the request's phrases.

    With ``answer``, only the expressions that give that kind of answer: yes/no forms
    for ``yesno``, arithmetic on counts for ``count``, anything but yes/no for ``text``.
    """
    numbers = [v for v, k in defined.items() if k & {"int"}]
    answers = [v for v, k in defined.items() if k & {"str", "any"}]
    logical = answers if yes_no is None else [v for v in answers if v in set(yes_no)]
    texts = [v for v, k in defined.items() if v.startswith("TEXT") and "Detections" in k]
    stated = [n for n in (facts.numbers if facts else ()) if isinstance(n, int) and 0 <= n <= 1000]
    compared = [(op, n) for op, n in (facts.comparisons if facts else ()) if 0 <= n <= 1000]
    out: list[str] = []
    for a in numbers:
        if compared:  # the request says how to compare: only that
            out += [f"'yes' if {{{a}}} {op} {n} else 'no'" for op, n in compared]
            continue
        out += [f"'yes' if {{{a}}} {op} 0 else 'no'" for op in (">", "==")]
        out += [f"'yes' if {{{a}}} {op} {n} else 'no'" for n in stated for op in (">", ">=", "<", "<=", "==")]
        for b in numbers:
            if a != b:
                out += [f"'yes' if {{{a}}} {op} {{{b}}} else 'no'" for op in (">", "<", "==")]
                out += [f"{{{a}}} + {{{b}}}", f"{{{a}}} - {{{b}}}"]
    for a in logical:
        out.append(f"not {{{a}}}")
        for b in logical:
            if a != b:
                out += [f"{{{a}}} {op} {{{b}}}" for op in ("and", "or", "xor")]
    searched = [t.lower() for t in (facts.texts() if facts else ()) if "'" not in t and '"' not in t]
    for t in texts:
        out.append(f"' '.join({{{t}}}.labels)")
        out += [f"'yes' if '{s}' in ' '.join({{{t}}}.labels).lower() else 'no'" for s in searched]
    out = list(dict.fromkeys(out))
    if answer == "yesno":
        return [e for e in out if is_yes_no(e)]
    if answer == "count":
        return [e for e in out if " + " in e or " - " in e]
    if answer == "text":
        return [e for e in out if not is_yes_no(e)]
    return out


def is_yes_no(expression: str) -> bool:
    """Does an EVAL expression of :func:`eval_expressions` give 'yes'/'no'?"""
    return expression.startswith(("'yes' if", "not ")) or any(f" {op} " in expression for op in ("and", "or", "xor"))


def _string_items(annotation: Any) -> bool:
    """Is ``annotation`` (or a member of its union) a list of strings?"""
    origin = get_origin(annotation)
    if origin in (list, tuple, Sequence, typing.Sequence):
        args = get_args(annotation)
        return bool(args) and args[0] is str
    if origin in (typing.Union, types.UnionType):
        return any(_string_items(a) for a in get_args(annotation))
    return False


def catalogue_names(tool: Tool, param: str) -> list[str] | None:
    """Names (underscore form) the tool's catalogue for ``param`` offers (declared with
    ``@tool(catalogues=...)``, as ``visprog_tools.editing.emoji`` does), those that can
    be written as a program string; None when it declares none."""
    names = tool.catalogue(param)
    if names is None:
        return None
    return [n for n in names if isinstance(n, str) and " " not in n and "'" not in n and "\\" not in n]


def _example_numbers(registry: Registry, programs: Iterable[str]) -> dict[tuple[str, str], tuple[int | float, ...]]:
    """(canonical tool, canonical parameter) -> the numbers the programs pass to it."""
    import ast

    found: dict[tuple[str, str], list[int | float]] = defaultdict(list)
    for program in programs:
        try:
            tree = parse_tree(program)
        except ProgramSyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            resolved = registry.resolve(node.func.id)
            if resolved is None:
                continue
            for keyword in node.keywords:
                value = keyword.value
                constant = value.value if isinstance(value, ast.Constant) else None
                if keyword.arg and isinstance(constant, (int, float)) and not isinstance(constant, bool):
                    found[(resolved.tool.name, resolved.canonical_argument(keyword.arg))].append(constant)
    return {key: tuple(dict.fromkeys(values)) for key, values in found.items()}


class ProgramGrammar:
    """The typed line-form grammar for a registry, a set of inputs and a request.

    Args:
        registry: the tools (give the registry of tools that can run here; tools whose
            ``unavailable_reason()`` is set are left out too).
        inputs: input names (Images), e.g. ``["IMAGE"]`` or ``["LEFT", "RIGHT"]``.
        request: the request, whose phrases, numbers and lists are the argument domains.
        forbidden: programs (any spacing) that must not be produced again (they failed).
        examples: the programs of the prompt's in-context examples; the numbers they
            pass to optional numeric parameters (``CROP(..., margin=1.0)``) are those
            parameters' domain (the request's numbers go to required ones).
        guide: a line-form program to follow where the LM is unsure (the closest
            example's): its tokens get ``GUIDE_BONUS`` until the program leaves it.
        answer: the kind of answer the program must end with (``yesno``: a yes/no EVAL;
            ``count``: a number; ``image``: an Image; ``text``: an answer string); by
            default read from the request's form (see
            :func:`visprog.planner.request.answer_kind`), None for any.
        max_lines: lines before ``FINAL=RESULT(...)`` is forced.
    """

    def __init__(
        self,
        registry: Registry,
        inputs: Sequence[str],
        request: str = "",
        *,
        forbidden: Iterable[str] = (),
        examples: Iterable[str] = (),
        guide: str | None = None,
        answer: AnswerKind | None | Literal["auto"] = "auto",
        max_lines: int = 8,
    ) -> None:
        self.registry = registry
        self.inputs = list(inputs)
        self.request = request
        self.facts = analyse(request)
        self.forbidden = frozenset(normalise_program(p) for p in forbidden)
        self.max_lines = max_lines
        self.calls: list[tuple[str, Resolved]] = []
        self._domains: dict[tuple[str, str], list[str]] = {}
        self.example_numbers = _example_numbers(registry, examples)
        self.guide = guide
        #: Answers known to be yes/no in the program being decoded (set by the decoder).
        self.yes_no: set[str] = set()
        self.answer: AnswerKind | None = answer_kind(request) if answer == "auto" else answer
        #: Variable prefix -> kinds (see :func:`prefix_kinds`), and the value types' names.
        self.prefixes = prefix_kinds()
        self.value_kinds = frozenset(spec.name for spec in value_types())
        for t in registry.tools:
            if t.unavailable_reason() is not None or t.name == "result":
                continue
            aliases = registry.aliases_of(t.name)
            name = aliases[0].name if aliases else t.name
            resolved = registry.resolve(name)
            if resolved is not None:
                self.calls.append((name, resolved))

    def expressions(self, defined: Mapping[str, frozenset[str]]) -> list[str]:
        """The EVAL expressions allowed now (see :func:`eval_expressions`): yes/no logic
        only over yes/no answers, and only expressions that give the request's kind of
        answer."""
        return eval_expressions(defined, self.facts, yes_no=self.yes_no, answer=self.answer)

    def guide_lines(self) -> list[_GuideLine] | None:
        """The guide program's lines, or None (no guide, or not line form)."""
        return parse_guide(self.guide, self.registry) if self.guide else None

    def answers(self, variable: str, defined: Mapping[str, frozenset[str]], yes_no: set[str]) -> bool:
        """May the program end with ``variable``, given the kind of answer it must give?"""
        kinds = defined.get(variable, frozenset())
        if self.answer is None:
            return True
        if self.answer == "yesno":
            return variable in yes_no
        if self.answer == "count":
            return "int" in kinds and variable.startswith("N") or (variable.startswith("ANS") and variable not in yes_no)
        if self.answer == "image":
            return "Image" in kinds
        return variable.startswith("ANS") and variable not in yes_no

    def with_forbidden(self, programs: Iterable[str]) -> ProgramGrammar:
        """The same grammar, also refusing ``programs``."""
        out = copy.copy(self)
        out.forbidden = self.forbidden | {normalise_program(p) for p in programs}
        return out

    # -- domains ------------------------------------------------------------------
    def domain(self, resolved: Resolved, param: ParamSpec) -> list[str]:
        """Source texts a non-variable value of ``param`` may take (empty: none)."""
        key = (resolved.tool.name, param.name)
        if key not in self._domains:
            self._domains[key] = self._compute_domain(resolved, param)
        return self._domains[key]

    def _compute_domain(self, resolved: Resolved, param: ParamSpec) -> list[str]:
        kinds = param.kinds
        if resolved.tool.name == "eval_expr":
            return []  # depends on the variables; see eval_expressions
        if param.type_name.startswith("Literal["):
            values = list(get_args(param.annotation))
            words = set(re.findall(r"[a-z0-9]+", self.request.lower()))
            named = [v for v in values if isinstance(v, str) and v.lower() in words]
            return [repr(v) for v in (named or values)]
        out: list[str] = []
        if "str" in kinds:
            names = catalogue_names(resolved.tool, param.name)
            if names is not None:
                mentioned = catalogue_mentions(self.request, names, generic=_GENERIC_NAMES)
                out += [repr(n) for n in mentioned] or ([] if not param.required else [repr(n) for n in names])
            else:
                phrases = list(self.facts.quoted) + list(self.facts.phrases)
                if param.name in _WHOLE_REQUEST:
                    whole = " ".join(self.request.replace("'", " ").replace('"', " ").replace("\\", " ").split())
                    phrases = [whole, *phrases] if whole else phrases
                out += [repr(p) for p in dict.fromkeys(phrases) if p]
        if "list" in kinds and _string_items(param.annotation):
            out += [repr(list(items)) for items in self.facts.lists]
            if "str" not in kinds:
                out += [repr([p]) for p in self.facts.phrases]
        if "bool" in kinds:
            out += ["True", "False"]
        if kinds & {"int", "float"}:
            numbers = self.facts.numbers if param.required else self.example_numbers.get((resolved.tool.name, param.name), ())
            out += [repr(n) for n in numbers if "float" in kinds or isinstance(n, int)]
        return list(dict.fromkeys(out))

    def choices(self, tool_name: str, argument: str) -> list[str]:
        """The values the grammar allows for ``argument`` of ``tool_name`` (for repair
        messages); empty when unknown."""
        resolved = self.registry.resolve(tool_name)
        if resolved is None:
            return []
        param = resolved.tool.param(resolved.canonical_argument(argument))
        return self.domain(resolved, param) if param is not None else []

    # -- structure ---------------------------------------------------------------
    def tools_for(self, prefix: str, defined: dict[str, frozenset[str]]) -> list[tuple[str, Resolved]]:
        wanted = self.prefixes[prefix]
        out = []
        for name, resolved in self.calls:
            if not (resolved.tool.return_kinds & wanted):
                continue
            if resolved.tool.name == "eval_expr" and not self.expressions(defined):
                continue
            if all(self.satisfiable(resolved, p, defined) for p in resolved.tool.params if p.required):
                out.append((name, resolved))
        return out

    def satisfiable(self, resolved: Resolved, param: ParamSpec, defined: dict[str, frozenset[str]]) -> bool:
        if resolved.tool.name == "eval_expr":
            return True
        return bool(self.variables_for(param, defined)) or bool(self.domain(resolved, param))

    def writable(self, resolved: Resolved, param: ParamSpec, defined: dict[str, frozenset[str]]) -> bool:
        """Can an optional parameter be written at all (else it keeps its default)?"""
        return self.satisfiable(resolved, param, defined)

    def variables_for(self, param: ParamSpec, defined: dict[str, frozenset[str]]) -> list[str]:
        kinds = param.kinds
        if not (kinds & (self.value_kinds | {"any", "list"})):
            return []
        out = []
        for v, k in defined.items():
            if "any" in kinds or "any" in k or (k & kinds & (self.value_kinds | {"list"})):
                out.append(v)
        return out

    # -- decoding ----------------------------------------------------------------
    def decode(self, runtime: Any, prompt_ids: Any) -> str:
        """Decode a program with a loaded transformers runtime (what
        :class:`visprog.models.chat.LocalChatModel` calls).

        The forward passes run on one torch thread (restored after): single-token steps
        gain nothing from more, and on a busy two-core machine intra-op threads waiting
        for each other made each step 10-25 times slower (``benchmarks/planner.py``).
        """
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return GrammarDecoder(TransformersLM(runtime)).program(prompt_ids, self)
        finally:
            torch.set_num_threads(threads)


class TokenLM(Protocol):
    """A causal LM as the decoder drives it: feed tokens, read the next-token logits,
    mark and rewind."""

    def vocabulary(self) -> list[str]:
        """Each token id's text."""
        ...

    def special_ids(self) -> set[int]: ...

    def encode(self, text: str) -> list[int]: ...

    def start(self, prompt_ids: Any) -> None: ...

    def feed(self, ids: list[int]) -> None: ...

    def best(self, allowed: Sequence[int], bonus: Mapping[int, float]) -> int:
        """The most likely next token among ``allowed``, after adding ``bonus`` to the
        logits of the tokens it names."""
        ...

    def mark(self) -> Any: ...

    def rewind(self, mark: Any) -> None: ...


class TransformersLM:
    """A transformers causal LM (with its tokenizer) as a :class:`TokenLM`: a KV cache,
    logits for the last position only, and the prompt's cache kept between calls so
    that a prompt sharing a prefix with the previous one (the system prompt, or the
    whole conversation on a repair) is not computed again.

    Counts in ``runtime.scratch["stats"]``: forward passes, tokens computed, and prompt
    tokens reused from the previous prompt's cache.
    """

    _MIN_SHARED = 8

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.model = runtime.model
        self.tokenizer = runtime.tokenizer
        self.past: Any = None
        self.logits: Any = None
        self.length = 0

    def vocabulary(self) -> list[str]:
        scratch = self.runtime.scratch
        if "vocabulary" not in scratch:
            scratch["vocabulary"] = [self.tokenizer.decode([i]) for i in range(len(self.tokenizer))]
        texts: list[str] = scratch["vocabulary"]
        return texts

    def special_ids(self) -> set[int]:
        return set(self.tokenizer.all_special_ids)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return ids

    def _forward(self, ids: Any) -> None:
        import torch

        stats = self.runtime.scratch.setdefault("stats", {"forward_passes": 0, "tokens": 0, "reused_tokens": 0})
        stats["forward_passes"] += 1
        stats["tokens"] += int(ids.shape[-1])
        with torch.inference_mode():
            out = self.model(ids, past_key_values=self.past, use_cache=True, logits_to_keep=1)
        self.past = out.past_key_values
        self.logits = out.logits[0, -1]
        self.length += int(ids.shape[-1])

    def start(self, prompt_ids: Any) -> None:
        from transformers import DynamicCache

        ids = [int(i) for i in prompt_ids[0].tolist()]
        cached = self.runtime.scratch.get("prompt")
        shared = 0
        if cached is not None:
            old_ids, _ = cached
            limit = min(len(old_ids), len(ids) - 1)
            while shared < limit and old_ids[shared] == ids[shared]:
                shared += 1
        if shared >= self._MIN_SHARED:
            self.past = copy.deepcopy(cached[1])
            extra = self.past.get_seq_length() - shared
            if extra > 0:
                self.past.crop(-extra)
            self.length = shared
            self.runtime.scratch.setdefault("stats", {"forward_passes": 0, "tokens": 0, "reused_tokens": 0})["reused_tokens"] += shared
        else:
            self.past = DynamicCache()
            self.length = 0
        self._forward(prompt_ids[:, shared:])
        self.runtime.scratch["prompt"] = (ids, copy.deepcopy(self.past))

    def feed(self, ids: list[int]) -> None:
        import torch

        self._forward(torch.tensor([ids]))

    def best(self, allowed: Sequence[int], bonus: Mapping[int, float]) -> int:
        import torch

        index = torch.as_tensor(list(allowed))
        scores = self.logits[index].float()
        if bonus:
            scores = scores + torch.tensor([bonus.get(int(i), 0.0) for i in allowed])
        return int(index[int(torch.argmax(scores))])

    def mark(self) -> Any:
        return self.length, self.logits

    def rewind(self, mark: Any) -> None:
        """Back to a marked point (the KV cache is cropped, not recomputed)."""
        self.length, self.logits = mark
        extra = self.past.get_seq_length() - self.length
        if extra > 0:
            self.past.crop(-extra)


class _TokenIndex:
    """Every vocabulary token's text, looked up by text."""

    def __init__(self, vocabulary: Sequence[str], special: set[int]) -> None:
        self.texts = list(vocabulary)
        self.by_text: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(self.texts):
            if text and "\ufffd" not in text and i not in special:
                self.by_text[text].append(i)
        self.longest = max((len(t) for t in self.by_text), default=1)

    def starting(self, remaining: str) -> list[int]:
        """Tokens whose text is a non-empty prefix of ``remaining``."""
        out: list[int] = []
        for k in range(1, min(len(remaining), self.longest) + 1):
            out.extend(self.by_text.get(remaining[:k], ()))
        return out


_INDEXES: dict[int, _TokenIndex] = {}

#: Added to the logits of tokens that continue the guide (the closest example's
#: program); decides close calls, yields when the LM clearly prefers something else.
GUIDE_BONUS = 4.0

_NUMBER = re.compile(r"(?<![\w{])\d+(?:\.\d+)?")
_QUOTED_TEXT = re.compile(r"'[^']*'")


def _template(text: str, numbers: Iterable[int | float] | None = None) -> str:
    """A value with its quoted strings and numbers blanked, for comparing shapes
    (``'yes' if {N0} > 3 else 'no'`` ~ ``'yes' if {N0} > 2 else 'no'``). With
    ``numbers``, only those are blanked (the request's: a 0 that the request did not
    state is part of the shape, "> 0" means "any"); else every number but 0."""
    keep = None if numbers is None else {str(n) for n in numbers}

    def number(match: re.Match[str]) -> str:
        value = match.group(0)
        if keep is None:
            return value if value == "0" else "#"
        return "#" if value in keep else value

    quoted = _QUOTED_TEXT.sub(lambda m: m.group(0) if m.group(0) in ("'yes'", "'no'", "' '") else "'$'", text)
    return _NUMBER.sub(number, quoted)


class _GuideLine:
    """One line of the guide program: ``VAR=NAME(arg=value,...)``."""

    def __init__(self, variable: str, tool: str, arguments: list[tuple[str, str]]) -> None:
        self.variable = variable
        self.prefix = variable.rstrip("0123456789")
        self.tool = tool
        self.arguments = arguments

    def value(self, argument: str) -> str | None:
        return next((v for a, v in self.arguments if a == argument), None)


def parse_guide(program: str, registry: Registry) -> list[_GuideLine] | None:
    """The lines of a line-form program (without its FINAL line), or None when it is not
    line form over ``registry``'s tools."""
    import ast

    prefixes = prefix_kinds()
    lines: list[_GuideLine] = []
    for raw in program.strip().splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            node = parse_tree(raw).body[0]
        except (ProgramSyntaxError, IndexError):
            return None
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)):
            return None
        variable = node.targets[0].id
        if variable == "FINAL":
            break
        resolved = registry.resolve(node.value.func.id)
        if resolved is None or variable.rstrip("0123456789") not in prefixes:
            return None
        arguments = [(k.arg, ast.get_source_segment(raw, k.value) or "") for k in node.value.keywords if k.arg]
        lines.append(_GuideLine(variable, resolved.tool.name, arguments))
    return lines


class GrammarDecoder:
    """Greedy decoding of a program under a :class:`ProgramGrammar`.

    At each choice point the LM's most likely token among those the grammar allows is
    taken; tokens that continue the grammar's guide (the closest example's program)
    get ``GUIDE_BONUS`` added, until the program leaves the guide's path.

    Args:
        lm: the language model (a :class:`TokenLM`).
    """

    def __init__(self, lm: TokenLM) -> None:
        self.lm = lm
        key = id(lm.vocabulary())
        if key not in _INDEXES:
            _INDEXES[key] = _TokenIndex(lm.vocabulary(), lm.special_ids())
        self.index = _INDEXES[key]
        self.text = ""
        self._call_start = 0
        self._calls_done: set[str] = set()

    def force(self, text: str) -> None:
        """Append ``text`` (the grammar allows nothing else here)."""
        ids = self.lm.encode(text)
        if ids:
            self.lm.feed(ids)
        self.text += text

    def choose(self, options: Sequence[str], preferred: Iterable[str] = ()) -> str:
        """Let the LM pick one of ``options`` (no option a prefix of another), token by
        token; tokens that start a ``preferred`` option get ``GUIDE_BONUS``."""
        options = list(dict.fromkeys(options))
        favoured = set(preferred) & set(options)
        if len(options) == 1:
            self.force(options[0])
            return options[0]
        emitted = ""
        while True:
            live = [o for o in options if o.startswith(emitted)]
            if len(live) == 1:
                rest = live[0][len(emitted):]
                if rest:
                    self.force(rest)
                return live[0]
            allowed = sorted({i for o in live for i in self.index.starting(o[len(emitted):])})
            if not allowed:  # no single token starts any option: take the first whole
                self.force(live[0][len(emitted):])
                return live[0]
            bonus = {i: GUIDE_BONUS for o in live if o in favoured for i in self.index.starting(o[len(emitted):])}
            best = self.lm.best(allowed, bonus)
            self.lm.feed([best])
            piece = self.index.texts[best]
            emitted += piece
            self.text += piece

    # -- the grammar ---------------------------------------------------------------
    def program(self, prompt_ids: Any, grammar: ProgramGrammar) -> str:
        """Decode a program that follows ``grammar``; returns its text."""
        self.lm.start(prompt_ids)
        self.force("```python\n")
        self.text = ""
        defined: dict[str, frozenset[str]] = {name: frozenset({"Image"}) for name in grammar.inputs}
        yes_no = grammar.yes_no
        yes_no.clear()
        counters: dict[str, int] = defaultdict(int)
        calls: set[str] = set()
        force_final = False
        last: str | None = None
        guide = grammar.guide_lines()
        step = 0  # position in the guide while the program follows it
        for line in range(grammar.max_lines):
            mark = (self.lm.mark(), self.text)
            options = []
            if line < grammar.max_lines - 1 and not force_final:
                for prefix in grammar.prefixes:
                    if grammar.tools_for(prefix, defined):
                        options.append(f"{prefix}{counters[prefix]}=")
            if last is not None and (grammar.answers(last, defined, yes_no) or not options or line == grammar.max_lines - 1):
                ending = f"FINAL=RESULT(var={last})"
                if normalise_program(self.text + ending) not in grammar.forbidden or not options:
                    options.append("FINAL=")
            if not options:
                break
            g = guide[step] if guide is not None and step < len(guide) else None
            wanted = [f"{g.prefix}{counters[g.prefix]}="] if g is not None else (["FINAL="] if guide is not None else [])
            choice = self.choose(options, wanted)
            if choice not in wanted:
                guide = None
            if choice == "FINAL=":
                self.force(f"RESULT(var={last})")
                break
            prefix = choice.rstrip("0123456789=")
            variable = choice[:-1]
            counters[prefix] += 1
            tools = grammar.tools_for(prefix, defined)
            names = [f"{n}(" for n, _ in tools]
            tool_wanted = [f"{n}(" for n, r in tools if g is not None and guide is not None and r.tool.name == g.tool]
            name = self.choose(names, tool_wanted)[:-1]
            if f"{name}(" not in tool_wanted:
                guide = None
            resolved = dict(tools)[name]
            start = len(self.text)
            self._call_start = self.text.rindex("=", 0, start) + 1
            self._calls_done = calls
            expression = self._arguments(grammar, resolved, defined, g if guide is not None else None)
            call = self.text[self.text.rindex("=", 0, start) + 1:]
            if call in calls:
                # The same call again is a loop, not progress: undo the line and finish.
                self.lm.rewind(mark[0])
                self.text = mark[1]
                counters[prefix] -= 1
                force_final = True
                guide = None
                continue
            calls.add(call)
            self.force("\n")
            # What the tool returns, of what the prefix may hold (ANS: whatever it returns).
            defined[variable] = resolved.tool.return_kinds & grammar.prefixes[prefix] if prefix != "ANS" else resolved.tool.return_kinds
            if expression is not None and is_yes_no(expression):
                yes_no.add(variable)
            last = variable
            step += 1
        if last is not None and "FINAL=" not in self.text:
            self.force(f"FINAL=RESULT(var={last})")
        return self.text.rstrip()

    def _arguments(
        self, grammar: ProgramGrammar, resolved: Resolved, defined: dict[str, frozenset[str]], guide: _GuideLine | None
    ) -> str | None:
        """Arguments and the closing parenthesis; returns the EVAL expression written,
        if this is EVAL. Each value is followed by the delimiter the LM picks among
        those the grammar allows there ("," or ")"), which also keeps variable names
        such as IMAGE and IMAGE0 apart."""
        params = resolved.tool.params
        required = [p for p in params if p.required]
        optional = [p for p in params if not p.required and grammar.writable(resolved, p, defined)]
        guided = {a for a, _ in guide.arguments} if guide is not None else set()
        written: set[str] = set()
        expression: str | None = None

        def value(param: ParamSpec, delimiters: list[str]) -> str:
            nonlocal expression
            shown = resolved.shown_argument(param.name)
            written.add(shown)
            text, delimiter = self._value(grammar, param, defined, resolved, delimiters, guide, shown, guided - written)
            if resolved.tool.name == "eval_expr":
                expression = text[1:-1]
            return delimiter

        def next_argument(choices: list[ParamSpec], allow_close: bool) -> str:
            names = [resolved.shown_argument(p.name) + "=" for p in choices]
            wanted = [n for n in names if n[:-1] in guided - written]
            if guide is not None and not wanted and allow_close:
                wanted = [")"]
            return self.choose(([")"] if allow_close else []) + names, wanted)

        for index, param in enumerate(required):
            self.force(resolved.shown_argument(param.name) + "=")
            last = index == len(required) - 1
            delimiters = [","] if not last else ([",", ")"] if optional else [")"])
            if value(param, delimiters) == ")":
                return expression
        if not required:
            if not optional:
                self.force(")")
                return expression
            choice = next_argument(optional, True)
            if choice == ")":
                return expression
        else:
            choice = next_argument(optional, False)
        while True:
            chosen = next(p for p in optional if resolved.shown_argument(p.name) + "=" == choice)
            optional.remove(chosen)
            if value(chosen, [",", ")"] if optional else [")"]) == ")":
                return expression
            choice = next_argument(optional, False)

    def _value(
        self,
        grammar: ProgramGrammar,
        param: ParamSpec,
        defined: dict[str, frozenset[str]],
        resolved: Resolved,
        delimiters: list[str],
        guide: _GuideLine | None,
        shown: str,
        guide_left: set[str],
    ) -> tuple[str, str]:
        """Write one argument value, then one of ``delimiters``; returns both."""
        if resolved.tool.name == "eval_expr":
            values = [f'"{e}"' for e in grammar.expressions(defined)]
        else:
            values = grammar.variables_for(param, defined) + grammar.domain(resolved, param)
        options = [v + d for v in values for d in delimiters]
        # A call the program already made would be a loop: offer other values first.
        written = self.text[self._call_start:]
        fresh = [o for o in options if not (o.endswith(")") and written + o in self._calls_done)]
        options = fresh or options
        wanted: list[str] = []
        target = guide.value(shown) if guide is not None else None
        if target is not None:
            close = "," if guide_left else ")"
            numbers = grammar.facts.numbers
            same = [v for v in values if v == target] or [v for v in values if _template(v, numbers) == _template(target)]
            if param.type_name.startswith("Literal[") and not grammar.facts.sides:
                same = []  # the request names no value: the example's value is no guide
            wanted = [v + d for v in same for d in delimiters if d == close or len(delimiters) == 1]
        choice = self.choose(options, wanted)
        return choice[:-1], choice[-1]
