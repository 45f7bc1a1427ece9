"""Below the toolkit, models: configuration, the model manager and the result store
(the tool-result cache over it is :class:`visprog.toolkit.ResultCache`)."""

from visprog.models.cache import ResultStore
from visprog.models.config import Config, load_config
from visprog.models.manager import (
    ModelManager,
    ModelSpec,
    model_manager,
    set_model_manager,
)

__all__ = ["Config", "ModelManager", "ModelSpec", "ResultStore", "load_config", "model_manager", "set_model_manager"]
