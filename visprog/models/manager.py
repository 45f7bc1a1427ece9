"""One owner for models: lazy loading once per (library, model id, device), device and
precision, and offline errors. Imports no torch at import time."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from visprog.errors import ModelUnavailable, VisprogError
from visprog.models.config import Config, load_config


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
