"""One owner for models: lazy loading, device and precision, offline errors, and the
content-addressed cache of tool results.

This module imports no torch at import time. A tool declares the models it uses as
:class:`ModelSpec` values; the first call that needs one asks the
:class:`ModelManager`, which loads it once per (library, model id, device) and shares
it between every tool that names the same model (CLIP serves both classify and select).
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from visprog.config import Config, load_config
from visprog.errors import ModelUnavailable, VisprogError

__all__ = ["ModelManager", "ModelSpec", "ResultCache", "model_manager", "set_model_manager"]


@dataclass(frozen=True)
class ModelSpec:
    """A model a tool needs.

    Attributes:
        key: configuration key (``VISPROG_MODEL_<KEY>``, ``[models] <key> = ...``).
        default: default model id (hub id, ``arch:tag``, ``variant:url``, ...).
        library: the library that loads it (``transformers``, ``open_clip``, ...).
        description: what it is, for ``visprog models list``.
        load: ``(model_id, device, dtype_name, cache_dir) -> model``; imports lazily.
        present: ``(model_id, cache_dir) -> bool``: are the weights here, offline?
        fetch: ``(model_id, cache_dir) -> None``: download them (with progress bars).
    """

    key: str
    default: str
    library: str
    description: str
    load: Callable[[str, str, str, Path], Any]
    present: Callable[[str, Path], bool]
    fetch: Callable[[str, Path], None]


class ModelManager:
    """Loads models on first use and keeps one instance per (library, id, device).

    Args:
        config: settings (model ids, device, cache folder); read from the environment
            and config file by default.
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or load_config()
        self._loaded: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.RLock()
        self._device: str | None = None

    def model_id(self, spec: ModelSpec) -> str:
        return self.config.model(spec.key, spec.default)

    @property
    def device(self) -> str:
        """The configured device; ``auto`` picks CUDA, then MPS, then CPU (imports torch)."""
        if self._device is None:
            wanted = self.config.device
            if wanted == "auto":
                import torch

                if torch.cuda.is_available():
                    wanted = "cuda"
                elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
                    wanted = "mps"
                else:
                    wanted = "cpu"
            self._device = wanted
        return self._device

    @property
    def dtype(self) -> str:
        """``float16`` on CUDA (half precision on GPU), ``float32`` elsewhere."""
        return "float16" if self.device.startswith("cuda") else "float32"

    def load(self, spec: ModelSpec) -> Any:
        """The loaded model for ``spec``, loading it on first use.

        Raises:
            ModelUnavailable: the weights are missing and cannot be fetched; the message
                names the model id and how to get it.
        """
        model_id = self.model_id(spec)
        key = (spec.library, model_id, self.device)
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
            with _status(f"loading {spec.library} model {model_id} on {self.device} (first use)"):
                try:
                    model = spec.load(model_id, self.device, self.dtype, self.config.cache_dir)
                except VisprogError:
                    raise
                except Exception as exc:  # noqa: BLE001 - hub/IO errors become one clear error
                    raise ModelUnavailable(self.unavailable_message(spec, exc)) from None
            self._loaded[key] = model
            return model

    def unavailable_message(self, spec: ModelSpec, exc: BaseException | None = None, action: str = "loaded") -> str:
        model_id = self.model_id(spec)
        reason = ""
        if exc is not None:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            reason = f" ({type(exc).__name__}: {first[:200]})"
        return (
            f"model '{model_id}' ({spec.library}) could not be {action}{reason}. "
            f"On a connected machine run `visprog models pull {spec.key}`, "
            f"or point VISPROG_MODEL_{spec.key.upper()} at a local copy."
        )

    def is_present(self, spec: ModelSpec) -> bool:
        try:
            return bool(spec.present(self.model_id(spec), self.config.cache_dir))
        except Exception:  # noqa: BLE001 - a presence probe never fails a listing
            return False

    def fetch(self, spec: ModelSpec) -> None:
        try:
            spec.fetch(self.model_id(spec), self.config.cache_dir)
        except VisprogError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ModelUnavailable(self.unavailable_message(spec, exc, action="downloaded")) from None

    def loaded(self) -> list[tuple[str, str, str]]:
        return list(self._loaded)

    def unload(self) -> None:
        with self._lock:
            self._loaded.clear()


class _status:
    """A rich spinner on stderr while a model loads, when stderr is a terminal."""

    def __init__(self, message: str) -> None:
        self.message = message
        self._status: Any = None

    def __enter__(self) -> None:
        if sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status(self.message)
            self._status.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)


_MANAGER: ModelManager | None = None


def model_manager() -> ModelManager:
    """The process-wide model manager (created from the config on first use)."""
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = ModelManager()
    return _MANAGER


def set_model_manager(manager: ModelManager | None) -> None:
    """Replace the process-wide manager (tests; applications with their own config)."""
    global _MANAGER
    _MANAGER = manager


# ---------------------------------------------------------------------------


class ResultCache:
    """Content-addressed cache of tool results, in memory and on disk (JSON, no pickle).

    The key hashes the tool name, the model ids the tool uses, and the arguments, with
    images by content hash. Only tools marked ``cacheable`` (deterministic) use it.

    Args:
        folder: where results are stored; None keeps them in memory only.
        memory_items: how many decoded results stay in memory.
        manager: resolves the model ids that go into keys.
    """

    def __init__(self, folder: Path | None, *, memory_items: int = 512, manager: ModelManager | None = None) -> None:
        self.folder = folder
        self.memory_items = memory_items
        self.manager = manager
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def key(self, tool: Any, bound: dict[str, Any]) -> str | None:
        """The cache key of a call, or None when an argument cannot be hashed."""
        manager = self.manager or model_manager()
        parts: list[Any] = [tool.name]
        for spec in getattr(tool, "models", ()):
            parts.append(manager.model_id(spec))
        salt = getattr(tool, "cache_salt", None)
        if salt is not None:
            parts.append(salt())
        for name in sorted(bound):
            token = _token(bound[name])
            if token is None:
                return None
            parts.append([name, token])
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def get(self, key: str) -> tuple[bool, Any]:
        if key in self._memory:
            self._memory.move_to_end(key)
            self.hits += 1
            return True, _fresh(self._memory[key])
        path = self._path(key)
        if path is not None and path.is_file():
            from visprog.trace import decode_value

            try:
                value = decode_value(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError):
                self.misses += 1
                return False, None
            self._remember(key, value)
            self.hits += 1
            return True, _fresh(value)
        self.misses += 1
        return False, None

    def put(self, key: str, value: Any) -> None:
        self._remember(key, value)
        path = self._path(key)
        if path is not None:
            from visprog.trace import encode_value

            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(encode_value(value)), encoding="utf-8")
            tmp.replace(path)

    def clear_memory(self) -> None:
        self._memory.clear()

    def _remember(self, key: str, value: Any) -> None:
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_items:
            self._memory.popitem(last=False)

    def _path(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / key[:2] / f"{key}.json"


def _fresh(value: Any) -> Any:
    """Containers are copied so a program mutating a cached list cannot change the cache."""
    return copy.deepcopy(value) if isinstance(value, (list, dict)) else value


def _token(value: Any) -> Any:
    from visprog.values import Box, Detections, Image, Mask

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Image):
        return ["Image", value.content_hash]
    if isinstance(value, Box):
        return ["Box", list(value.as_tuple()), value.label, value.score, _token(value.mask) if value.mask is not None else None]
    if isinstance(value, Detections):
        return ["Detections", [_token(b) for b in value]]
    if isinstance(value, Mask):
        return ["Mask", hashlib.sha256(np.packbits(value.array).tobytes()).hexdigest(), list(value.shape)]
    if isinstance(value, (list, tuple)):
        tokens = [_token(v) for v in value]
        return None if any(t is None and v is not None for t, v in zip(tokens, value)) else tokens
    if isinstance(value, dict):
        return [[str(k), _token(v)] for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))]
    return None


def default_result_cache(config: Config | None = None) -> ResultCache | None:
    """The on-disk result cache of the config, or None when it is turned off."""
    config = config or model_manager().config
    if not config.result_cache:
        return None
    return ResultCache(config.cache_dir / "results")
