"""Evaluation: datasets in their public formats, official metrics, per-item JSON-lines
results that resume, HTML reports, and local or Ray backends.

::

    from visprog.evaluation import evaluate, load_dataset

    dataset = load_dataset("gqa", "/data/gqa", split="testdev")
    summary = evaluate(dataset, "gqa-testdev.jsonl", program=open("answer.vp").read())
    print(summary.overall)

Names are imported on first use (PEP 562), so ``visprog --help`` stays light; nothing
imports torch or Ray until it runs (Ray only for ``backend="ray"``, the ``eval`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from visprog.lazy import lazy_exports

if TYPE_CHECKING:
    from visprog.evaluation.api import evaluate
    from visprog.evaluation.datasets import Dataset, Item, load_dataset, read_images, read_jsonl
    from visprog.evaluation.metrics import METRICS, Score, coco_to_xyxy, vqa_accuracy, vqa_normalize
    from visprog.evaluation.names import DATASETS
    from visprog.evaluation.report import Summary, format_summary, summarize, write_report
    from visprog.evaluation.runner import EvalSpec, ItemRunner, read_results

_EXPORTS: dict[str, str] = {
    "evaluate": "visprog.evaluation.api",
    **dict.fromkeys(["Dataset", "Item", "load_dataset", "read_images", "read_jsonl"], "visprog.evaluation.datasets"),
    **dict.fromkeys(["METRICS", "Score", "coco_to_xyxy", "vqa_accuracy", "vqa_normalize"], "visprog.evaluation.metrics"),
    "DATASETS": "visprog.evaluation.names",
    **dict.fromkeys(["Summary", "format_summary", "summarize", "write_report"], "visprog.evaluation.report"),
    **dict.fromkeys(["EvalSpec", "ItemRunner", "read_results"], "visprog.evaluation.runner"),
}

__all__ = [
    "DATASETS", "METRICS", "Dataset", "EvalSpec", "Item", "ItemRunner", "Score", "Summary",
    "coco_to_xyxy", "evaluate", "format_summary", "load_dataset", "read_images", "read_jsonl",
    "read_results", "summarize", "vqa_accuracy", "vqa_normalize", "write_report",
]


__getattr__, __dir__ = lazy_exports("visprog.evaluation", _EXPORTS, globals())
