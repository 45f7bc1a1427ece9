"""``evaluate``: run a dataset's items on the local or the Ray backend, writing the
results file as it goes, then summarize it and write the HTML report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from visprog import InputError, Limits, Registry
from visprog.evaluation.datasets import Dataset
from visprog.evaluation.report import Summary, summarize, write_report
from visprog.evaluation.runner import EvalSpec, ItemRunner, ResultsFile, check_fixed_program, make_header, run_items
from visprog.runtime.lockstep import DEFAULT_BLOCK

__all__ = ["evaluate"]


def evaluate(
    dataset: Dataset,
    out: str | Path,
    *,
    program: str | None = None,
    chat_model: Any = None,
    registry: Registry | None = None,
    limits: Limits | None = None,
    max_attempts: int = 3,
    planner_options: Mapping[str, Any] | None = None,
    class_prompts: str | None = None,
    seed: int = 0,
    result_cache: bool = True,
    traces: str = "all",
    max_trace_bytes: int = 2_000_000,
    backend: str = "local",
    ray_address: str | None = None,
    workers: int | None = None,
    block: int = DEFAULT_BLOCK,
    overwrite: bool = False,
    progress: bool = True,
    report: str | Path | None = "auto",
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> Summary:
    """Evaluate ``dataset``; write records to ``out`` (JSON lines) as they come.

    Items are answered by ``program`` when given, else by the item's own program, else
    by the dataset's default program (ImageNet), else planned from the question with
    ``chat_model`` (see :class:`EvalSpec`). Traces go to ``<out stem>.traces/`` next to
    ``out``; the HTML report to ``report`` (``"auto"``: ``out`` with ``.html``; None: none).

    Args:
        backend: ``"local"`` (this process) or ``"ray"`` (Ray Data; ``ray_address``
            None starts a local Ray with ``workers`` CPUs).
        workers: Ray actors (default: one per GPU, else one per CPU).
        block: items run together in lockstep, on either backend: each step of a tool
            with a batch path (``vqa``, ``caption``) calls its model once per block, each
            item's answer and trace as alone (:mod:`visprog.runtime.lockstep`); 1 runs
            item by item.
        on_record: called with each record after it is written (progress hooks).

    Returns:
        The :class:`~visprog.evaluation.report.Summary` of ``dataset``'s items in ``out``
        (resumed items included).

    Raises:
        InputError: bad arguments, ``out`` holds a different evaluation, or the fixed
            ``program`` fails the checker (then no item runs).
    """
    if backend not in ("local", "ray"):
        raise InputError(f"backend must be 'local' or 'ray', got {backend!r}")
    if type(block) is not int or block < 1:
        raise InputError(f"block must be a whole number of at least 1, got {block!r}")
    if max_trace_bytes < 1000:
        raise InputError("max_trace_bytes must be at least 1000")
    if class_prompts not in (None, "templates", "llm") and not Path(class_prompts).is_file():
        raise InputError(f"class prompts file not found: {class_prompts}")
    out_path = Path(out)
    trace_dir = out_path.absolute().with_name(out_path.stem + ".traces")  # absolute: Ray workers run elsewhere
    spec = EvalSpec(
        metric=dataset.metric, program=program, default_program=dataset.default_program, constants=dict(dataset.constants),
        registry=registry, chat_model=chat_model, max_attempts=max_attempts,
        planner_options=dict(planner_options or {}), limits=limits, class_prompts=class_prompts,
        seed=seed, result_cache=result_cache, traces=traces, trace_dir=str(trace_dir), max_trace_bytes=max_trace_bytes,
        block=block,
    )
    planned = program is None and dataset.default_program is None and any(it.program is None for it in dataset.items)
    spec.plan = planned
    runner = ItemRunner(spec, prepare=backend == "local")  # Ray actors prepare their own
    header = make_header(dataset, spec, runner.registry, backend=backend, planned=planned)
    header["planner_setup_s"] = round(runner.setup_s, 3)  # before the first item, charged to none
    check_fixed_program(spec, runner.registry, dataset.items)
    results = ResultsFile(out_path, header, overwrite=overwrite)
    todo = [it for it in dataset.items if it.id not in results.done]

    def write(record: dict[str, Any]) -> None:
        results.write(record)
        if on_record is not None:
            on_record(record)

    try:
        if backend == "ray":
            from visprog.evaluation.ray_backend import run_on_ray

            run_on_ray(spec, todo, write, address=ray_address, workers=workers, progress=progress)
        else:
            run_items(runner, todo, write, total=len(todo), progress=progress)
    finally:
        results.close()
        runner.close()
    summary = summarize(out_path, ids=[it.id for it in dataset.items])
    if report is not None:
        write_report(summary, out_path.with_suffix(".html") if report == "auto" else Path(report))
    return summary
