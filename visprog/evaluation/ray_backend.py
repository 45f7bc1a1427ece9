"""The Ray backend: Ray Data streams the items through a pool of actors, each holding
an :class:`~visprog.evaluation.runner.ItemRunner` (so each loads its models once); the
records stream back to the driver, which writes them to the same results file.

Pool size: one actor per GPU when the cluster has GPUs (each actor gets one), else one
per CPU, or ``workers``. Planning runs inside the actors, so LLM calls are as
concurrent as the pool. On a cluster, image paths and the trace folder must be on a
file system every node sees.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from visprog import InputError
from visprog.evaluation.datasets import Item
from visprog.evaluation.ray_cluster import connect, start_head
from visprog.evaluation.runner import EvalSpec, ItemRunner, write_records

__all__ = ["RayItemRunner", "run_on_ray"]

RAY_MISSING = "--ray needs Ray Data: pip install 'visprog[eval]' (or pip install 'ray[data]')"


class RayItemRunner:
    """The callable class Ray Data's actor pool runs: one batch of items in, their
    records (as JSON text, one column) out."""

    def __init__(self, spec: EvalSpec) -> None:
        self.runner = ItemRunner(spec)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        records = [self.runner.run(Item.from_dict(json.loads(text))) for text in batch["item"]]
        return {"record": [json.dumps(r, default=str) for r in records]}


def _import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError(RAY_MISSING) from None
    return ray


def pool_size(resources: dict[str, float], workers: int | None) -> tuple[int, dict[str, float]]:
    """Actors and the resources of each: one per GPU if there are GPUs, else one per CPU."""
    if workers is not None and workers < 1:
        raise InputError("--workers must be at least 1")
    gpus = int(resources.get("GPU", 0))
    if gpus >= 1:
        return workers or gpus, {"num_gpus": 1.0, "num_cpus": 1.0}
    return workers or max(1, int(resources.get("CPU", 1))), {"num_cpus": 1.0}


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
    size, resources = pool_size(ray.cluster_resources(), workers)
    context = ray.data.DataContext.get_current()
    bars = context.enable_progress_bars
    context.enable_progress_bars = False
    try:
        dataset = ray.data.from_items([{"item": json.dumps(it.to_dict(), default=str)} for it in items])
        records = dataset.map_batches(
            RayItemRunner, fn_constructor_kwargs={"spec": spec}, batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=size), **resources,
        )
        rows = (json.loads(row["record"]) for row in records.iter_rows())
        write_records(rows, write, total=len(items), progress=progress, label=f"evaluating on Ray ({size} workers)")
    finally:
        context.enable_progress_bars = bars
