"""Names the command line offers, kept free of imports so that building the parser
(``visprog --help``) loads nothing else."""

from __future__ import annotations

__all__ = ["DATASETS", "METRIC_NAMES"]

#: Dataset kinds ``visprog eval`` reads (see :mod:`visprog.evaluation.datasets`).
DATASETS = ("gqa", "nlvr2", "vqav2", "okvqa", "refcoco", "refcoco+", "refcocog", "imagenet", "jsonl")

#: Metrics (keys of :data:`visprog.evaluation.metrics.METRICS`).
METRIC_NAMES = ("boolean", "exact", "iou", "none", "topk", "vqa")
