"""``visprog eval`` and ``visprog batch``: argparse sub-commands for the main CLI.

Hook-up (in the main parser): ``from visprog.evaluation.cli import add_commands;
add_commands(subparsers)``. Handlers return an exit code: 0 done, 1 items failed
(``batch``), every item failed (``eval``) or an error in a run, 2 bad input (one line on
standard error; a fixed program that fails the checker stops before the first item), 130
interrupted (run the same command again to resume).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands", "cmd_batch", "cmd_eval"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _read_program(source: str) -> str:
    from visprog import InputError

    path = Path(source)
    if not path.is_file():
        raise InputError(f"program file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read program {path}: {exc}") from None
    if not text.strip():
        raise InputError(f"the program in {path} is empty")
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _run_options(parser: argparse.ArgumentParser, default_out: str) -> None:
    parser.add_argument("--out", default=default_out, metavar="RESULTS.jsonl", help=f"results, one JSON line per item (default {default_out}); an existing file is resumed")
    parser.add_argument("--overwrite", action="store_true", help="start again instead of resuming --out")
    parser.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS", help="run on Ray: a local one, or the cluster at ADDRESS (auto, ray://host:10001)")
    parser.add_argument("--workers", type=_positive, metavar="N", help="Ray workers (default: one per GPU, else one per CPU)")
    parser.add_argument("--block", type=_positive, default=16, metavar="N", help="items run together: each model step (vqa, caption) is called once per block, answers as item by item (default 16; 1: item by item)")
    parser.add_argument("--traces", choices=("all", "failed", "none"), default="all", help="which traces to save as HTML next to the results (default all)")
    parser.add_argument("--max-trace-kb", type=_positive, default=2000, metavar="KB", help="larger traces are saved without images (default 2000)")
    parser.add_argument("--report", metavar="HTML", help="where to write the HTML report (default: --out with .html)")
    parser.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    parser.add_argument("--seed", type=int, default=0, help="seed for random generators and --sample (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_commands(subparsers: Any) -> None:
    """Add ``eval`` and ``batch`` to the main CLI's sub-parsers."""
    from visprog.evaluation.names import DATASETS, METRIC_NAMES

    ev = subparsers.add_parser("eval", help="evaluate on a dataset: accuracy, failures, time; JSON lines and an HTML report")
    ev.add_argument("dataset", choices=DATASETS, help="the dataset's format")
    ev.add_argument("data", help="the dataset's folder, as it ships (for jsonl: the file)")
    ev.add_argument("--split", help="which split's files to read (val, testdev, dev, testA, ...)")
    ev.add_argument("--questions", metavar="FILE", help="questions (GQA, VQA), statements (NLVR2) or refs (RefCOCO) file")
    ev.add_argument("--annotations", metavar="FILE", help="annotations (VQA) or instances.json (RefCOCO)")
    ev.add_argument("--images", metavar="DIR", help="the image folder, if not where the dataset puts it")
    ev.add_argument("--classes", metavar="FILE", help="imagenet: class names (JSON, LOC_synset_mapping.txt, or one per line)")
    ev.add_argument("--metric", choices=METRIC_NAMES, help="jsonl: how to score answers (default exact)")
    ev.add_argument("--skip-missing", action="store_true", help="leave out items whose images are missing (default: refuse)")
    ev.add_argument("--program", metavar="FILE", help="run this program on every item instead of planning one")
    from visprog.models.chat import provider_help

    ev.add_argument("--model", help=f"planner chat model: {provider_help()}")
    ev.add_argument("--attempts", type=_positive, default=3, help="planner LLM calls per item, repairs included (default 3)")
    ev.add_argument("--class-prompts", metavar="templates|llm|FILE", help="imagenet: CLIP class prompts from templates, LLM descriptions (CuPL) or a CuPL JSON file")
    ev.add_argument("--limit", type=_positive, metavar="N", help="only the first N items")
    ev.add_argument("--sample", type=_positive, metavar="N", help="N items drawn at random with --seed")
    _run_options(ev, "eval-results.jsonl")
    ev.set_defaults(handler=cmd_eval)

    batch = subparsers.add_parser("batch", help="run one program on many images; results as JSON lines")
    batch.add_argument("program", help="the program file")
    batch.add_argument("--images", required=True, metavar="DIR|GLOB", help="a folder of images or a glob such as 'photos/*.jpg'")
    _run_options(batch, "batch-results.jsonl")
    batch.set_defaults(handler=cmd_batch)


def _common(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "backend": "ray" if args.ray else "local",
        "ray_address": args.ray if args.ray not in (None, "local") else None,
        "workers": args.workers,
        "block": args.block,
        "traces": args.traces,
        "max_trace_bytes": args.max_trace_kb * 1000,
        "result_cache": not args.no_cache,
        "seed": args.seed,
        "overwrite": args.overwrite,
        "progress": not args.quiet and sys.stderr.isatty(),
        "report": args.report or "auto",
    }


def _guarded(name: str, args: argparse.Namespace, body: Any) -> int:
    from visprog import InputError, VisprogError

    try:
        return int(body(args))
    except InputError as exc:
        print(f"visprog {name}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except VisprogError as exc:
        print(f"visprog {name}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"visprog {name}: interrupted; run the same command again to resume from {args.out}", file=sys.stderr)
        return EXIT_INTERRUPTED


def cmd_eval(args: argparse.Namespace) -> int:
    """``visprog eval``: read the dataset, answer every item, print the summary."""
    return _guarded("eval", args, _eval)


def _eval(args: argparse.Namespace) -> int:
    from visprog import InputError
    from visprog.evaluation.api import evaluate
    from visprog.evaluation.datasets import load_dataset
    from visprog.evaluation.report import format_summary

    if args.metric and args.dataset != "jsonl":
        raise InputError(f"--metric applies to jsonl datasets; {args.dataset} is scored by its official metric")
    if args.classes and args.dataset != "imagenet":
        raise InputError("--classes applies to imagenet datasets")
    dataset = load_dataset(
        args.dataset, args.data, split=args.split, questions=args.questions, annotations=args.annotations,
        images=args.images, classes=args.classes, metric=args.metric, missing="skip" if args.skip_missing else "error",
    )
    dataset = dataset.subset(limit=args.limit, sample=args.sample, seed=args.seed)
    program = _read_program(args.program) if args.program else None
    summary = evaluate(
        dataset, args.out, program=program, chat_model=args.model, max_attempts=args.attempts,
        class_prompts=args.class_prompts, **_common(args),
    )
    print(format_summary(summary))
    print(f"results: {args.out}\nreport: {Path(args.report) if args.report else Path(args.out).with_suffix('.html')}", file=sys.stderr)
    failed = [r for r in summary.records if r["error_kind"] not in (None, "wrong_answer", "partial_credit")]
    if summary.records and len(failed) == len(summary.records):
        print(f"visprog eval: every item failed before it gave an answer ({len(failed)} of {len(failed)}; see {args.out})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    """``visprog batch``: one program over many images (no gold answers)."""
    return _guarded("batch", args, _batch)


def _batch(args: argparse.Namespace) -> int:
    from visprog.evaluation.api import evaluate
    from visprog.evaluation.datasets import read_images
    from visprog.evaluation.report import format_summary

    program = _read_program(args.program)
    dataset = read_images(args.images)
    summary = evaluate(dataset, args.out, program=program, **_common(args))
    print(format_summary(summary))
    failed = sum(1 for r in summary.records if r["error_kind"] is not None)
    print(f"results: {args.out}", file=sys.stderr)
    if failed:
        print(f"visprog batch: {failed} of {len(summary.records)} images failed (see {args.out})", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
