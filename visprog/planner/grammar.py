"""Constrained decoding of programs, for small local models.

:class:`ProgramGrammar` describes VisProg's line form over a registry, with types:
each line is ``VAR=TOOL(arg=value,...)`` where the variable's prefix says what kind of
value it holds (``BOX``/``OBJ``/``TEXT`` Detections, ``IMAGE`` an Image, ``ANS`` an
answer, ``N`` a number, ``LIST`` a list), the tool must return that kind, argument
names are the tool's, and a value-typed argument can only be a variable of a fitting
type that is already defined. The program ends with ``FINAL=RESULT(var=...)``.

:class:`GrammarDecoder` walks that grammar with a causal LM: at each choice point the
next token is the LM's most likely among the tokens that keep the text inside the
grammar (a token-level mask over the vocabulary, i.e. a logits processor), and free
text (quoted strings) is generated token by token until the closing quote. The output
always parses; the checker and the repair loop handle what the grammar cannot express
(EVAL expressions, meaning).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, get_args

from visprog.toolkit.registry import Registry, Resolved
from visprog.toolkit.tool import ParamSpec

__all__ = ["GrammarDecoder", "ProgramGrammar"]

PREFIX_KINDS: dict[str, frozenset[str]] = {
    "BOX": frozenset({"Detections"}),
    "OBJ": frozenset({"Detections"}),
    "TEXT": frozenset({"Detections"}),
    "IMAGE": frozenset({"Image"}),
    "ANS": frozenset({"str", "any"}),
    "N": frozenset({"int"}),
    "LIST": frozenset({"list"}),
}
_VALUE_KINDS = {"Image", "Detections", "Box", "Mask"}
_NUMBERS = ["1", "2", "3", "5", "10", "20"]
_REPEAT = re.compile(r"(.{3,}?)\1$")


class ProgramGrammar:
    """The typed line-form grammar for a registry and a set of inputs.

    Args:
        registry: the tools; unavailable ones are left out.
        inputs: input names (Images), e.g. ``["IMAGE"]`` or ``["LEFT", "RIGHT"]``.
        max_lines: lines before ``FINAL=RESULT(...)`` is forced.
    """

    def __init__(self, registry: Registry, inputs: Sequence[str], max_lines: int = 8) -> None:
        self.registry = registry
        self.inputs = list(inputs)
        self.max_lines = max_lines
        self.calls: list[tuple[str, Resolved]] = []
        for t in registry.tools:
            if t.unavailable_reason() is not None or t.name == "result":
                continue
            aliases = registry.aliases_of(t.name)
            name = aliases[0].name if aliases else t.name
            self.calls.append((name, registry.resolve(name)))  # type: ignore[arg-type]

    def tools_for(self, prefix: str, defined: dict[str, frozenset[str]]) -> list[tuple[str, Resolved]]:
        wanted = PREFIX_KINDS[prefix]
        out = []
        for name, resolved in self.calls:
            if not (resolved.tool.return_kinds & wanted):
                continue
            if resolved.tool.name == "eval_expr" and not eval_expressions(defined):
                continue
            if all(self.satisfiable(p, defined) for p in resolved.tool.params if p.required):
                out.append((name, resolved))
        return out

    def satisfiable(self, param: ParamSpec, defined: dict[str, frozenset[str]]) -> bool:
        kinds = param.kinds
        if kinds & {"str", "int", "float", "bool"} or "list" in kinds:
            return True
        return bool(self.variables_for(param, defined))

    @staticmethod
    def variables_for(param: ParamSpec, defined: dict[str, frozenset[str]]) -> list[str]:
        kinds = param.kinds
        return [v for v, k in defined.items() if "any" in kinds or "any" in k or (k & kinds)]


def eval_expressions(defined: dict[str, frozenset[str]]) -> list[str]:
    """The EVAL expressions the grammar offers, over the variables defined so far:
    comparisons of counts, yes/no logic over answers, and joining read text."""
    numbers = [v for v, k in defined.items() if k & {"int"}]
    answers = [v for v, k in defined.items() if k & {"str", "any"}]
    texts = [v for v, k in defined.items() if v.startswith("TEXT") and "Detections" in k]
    out: list[str] = []
    for a in numbers:
        out += [f"'yes' if {{{a}}} {op} 0 else 'no'" for op in (">", "==")]
        for b in numbers:
            if a != b:
                out += [f"'yes' if {{{a}}} {op} {{{b}}} else 'no'" for op in (">", "<", "==")]
                out.append(f"{{{a}}} + {{{b}}}")
    for a in answers:
        out.append(f"not {{{a}}}")
        for b in answers:
            if a != b:
                out += [f"{{{a}}} {op} {{{b}}}" for op in ("and", "or", "xor")]
    out += [f"' '.join({{{t}}}.labels)" for t in texts]
    return out


class _TokenIndex:
    """Every vocabulary token's text, looked up by text, plus masks for quoted free text."""

    def __init__(self, tokenizer: Any) -> None:
        import torch

        size = len(tokenizer)
        self.texts = [tokenizer.decode([i]) for i in range(size)]
        self.by_text: dict[str, list[int]] = defaultdict(list)
        for i, text in enumerate(self.texts):
            if text and "\ufffd" not in text and i not in tokenizer.all_special_ids:
                self.by_text[text].append(i)
        self.size = size
        # Quoted strings are names and short questions: letters, spaces, a little punctuation.
        words = re.compile(r"^[A-Za-z ,?!-]+$")
        inner = {i for text, ids in self.by_text.items() for i in ids if words.match(text)}
        self.free: dict[str, tuple[Any, set[int]]] = {}
        for quote in ("'", '"'):
            closing = {i for text, ids in self.by_text.items() for i in ids if text.endswith(quote) and (text == quote or words.match(text[:-1]))}
            self.free[quote] = (torch.tensor(sorted(inner | closing)), closing)

    def starting(self, remaining: str) -> list[int]:
        """Tokens whose text is a non-empty prefix of ``remaining``."""
        out: list[int] = []
        for k in range(1, len(remaining) + 1):
            out.extend(self.by_text.get(remaining[:k], ()))
        return out


_INDEXES: dict[int, _TokenIndex] = {}


class GrammarDecoder:
    """Greedy decoding of a program under a :class:`ProgramGrammar`.

    Args:
        model: a transformers causal LM.
        tokenizer: its tokenizer.
        max_string_chars: longest quoted string the model may write.
    """

    def __init__(self, model: Any, tokenizer: Any, max_string_chars: int = 80) -> None:
        self.model = model
        self.tokenizer = tokenizer
        key = id(tokenizer)
        if key not in _INDEXES:
            _INDEXES[key] = _TokenIndex(tokenizer)
        self.index = _INDEXES[key]
        self.max_string_chars = max_string_chars

    # -- LM state ------------------------------------------------------------
    def _start(self, prompt_ids: Any) -> None:
        import torch

        with torch.inference_mode():
            out = self.model(prompt_ids, use_cache=True)
        self.past = out.past_key_values
        self.logits = out.logits[0, -1]
        self.text = ""
        self.length = int(prompt_ids.shape[-1])

    def _feed(self, ids: list[int]) -> None:
        import torch

        with torch.inference_mode():
            out = self.model(torch.tensor([ids]), past_key_values=self.past, use_cache=True)
        self.past = out.past_key_values
        self.logits = out.logits[0, -1]
        self.text += self.tokenizer.decode(ids)
        self.length += len(ids)

    def _mark(self) -> tuple[int, str, Any]:
        return self.length, self.text, self.logits

    def _rewind(self, mark: tuple[int, str, Any]) -> None:
        """Back to a marked point (the KV cache is cropped, not recomputed)."""
        self.length, self.text, self.logits = mark
        extra = self.past.get_seq_length() - self.length
        if extra > 0:
            self.past.crop(-extra)

    def force(self, text: str) -> None:
        """Append ``text`` (the grammar allows nothing else here)."""
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if ids:
            self._feed(ids)

    def choose(self, options: Sequence[str]) -> str:
        """Let the LM pick one of ``options`` (a prefix-free set), token by token."""
        import torch

        options = list(dict.fromkeys(options))
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
            if not allowed:  # no single token starts any option: fall back to the best option whole
                self.force(live[0][len(emitted):])
                return live[0]
            ids = torch.tensor(allowed)
            best = int(ids[int(torch.argmax(self.logits[ids]))])
            self._feed([best])
            emitted += self.index.texts[best]

    def free_text(self, quote: str) -> str:
        """Quoted text written by the LM: the opening quote is already there; ends at the
        closing quote (forced after ``max_string_chars``)."""
        import torch

        allowed, closing = self.index.free[quote]
        written = ""
        marks: list[tuple[int, tuple[int, str, Any]]] = [(0, self._mark())]
        while len(written) < self.max_string_chars:
            best = int(allowed[int(torch.argmax(self.logits[allowed]))])
            self._feed([best])
            piece = self.index.texts[best]
            if best in closing:
                written += piece[:-1]
                return written
            written += piece
            marks.append((len(written), self._mark()))
            # Small models loop ("smiley_smileys_smileys..."): keep one copy and close.
            loop = _REPEAT.search(written)
            if loop:
                keep = len(written) - len(loop.group(1))
                size, mark = max((m for m in marks if m[0] <= keep), key=lambda m: m[0])
                self._rewind(mark)
                written = written[:size]
                break
        self.force(quote)
        return written

    # -- the grammar -----------------------------------------------------------
    def program(self, prompt_ids: Any, grammar: ProgramGrammar) -> str:
        """Decode a program that follows ``grammar``; returns its text."""
        self._start(prompt_ids)
        self.force("```python\n")
        self.text = ""
        defined: dict[str, frozenset[str]] = {name: frozenset({"Image"}) for name in grammar.inputs}
        counters: dict[str, int] = defaultdict(int)
        calls: set[str] = set()
        force_final = False
        for line in range(grammar.max_lines):
            mark = self._mark()
            options = []
            if line < grammar.max_lines - 1 and not force_final:
                for prefix in PREFIX_KINDS:
                    if grammar.tools_for(prefix, defined):
                        options.append(f"{prefix}{counters[prefix]}=")
            made = [v for v in defined if v not in grammar.inputs]
            if made:
                options.append("FINAL=")
            choice = self.choose(options)
            if choice == "FINAL=":
                self.force("RESULT(var=")
                self.choose([f"{v})" for v in made])
                break
            prefix = choice.rstrip("0123456789=")
            variable = choice[:-1]
            counters[prefix] += 1
            tools = grammar.tools_for(prefix, defined)
            name = self.choose([f"{n}(" for n, _ in tools])[:-1]
            resolved = dict(tools)[name]
            start = len(self.text)
            self._arguments(resolved, defined)
            call = self.text[self.text.rindex("=", 0, start) + 1 :]
            if call in calls:
                # The same call again is a loop, not progress: undo the line and finish.
                self._rewind(mark)
                counters[prefix] -= 1
                force_final = True
                continue
            calls.add(call)
            self.force("\n")
            defined[variable] = PREFIX_KINDS[prefix] if prefix != "ANS" else resolved.tool.return_kinds
        return self.text.rstrip()

    def _arguments(self, resolved: Resolved, defined: dict[str, frozenset[str]]) -> None:
        """Arguments and the closing parenthesis. Each value is followed by the delimiter
        the LM picks among those the grammar allows there ("," or ")"), which also keeps
        variable names such as IMAGE and IMAGE0 apart."""
        params = resolved.tool.params
        required = [p for p in params if p.required]
        optional = [p for p in params if not p.required and self._can_write(p, defined)]
        for index, param in enumerate(required):
            self.force(resolved.shown_argument(param.name) + "=")
            last = index == len(required) - 1
            delimiters = [","] if not last else ([",", ")"] if optional else [")"])
            if self._value(param, defined, resolved, delimiters) == ")":
                return
        if not required:
            if not optional:
                self.force(")")
                return
            choice = self.choose([")"] + [resolved.shown_argument(p.name) + "=" for p in optional])
            if choice == ")":
                return
        else:
            choice = self.choose([resolved.shown_argument(p.name) + "=" for p in optional])
        while True:
            chosen = next(p for p in optional if resolved.shown_argument(p.name) + "=" == choice)
            optional.remove(chosen)
            if self._value(chosen, defined, resolved, [",", ")"] if optional else [")"]) == ")":
                return
            choice = self.choose([resolved.shown_argument(p.name) + "=" for p in optional])

    def _can_write(self, param: ParamSpec, defined: dict[str, frozenset[str]]) -> bool:
        kinds = param.kinds
        if kinds & _VALUE_KINDS:
            return bool(ProgramGrammar.variables_for(param, defined))
        return bool(kinds & {"str", "int", "float", "bool"})

    def _value(self, param: ParamSpec, defined: dict[str, frozenset[str]], resolved: Resolved, delimiters: list[str]) -> str:
        """Write one argument value, then one of ``delimiters``; returns the delimiter."""
        kinds = param.kinds
        is_expression = resolved.tool.name == "eval_expr"
        if param.type_name.startswith("Literal["):
            choice = self.choose([repr(v) + d for v in get_args(param.annotation) for d in delimiters])
            return choice[-1]
        if is_expression:
            choice = self.choose([f'"{e}"{d}' for e in eval_expressions(defined) for d in delimiters])
            return choice[-1]
        options: list[str] = []
        if kinds & _VALUE_KINDS or "any" in kinds or "list" in kinds:
            options = ProgramGrammar.variables_for(param, defined)
        if "str" in kinds:
            options.append("'")
        if "list" in kinds:
            options.append("[")
        if "bool" in kinds:
            options += ["True", "False"]
        if kinds & {"int", "float"}:
            options += _NUMBERS
        openers = {"'", '"', "["}
        spelled = [o for o in options if o in openers] + [o + d for o in options if o not in openers for d in delimiters]
        choice = self.choose(spelled)
        if choice in ("'", '"'):
            self.free_text(choice)
        elif choice == "[":
            self._string_list()
        else:
            return choice[-1]
        return self.choose(delimiters)

    def _string_list(self) -> None:
        """``['a', 'b', ...]`` after the opening bracket."""
        for _ in range(20):
            self.force("'")
            self.free_text("'")
            if self.choose([",", "]"]) == "]":
                return
        self.force("]")
