"""The planner: request -> checked program -> run, repairing with the chat model's help.

Each LLM call is an *attempt*. After a reply, the program is extracted and checked; on
diagnostics the model gets them back with its program and is asked for a fix. After a
runtime error it gets the error record. At most ``max_attempts`` calls; every attempt
(prompt, reply, diagnostics or error, time) goes into the trace.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from visprog.checker.core import check_program
from visprog.errors import PlannerError
from visprog.language.limits import Limits
from visprog.planner.examples import Example, ExampleSelector
from visprog.planner.prompting import (
    build_messages,
    extract_program,
    render_messages,
    repair_message,
)
from visprog.runtime.execution import RunResult
from visprog.toolkit.context import RunContext, default_context
from visprog.toolkit.intrinsics import with_core
from visprog.toolkit.registry import Registry
from visprog.trace.records import PlannerAttempt, Trace

__all__ = ["PlanResult", "Planner"]

#: Runtime errors that a different program cannot fix (the environment lacks something).
_NOT_REPAIRABLE = {"ModelUnavailable", "ToolUnavailable", "InputError"}


@dataclass
class PlanResult:
    """What planning produced: the last program, whether it checks, and every attempt."""

    program: str | None
    ok: bool
    attempts: list[PlannerAttempt] = field(default_factory=list)


class Planner:
    """Writes programs for requests with any langchain-core chat model.

    Args:
        chat_model: a langchain-core ``BaseChatModel`` (default: the configured model, or
            the offline local SmolLM2 when none is configured).
        registry: tools the programs may use (default: the default registry).
        examples: in-context example pool (default: the packaged ``prompts/``).
        max_attempts: LLM calls per request, first try and repairs together.
        prompt_budget_chars: size budget of the in-context examples, in characters.
        compact_tools: list tools as one-line signatures instead of full stubs
            (default: compact for the small local model).
        selection: example selection, ``"auto"``, ``"minilm"`` or ``"lexical"``.
    """

    def __init__(
        self,
        chat_model: Any = None,
        *,
        registry: Registry | None = None,
        examples: Sequence[Example] | None = None,
        max_attempts: int = 3,
        prompt_budget_chars: int = 3000,
        compact_tools: bool | None = None,
        selection: str = "auto",
    ) -> None:
        if max_attempts < 1:
            raise PlannerError("max_attempts must be at least 1")
        if chat_model is None:
            from visprog.planner.models import default_chat_model

            chat_model = default_chat_model()
        from visprog.toolkit.discovery import default_registry

        self.chat_model = chat_model
        self.registry = with_core(registry if registry is not None else default_registry())
        self.selector = ExampleSelector(examples, method=selection)  # type: ignore[arg-type]
        self.max_attempts = max_attempts
        self.prompt_budget_chars = prompt_budget_chars
        self.compact_tools = compact_tools if compact_tools is not None else bool(getattr(chat_model, "is_small_local_model", False))

    # -- planning -------------------------------------------------------------
    def _model_for(self, inputs: Sequence[str]) -> Any:
        """The chat model, constrained to the program grammar when it supports that."""
        constrain = getattr(self.chat_model, "with_grammar", None)
        if constrain is None:
            return self.chat_model
        from visprog.planner.grammar import ProgramGrammar

        return constrain(ProgramGrammar(self.registry, inputs))

    def start_messages(self, question: str, inputs: Sequence[str]) -> list[Any]:
        examples = self.selector.select(question, inputs, budget_chars=self.prompt_budget_chars, registry=self.registry)
        # The most similar example goes last, next to the request.
        return build_messages(question, inputs, self.registry, list(reversed(examples)), compact=self.compact_tools)

    def _attempt(self, model: Any, messages: list[Any], inputs: Sequence[str], attempts: list[PlannerAttempt]) -> PlannerAttempt:
        started = time.perf_counter()
        reply = model.invoke(messages)
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        program = extract_program(text)
        diagnostics = [str(d) for d in check_program(program, self.registry, inputs=inputs) if d.severity == "error"] if program else ["the reply holds no program"]
        attempt = PlannerAttempt(
            index=len(attempts), prompt=render_messages(messages), reply=text, program=program or None,
            diagnostics=diagnostics, duration_s=time.perf_counter() - started,
        )
        attempts.append(attempt)
        return attempt

    def plan(self, question: str, inputs: Sequence[str] = ("IMAGE",)) -> PlanResult:
        """A program for ``question`` that passes the checker, repairing up to ``max_attempts``."""
        model = self._model_for(inputs)
        messages = self.start_messages(question, inputs)
        attempts: list[PlannerAttempt] = []
        while len(attempts) < self.max_attempts:
            attempt = self._attempt(model, messages, inputs, attempts)
            if not attempt.diagnostics:
                return PlanResult(attempt.program, True, attempts)
            messages = _with_repair(messages, attempt)
        return PlanResult(attempts[-1].program, False, attempts)

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
        """
        from visprog.run import prepare_inputs, run_program

        prepared = prepare_inputs(image, inputs, limits=limits)
        names = list(prepared)
        if context is None:
            context = default_context(limits, chat_model=self.chat_model)
        elif context.chat_model is None:
            context.chat_model = self.chat_model
        model = self._model_for(names)
        messages = self.start_messages(question, names)
        attempts: list[PlannerAttempt] = []
        result: RunResult | None = None
        while len(attempts) < self.max_attempts:
            attempt = self._attempt(model, messages, names, attempts)
            if attempt.diagnostics:
                messages = _with_repair(messages, attempt)
                continue
            result = run_program(attempt.program or "", inputs=prepared, registry=self.registry, limits=limits, context=context, listeners=listeners)
            if result.error is None or result.error.kind in _NOT_REPAIRABLE:
                break
            attempt.runtime_error = str(result.error)
            messages = _with_repair(messages, attempt)
        if result is None:
            last = attempts[-1]
            from visprog.errors import ErrorRecord

            error = ErrorRecord("PlannerError", f"no program passed the checker in {len(attempts)} attempts: " + "; ".join(last.diagnostics))
            result = RunResult(None, Trace(program=last.program or "", error=error), {}, error)
        result.trace.request = question
        result.trace.attempts = attempts
        return result


def _with_repair(messages: list[Any], attempt: PlannerAttempt) -> list[Any]:
    """The conversation so far, the model's failed reply, and the request to fix it
    (its runtime error if it ran, else its diagnostics)."""
    from langchain_core.messages import AIMessage

    program = attempt.program or ""
    if attempt.runtime_error is not None:
        fix = repair_message(program, error=attempt.runtime_error)
    else:
        fix = repair_message(program, diagnostics=attempt.diagnostics)
    return [*messages, AIMessage(content=attempt.reply), fix]
