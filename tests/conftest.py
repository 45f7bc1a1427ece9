"""Shared fixtures. Every test runs offline with its own cache folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder and model manager per test, never the user's."""
    from visprog.models.manager import set_model_manager

    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("VISPROG_CACHE_DIR", str(folder))
    monkeypatch.setenv("VISPROG_CONFIG", str(folder / "none.toml"))
    (folder / "none.toml").write_text("")
    set_model_manager(None)
    yield folder
    set_model_manager(None)


@pytest.fixture(scope="session")
def astronaut() -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(data.astronaut())


@pytest.fixture(scope="session")
def coffee() -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(data.coffee())


@pytest.fixture
def small_image() -> PIL.Image.Image:
    """A 120x80 image: left half red, right half blue."""
    pixels = np.zeros((80, 120, 3), dtype=np.uint8)
    pixels[:, :60] = (255, 0, 0)
    pixels[:, 60:] = (0, 0, 255)
    return PIL.Image.fromarray(pixels)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def tiny_model_ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build every tiny model once per session (a few seconds)."""
    pytest.importorskip("torch")
    from tests.tiny_models import build_all

    return build_all(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture
def tiny_models(tiny_model_ids: dict[str, str], _isolated_cache: Path):
    """A model manager whose config points every model at the tiny ones (result cache off)."""
    from visprog.models.config import Config
    from visprog.models.manager import ModelManager, set_model_manager

    models = {k: v for k, v in tiny_model_ids.items() if k != "detector_owlvit"}
    manager = ModelManager(Config(device="cpu", cache_dir=_isolated_cache, result_cache=False, models=models))
    set_model_manager(manager)
    return manager
