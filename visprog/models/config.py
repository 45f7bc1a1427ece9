"""User configuration: model ids or local paths, device, cache folder, planner model.

Read from a TOML file, then overridden by environment variables:

=========================  ==================================================
``VISPROG_CONFIG``         path of the TOML file (default ``~/.config/visprog/config.toml``)
``VISPROG_DEVICE``         ``auto`` (CUDA, then MPS, then CPU), ``cpu``, ``cuda``, ``cuda:1``, ``mps``
``VISPROG_CACHE_DIR``      cache folder (default ``~/.cache/visprog``)
``VISPROG_RESULT_CACHE``   ``0`` turns the tool-result cache off
``VISPROG_CACHE_MAX_BYTES`` size cap of the on-disk result cache, e.g. ``2G``, ``500M``
                           or a number of bytes (default ``1G``); least recently used
                           entries are evicted past it
``VISPROG_CACHE_MAX_FILES`` most entries (files) in the on-disk result cache
                           (default 20000); least recently used are evicted past it
``VISPROG_MODEL_<KEY>``    model id or local path for a model key, e.g.
                           ``VISPROG_MODEL_DETECTOR=/models/owlv2``
``VISPROG_LLM``            planner chat model (see the README)
``VISPROG_LIBRARY``        a user program library (JSONL) the planner searches beside
                           the packaged one
=========================  ==================================================

The file holds the same settings::

    device = "cuda"
    cache_dir = "/data/visprog-cache"
    result_cache = true
    cache_max_bytes = "2G"
    cache_max_files = 20000
    llm = "openai:gpt-4o-mini"
    library = "~/visprog-library.jsonl"
    [models]
    detector = "google/owlvit-base-patch32"
    segmenter = "vit_h:/models/sam_vit_h_4b8939.pth"
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visprog.errors import InputError

__all__ = ["DEFAULT_CACHE_MAX_BYTES", "DEFAULT_CACHE_MAX_FILES", "Config", "load_config", "parse_size"]

#: Default size cap of the on-disk result cache (1 GiB).
DEFAULT_CACHE_MAX_BYTES = 1 << 30
#: Default cap on the number of entries (files) of the on-disk result cache: a run of
#: many small results must not leave a folder of millions of files.
DEFAULT_CACHE_MAX_FILES = 20_000

_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class Config:
    """Resolved settings; see the module docstring for where each comes from."""

    device: str = "auto"
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "visprog")
    result_cache: bool = True
    cache_max_bytes: int = DEFAULT_CACHE_MAX_BYTES
    cache_max_files: int = DEFAULT_CACHE_MAX_FILES
    models: Mapping[str, str] = field(default_factory=dict)
    llm: str | None = None
    library: str | None = None

    def model(self, key: str, default: str) -> str:
        return self.models.get(key, default)


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Settings from the config file and the environment.

    Raises:
        InputError: the config file exists but is not valid TOML or has bad values.
    """
    env = os.environ if environ is None else environ
    path = Path(env.get("VISPROG_CONFIG", Path.home() / ".config" / "visprog" / "config.toml"))
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"config file {path}: {exc}") from None
    elif "VISPROG_CONFIG" in env:
        raise InputError(f"config file not found: {path} (from VISPROG_CONFIG)")
    models = {str(k): str(v) for k, v in dict(data.get("models", {})).items()}
    for name, value in env.items():
        if name.startswith("VISPROG_MODEL_") and value:
            models[name.removeprefix("VISPROG_MODEL_").lower()] = value
    result_cache = data.get("result_cache", True)
    if "VISPROG_RESULT_CACHE" in env:
        result_cache = env["VISPROG_RESULT_CACHE"].strip().lower() not in ("0", "false", "no", "off")
    if not isinstance(result_cache, bool):
        raise InputError(f"config file {path}: result_cache must be true or false")
    max_bytes: Any = data.get("cache_max_bytes", DEFAULT_CACHE_MAX_BYTES)
    where = f"config file {path}"
    if env.get("VISPROG_CACHE_MAX_BYTES"):
        max_bytes, where = env["VISPROG_CACHE_MAX_BYTES"], "VISPROG_CACHE_MAX_BYTES"
    try:
        cache_max_bytes = parse_size(max_bytes)
    except ValueError as exc:
        raise InputError(f"{where}: cache_max_bytes {exc}") from None
    max_files: Any = data.get("cache_max_files", DEFAULT_CACHE_MAX_FILES)
    where = f"config file {path}"
    if env.get("VISPROG_CACHE_MAX_FILES"):
        max_files, where = env["VISPROG_CACHE_MAX_FILES"], "VISPROG_CACHE_MAX_FILES"
    try:
        cache_max_files = int(max_files)
        if isinstance(max_files, bool) or isinstance(max_files, float) or cache_max_files < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise InputError(f"{where}: cache_max_files must be a positive whole number, got {max_files!r}") from None
    cache_dir = Path(env.get("VISPROG_CACHE_DIR") or data.get("cache_dir") or Path.home() / ".cache" / "visprog")
    return Config(
        device=str(env.get("VISPROG_DEVICE") or data.get("device") or "auto"),
        cache_dir=cache_dir.expanduser(),
        result_cache=result_cache,
        cache_max_bytes=cache_max_bytes,
        cache_max_files=cache_max_files,
        models=models,
        llm=env.get("VISPROG_LLM") or data.get("llm"),
        library=str(Path(str(env.get("VISPROG_LIBRARY") or data["library"])).expanduser())
        if env.get("VISPROG_LIBRARY") or data.get("library") else None,
    )


def parse_size(value: Any) -> int:
    """A size in bytes from an int or text such as ``"500M"``, ``"2G"``, ``"1.5GiB"``
    (binary units: K = 1024; a trailing B or iB is optional).

    Raises:
        ValueError: not a positive size.
    """
    if isinstance(value, bool):
        raise ValueError(f"must be a size like 2G or 500000000, got {value!r}")
    if isinstance(value, int):
        number = float(value)
    else:
        match = re.fullmatch(r"([0-9]+(?:\.[0-9]*)?)\s*([KMGT]?)(?:I?B)?", str(value).strip().upper())
        if match is None:
            raise ValueError(f"must be a size like 2G or 500000000, got {value!r}")
        number = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
    if not 1 <= number <= 1 << 62:
        raise ValueError(f"must be a positive size, got {value!r}")
    return int(number)
