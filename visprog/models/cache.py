"""The store under the result cache: values by key, in memory and on disk (JSON, no
pickle). What a key is made of (a tool, its versions, models and arguments) and what an
entry must fit (the tool's return type) live above it, in
:mod:`visprog.toolkit.result_cache`; this module knows keys only as text.

Trust rules (each has a test in ``tests/test_cache.py``):

* **Atomic writes.** Each entry is written to a unique temporary file in the entry's
  folder and renamed over the target, so readers and concurrent writers never see a
  partial entry.
* **Validated reads.** An entry carries a SHA-256 checksum of what was stored; an entry
  whose bytes no longer match it (edited, truncated, appended to) is a miss, warned
  about once. It must also be the expected format, carry its own key and label, decode,
  hold only program values and pass the caller's check (the tool's return type); anything
  else is a miss (the bad file is removed and the next result rewrites it). The checksum
  finds damage and edits; it is not a signature (whoever can write the folder can
  recompute it).
* **Faults are misses.** A read-only or deleted folder, a full disk, a corrupt file or
  a racing writer never fails a run: the call is computed, and the store warns once
  (``RuntimeWarning``, once per store instance; later faults are logged at debug level
  on the ``visprog.cache`` logger).
* **Bounded.** The disk part is capped at ``max_bytes`` (``cache_max_bytes`` in the
  config) and ``max_files`` entries (``cache_max_files``) with least-recently-used
  eviction (a hit refreshes the entry's modification time); the memory part at
  ``memory_items`` entries and ``memory_max_bytes`` (values sized by the value-type
  protocol's :func:`~visprog.values.protocol.approx_bytes`).
* **Copies.** Mutable results (lists, dicts, tuples of them) are copied on the way in
  and on the way out (:func:`~visprog.values.protocol.copy_value`), so a program
  changing a result cannot change the store.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import struct
import tempfile
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from visprog.models.config import DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_FILES
from visprog.values.core import DEFAULT_MAX_PIXELS
from visprog.values.protocol import COPY_DEPTH, approx_bytes, copy_value, is_sandbox_value

__all__ = ["CACHE_FORMAT", "Check", "ResultStore"]

#: Version of the on-disk entry format and of the key recipe; bump to orphan old entries.
CACHE_FORMAT = 4


_LOG = logging.getLogger("visprog.cache")
_LOW_WATER = 0.9  # eviction frees space down to this share of max_bytes
_RESCAN_EVERY = 256  # puts between rescans of the folder (other processes write too)
_STALE_TMP_S = 3600.0


#: ``value -> None`` when a decoded entry is acceptable, else what is wrong with it.
Check = Callable[[Any], str | None]


class ResultStore:
    """Values by key, in memory and on disk; see the module docstring for how faults,
    damage and size are handled. :class:`visprog.toolkit.result_cache.ResultCache`
    builds keys from tool calls over it.

    Args:
        folder: where results are stored; None keeps them in memory only.
        memory_items: how many decoded results stay in memory.
        memory_max_bytes: about how many bytes of decoded results stay in memory.
        max_bytes: size cap of the folder; least recently used entries are evicted.
        max_files: cap on the number of entries in the folder, evicted the same way.
    """

    def __init__(
        self,
        folder: Path | None,
        *,
        memory_items: int = 512,
        memory_max_bytes: int = 256 << 20,
        max_bytes: int = DEFAULT_CACHE_MAX_BYTES,
        max_files: int = DEFAULT_CACHE_MAX_FILES,
    ) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.memory_items = memory_items
        self.memory_max_bytes = memory_max_bytes
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.hits = 0
        self.misses = 0
        self.faults = 0
        self.evictions = 0
        self._memory: OrderedDict[str, tuple[Any, tuple[str, ...], int]] = OrderedDict()
        self._memory_bytes = 0
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

    # -- reads ----------------------------------------------------------------

    def fetch(self, key: str, check: Check | None = None, label: str | None = None) -> tuple[bool, Any, tuple[str, ...]]:
        """``(hit, a copy of the value, the notes stored with it)``.

        Args:
            key: the entry's key (text; a SHA-256 hex digest for tool results).
            check: what a value read from disk must pass besides being a program value
                (a tool's return type); a failing entry is a miss and is removed.
            label: what the entry must be labelled (the tool's name), if anything.
        """
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                self.hits += 1
        if found is not None:
            self._touch(key)
            return True, copy_value(found[0]), found[1]
        value, notes, ok = self._read(key, check, label)
        if not ok:
            with self._lock:
                self.misses += 1
            return False, None, ()
        self._remember(key, value, notes)
        with self._lock:
            self.hits += 1
        return True, copy_value(value), notes

    def _read(self, key: str, check: Check | None, label: str | None) -> tuple[Any, tuple[str, ...], bool]:
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
        problem, value, notes = _parse_entry(raw, key, label, self.max_bytes)
        if problem is None and check is not None:
            problem = check(value)
        if problem is not None:
            self._fault(f"invalid entry {path.name} ({problem}); it is recomputed")
            _remove(path)
            return None, (), False
        self._touch(key)
        return value, notes, True

    # -- writes ---------------------------------------------------------------

    def store(self, key: str, value: Any, label: str | None = None, notes: Sequence[str] = ()) -> None:
        """Store a copy of ``value`` (and the call's notes) under ``key``, labelled
        ``label`` on disk; values that are not program values are ignored."""
        if not is_sandbox_value(value):
            return
        stored = copy_value(value)
        kept = tuple(str(n) for n in notes)
        self._remember(key, stored, kept)
        if self.folder is not None:
            self._write(key, stored, label, kept)

    def _write(self, key: str, value: Any, label: str | None, notes: tuple[str, ...]) -> None:
        from visprog.values.codec import encode_value

        try:
            encoded = encode_value(value)
        except Exception as exc:  # noqa: BLE001 - an encoder failing must not fail the run
            _LOG.debug("result of %s not encodable: %s", key, exc)
            return
        if not _fully_encoded(encoded):
            return  # part of the value would come back as a summary: keep it in memory only
        try:
            body = json.dumps([key, label, list(notes), encoded], separators=(",", ":")).encode()
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
        return f"{type(self).__name__}({self.folder}, hits={self.hits}, misses={self.misses}, faults={self.faults})"


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

def _parse_entry(raw: bytes, key: str, label: str | None, max_bytes: int) -> tuple[str | None, Any, tuple[str, ...]]:
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
    if label is not None and stored_tool != label:
        return f"it holds a result of {stored_tool!r}, not {label!r}", None, ()
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
    return None, value, tuple(notes)


def _check_pictures(data: Any, depth: int = 0) -> str | None:
    """Refuse PNG payloads whose header claims more pixels than any input may have,
    before anything is decoded (a damaged or planted entry must not be a bomb)."""
    if depth > COPY_DEPTH:
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


def _fully_encoded(data: Any, depth: int = 0) -> bool:
    """False when part of an encoding is a summary (``{"type": "unknown"}``)."""
    if depth > COPY_DEPTH:
        return False
    if isinstance(data, list):
        return all(_fully_encoded(v, depth + 1) for v in data)
    if isinstance(data, dict):
        if data.get("type") == "unknown":
            return False
        return all(_fully_encoded(v, depth + 1) for v in data.values() if isinstance(v, (list, dict)))
    return True


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
