"""Beside the toolkit, models: configuration, the model manager and the result cache."""

from visprog.models.cache import ResultCache, default_result_cache
from visprog.models.config import Config, load_config
from visprog.models.manager import (
    ModelManager,
    ModelSpec,
    model_manager,
    set_model_manager,
)

__all__ = ["Config", "ModelManager", "ModelSpec", "ResultCache", "default_result_cache", "load_config", "model_manager", "set_model_manager"]
