"""Learning from evaluation: programs that were right join the user's program library.

A learning set is JSONL, one item a line, each a request with pictures and the answer
a program must give there, in the program library's check format
(:mod:`visprog.planner.library`)::

    {"question": "What's the headcount?", "picture": "faces:2", "answer": 2}
    {"question": "Do both shots have someone in them?", "inputs": {"LEFT": "faces:1", "RIGHT": "blank"}, "answer": "no"}

For each item of the train split, :func:`learn` asks the planner for its library
candidates (best first), runs them on the item's pictures and keeps the first whose
answer is right: its program, with the request as a new wording and the item as its
check, joins the user library (so the entry is verified like every packaged one). An
item that no candidate answers becomes a *hint*: the request, the entries tried and
what each gave; hints are written beside the library (``<library>.hints.jsonl``) for a
person to read and turn into new entries. :func:`score` measures a planner on a
split, so that the gain on held-out items is before/after.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visprog.errors import InputError

__all__ = ["LearnReport", "learn", "read_items", "score", "split"]

_CHECK_KEYS = ("answer", "contains", "excludes", "edited")


def read_items(path: str | Path) -> list[dict[str, Any]]:
    """Items of a learning set (see the module docstring).

    Raises:
        InputError: a line is not JSON or lacks a question, pictures or an answer.
    """
    items = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"learning set {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{Path(path).name}:{number}: not JSON ({exc})") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise InputError(f"{Path(path).name}:{number}: an item needs a 'question'")
        if "picture" not in item and "inputs" not in item:
            raise InputError(f"{Path(path).name}:{number}: an item needs a 'picture' or 'inputs'")
        if not any(k in item for k in _CHECK_KEYS):
            raise InputError(f"{Path(path).name}:{number}: an item needs one of {', '.join(_CHECK_KEYS)}")
        items.append(item)
    return items


def split(items: Sequence[dict[str, Any]], held_out: float = 0.5) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held-out): an item's side is fixed by its ``split`` field, else by a hash
    of its question (stable across runs and machines)."""
    train: list[dict[str, Any]] = []
    test: list[dict[str, Any]] = []
    for item in items:
        side = item.get("split")
        if side is None:
            digest = int(hashlib.sha256(item["question"].encode("utf-8")).hexdigest()[:8], 16)
            side = "test" if digest / 0xFFFFFFFF < held_out else "train"
        (test if side == "test" else train).append(item)
    return train, test


def _inputs(item: dict[str, Any]) -> dict[str, str]:
    from visprog.planner.library import check_inputs

    return check_inputs(item, ("IMAGE",))


def _check(item: dict[str, Any]) -> dict[str, Any]:
    check = {k: item[k] for k in _CHECK_KEYS if k in item}
    check.update({"inputs": item["inputs"]} if "inputs" in item else {"picture": item["picture"]})
    return check


def _right(program: str, item: dict[str, Any], registry: Any) -> tuple[bool, str]:
    from visprog.planner.library import judge
    from visprog.planner.pictures import picture
    from visprog.run import run_program

    pictures = _inputs(item)
    result = run_program(program, inputs={k: picture(v) for k, v in pictures.items()}, registry=registry)
    if result.error is not None:
        return False, str(result.error)
    why = judge(_check(item), result.result, pictures)
    return why is None, why or "right"


@dataclass
class LearnReport:
    """What :func:`learn` did.

    Attributes:
        entries: new library entries (dicts in the library's JSONL form).
        hints: items no candidate answered (request, entries tried, what each gave).
        right_first: train items whose first candidate was already right.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    hints: list[dict[str, Any]] = field(default_factory=list)
    right_first: int = 0


def learn(items: Sequence[dict[str, Any]], planner: Any, *, candidates: int = 10) -> LearnReport:
    """Learn from ``items`` (a train split): see the module docstring.

    Args:
        items: learning-set items.
        planner: a :class:`visprog.planner.Planner` (its library gives the candidates).
        candidates: library candidates tried per item at most.
    """
    report = LearnReport()
    for item in items:
        question = item["question"]
        inputs = tuple(_inputs(item))
        tried: list[dict[str, str]] = []
        found = None
        # Every fitting entry is a candidate (no similarity floor): each is verified on
        # the item before it is learned.
        ranked = planner.library_candidates(question, inputs, limit=4 * candidates, floor=-1.0)
        for rank, choice in enumerate(c for c in ranked if c.program):
            if rank >= candidates:
                break
            right, why = _right(choice.program, item, planner.registry)
            if right:
                found = choice
                report.right_first += rank == 0
                break
            tried.append({"entry": choice.entry, "got": why[:200]})
        if found is None:
            report.hints.append({"question": question, "tried": tried})
            continue
        digest = hashlib.sha256(question.encode("utf-8")).hexdigest()[:8]
        report.entries.append({
            "id": f"learned-{found.entry}-{digest}", "inputs": list(inputs), "slots": _slots(found),
            "program": found.program, "requests": [question], "checks": [_check(item)], "learned_from": found.entry,
        })
    return report


def _slots(choice: Any) -> dict[str, Any]:
    """The slots of a learned entry: the values the adapted program was written with."""
    return {k: v for k, v in choice.slots.items() if k in ("side", "sides", "word", "compare", "emoji", "object", "item", "items", "price")}


def write(report: LearnReport, library: str | Path, hints: str | Path | None = None) -> None:
    """Append the new entries to ``library`` (JSONL; entries already there by id are
    kept) and write the hints to ``hints`` (default: ``<library>.hints.jsonl``)."""
    path = Path(library)
    known = set()
    if path.is_file():
        from visprog.planner.library import read_entries

        known = {e.id for e in read_entries(path)}
    with path.open("a", encoding="utf-8") as handle:
        for entry in report.entries:
            if entry["id"] not in known:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    hint_path = Path(hints) if hints is not None else path.with_suffix(".hints.jsonl")
    hint_path.write_text("".join(json.dumps(h, ensure_ascii=False) + "\n" for h in report.hints), encoding="utf-8")


def score(items: Sequence[dict[str, Any]], planner: Any) -> tuple[int, list[dict[str, Any]]]:
    """How many ``items`` the planner answers right (library first, as ``ask``), with
    one row per item (question, right, program or why)."""
    from visprog.planner.pictures import picture

    rows = []
    right = 0
    for item in items:
        pictures = _inputs(item)
        result = planner.run(item["question"], inputs={k: picture(v) for k, v in pictures.items()})
        ok = False
        why = str(result.error) if result.error is not None else ""
        if result.error is None:
            from visprog.planner.library import judge

            failure = judge(_check(item), result.result, pictures)
            ok, why = failure is None, failure or ""
        right += ok
        rows.append({"question": item["question"], "right": ok, "why": why[:200], "program": result.trace.program})
    return right, rows
