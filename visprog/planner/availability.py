"""What can run here: the tools a planner plans over, and the one-line answer naming
the missing model when a request needs a tool that cannot run (split from
:mod:`visprog.planner.core`).

By default a tool can run when its libraries are importable and its weights are local
(see :func:`visprog.models.manager.tool_availability`); with ``allow_downloads`` also
when its weights can be downloaded now. Requests are judged against the in-context
examples here; the program library (:mod:`visprog.planner.library`) judges first.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

from visprog.models.manager import Availability, model_manager, tool_availability
from visprog.toolkit.registry import Registry

__all__ = ["ToolsHere"]

#: How much more similar (MiniLM cosine, or lexical score) the closest example that needs
#: a missing tool must be than the closest example that can run, for the request to be
#: answered with "this needs model X" instead of a program.
NEEDS_MARGIN = 0.1
#: The same for lexical selection (no MiniLM): how many times higher its score must be.
NEEDS_RATIO_LEXICAL = 1.3
#: A word of a request at least this similar (MiniLM) to a word of the requests that the
#: runnable examples answer counts as something the runnable tools deal with.
COVERED_SIMILARITY = 0.55
#: Below these similarities no example is close enough to say what a request needs
#: (vague requests are planned over the tools that can run).
NEEDS_FLOOR = 0.45
NEEDS_FLOOR_LEXICAL = 1.0


def _tree(program: str) -> ast.Module:
    """The syntax tree of ``program`` (the language layer's parse), or an empty one when
    it does not parse."""
    from visprog.errors import VisprogError
    from visprog.language.syntax import parse_program

    try:
        return parse_program(program).tree
    except (VisprogError, ValueError):  # ValueError: NUL bytes, before Python 3.11.4
        return ast.Module(body=[], type_ignores=[])


class ToolsHere:
    """The tools-that-can-run half of :class:`visprog.planner.Planner` (a mixin: it
    reads the planner's ``registry``, ``style``, ``allow_downloads`` and ``selector``)."""

    registry: Registry
    style: str
    allow_downloads: bool
    selector: Any
    _usable: Registry | None
    _blocked: dict[str, Availability]
    _example_tools: dict[int, frozenset[str]]
    _coverage: tuple[list[str], Any] | None

    # -- what can run here ----------------------------------------------------------
    def _sort_tools(self) -> Registry:
        usable = []
        blocked: dict[str, Availability] = {}
        for t in self.registry.tools:
            if t.family == "viper" and self.style != "viper":
                continue  # ViperGPT's API (ImagePatch & co.) is shown in the viper style only
            reason = t.unavailable_reason()
            if reason is not None:
                blocked[t.name] = Availability("missing-library", reason.removeprefix("not available: "))
                continue
            availability = tool_availability(t.requires, t.models, probe=self.allow_downloads)
            if availability.can_run(self.allow_downloads):
                usable.append(t)
            else:
                blocked[t.name] = availability
        names = {t.name for t in usable}
        aliases = [a for a in self.registry.aliases if a.target in names]
        self._usable = Registry(usable, aliases)
        self._blocked = blocked
        return self._usable

    @property
    def usable(self) -> Registry:
        """The tools programs are planned over: those that can run here now."""
        return self._usable if self._usable is not None else self._sort_tools()

    @property
    def blocked(self) -> dict[str, Availability]:
        """Tools that cannot run here now, with why."""
        if self._usable is None:
            self._sort_tools()
        return self._blocked

    def _tools_of(self, index: int) -> frozenset[str]:
        """Canonical names of the tools an example's program calls."""
        if index not in self._example_tools:
            names: set[str] = set()
            for node in ast.walk(_tree(self.selector.examples[index].program)):
                if isinstance(node, ast.Call):
                    called = node.func.id if isinstance(node.func, ast.Name) else node.func.attr if isinstance(node.func, ast.Attribute) else None
                    resolved = self.registry.resolve(called) if called else None
                    if resolved is not None:
                        names.add(resolved.tool.name)
            self._example_tools[index] = frozenset(names)
        return self._example_tools[index]

    def missing_for(self, question: str, inputs: Sequence[str] = ("IMAGE",)) -> str | None:
        """When ``question`` needs a tool that cannot run here, one line saying which
        model is missing and how to get it; else None.

        Judged from the in-context examples: when the example most like the request
        uses a tool that cannot run, and no example that can run is nearly as close
        (within ``NEEDS_MARGIN`` of MiniLM similarity, or within a factor
        ``NEEDS_RATIO_LEXICAL`` of the lexical score), the request needs that tool. And
        when a request that is not about text names things no runnable example deals
        with (see :meth:`_uncovered`), it needs the tool of the closest example that
        cannot run.
        Names the request picks from a tool's catalogue (the emoji in "put a cat emoji on
        each face") are argument values, not things to find: they are left out of the
        comparison.
        """
        if not self.blocked:
            return None
        from visprog.planner.adapt import asks_alternative, asks_colour, asks_kind_of_people
        from visprog.planner.request import normalise_request

        pair = set(inputs) >= {"LEFT", "RIGHT"}
        plain = self._without_catalogue_names(normalise_request(question))  # "whats" is "what is", not a thing
        seeing = [name for name in ("vqa", "classify", "caption") if any(t.name == name for t in self.registry.tools)]
        if (asks_colour(plain) or asks_kind_of_people(plain) or asks_alternative(plain)) and seeing and all(
                name in self.blocked for name in seeing):
            # Only a model that sees colours or tells men from women answers "are the two signs
            # the same colour?" or "are they both men?"; a program over the ready tools (faces,
            # text) would answer something else.
            return self._missing_line(seeing[0])
        scores = self.selector.scores(plain)
        candidates = [i for i, e in enumerate(self.selector.examples) if (set(e.inputs) >= {"LEFT", "RIGHT"}) == pair]
        if not candidates:
            return None
        best = max(candidates, key=lambda i: float(scores[i]))
        needed = [name for name in sorted(self._tools_of(best)) if name in self.blocked]
        if needed:
            runnable = [i for i in candidates if not (self._tools_of(i) & set(self.blocked))]
            best_runnable = max((float(scores[i]) for i in runnable), default=float("-inf"))
            closest = float(scores[best])
            if self.selector.method == "minilm":
                confident = closest >= NEEDS_FLOOR and closest - best_runnable >= NEEDS_MARGIN
            else:
                confident = closest >= NEEDS_FLOOR_LEXICAL and closest >= NEEDS_RATIO_LEXICAL * best_runnable
            if confident:
                return self._missing_line(needed[0])
        uncovered = self._uncovered(plain)
        blocked_examples = [i for i in candidates if self._tools_of(i) & set(self.blocked)]
        if not uncovered or not blocked_examples:
            return None
        nearest = max(blocked_examples, key=lambda i: float(scores[i]))
        tool = sorted(self._tools_of(nearest) & set(self.blocked))[0]
        return f"'{uncovered[0]}' is nothing the tools that can run here find; " + self._missing_line(tool)

    def _uncovered(self, question: str) -> list[str]:
        """Words of a request that names no text (not a search term then) that are like
        no word of the requests the runnable examples answer (MiniLM similarity below
        ``COVERED_SIMILARITY``): things only a tool that cannot run could find ("hats" in
        "How many people are wearing hats?"). Empty with lexical selection."""
        from visprog.planner.request import about_text, content_words

        if self.selector.method != "minilm" or about_text(question):
            return []
        words = content_words(question)
        if not words:
            return []
        from visprog.planner.examples import embed_sentences

        if self._coverage is None:
            blocked = set(self.blocked)
            vocabulary = sorted(
                {w for i, e in enumerate(self.selector.examples) if not (self._tools_of(i) & blocked)
                 for w in content_words(self._without_catalogue_names(e.question))}
            )
            self._coverage = (vocabulary, embed_sentences(vocabulary) if vocabulary else None)
        vocabulary, vectors = self._coverage
        if vectors is None:
            return words
        similarity = embed_sentences(words) @ vectors.T
        return [w for w, row in zip(words, similarity) if float(row.max()) < COVERED_SIMILARITY]

    def _without_catalogue_names(self, question: str) -> str:
        """``question`` without the catalogue names it places as arguments (see
        :func:`visprog.planner.request.without_mentions`)."""
        from visprog.planner.grammar import catalogue_names
        from visprog.planner.request import without_mentions

        for t in self.usable.tools:
            for param in t.params:
                names = catalogue_names(t, param.name)
                if names:
                    question = without_mentions(question, names)
        return question

    def _missing_line(self, tool_name: str) -> str:
        availability = self.blocked[tool_name]
        tool = self.registry[tool_name]
        aliases = [a.name for a in self.registry.aliases_of(tool_name)]
        shown = f"{tool_name} ({', '.join(aliases)})" if aliases else tool_name
        manager = model_manager()
        if availability.state == "missing-library":
            return f"this request needs the {shown} tool, which cannot run here: it needs {availability.detail}"
        for spec in tool.models:
            model = manager.availability(spec, probe=False)
            if model.ready:
                continue
            size = f", ~{spec.size_mb:.0f} MB" if spec.size_mb else ""
            if model.state == "missing-library":
                return f"this request needs the {shown} tool, whose model '{manager.model_id(spec)}' needs {model.detail}"
            how = spec.hint or f"on a connected machine run `visprog models pull {spec.key}`" + (
                " (or ask with --allow-downloads)" if model.state == "needs-download" and not self.allow_downloads else ""
            )
            return (
                f"this request needs the {shown} tool, whose model '{manager.model_id(spec)}' ({spec.library}{size}) "
                f"is not here: {how}, or point VISPROG_MODEL_{spec.key.upper()} at a local copy"
            )
        return f"this request needs the {shown} tool, which cannot run here: {availability.label()}"

    def _blocked_tools(self, program: str) -> list[str]:
        """Canonical names of the tools ``program`` calls that cannot run here, in order."""
        out: list[str] = []
        for node in ast.walk(_tree(program)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                resolved = self.registry.resolve(node.func.id)
                if resolved is not None and resolved.tool.name in self.blocked and resolved.tool.name not in out:
                    out.append(resolved.tool.name)
        return out

    def _unusable_calls(self, program: str) -> list[str]:
        """Diagnostics for calls of tools that cannot run here (the checker accepts them)."""
        out = []
        for node in ast.walk(_tree(program)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                resolved = self.registry.resolve(node.func.id)
                if resolved is not None and resolved.tool.name in self.blocked:
                    out.append(
                        f"{node.lineno}:{node.col_offset + 1}: not-ready: {node.func.id} cannot run here "
                        f"({self.blocked[resolved.tool.name].label()}); use the tools listed"
                    )
        return out

