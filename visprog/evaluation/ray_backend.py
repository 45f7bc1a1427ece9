"""The Ray backend: Ray Data streams the items through a pool of actors, each holding
an :class:`~visprog.evaluation.runner.ItemRunner` (so each loads its models once); the
records stream back to the driver, which writes them to the same results file.

Pool size: one actor per GPU when the cluster has GPUs (each actor gets one, in
``CUDA_VISIBLE_DEVICES``), else one per CPU, or ``workers``; each actor's torch and
OpenMP threads follow its CPU share. Planning runs inside the actors, so LLM calls are as
concurrent as the pool. On a cluster, image paths and the trace folder must be on a
file system every node sees: a preflight task on every node checks that before the
first item.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from visprog import InputError
from visprog.evaluation.datasets import Item
from visprog.evaluation.ray_cluster import connect, refresh_auth, start_head
from visprog.evaluation.runner import EvalSpec, ItemRunner, write_records

__all__ = ["RayItemRunner", "block_size", "pool_size", "preflight_check", "run_on_ray", "thread_settings"]

RAY_MISSING = "--ray needs Ray Data: pip install 'visprog[eval]' (or pip install 'ray[data]')"


class RayItemRunner:
    """The callable class Ray Data's actor pool runs: one batch of items in, their
    records (as JSON text, one column) out. Each record carries ``worker``: the node,
    the GPUs Ray gave the actor (``CUDA_VISIBLE_DEVICES``) and its intra-op threads."""

    def __init__(self, spec: EvalSpec) -> None:
        self.worker = _fit_to_share()
        self.runner = ItemRunner(spec)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        items = [Item.from_dict(json.loads(text)) for text in batch["item"]]
        # The batch Ray hands over is one lockstep block (its size: see _run_pool).
        records = [record | {"worker": self.worker} for record in self.runner.run_block(items)]
        return {"record": [json.dumps(r, default=str) for r in records]}


def _fit_to_share() -> dict[str, Any]:
    """In an actor: intra-op threads (torch, OpenMP; see :func:`thread_settings`) from
    the CPUs Ray gave it, not every core of the node (2 actors on 2 cores each using both ran slower than
    one); the GPUs are the ones Ray put in ``CUDA_VISIBLE_DEVICES``. Returns where this
    actor runs, for the records."""
    import ray

    context: Any = ray.get_runtime_context()
    cpus = float(context.get_assigned_resources().get("CPU", 1.0))
    threads = max(1, int(cpus))
    thread_settings(threads)
    return {
        "node": context.get_node_id(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "threads": threads,
    }


def thread_settings(threads: int) -> None:
    """Set this process's intra-op threads: OpenMP, MKL and OpenBLAS read the variables
    when they start, torch is set now when loaded (and reads ``OMP_NUM_THREADS`` when
    not), and the OCR's onnxruntime sessions (RapidOCR) get ``OMP_NUM_THREADS`` as their
    ``intra_op_num_threads`` when the model loads (``visprog_tools.vision.specs.ocr_threads``;
    a model loaded before this call keeps its threads)."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def preflight_check(paths: Sequence[str], folder: str | None) -> list[str]:
    """On one node: the input files it cannot read and whether it can write ``folder``
    (the trace folder; None: nothing to write) (problems as text, none when all is well)."""
    import socket
    import tempfile

    problems = []
    unreadable = [p for p in paths if not os.access(p, os.R_OK)]
    if unreadable:
        problems.append(f"cannot read {len(unreadable)} of {len(paths)} input files (first: {unreadable[0]})")
    if folder is None:
        return [f"{socket.gethostname()}: {p}" for p in problems]
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".visprog-preflight-"):
            pass
    except OSError as exc:
        problems.append(f"cannot write the output folder {folder}: {exc.strerror or exc}")
    return [f"{socket.gethostname()}: {p}" for p in problems]


def _preflight(ray: Any, items: Sequence[Item], folder: str | None) -> None:
    """Run :func:`preflight_check` on every alive node of the cluster (pinned there),
    so that a worker that cannot see the inputs or the output folder is found before
    the evaluation starts.

    Raises:
        InputError: one line per node with a problem.
    """
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    paths = sorted({p for it in items for p in it.images.values()})
    check = ray.remote(num_cpus=0)(preflight_check)
    nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
    found = ray.get([
        check.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False)).remote(paths, folder) for node in nodes
    ])
    problems = [p for node_problems in found for p in node_problems]
    if problems:
        raise InputError(
            "not every Ray node sees the files (inputs and output folder must be on storage all nodes share): " + "; ".join(problems)
        )


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError(RAY_MISSING) from None
    return ray


def pool_size(resources: dict[str, float], workers: int | None, gpu_share: float = 1.0) -> tuple[int, dict[str, float]]:
    """Actors and the resources of each: with GPUs, ``gpu_share`` of a GPU each (a
    fraction puts several small models on one GPU), as many as fit, each with one CPU;
    without, one per CPU; ``workers`` overrides the count. Ray gives each actor its
    GPU(s) in ``CUDA_VISIBLE_DEVICES``."""
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1")
    if not 0 < gpu_share <= 1 and not (gpu_share > 1 and gpu_share == int(gpu_share)):
        raise InputError(f"gpu_share must be a fraction in (0, 1] or a whole number of GPUs, got {gpu_share}")
    gpus = float(resources.get("GPU", 0))
    if gpus >= gpu_share:
        return workers or int(gpus / gpu_share + 1e-9), {"num_gpus": gpu_share, "num_cpus": 1.0}
    return workers or max(1, int(resources.get("CPU", 1))), {"num_cpus": 1.0}


def _lockstep_pays(spec: EvalSpec) -> bool:
    """Does the fixed (or default) program call a tool with a batch path? Otherwise (and
    for planned items) each actor gets one item at a time, as before lockstep."""
    from visprog import default_registry
    from visprog.runtime.lockstep import uses_batch_tools

    program = spec.program or spec.default_program
    return program is not None and uses_batch_tools(program, spec.registry if spec.registry is not None else default_registry())


def block_size(block: int, items: int, actors: int) -> int:
    """Items per batch handed to an actor (one lockstep block): ``block``, but no more
    than an even share of the items, so that every actor of the pool gets work."""
    return max(1, min(block, -(-items // max(1, actors))))


def run_on_ray(
    spec: EvalSpec,
    items: Sequence[Item],
    write: Callable[[dict[str, Any]], None],
    *,
    address: str | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> None:
    """Answer ``items`` on Ray and ``write`` each record as it arrives (completion order).

    Args:
        address: a cluster address (``auto``, ``ray://host:10001``, ``HOST:PORT``); None
            or ``"local"`` starts a local Ray node (``workers`` CPUs, else this machine's)
            unless this process is already connected to one, and stops it after.
        workers: actors in the pool (see :func:`pool_size`).

    Raises:
        InputError: Ray is not installed, or the cluster cannot be reached.
    """
    ray = _import_ray()
    if not items:
        return
    with contextlib.ExitStack() as stack:
        if not ray.is_initialized():
            stack.enter_context(_driver(ray, address, workers))
        _run_pool(ray, spec, items, write, workers=workers, progress=progress)


@contextlib.contextmanager
def _driver(ray: Any, address: str | None, workers: int | None) -> Iterator[None]:
    """Connect to the cluster at ``address``, or start a local one (see
    :mod:`visprog.evaluation.ray_cluster`: survives a busy machine) and stop it after."""
    if address not in (None, "local"):
        refresh_auth()  # RAY_AUTH_* as set now (Ray reads them once per process)
        try:
            ray.init(address=address, log_to_driver=False)
        except Exception as exc:  # noqa: BLE001 - Ray raises bare Exception for start-up time-outs
            raise InputError(f"cannot reach Ray at {address}: {exc}") from None
        try:
            yield
        finally:
            ray.shutdown()
        return
    with start_head(workers or os.cpu_count() or 1) as node, connect(node):
        yield


def _run_pool(
    ray: Any, spec: EvalSpec, items: Sequence[Item], write: Callable[[dict[str, Any]], None], *,
    workers: int | None, progress: bool,
) -> None:
    _preflight(ray, items, spec.trace_dir if spec.traces != "none" else None)
    size, resources = pool_size(ray.cluster_resources(), workers)
    block = block_size(spec.block if _lockstep_pays(spec) else 1, len(items), size)
    context = ray.data.DataContext.get_current()
    bars, wait = context.enable_progress_bars, context.wait_for_min_actors_s
    context.enable_progress_bars = False
    # Start when the whole pool is up (model loading included), so items spread over
    # every actor rather than all going to the first one ready.
    context.wait_for_min_actors_s = 1800
    try:
        dataset = ray.data.from_items([{"item": json.dumps(it.to_dict(), default=str)} for it in items])
        records = dataset.map_batches(
            RayItemRunner, fn_constructor_kwargs={"spec": spec}, batch_size=block,
            compute=ray.data.ActorPoolStrategy(size=size), **resources,
        )
        rows = (json.loads(row["record"]) for row in records.iter_rows())
        write_records(rows, write, total=len(items), progress=progress, label=f"evaluating on Ray ({size} workers)")
    finally:
        context.enable_progress_bars, context.wait_for_min_actors_s = bars, wait
