"""Below the toolkit, models: configuration, the model manager, the result store (the
tool-result cache over it is :class:`visprog.toolkit.ResultCache`) and the chat models.

Each name below is imported on first use (PEP 562): importing one submodule (the
provider table in :mod:`visprog.models.chat`, read to build ``--model`` help texts)
loads neither numpy nor Pillow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from visprog.lazy import lazy_exports

if TYPE_CHECKING:
    from visprog.models.cache import ResultStore
    from visprog.models.config import Config, load_config
    from visprog.models.manager import ModelManager, ModelSpec, model_manager, set_model_manager

_EXPORTS: dict[str, str] = {
    "ResultStore": "visprog.models.cache",
    **dict.fromkeys(["Config", "load_config"], "visprog.models.config"),
    **dict.fromkeys(["ModelManager", "ModelSpec", "model_manager", "set_model_manager"], "visprog.models.manager"),
}

__all__ = ["Config", "ModelManager", "ModelSpec", "ResultStore", "load_config", "model_manager", "set_model_manager"]

__getattr__, __dir__ = lazy_exports("visprog.models", _EXPORTS, globals())
