"""Lockstep execution (visprog.runtime.lockstep): a block of items runs one program
together, each step of a batch-path tool calling its model once per block, with every
item's answer, error, budgets and trace as item by item. Fake tools generated from the
real ``vqa`` and ``caption`` (visprog.testing.fake_tool) count the model calls."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests import eval_data
from visprog import Image, InputError, Limits, Registry, default_registry, run_batch, start_program, tool
from visprog.evaluation import evaluate, load_dataset
from visprog.runtime.lockstep import DEFAULT_BLOCK, run_block, uses_batch_tools
from visprog.testing import fake_registry

REAL = default_registry()


class FakeModel:
    """Answers VQA and captions from the picture (the fake dataset tools' colours and
    counts); records the size of each model call, and fails on a poisoned colour."""

    def __init__(self, poison: str | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.poison = poison

    def one(self, image: Image, question: str) -> str:
        color = eval_data.main_color.func(image)
        if color == self.poison:
            raise RuntimeError(f"cannot look at {color}")
        text = question.lower()
        if "how many" in text:
            return str(eval_data.count_color.func(image, text.split("how many ")[1].split()[0]))
        if "is it" in text:
            return "yes" if text.split("is it ")[1].rstrip("?") == color else "no"
        return color

    def vqa(self, image: Any, question: Any) -> Any:
        if isinstance(image, list):
            questions = question if isinstance(question, list) else [question] * len(image)
            self.calls.append(("vqa", len(image)))
            return [self.one(im, q) for im, q in zip(image, questions)]
        self.calls.append(("vqa", 1))
        return self.one(image, question)

    def caption(self, image: Any) -> Any:
        if isinstance(image, list):
            self.calls.append(("caption", len(image)))
            return [f"a {self.one(im, 'color')} picture" for im in image]
        self.calls.append(("caption", 1))
        return f"a {self.one(image, 'color')} picture"

    def registry(self) -> Registry:
        return fake_registry(REAL, {"vqa": self.vqa, "caption": self.caption}) | eval_data.fake_registry()


def pictures(*colors: str) -> list[Any]:
    return [np.asarray(eval_data.solid(c)) for c in colors]


def comparable(trace: Any) -> Any:
    """A trace's JSON without times."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "duration_s"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(trace.to_dict())


def alone_and_block(program: str, images: list[Any], model: FakeModel, **kwargs: Any) -> tuple[list[Any], list[Any]]:
    registry = model.registry()
    alone = [start_program(program, image, registry=registry, **kwargs).run() for image in images]
    model.calls.clear()
    block = run_block([start_program(program, image, registry=registry, **kwargs) for image in images]).results
    return alone, block


TWO_STEPS = "c = vqa(IMAGE, 'What color?')\nd = VQA(image=IMAGE, question='Is it red?')\nresult(c + ' ' + d)"


def test_each_batch_step_calls_the_model_once_per_block():
    model = FakeModel()
    colors = ["red", "green", "blue", "red", "white", "gray"]
    alone, block = alone_and_block(TWO_STEPS, pictures(*colors), model)
    assert model.calls == [("vqa", 6), ("vqa", 6)]  # two steps, one call each, six items
    assert [r.result for r in block] == [f"{c} {'yes' if c == 'red' else 'no'}" for c in colors]
    assert [comparable(r.trace) for r in block] == [comparable(r.trace) for r in alone]
    assert all(r.ok for r in block)
    # Each call's time in the trace is its share of the batched call, not the wait.
    call = block[0].trace.steps[0].calls[0]
    assert call.duration_s < 1.0 and not call.notes


def test_a_program_without_batch_tools_runs_item_by_item():
    model = FakeModel()
    registry = model.registry()
    program = start_program("result(main_color(IMAGE))", pictures("red")[0], registry=registry).program
    assert not uses_batch_tools(program, registry)
    assert uses_batch_tools(start_program(TWO_STEPS, pictures("red")[0], registry=registry).program, registry)
    outcome = run_block([start_program("result(main_color(IMAGE))", p, registry=registry) for p in pictures("red", "blue")])
    assert [r.result for r in outcome.results] == ["red", "blue"] and outcome.batched_calls == 0


def test_an_item_that_fails_mid_block_does_not_stop_the_others():
    # Item 2 fails in a plain step (division by zero), item 3 in the model (poisoned
    # colour: the batched call fails and is made again one by one); the rest answer.
    model = FakeModel(poison="white")
    program = "n = 10 // (IMAGE.width - 50)\nc = vqa(IMAGE, 'What color?')\nd = vqa(IMAGE, 'Is it red?')\nresult(f'{n} {c} {d}')"
    images = pictures("red", "green") + [np.asarray(eval_data.solid("blue", (50, 48)))] + pictures("white", "red")
    alone, block = alone_and_block(program, images, model)
    assert [r.error.kind if r.error else None for r in block] == [None, None, "ProgramRuntimeError", "ToolError", None]
    assert [str(r.error) for r in block] == [str(r.error) for r in alone]
    assert "cannot look at white" in str(block[3].error)
    assert [r.result for r in block] == [r.result for r in alone] == ["0 red yes", "0 green no", None, None, "0 red yes"]
    # The failed batch was made again alone for each of its items; the next step batched.
    assert model.calls == [("vqa", 4), ("vqa", 1), ("vqa", 1), ("vqa", 1), ("vqa", 1), ("vqa", 3)]
    failed_note = block[0].trace.steps[0].calls[0].notes  # (steps: the statements that call tools)
    assert len(failed_note) == 1 and failed_note[0].startswith("lockstep: the batched call of 4 items failed (RuntimeError: cannot look at white)")
    assert not block[0].trace.steps[1].calls[0].notes
    # Apart from that note, every trace is the item's trace alone.
    for one, other in zip(block, alone):
        for step in one.trace.steps:
            for call in step.calls:
                call.notes = [n for n in call.notes if not n.startswith("lockstep:")]
        assert comparable(one.trace) == comparable(other.trace)


def test_divergent_control_flow_falls_back_and_says_so():
    model = FakeModel()
    program = (
        "if IMAGE.width == 30:\n"
        "    c = caption(IMAGE)\n"                                     # one item goes another way
        "else:\n"
        "    c = vqa(IMAGE, 'What color?')\n"
        "crops = [IMAGE, IMAGE] if IMAGE.width == 40 else IMAGE\n"    # one item passes a list
        "d = vqa(crops, 'Is it red?')\n"
        "for i in range(IMAGE.width // 20):\n"                         # loops of 1, 2 and 3 rounds
        "    e = vqa(IMAGE, 'How many red')\n"
        "result([c, d, e])"
    )
    images = [np.asarray(eval_data.solid(c, (w, 48))) for c, w in [("red", 30), ("blue", 40), ("red", 64), ("green", 64)]]
    alone, block = alone_and_block(program, images, model)
    assert [r.result for r in block] == [r.result for r in alone]
    assert [r.result for r in block][:2] == [["a red picture", "yes", "1"], ["blue", ["no", "no"], "0"]]
    notes = [[n for s in r.trace.steps for c in s.calls for n in c.notes] for r in block]
    assert notes[0] == ["lockstep: called alone, not batched with the block (the block's other items were at other calls, or passed other shared arguments)"]
    assert notes[1] == ["lockstep: called alone: its argument 'image' is a list, which vqa does not batch across items"]
    assert notes[2] == notes[3] == []
    # vqa for three (the caption runs alone in the item's next turn), vqa for three (the
    # list runs alone next), then the loops (1, 2, 3, 3 rounds): 4, 3, then 2 items.
    assert model.calls == [("vqa", 3), ("caption", 1), ("vqa", 3), ("vqa", 2), ("vqa", 4), ("vqa", 3), ("vqa", 2)]
    assert all(r.ok for r in block)


def test_budgets_are_each_items_own():
    model = FakeModel()
    program = "for i in range(IMAGE.width):\n    c = vqa(IMAGE, 'What color?')\nresult(c)"
    images = [np.asarray(eval_data.solid("red", (w, 10))) for w in (3, 9, 4)]
    alone, block = alone_and_block(program, images, model, limits=Limits(max_loop_iterations=5))
    assert [r.error.budget if r.error else None for r in block] == [None, "max_loop_iterations", None]
    assert [str(r.error) for r in block] == [str(r.error) for r in alone]
    assert [comparable(r.trace) for r in block] == [comparable(r.trace) for r in alone]


@tool(preempt="inline")
def noisy(image: Image) -> float:
    """A number drawn from the global random generators (seeded per item by evaluations).

    Args:
        image: any image.

    Returns:
        A random number.
    """
    return random.random() + float(np.random.rand())


def test_random_generators_are_kept_per_item():
    model = FakeModel()
    registry = model.registry() | Registry([noisy])
    program = "a = noisy(IMAGE)\nc = vqa(IMAGE, 'What color?')\nb = noisy(IMAGE)\nresult([a, b])"
    images = pictures("red", "green", "blue")

    def seed(i: int) -> None:
        random.seed(i)
        np.random.seed(i)

    alone = []
    for i, image in enumerate(images):
        seed(i)
        alone.append(start_program(program, image, registry=registry).run().result)
    block = run_block([start_program(program, image, registry=registry) for image in images], before_item=seed)
    assert [r.result for r in block.results] == alone and model.calls[-1] == ("vqa", 3)


def test_run_batch_blocks_give_the_answers_item_by_item(tmp_path):
    model = FakeModel()
    images: list[Any] = pictures("red", "green", "blue", "white", "red")
    images.insert(2, str(tmp_path / "missing.png"))
    results = run_batch(TWO_STEPS, images, registry=model.registry(), progress=False, block=4)
    assert [("vqa", 3), ("vqa", 3)] == model.calls[:2]  # the first block: four items, one unreadable
    one_by_one = run_batch(TWO_STEPS, images, registry=model.registry(), progress=False, block=1)
    assert [r.result for r in results] == [r.result for r in one_by_one]
    assert results[2].error is not None and results[2].error.kind == "InputError"
    with pytest.raises(InputError, match="block must be a whole number of at least 1"):
        run_batch(TWO_STEPS, images, progress=False, block=0)


def test_run_block_refuses_a_started_execution():
    model = FakeModel()
    execution = start_program(TWO_STEPS, pictures("red")[0], registry=model.registry())
    execution.run()
    with pytest.raises(InputError, match="execution 0 has already started"):
        run_block([execution])


# -- every dataset reader: the same records with lockstep blocks as item by item --------------

PROGRAMS = {
    "gqa": "c = VQA(image=IMAGE, question='What color is the picture?')\nif c == 'red':\n    c = vqa(IMAGE, 'Is it red?')\nresult(c)",
    "vqav2": "n = vqa(IMAGE, 'How many red squares are there?')\nresult(n)",
    "nlvr2": "a = vqa(LEFT, 'What color?')\nb = vqa(RIGHT, 'What color?')\nresult(a == b)",
    "refcoco": "c = vqa(IMAGE, 'What color?')\nboxes = find_color(IMAGE, 'red' if c == 'gray' else c)\nresult(boxes[0])",
    "jsonl": "c = vqa(IMAGE, 'What color is the picture?')\nresult(c)",
    "imagenet": "c = vqa(IMAGE, 'What color?')\nresult({c: 0.9, 'gray': 0.1})",
}
SAME = ("answer", "result", "score", "correct", "extra", "note", "error_kind", "error_tool", "error", "run_error", "tool_notes", "check")


def datasets(root: Path) -> dict[str, Any]:
    jsonl = eval_data.make_jsonl(root / "jsonl", n=7)
    (root / "jsonl" / "img" / "5.png").write_bytes(b"not a picture")  # fails alone, as an input error
    imagenet = eval_data.make_imagenet(root / "imagenet")
    return {
        "gqa": load_dataset("gqa", eval_data.make_gqa(root / "gqa"), split="testdev"),
        "vqav2": load_dataset("vqav2", eval_data.make_vqa(root / "vqa"), split="val"),
        "nlvr2": load_dataset("nlvr2", eval_data.make_nlvr2(root / "nlvr2"), split="dev"),
        "refcoco": load_dataset("refcoco", eval_data.make_refcoco(root / "refer"), split="val"),
        "jsonl": load_dataset("jsonl", jsonl),
        "imagenet": load_dataset("imagenet", imagenet, split="val", classes=imagenet / "LOC_synset_mapping.txt"),
    }


def test_every_dataset_reader_gives_the_same_records_in_blocks(tmp_path):
    blocks: dict[str, list[dict[str, Any]]] = {}
    for name, dataset in datasets(tmp_path).items():
        out: dict[int, list[dict[str, Any]]] = {}
        calls: dict[int, list[tuple[str, int]]] = {}
        for block in (1, 4):
            model = FakeModel()
            summary = evaluate(
                dataset, tmp_path / f"{name}-{block}.jsonl", program=PROGRAMS[name], registry=model.registry(),
                progress=False, result_cache=False, block=block, report=None,
            )
            out[block] = summary.records
            calls[block] = model.calls
            assert summary.header["block"] == block
        assert [[r[k] for k in SAME] for r in out[4]] == [[r[k] for k in SAME] for r in out[1]], name
        assert all(size == 1 for _, size in calls[1]), name
        # Every step of the first block of 4 is one call (NLVR2: LEFT and RIGHT, two steps).
        assert calls[4][0] == ("vqa", 4), (name, calls[4])
        assert len(calls[4]) < len(calls[1]), name
        blocks[name] = out[4]
    assert sum(r["correct"] for r in blocks["imagenet"]) == 5  # the mostly red "green" picture: wrong
    jsonl = blocks["jsonl"]
    assert [r["error_kind"] for r in jsonl] == ["wrong_answer", None, None, "wrong_answer", None, "input", "wrong_answer"]
    # Times: each item's run time is its share of the block's, and adds up.
    assert all(r["times"]["total_s"] >= r["times"]["run_s"] >= 0 for r in jsonl)


def test_cli_block_flag(tmp_path, capsys):
    import argparse

    from visprog.evaluation.cli import add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["batch", "p.vp", "--images", "x"])
    assert args.block == DEFAULT_BLOCK  # the help text's default is the engine's
    assert parser.parse_args(["eval", "jsonl", "d.jsonl", "--block", "32"]).block == 32
    with pytest.raises(SystemExit):
        parser.parse_args(["batch", "p.vp", "--images", "x", "--block", "0"])
    assert "expected at least 1, got 0" in capsys.readouterr().err
    from visprog.evaluation.ray_backend import _lockstep_pays, block_size
    from visprog.evaluation.runner import EvalSpec

    # A Ray actor's batch is one block, no more than an even share of the items (every
    # actor gets work), and one item when the program calls no batch-path tool.
    assert block_size(16, 8, 2) == 4 and block_size(16, 100, 2) == 16 and block_size(16, 0, 3) == 1
    assert _lockstep_pays(EvalSpec("exact", program=TWO_STEPS))
    assert not _lockstep_pays(EvalSpec("exact", program="result(IMAGE.width)")) and not _lockstep_pays(EvalSpec("exact"))


@pytest.mark.models
@pytest.mark.slow
def test_benchmark_on_a_tiny_blip_gives_the_answers_item_by_item(tmp_path, capsys):
    """The real vqa tool's batch path (BLIP through its real loader, tiny random weights):
    lockstep blocks answer as item by item; runs benchmarks/evaluation.py's comparison."""
    pytest.importorskip("transformers")
    from benchmarks.evaluation import lockstep
    from visprog.models import model_manager, set_model_manager

    before = model_manager()
    try:
        figures = lockstep(tmp_path, 6, 4)
    finally:
        set_model_manager(before)
    out = capsys.readouterr().out
    assert figures["same"] == 1.0 and "same answers: True" in out and "lockstep (block 4):" in out


def test_ctrl_c_stops_the_block_and_leaves_no_threads():
    import threading

    def interrupted(image: Any, question: Any) -> Any:
        raise KeyboardInterrupt

    registry = fake_registry(REAL, {"vqa": interrupted})
    for program in (TWO_STEPS, "c = vqa([IMAGE], 'What color?')\nresult(c)"):  # in the batched call; in a call alone
        executions = [start_program(program, image, registry=registry) for image in pictures("red", "green", "blue")]
        with pytest.raises(KeyboardInterrupt):
            run_block(executions)
        assert not [t.name for t in threading.enumerate() if t.name.startswith("visprog-lockstep")]


@tool(cacheable=True, batch=("image",), preempt="inline")
def shade(image: Image | list[Image]) -> str | list[str]:
    """The main colour (a batch path: a list in, a list out), counted per model call.

    Args:
        image: an image, or a list of images.

    Returns:
        The colour, or one per image.
    """
    SHADE_CALLS.append(len(image) if isinstance(image, list) else 1)
    if isinstance(image, list):
        return [eval_data.main_color.func(im) for im in image]
    return eval_data.main_color.func(image)


SHADE_CALLS: list[int] = []


def test_result_cache_entries_are_each_items_own(tmp_path):
    """Each item's call is looked up and stored under its own key; a call whose key an
    earlier item of the batch has is a cache hit, as one after another."""
    from visprog import RunContext
    from visprog.toolkit.result_cache import ResultCache

    registry = Registry([shade])
    program = "c = shade(IMAGE)\nresult(c)"
    images = pictures("red", "green", "red", "blue")
    cached: dict[str, list[bool]] = {}
    for mode in ("alone", "block"):
        context = RunContext(cache=ResultCache(tmp_path / mode))
        SHADE_CALLS.clear()
        executions = [start_program(program, image, registry=registry, context=context) for image in images]
        results = [e.run() for e in executions] if mode == "alone" else run_block(executions).results
        assert [r.result for r in results] == ["red", "green", "red", "blue"]
        cached[mode] = [r.trace.steps[0].calls[0].cached for r in results]
        assert SHADE_CALLS == ([1, 1, 1] if mode == "alone" else [3])  # the second red: a hit
    assert cached["block"] == cached["alone"] == [False, False, True, False]
    # Run again: every item's own entry is there.
    SHADE_CALLS.clear()
    again = run_block([start_program(program, image, registry=registry, context=context) for image in images]).results
    assert SHADE_CALLS == [] and all(r.trace.steps[0].calls[0].cached for r in again)
