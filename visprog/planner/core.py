"""The planner: request -> checked program -> run, repairing with the chat model's help.

Each LLM call is an *attempt*. After a reply, the program is extracted and checked; on
diagnostics the model gets them back with its program and is asked for a fix. After a
runtime error it gets the error record and the valid choices for the argument at fault.
At most ``max_attempts`` calls; every attempt (prompt, reply, diagnostics or error,
time) goes into the trace. A program that already failed is never run again: a
constrained model is kept from writing it, and any model that writes it anyway is told
so (or planning stops).

The planner plans over the tools that can run here: by default those whose libraries
are importable and whose weights are local (see
:func:`visprog.models.manager.tool_availability`); with ``allow_downloads=True`` also
those whose weights can be downloaded now. When a request needs a tool that cannot run
(judged from the in-context examples most like it), the answer is one line naming the
missing model and how to get it, and no LLM call is made.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from visprog.checker.core import analyse_program, check_program
from visprog.errors import ErrorRecord, PlannerError
from visprog.language.limits import Limits
from visprog.models.manager import Availability
from visprog.planner.availability import ToolsHere
from visprog.planner.examples import Example, ExampleSelector
from visprog.planner.grammar import normalise_program
from visprog.planner.prompting import (
    STYLES,
    build_messages,
    duplicate_message,
    extract_program,
    render_messages,
    repair_message,
    viper_examples,
    viper_system,
)
from visprog.planner.request import features
from visprog.runtime.execution import RunResult
from visprog.toolkit.context import RunContext, default_context
from visprog.toolkit.intrinsics import with_core
from visprog.toolkit.registry import Registry
from visprog.trace.records import PlannerAttempt, Trace

__all__ = ["ConstrainedChatModel", "LoadableChatModel", "PlanResult", "Planner", "SmallModel"]


@runtime_checkable
class ConstrainedChatModel(Protocol):
    """A chat model that decodes under a grammar (the offline local model,
    :class:`visprog.models.chat.LocalChatModel`): the planner constrains it to programs
    over the tools that can run here."""

    def with_grammar(self, grammar: Any) -> Any:
        """The same model, its replies constrained to ``grammar``
        (:class:`visprog.planner.grammar.ProgramGrammar`)."""
        ...


@runtime_checkable
class LoadableChatModel(Protocol):
    """A chat model whose weights load on first use and can be loaded ahead
    (:class:`visprog.models.chat.LocalChatModel`): the planner loads them apart from
    its first call, so that planning time and load time are reported apart."""

    def load(self) -> None:
        """Load the weights now (a no-op once loaded)."""
        ...


@runtime_checkable
class SmallModel(Protocol):
    """A chat model that says whether it is small (the planner keeps its prompt short,
    lists tools as one-line signatures and refuses requests that are not English)."""

    is_small_local_model: bool

#: Runtime errors that a different program cannot fix (the environment lacks something).
_NOT_REPAIRABLE = {"ModelUnavailable", "ToolUnavailable", "InputError"}

#: A library entry is adapted to a request only when its score (closest wording's
#: similarity plus agreement of form) reaches this (MiniLM cosine, or lexical).
LIBRARY_FLOOR = 0.5
LIBRARY_FLOOR_LEXICAL = 0.3
#: A library entry that needs a tool that cannot run must beat the best runnable
#: entry by this much for the request to be refused as needing that tool.
LIBRARY_MARGIN = 0.03



@dataclass
class PlanResult:
    """What planning produced.

    Attributes:
        program: the last program written (None when none was).
        ok: whether it passes the checker.
        attempts: every LLM call, in order.
        missing: when the request needs a tool that cannot run here, one line naming
            the missing model and how to get it (and no attempt was made).
    """

    program: str | None
    ok: bool
    attempts: list[PlannerAttempt] = field(default_factory=list)
    missing: str | None = None


@dataclass(frozen=True)
class LibraryChoice:
    """What the program library offers a request.

    Attributes:
        entry: the id of the entry adapted.
        program: its program with the request's slot values (None when ``missing``).
        slots: the slot values taken from the request.
        similarity: the similarity of the entry's closest wording.
        score: the similarity plus agreement of form.
        wording: that closest wording.
        missing: when the closest fitting entry needs a tool that cannot run here (and
            no runnable entry is nearly as close), the one-line answer naming it.
        runner_up: the next runnable entry and its score, when it is within
            ``LIBRARY_MARGIN`` of this one (the trace records the close call).
        unexplained: what the request asks that the entry does not answer (see
            :meth:`visprog.planner.library.Library.unexplained`); such a choice is never
            run as the answer (only ``visprog learn`` tries its program on an item).
        refusal_kind: the error kind of the refusal ``missing`` holds.
    """

    entry: str
    program: str | None
    slots: dict[str, Any]
    similarity: float
    score: float
    wording: str
    missing: str | None = None
    runner_up: str | None = None
    unexplained: tuple[str, ...] = ()
    refusal_kind: str = "ModelUnavailable"

    def describe(self) -> str:
        """One line for the trace: which entry, how close, which slot values, and the
        next entry when it scored nearly as well (a close call); for a request the
        closest entry does not answer, what it leaves unanswered."""
        slots = ", ".join(f"{k}={v}" for k, v in self.slots.items())
        if self.unexplained:
            return (
                f"the closest library entry '{self.entry}' (closest wording {self.wording!r}, score {self.score:.2f}) "
                f"does not answer {_what_is_left(self.unexplained)}: not used"
            )
        return (
            f"planned from library entry '{self.entry}' (closest wording {self.wording!r}, similarity "
            f"{self.similarity:.2f}, score {self.score:.2f})" + (f"; slots from the request: {slots}" if slots else "")
            + (f"; a close call: {self.runner_up}" if self.runner_up else "")
        )

    def answered_as(self) -> str:
        """One line for the user beside the answer: the question the library program
        answers (its closest wording and the slot values it took), so that an answer to
        a different question than the one asked does not pass unseen."""
        slots = ", ".join(f"{k}={v}" for k, v in self.slots.items())
        return (f"answered as: library entry '{self.entry}'" + (f" ({slots})" if slots else "")
                + f", the program for requests like {self.wording!r}")


def _what_is_left(words: Sequence[str]) -> str:
    """"'smiling'", "'shirt', 'colour'", or "an open question of this kind"."""
    named = [w if " " in w else f"'{w}'" for w in words if w != "what"]  # a word of the request, or what is asked
    if named:
        return ", ".join(named[:3])
    return "an open question of this kind"


class Planner(ToolsHere):
    """Writes programs for requests with any langchain-core chat model.

    Args:
        chat_model: a langchain-core ``BaseChatModel``, or a spec naming one (``local``,
            ``hf:PATH_OR_ID``, ``openai:MODEL``; default: the configured model, or the
            offline local SmolLM2 when none is configured). The offline default is built
            on first use: a request the library answers or refuses does not load it.
        registry: tools the programs may use (default: the default registry). Programs
            are checked and run against it; prompts and constrained decoding offer only
            the tools of it that can run here.
        examples: in-context example pool (default: the packaged ``prompts/``).
        max_attempts: LLM calls per request, first try and repairs together.
        prompt_budget_chars: size budget of the in-context examples, in characters
            (default: 3000, or 1500 for the small local model, whose prompt is decoded
            on two CPU cores).
        compact_tools: list tools as one-line signatures instead of full stubs
            (default: compact for the small local model).
        selection: example selection, ``"auto"``, ``"minilm"`` or ``"lexical"``.
        allow_downloads: also plan over tools whose weights are not here but can be
            downloaded now (a connected machine); by default only ready tools are used.
        library: the program library (a :class:`visprog.planner.library.Library`, or
            paths of user library JSONL files searched beside the packaged one; default:
            the packaged library and the configured ``library`` file).
        use_library: plan by adapting library entries first (default); False plans
            with the chat model only.
        style: ``"visprog"`` (default: the registry's tools, VisProg's line form or
            Python) or ``"viper"``: ViperGPT's ``def execute_command(image)`` over the
            ImagePatch API, with the API as stubs and the examples of ``prompts/viper``;
            the same check-and-repair loop. The offline constrained model writes VisProg's
            line form only, so ``"viper"`` needs a chat model that writes free text.
    """

    def __init__(
        self,
        chat_model: Any = None,
        *,
        registry: Registry | None = None,
        examples: Sequence[Example] | None = None,
        max_attempts: int = 3,
        prompt_budget_chars: int | None = None,
        compact_tools: bool | None = None,
        selection: str = "auto",
        allow_downloads: bool = False,
        style: str = "visprog",
        library: Any = None,
        use_library: bool = True,
    ) -> None:
        if max_attempts < 1:
            raise PlannerError("max_attempts must be at least 1")
        if style not in STYLES:
            raise PlannerError(f"unknown planner style {style!r}: use {' or '.join(repr(s) for s in STYLES)}")
        spec = chat_model if isinstance(chat_model, str) else None
        self._chat_model: Any = None if isinstance(chat_model, str) else chat_model
        #: The offline default, built on first use: a request that the library answers or
        #: refuses never imports langchain's chat-model machinery (about 3 s on 2 busy cores).
        self._lazy_local = self._chat_model is None and _names_local_default(spec)
        self._spec = spec
        if self._chat_model is None and not self._lazy_local:
            from visprog.models.chat import chat_model_from_spec

            self._chat_model = chat_model_from_spec(spec)
        chat_model = self._chat_model
        if style == "viper" and (self._lazy_local or isinstance(chat_model, ConstrainedChatModel)):
            raise PlannerError(
                "the viper style needs a chat model that writes free Python (hf:PATH_OR_ID or openai:MODEL); "
                "the offline constrained model writes VisProg's line form only"
            )
        self.style = style
        if style == "viper" and examples is None:
            examples = viper_examples()
        from visprog.toolkit.discovery import default_registry

        self.registry = with_core(registry if registry is not None else default_registry())
        self.selector = ExampleSelector(examples, method=selection)  # type: ignore[arg-type]
        self.max_attempts = max_attempts
        small = self._lazy_local or (isinstance(chat_model, SmallModel) and bool(chat_model.is_small_local_model))
        self.small = small
        self.prompt_budget_chars = prompt_budget_chars if prompt_budget_chars is not None else (1500 if small else 3000)
        self.compact_tools = compact_tools if compact_tools is not None else small
        self.allow_downloads = allow_downloads
        #: In-context examples at most (fewer for the small model: a shorter prompt).
        self.example_limit = 4 if small else 8
        self._usable: Registry | None = None
        self._blocked: dict[str, Availability] = {}
        self._example_tools: dict[int, frozenset[str]] = {}
        self._coverage: tuple[list[str], Any] | None = None
        self.use_library = use_library and style == "visprog"
        #: Seconds spent loading the chat model's weights (the local model's, first use).
        self.chat_load_seconds = 0.0
        self._library_arg = library
        self._library: Any = None

    @property
    def chat_model(self) -> Any:
        """The chat model (the offline default is built here, on first use)."""
        if self._chat_model is None:
            from visprog.models.chat import chat_model_from_spec

            self._chat_model = chat_model_from_spec(self._spec)
        return self._chat_model

    @chat_model.setter
    def chat_model(self, value: Any) -> None:
        self._chat_model = value
        self._lazy_local = False

    # -- the program library ---------------------------------------------------------
    @property
    def library(self) -> Any:
        """The program library (:class:`visprog.planner.library.Library`), built on first use."""
        if self._library is None:
            from visprog.planner.library import Library, load_library

            if isinstance(self._library_arg, Library):
                self._library = self._library_arg
            else:
                paths = list(self._library_arg or ())
                configured = _configured_library()
                if configured is not None and configured not in paths:
                    paths.append(configured)
                self._library = Library(load_library(paths), method="lexical" if self.selector.method == "lexical" else "auto")
        return self._library

    def _emoji_names(self) -> tuple[list[str], tuple[str, ...]]:
        from visprog.planner.grammar import _GENERIC_NAMES, catalogue_names

        for t in self.usable.tools:
            for param in t.params:
                if param.name == "emoji":
                    return catalogue_names(t, "emoji") or [], _GENERIC_NAMES
        return [], _GENERIC_NAMES

    def library_candidates(
        self, question: str, inputs: Sequence[str] = ("IMAGE",), limit: int = 12, floor: float | None = None
    ) -> list[LibraryChoice]:
        """Library entries the request can fill, adapted to it, best first (score at
        least ``floor``, default ``LIBRARY_FLOOR``); those that need a tool that cannot
        run here carry the one-line ``missing`` answer instead of a program."""
        from visprog.planner.adapt import adapt
        from visprog.planner.request import asking_clauses, normalise_request, without_side_talk

        # Chat around the question ("Good afternoon.", "..., I left my glasses at home") is
        # neither retrieved on nor adapted from: its "left" is not a side.
        question = without_side_talk(asking_clauses(normalise_request(question))[0])
        library = self.library
        if floor is None:
            floor = LIBRARY_FLOOR if library.method == "minilm" else LIBRARY_FLOOR_LEXICAL
        names, generic = self._emoji_names()
        out: list[LibraryChoice] = []
        for match in library.rank(question, inputs, limit=limit):
            if match.score < floor:
                break
            adapted = adapt(match.entry, question, emoji_names=names, generic=generic)
            if adapted is None:
                continue
            program, used = adapted
            report = analyse_program(program, self.registry, inputs=inputs)
            gaps = library.unexplained(question, match.entry, used, names, result_kinds=report.result_kinds)
            if gaps:
                # The entry would answer a different question ("is somebody on the right?"
                # for "is the person on the right smiling?"): never run it as the answer.
                # (Its program is kept for `visprog learn`, which checks it on the item.)
                out.append(LibraryChoice(match.entry.id, program, used, match.similarity, match.score, match.wording,
                                         unexplained=tuple(gaps)))
                continue
            blocked = self._blocked_tools(program)
            if blocked:
                out.append(LibraryChoice(match.entry.id, None, used, match.similarity, match.score, match.wording,
                                         self._missing_line(blocked[0])))
            elif not any(d.severity == "error" for d in report.diagnostics):
                out.append(LibraryChoice(match.entry.id, program, used, match.similarity, match.score, match.wording))
        return out

    def from_library(self, question: str, inputs: Sequence[str] = ("IMAGE",)) -> LibraryChoice | None:
        """The closest library entry that the request can fill, adapted to it; or, when
        the closest fitting entry needs a tool that cannot run here (and no runnable
        entry is within ``LIBRARY_MARGIN``), a choice whose ``missing`` says so. None
        when no entry reaches ``LIBRARY_FLOOR``."""
        candidates = self.library_candidates(question, inputs)
        fitting = [c for c in candidates if not c.unexplained]
        needs = next((c for c in fitting if c.missing is not None), None)
        runnable = next((c for c in fitting if c.missing is None), None)
        if runnable is None:
            return needs if needs is not None else self._unanswered(candidates)
        if needs is not None and needs.score - runnable.score > LIBRARY_MARGIN:
            return needs
        second = next((c for c in fitting if c.missing is None and c.entry != runnable.entry), None)
        if second is not None and runnable.score - second.score <= LIBRARY_MARGIN:
            runnable = dataclasses.replace(runnable, runner_up=f"'{second.entry}' scored {second.score:.2f}")
        return runnable

    def _unanswered(self, candidates: Sequence[LibraryChoice]) -> LibraryChoice | None:
        """When the closest entries answer a different question than the request asks
        (they leave words unexplained) and none fits, the small offline model would only
        guess: a refusal naming what is left and the question-answering model that could
        answer it, when that model is what is missing here. None otherwise (a capable
        chat model composes)."""
        from visprog.planner.adapt import EDIT_GAPS, WHOLE_PICTURE_EDIT

        gap = next((c for c in candidates if c.unexplained), None)
        if gap is None or not (self.small or self._constrained):
            return None
        vqa = next((t.name for t in self.registry.tools if t.name == "vqa"), None)
        # A question-answering model answers questions, never an edit of the whole picture.
        edits = EDIT_GAPS | {WHOLE_PICTURE_EDIT}
        needs_vqa = vqa is not None and vqa in self.blocked and any(w not in edits for w in gap.unexplained)
        how = (f": {self._missing_line(vqa)}" if vqa is not None and needs_vqa
               else ": ask it with a chat model that composes programs (--model hf:PATH_OR_ID or openai:MODEL)")
        line = (f"the tools that can run here do not answer {_what_is_left(gap.unexplained)} (the closest library program "
                f"answers {gap.wording!r}, a different question){how}")
        return dataclasses.replace(gap, program=None, missing=line, refusal_kind="ModelUnavailable" if needs_vqa else "PlannerError")

    # -- planning -------------------------------------------------------------------
    def _grammar(self, question: str, inputs: Sequence[str], forbidden: Sequence[str] = (), examples: Sequence[Example] = ()) -> Any:
        from visprog.planner.grammar import ProgramGrammar

        guide = examples[-1].program if examples and examples[-1].line_form else None
        return ProgramGrammar(
            self.usable, inputs, question, forbidden=forbidden, examples=[e.program for e in examples], guide=guide
        )

    def _model_for(self, question: str, inputs: Sequence[str], forbidden: Sequence[str], examples: Sequence[Example]) -> Any:
        """The chat model, constrained to the program grammar when it supports that."""
        if not isinstance(self.chat_model, ConstrainedChatModel):
            return self.chat_model
        return self.chat_model.with_grammar(self._grammar(question, inputs, forbidden, examples))

    def examples_for(self, question: str, inputs: Sequence[str]) -> list[Example]:
        """The in-context examples for a request, most similar last (next to the request).

        For a constrained model: line-form examples only, those whose requests need the
        same program shape first (the same kind of answer: yes/no, a count, an edited
        image, text; the same image halves named; a number stated or not), then by
        similarity. The last one also guides constrained decoding where the model is
        unsure.
        """
        if not self._constrained:
            examples = self.selector.select(
                question, inputs, budget_chars=self.prompt_budget_chars, registry=self.usable, limit=self.example_limit
            )
            return list(reversed(examples))
        # Candidates by similarity, then those whose requests need the same program shape
        # (answer kind, halves named, numbers stated) first; stable, so similarity breaks ties.
        pool = self.selector.select(
            question, inputs, budget_chars=10 * self.prompt_budget_chars, registry=self.usable,
            line_form_only=True, limit=4 * self.example_limit,
        )
        wanted = features(question)

        def agreement(example: Example) -> int:
            kind, sides, numbers, comparisons = features(example.question)
            return (
                8 * (kind == wanted[0] and kind is not None)
                + 4 * (bool(sides) == bool(wanted[1]))
                + 2 * (sides == wanted[1])
                + (numbers == wanted[2])
                + (comparisons == wanted[3])
            )

        ranked = sorted(pool, key=agreement, reverse=True)
        chosen: list[Example] = []
        used = 0
        for example in ranked:
            size = len(example.question) + len(example.program) + 40
            if used + size > self.prompt_budget_chars:
                continue
            chosen.append(example)
            used += size
            if len(chosen) >= self.example_limit:
                break
        return list(reversed(chosen))

    def start_messages(self, question: str, inputs: Sequence[str], examples: Sequence[Example] | None = None) -> list[Any]:
        """System prompt (the tools that can run here, and the learned hints about
        requests like this one), examples, request."""
        chosen = self.examples_for(question, inputs) if examples is None else list(examples)
        system = viper_system(inputs) if self.style == "viper" else None
        messages = build_messages(question, inputs, self.usable, chosen, compact=self.compact_tools, system=system)
        hints = self.hints_for(question)
        if hints:
            from langchain_core.messages import SystemMessage

            lesson = "Learned from evaluation (library programs that gave wrong answers to similar requests):\n" + "\n".join(
                f"- {h}" for h in hints
            )
            messages[0] = SystemMessage(content=f"{messages[0].content}\n\n{lesson}")
        return messages

    def hints_for(self, question: str, limit: int = 2) -> list[str]:
        """Hints that ``visprog learn`` wrote beside the user libraries
        (``<library>.hints.jsonl``) for requests like ``question`` (most shared words
        first; at most ``limit``), one line each: the request and what the library's
        programs gave for it. Empty without user libraries or hints."""
        import json
        from pathlib import Path

        from visprog.planner.request import content_words

        paths = [] if self._library_arg is None or hasattr(self._library_arg, "rank") else [str(p) for p in self._library_arg]
        configured = _configured_library()
        if configured is not None and configured not in paths:
            paths.append(configured)
        wanted = set(content_words(question)) | {w.lower() for w in question.split() if len(w) > 3}
        scored: list[tuple[float, str]] = []
        for path in paths:
            try:
                lines = Path(path).with_suffix(".hints.jsonl").read_text(encoding="utf-8").splitlines()
            except OSError:
                continue
            for line in lines:
                try:
                    hint = json.loads(line)
                    asked = str(hint["question"])
                    tried = [f"{t['entry']} gave {t['got']}" for t in hint.get("tried", [])[:2]]
                except (ValueError, KeyError, TypeError):
                    continue  # a hint a person edited badly is skipped, not fatal
                words = set(content_words(asked)) | {w.lower() for w in asked.split() if len(w) > 3}
                shared = len(wanted & words) / max(1, len(wanted | words))
                if shared >= 0.25:
                    scored.append((shared, f"{asked!r}: " + ("; ".join(tried) if tried else "no library program fitted")))
        scored.sort(key=lambda h: -h[0])
        return [text[:200] for _, text in scored[:limit]]

    def _attempt(self, model: Any, messages: list[Any], inputs: Sequence[str], attempts: list[PlannerAttempt]) -> PlannerAttempt:
        started = time.perf_counter()
        reply = model.invoke(messages)
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        program = extract_program(text)
        diagnostics = [str(d) for d in check_program(program, self.registry, inputs=inputs) if d.severity == "error"] if program else ["the reply holds no program"]
        if program and not diagnostics:
            diagnostics = self._unusable_calls(program)
        attempt = PlannerAttempt(
            index=len(attempts), prompt=render_messages(messages), reply=text, program=program or None,
            diagnostics=diagnostics, duration_s=time.perf_counter() - started,
        )
        attempts.append(attempt)
        return attempt

    def refusal(self, question: str) -> str | None:
        """One line when ``question`` cannot be planned at all: it is blank, or (for the
        small offline model, which reads English only) not English; else None.

        Raises:
            InputError: the question is not text.
        """
        from visprog.errors import InputError
        from visprog.planner.request import blank_or_unreadable

        if not isinstance(question, str):
            raise InputError(f"a question is text, got {type(question).__name__}")
        why = blank_or_unreadable(question)
        if why is None or (not why.startswith("the question") and not (self.small or self._constrained)):
            return None
        return why

    def _library_attempt(self, choice: LibraryChoice, inputs: Sequence[str], attempts: list[PlannerAttempt], started: float) -> PlannerAttempt:
        """The library's program as an attempt on the trace (no chat model call)."""
        program = choice.program or ""
        diagnostics = [str(d) for d in check_program(program, self.registry, inputs=inputs) if d.severity == "error"]
        attempt = PlannerAttempt(
            index=len(attempts), prompt=f"library: {choice.describe()}", reply=program, program=program,
            diagnostics=diagnostics, duration_s=time.perf_counter() - started,
        )
        attempts.append(attempt)
        return attempt

    def plan(self, question: str, inputs: Sequence[str] = ("IMAGE",)) -> PlanResult:
        """A program for ``question`` that passes the checker: adapted from the program
        library when an entry fits, else written by the chat model (repairing up to
        ``max_attempts``). ``missing`` holds the one-line answer when the request
        cannot be planned here (blank, not readable, or needs a missing model).

        Raises:
            InputError: ``question`` is not text.
        """
        refusal = self.refusal(question)
        if refusal is not None:
            return PlanResult(None, False, [], refusal)
        attempts: list[PlannerAttempt] = []
        if self.use_library:
            started = time.perf_counter()
            choice = self.from_library(question, inputs)
            if choice is not None and choice.missing is not None:
                return PlanResult(None, False, [], choice.missing)
            if choice is not None:
                attempt = self._library_attempt(choice, inputs, attempts, started)
                if not attempt.diagnostics:
                    return PlanResult(attempt.program, True, attempts)
        missing = self.missing_for(question, inputs)
        if missing is not None:
            return PlanResult(None, False, attempts, missing)
        return self._plan_with_model(question, inputs, attempts)

    def _plan_with_model(self, question: str, inputs: Sequence[str], attempts: list[PlannerAttempt]) -> PlanResult:
        self._model_loop(question, inputs, attempts, [a.program or "" for a in attempts], execute=None)
        last = attempts[-1] if attempts else None
        ok = last is not None and not last.diagnostics
        return PlanResult(last.program if last else None, ok, attempts)

    def _model_loop(
        self,
        question: str,
        inputs: Sequence[str],
        attempts: list[PlannerAttempt],
        failed: list[str],
        execute: Callable[[str], RunResult] | None,
    ) -> RunResult | None:
        """The one attempt loop of ``plan`` and ``run``: ask the chat model, check its
        program, and (with ``execute``) run it; on diagnostics or a repairable runtime
        error, ask for a fix, until ``max_attempts``. A program that already failed is
        never checked or run again: a constrained model cannot offer another (the loop
        stops), any other model is told so. Without ``execute`` the loop stops at the
        first program that passes the checker. Returns the last run's result (None when
        nothing ran)."""
        if isinstance(self.chat_model, LoadableChatModel):
            started = time.perf_counter()
            self.chat_model.load()  # once per process; timed apart from planning
            self.chat_load_seconds += time.perf_counter() - started
        examples = self.examples_for(question, inputs)
        messages = self.start_messages(question, inputs, examples)
        result: RunResult | None = None
        while len(attempts) < self.max_attempts:
            attempt = self._attempt(self._model_for(question, inputs, failed, examples), messages, inputs, attempts)
            if self._repeated(attempt, failed, attempts):
                if self._constrained:
                    break  # the grammar had no other program to offer
                messages = self._with_repair(messages, attempt, question, inputs, True)
                continue
            if attempt.diagnostics:
                failed.append(attempt.program or "")
                messages = self._with_repair(messages, attempt, question, inputs, False)
                continue
            if execute is None:
                break
            result = execute(attempt.program or "")
            if result.error is None or result.error.kind in _NOT_REPAIRABLE:
                break
            attempt.runtime_error = str(result.error)
            failed.append(attempt.program or "")
            messages = self._with_repair(messages, attempt, question, inputs, False, error=result.error)
        return result

    def _context_chat_model(self) -> Any:
        """The chat model for the run's tools (LIST, CuPL): the planner's, or, while the
        offline default is not built yet, the same model built on a tool's first use."""
        if self._chat_model is None and self._lazy_local:
            from visprog.models.chat import ConfiguredChatModel

            return ConfiguredChatModel(self._spec)
        return self.chat_model

    @property
    def _constrained(self) -> bool:
        if self._chat_model is None and self._lazy_local:
            return True  # the offline default decodes under the program grammar
        return isinstance(self.chat_model, ConstrainedChatModel)

    @staticmethod
    def _repeated(attempt: PlannerAttempt, failed: Sequence[str], attempts: Sequence[PlannerAttempt]) -> bool:
        """Is this attempt's program one that already failed? (Then it is not run again;
        its diagnostics say so.)"""
        if not attempt.program:
            return False
        key = normalise_program(attempt.program)
        for earlier, program in enumerate(failed):
            if program and normalise_program(program) == key:
                index = next((a.index for a in attempts if a.program and normalise_program(a.program) == key), earlier)
                note = f"the same program as attempt {index + 1}, which failed"
                if note not in attempt.diagnostics:
                    attempt.diagnostics = [note, *attempt.diagnostics]
                return True
        return False

    def run(
        self,
        question: str,
        image: Any = None,
        *,
        inputs: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        context: RunContext | None = None,
        listeners: list[Any] | None = None,
    ) -> RunResult:
        """Plan, check and run; after a runtime error, ask for a fix (within ``max_attempts``).

        The returned trace holds the request and every planner attempt.

        The trace's last note says where the time went: planning, running, and model
        loads apart (``time: planning 0.21 s; running 1.30 s, of which loading models
        0.90 s; loading the sentence model 0.40 s``).

        Raises:
            InputError: an input cannot be read (before any LLM call: the caller's to fix).
        """
        from visprog.models.manager import model_manager
        from visprog.planner.examples import sentence_model_load_seconds

        started = time.perf_counter()
        before = (sentence_model_load_seconds(), model_manager().load_seconds, self.chat_load_seconds)
        result = self._run(question, image, inputs=inputs, limits=limits, context=context, listeners=listeners)
        total = time.perf_counter() - started
        sentence = sentence_model_load_seconds() - before[0]
        tools = model_manager().load_seconds - before[1]
        chat = self.chat_load_seconds - before[2]
        running = result.trace.duration_s if result.trace.steps else 0.0
        planning = max(0.0, total - running - sentence - chat)
        line = f"time: planning {planning:.2f} s"
        if running:
            line += f"; running {running:.2f} s" + (f", of which loading models {tools:.2f} s" if tools >= 0.005 else "")
        if sentence >= 0.005:
            line += f"; loading the sentence model {sentence:.2f} s"
        if chat >= 0.005:
            line += f"; loading the chat model {chat:.2f} s"
        result.trace.notes = [*result.trace.notes, line]
        return result

    def _run(
        self,
        question: str,
        image: Any = None,
        *,
        inputs: Mapping[str, Any] | None = None,
        limits: Limits | None = None,
        context: RunContext | None = None,
        listeners: list[Any] | None = None,
    ) -> RunResult:
        from visprog.run import prepare_inputs, run_program

        prepared = prepare_inputs(image, inputs, limits=limits)
        names = list(prepared)
        if context is None:
            context = default_context(limits, chat_model=self._context_chat_model())
        elif context.chat_model is None:
            context = dataclasses.replace(context, chat_model=self._context_chat_model())  # the caller's context is left alone
        attempts: list[PlannerAttempt] = []
        notes: list[str] = []

        def refused(line: str, kind: str = "ModelUnavailable") -> RunResult:
            error = ErrorRecord(kind, line)
            trace = Trace(program="", error=error, request=question, attempts=attempts, notes=notes)
            return RunResult(None, trace, {}, error)

        refusal = self.refusal(question)
        if refusal is not None:
            return refused(refusal, "PlannerError")
        failed: list[str] = []
        if self.use_library:
            started = time.perf_counter()
            choice = self.from_library(question, names)
            if choice is not None and choice.missing is not None:
                notes.append(choice.describe())
                return refused(choice.missing, choice.refusal_kind)
            if choice is not None:
                attempt = self._library_attempt(choice, names, attempts, started)
                notes.append(choice.describe())
                notes.append(choice.answered_as())
                if not attempt.diagnostics:
                    ran = run_program(choice.program or "", inputs=prepared, registry=self.registry, limits=limits,
                                      context=context, listeners=listeners)
                    if ran.error is None or ran.error.kind in _NOT_REPAIRABLE:
                        ran.trace.request = question
                        ran.trace.attempts = attempts
                        ran.trace.notes = [*notes, *ran.trace.notes]
                        return ran
                    attempt.runtime_error = str(ran.error)
                failed.append(choice.program or "")
                notes.append(f"the library's program failed ({attempt.runtime_error or '; '.join(attempt.diagnostics)}); "
                             "the chat model composes one")
            else:
                notes.append("no library entry fits this request: the chat model composes the program freely")
        missing = self.missing_for(question, names)
        if missing is not None:
            return refused(missing)
        result = self._model_loop(
            question, names, attempts, failed,
            execute=lambda program: run_program(
                program, inputs=prepared, registry=self.registry, limits=limits, context=context, listeners=listeners
            ),
        )
        if result is None:  # nothing ran: no attempt passed the checker
            last = attempts[-1]
            detail = "; ".join(last.diagnostics) or "no program"
            error = ErrorRecord("PlannerError", f"no program passed the checker in {len(attempts)} attempts: {detail}")
            result = RunResult(None, Trace(program=last.program or "", error=error), {}, error)
        result.trace.request = question
        result.trace.attempts = attempts
        result.trace.notes = [*notes, *result.trace.notes]
        return result

    def _with_repair(
        self,
        messages: list[Any],
        attempt: PlannerAttempt,
        question: str,
        inputs: Sequence[str],
        repeated: bool,
        *,
        error: ErrorRecord | None = None,
    ) -> list[Any]:
        """The conversation so far, the model's failed reply, and the request to fix it
        (its runtime error and the valid choices for the argument at fault if it ran,
        else its diagnostics; or that it repeated a failed program)."""
        from langchain_core.messages import AIMessage

        program = attempt.program or ""
        if repeated:
            fix = duplicate_message(program)
        elif attempt.runtime_error is not None:
            choices: list[str] = []
            if error is not None and error.tool and error.argument:
                choices = self._grammar(question, inputs).choices(error.tool, error.argument)
            fix = repair_message(program, error=attempt.runtime_error, choices=choices, argument=error.argument if error else None)
        else:
            fix = repair_message(program, diagnostics=attempt.diagnostics)
        return [*messages, AIMessage(content=attempt.reply), fix]


def _names_local_default(spec: str | None) -> bool:
    """Does ``spec`` (None: the configuration) name the offline default (SmolLM2), and
    is it installed? (Then the planner builds it on first use; otherwise at once, so
    that a bad or missing model is an error when the planner is made.)"""
    from visprog.models.chat import configured_spec, smollm2_path

    if spec is None:
        spec = configured_spec()
    return (spec is None or spec.strip().lower() in ("", "local")) and smollm2_path() is not None


def _configured_library() -> str | None:
    """The user library the configuration names (``VISPROG_LIBRARY``, the config
    file's ``library``), or None."""
    from visprog.models.config import load_config

    return load_config().library
