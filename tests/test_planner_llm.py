"""One chat model everywhere: the configured model answers LIST and CuPL descriptions in
``run_program`` as in ``ask``; LIST replies are parsed strictly; the trace notes which
model answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from visprog_tools.knowledge import parse_list

from visprog import RunContext, ToolUnavailable, run_program
from visprog.language.syntax import parse_tree  # one parse at a time: CPython 3.11 gh-106905
from visprog.models.chat import ConfiguredChatModel, chat_model_name, configured_chat_model
from visprog.toolkit.context import current_context, default_context
from visprog.toolkit.llm import complete

LIST_PROGRAM = "L=LIST(query='primary colors',max=3)\nFINAL=RESULT(var=L)"


@pytest.mark.parametrize(
    ("reply", "items"),
    [
        ("red, blue, yellow", ["red", "blue", "yellow"]),
        ("red, blue and yellow.", ["red", "blue", "yellow"]),
        ("The list is:\nred, blue", ["red", "blue"]),
        ("Here are the colors: red, green", ["red", "green"]),
        ("1. red\n2. blue\n3. yellow", ["red", "blue", "yellow"]),
        ("- 'red'\n- \"blue\"", ["red", "blue"]),
        ("red, red, blue", ["red", "blue"]),
        ("The list is:", []),
        ("List:", []),
        ("", []),
        ("Sure! Here is a list of the things you asked about in the query", []),
    ],
)
def test_list_replies(reply, items):
    assert parse_list(reply) == items


def test_a_reply_with_no_items_is_an_error_not_a_list(small_image):
    chat = FakeListChatModel(responses=["The list is:"])
    result = run_program(LIST_PROGRAM, small_image, context=RunContext(chat_model=chat))
    assert result.error is not None and result.error.kind == "ToolError"
    assert "holds no list of 'primary colors'" in result.error.message and "The list is:" in result.error.message


def test_the_trace_notes_which_model_answered(small_image):
    chat = FakeListChatModel(responses=["red, blue, yellow"])
    first = run_program(LIST_PROGRAM, small_image, context=RunContext(chat_model=chat))
    second = run_program(LIST_PROGRAM, small_image, context=RunContext(chat_model=chat))
    assert first.result == second.result == ["red", "blue", "yellow"]
    notes = [n for step in first.trace.steps for call in step.calls for n in call.notes]
    assert notes == [f"LIST: written by chat model {chat_model_name(chat)}"]
    cached = [n for step in second.trace.steps for call in step.calls for n in call.notes]
    assert cached == [f"LIST: written by chat model {chat_model_name(chat)} (cached reply)"]


def test_run_program_uses_the_configured_chat_model(monkeypatch):
    monkeypatch.setenv("VISPROG_LLM", "hf:/models/some-chat-model")
    context = default_context()
    assert isinstance(context.chat_model, ConfiguredChatModel)
    assert context.chat_model.spec == "hf:/models/some-chat-model"
    assert chat_model_name(context.chat_model) == "LocalChatModel:some-chat-model"


def test_the_offline_default_when_nothing_is_configured(monkeypatch):
    from visprog.models.chat import smollm2_path

    monkeypatch.delenv("VISPROG_LLM", raising=False)
    model = configured_chat_model()
    if smollm2_path() is None:
        assert model is None
    else:
        assert isinstance(model, ConfiguredChatModel) and model.spec is None
        assert chat_model_name(model) == "LocalChatModel:SmolLM2-135M-Instruct.Q4_1.gguf"


def test_none_turns_chat_models_off(monkeypatch, small_image):
    monkeypatch.setenv("VISPROG_LLM", "none")
    assert configured_chat_model() is None and default_context().chat_model is None
    result = run_program(LIST_PROGRAM, small_image)
    assert result.error is not None and result.error.kind == "ToolUnavailable"
    assert "needs a chat model" in result.error.message


def test_outside_a_run_tools_see_the_configured_model(monkeypatch):
    monkeypatch.setenv("VISPROG_LLM", "hf:/models/other")
    assert current_context().chat_model.spec == "hf:/models/other"
    monkeypatch.setenv("VISPROG_LLM", "none")
    from visprog.models.manager import set_model_manager

    set_model_manager(None)
    assert current_context().chat_model is None


def test_a_model_that_cannot_be_set_up_is_a_tool_error_naming_it(monkeypatch):
    with pytest.raises(ToolUnavailable, match="LIST needs a chat model: unknown chat model 'bogus'"):
        complete("x", chat_model=ConfiguredChatModel("bogus"), purpose="LIST")



def test_the_converted_offline_model_is_saved_whole(tmp_path):
    """The GGUF conversion lands in its folder all at once: a save that fails leaves
    nothing behind, and a half-written folder (config but no weights) is replaced."""
    from visprog.models.chat import _complete, _save_whole

    class Saves:
        def __init__(self, files: dict[str, str], fail: bool = False) -> None:
            self.files, self.fail = files, fail

        def save_pretrained(self, folder):
            for name, text in self.files.items():
                (Path(folder) / name).write_text(text)
            if self.fail:
                raise OSError("disk full")

    target = tmp_path / "local-llm" / "model"
    with pytest.raises(OSError, match="disk full"):
        _save_whole(target, Saves({"config.json": "{}"}, fail=True), Saves({}))
    assert not target.exists() and list(target.parent.iterdir()) == []
    target.mkdir()
    (target / "config.json").write_text("{}")  # half-written by an older version
    assert not _complete(target)
    _save_whole(target, Saves({"config.json": "{}", "model.safetensors": "w"}), Saves({"tokenizer.json": "t"}))
    assert _complete(target) and (target / "tokenizer.json").read_text() == "t"
    assert [p.name for p in target.parent.iterdir()] == ["model"]


def test_chat_models_are_imported_from_their_home():
    """visprog.toolkit.llm holds ``complete``; the chat models live in visprog.models.chat,
    and everything imports them from there."""
    import ast

    root = Path(__file__).resolve().parents[1]
    wrong = []
    for folder in ("visprog", "tools", "tests", "benchmarks"):
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative == "visprog/toolkit/llm.py":
                continue
            for node in ast.walk(parse_tree(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "visprog.toolkit.llm":
                    wrong += [f"{relative}: {a.name}" for a in node.names if a.name != "complete"]
    assert wrong == []
