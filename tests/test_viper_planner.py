"""The planner's ViperGPT style (issue 11): ``Planner(style="viper")`` prompts with the
ImagePatch API and the examples of prompts/viper, then checks, runs and repairs like the
VisProg style; chat models are scripted with langchain-core's fake chat model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from tests.viper.corpus import KITCHEN
from tests.viper.scene_tools import render, scene_chat_model, scene_registry
from visprog import PlannerError, RunContext, ask, default_registry
from visprog.planner import Planner, load_examples

PROMPTS = Path(__file__).resolve().parent.parent / "prompts" / "viper"
REGISTRY = scene_registry(KITCHEN, default_registry())


def fenced(body: str) -> str:
    return f"```python\ndef execute_command(image):\n    image_patch = ImagePatch(image)\n{body}\n```"


GOOD = fenced('    cups = image_patch.find("cup")\n    cups.sort(key=lambda c: c.horizontal_center)\n'
              '    return cups[0].simple_query("What is in the cup?")')


def viper_planner(*replies: str, **kwargs: Any) -> Planner:
    return Planner(FakeListChatModel(responses=list(replies)), registry=REGISTRY, selection="lexical", style="viper", **kwargs)


def plan_and_run(planner: Planner, question: str) -> Any:
    return planner.run(question, render(KITCHEN), context=RunContext(chat_model=scene_chat_model(KITCHEN)))


def test_the_prompt_holds_the_api_and_viper_examples() -> None:
    planner = viper_planner(GOOD)
    messages = planner.start_messages("What is in the leftmost cup?", ["IMAGE"])
    system = messages[0].content
    assert "class ImagePatch:" in system and "def best_image_match(" in system
    assert "y UP" in system and "FARTHER" in system and "key= of sorted(), min(), max() and list.sort()" in system
    shown = [m.content for m in messages[1:-1] if m.type == "ai"]
    questions = {e.question for e in load_examples(PROMPTS)}
    assert shown and all("ImagePatch(image)" in program for program in shown)
    assert all(m.content.split("\n")[0].removeprefix("Request: ") in questions for m in messages[1:-1] if m.type == "human")
    assert "def detect(" not in system  # the VisProg tool stubs are not shown in this style


def test_a_viper_program_is_checked_run_and_answers() -> None:
    result = plan_and_run(viper_planner(GOOD), "What is in the leftmost cup?")
    assert result.error is None, result.error
    assert result.result == "coffee"
    [attempt] = result.trace.attempts
    assert attempt.diagnostics == [] and "def execute_command(image):" in attempt.program


def test_checker_diagnostics_go_back_and_the_fix_runs() -> None:
    typo = fenced('    cups = image_patch.fnd("cup")\n    return cups[0].simple_query("What is in the cup?")')
    result = plan_and_run(viper_planner(typo, GOOD), "What is in the leftmost cup?")
    assert result.error is None and result.result == "coffee"
    first, second = result.trace.attempts
    assert any("ImagePatch has no method 'fnd'" in d and "did you mean 'find'?" in d for d in first.diagnostics)
    assert "does not pass the checker" in second.prompt and "fnd" in second.prompt


def test_a_runtime_error_goes_back_and_the_fix_runs() -> None:
    outside = fenced('    return image_patch.crop(0, 0, 700, 100).exists("cup")')
    result = plan_and_run(viper_planner(outside, GOOD), "What is in the leftmost cup?")
    assert result.error is None and result.result == "coffee"
    first, second = result.trace.attempts
    assert first.diagnostics == [] and "reaches outside the patch" in (first.runtime_error or "")
    assert "failed while running" in second.prompt


def test_a_lambda_outside_key_is_a_diagnostic_the_model_sees() -> None:
    stored = fenced('    f = lambda c: c.left\n    return f')
    result = plan_and_run(viper_planner(stored, GOOD), "What is in the leftmost cup?")
    assert result.error is None and result.result == "coffee"
    assert any("lambda is only allowed as the key=" in d for d in result.trace.attempts[0].diagnostics)


def test_style_is_validated() -> None:
    with pytest.raises(PlannerError, match="unknown planner style 'vipergpt'"):
        Planner(FakeListChatModel(responses=[GOOD]), style="vipergpt")

    class Constrained(FakeListChatModel):
        def with_grammar(self, grammar: Any) -> Any:
            return self

    with pytest.raises(PlannerError, match="the offline constrained model writes VisProg's line form only"):
        Planner(Constrained(responses=[GOOD]), style="viper")


def test_ask_takes_the_style(monkeypatch: pytest.MonkeyPatch) -> None:
    """``ask(..., style="viper")`` builds the default planner in that style, with the
    configured chat model (one that writes free Python: the offline default cannot)."""
    from visprog.models import chat

    monkeypatch.setenv("VISPROG_LLM", "hf:some/free-python-model")
    monkeypatch.setattr(chat, "chat_model_from_spec", lambda spec=None: FakeListChatModel(responses=[GOOD]))
    monkeypatch.setattr("visprog.toolkit.discovery.default_registry", lambda: REGISTRY)
    monkeypatch.setattr("visprog.planner.examples.minilm_folder", lambda: None)  # lexical selection: no model to load
    result = ask("What is in the leftmost cup?", render(KITCHEN), style="viper", context=RunContext(chat_model=scene_chat_model(KITCHEN)))
    assert result.error is None and result.result == "coffee"


def test_cli_style_flag_refuses_the_constrained_offline_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from visprog.fronts.cli import main

    image = tmp_path / "kitchen.png"
    render(KITCHEN).pil.save(image)
    code = main(["ask", "What is in the cup?", "--image", str(image), "--style", "viper", "--model", "local"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "the viper style needs a chat model that writes free Python" in err[0]
