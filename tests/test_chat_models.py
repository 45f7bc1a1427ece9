"""Chat models: one module (visprog.models.chat) with a provider table, and the label an
evaluation records for its model, resolved from the configuration (config file included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import eval_data
from visprog import InputError, PlannerError
from visprog.evaluation import evaluate, read_jsonl
from visprog.models import ModelManager, load_config, model_manager, set_model_manager
from visprog.models.chat import PROVIDERS, ConfiguredChatModel, chat_model_from_spec, chat_model_label


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``configure(text)`` writes the config file and makes it the process's configuration."""
    previous = model_manager()
    config = tmp_path / "config.toml"
    monkeypatch.setenv("VISPROG_CONFIG", str(config))
    monkeypatch.setenv("VISPROG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("VISPROG_LLM", raising=False)

    def configure(text: str) -> None:
        config.write_text(text)
        set_model_manager(ModelManager(load_config()))

    yield configure
    set_model_manager(previous)


def _evaluate(tmp_path: Path, out: Path) -> None:
    path = eval_data.make_jsonl(tmp_path, n=2)
    evaluate(read_jsonl(path), out, program=eval_data.COLOR_PROGRAM, registry=eval_data.fake_registry(), progress=False,
             result_cache=False)


def test_the_eval_header_records_the_config_files_model_and_a_change_refuses_a_resume(tmp_path: Path, configured) -> None:
    configured('llm = "openai:gpt-4o-mini"\n')
    out = tmp_path / "out.jsonl"
    _evaluate(tmp_path, out)
    header = json.loads(out.read_text().splitlines()[0])
    assert header["config"]["chat_model"] == "openai:gpt-4o-mini"  # was "local": only VISPROG_LLM was read
    _evaluate(tmp_path, out)  # the same model: resumes (nothing left to do)
    configured('llm = "hf:/models/other-chat-model"\n')
    with pytest.raises(InputError, match=r"different evaluation \(differs in: chat_model\)"):
        _evaluate(tmp_path, out)


def test_labels_resolve_the_configuration_and_load_nothing(configured) -> None:
    configured("")
    assert chat_model_label(None) == "local"
    configured('llm = "none"\n')
    assert chat_model_label(None) == "none"
    configured('llm = "openai:gpt-4o"\n')
    assert chat_model_label(None) == "openai:gpt-4o"
    assert chat_model_label(ConfiguredChatModel("hf:/m")) == "hf:/m"
    assert chat_model_label(eval_data.planner_model()).startswith(type(eval_data.planner_model()).__name__)


def test_the_provider_table_decides_what_a_spec_may_say() -> None:
    assert list(PROVIDERS) == ["local", "hf", "openai"]
    with pytest.raises(PlannerError, match=r"unknown chat model 'gpt:4': use local, hf:PATH_OR_ID, openai:MODEL or none"):
        chat_model_from_spec("gpt:4")
    with pytest.raises(PlannerError, match="unknown chat model 'hf:'"):
        chat_model_from_spec("hf:")
    with pytest.raises(PlannerError, match="turns chat models off; set it to local, hf:PATH_OR_ID, openai:MODEL"):
        chat_model_from_spec("none")
