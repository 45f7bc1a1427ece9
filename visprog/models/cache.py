"""Content-addressed cache of tool results, in memory and on disk (JSON, no pickle)."""

from __future__ import annotations

import copy
import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from visprog.models.config import Config
from visprog.models.manager import ModelManager, model_manager


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
            from visprog.values.codec import decode_value

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
            from visprog.values.codec import encode_value

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
    from visprog.values.core import Box, Detections, Image, Mask

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
