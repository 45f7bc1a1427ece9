"""Evaluation: metrics against hand-computed values, dataset readers on tiny datasets in
each public format, per-item records, resume after an interruption, reports, the CLI."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
from pathlib import Path

import pytest

from tests import eval_data
from visprog import Box, Detections, InputError
from visprog.evaluation import (
    Item,
    coco_to_xyxy,
    evaluate,
    format_summary,
    load_dataset,
    read_jsonl,
    read_results,
    summarize,
    vqa_accuracy,
    vqa_normalize,
)
from visprog.evaluation.cli import add_commands
from visprog.evaluation.metrics import (
    answer_text,
    gqa_normalize,
    iou_xyxy,
    ranked_labels,
    score_boolean,
    score_exact,
    score_iou,
    score_topk,
    score_vqa,
)

PLANNER = {"selection": "lexical"}


def run(dataset, out, **kwargs):
    kwargs.setdefault("registry", eval_data.fake_registry())
    kwargs.setdefault("progress", False)
    kwargs.setdefault("result_cache", False)
    return evaluate(dataset, out, **kwargs)


def planned(dataset, out, **kwargs):
    return run(dataset, out, chat_model=eval_data.planner_model(), max_attempts=2, planner_options=PLANNER, **kwargs)


# -- VQA accuracy: the official formula, by hand ---------------------------------------

def test_vqa_accuracy_hand_computed():
    # 2 say "two", 8 say "three"; "2" matches the two "two"s after normalisation.
    # Each "two" answer's 9 others hold 1 match: 1/3; each "three" answer's hold 2: 2/3.
    assert vqa_accuracy("2", ["two"] * 2 + ["three"] * 8) == pytest.approx((2 * (1 / 3) + 8 * (2 / 3)) / 10)
    assert vqa_accuracy("three", ["two"] * 2 + ["three"] * 8) == pytest.approx(1.0)
    # One "red" among nine "blue": the "red" answer's others hold none (0); each blue one's hold 1 (1/3).
    assert vqa_accuracy("red", ["red"] + ["blue"] * 9) == pytest.approx(9 * (1 / 3) / 10)
    assert vqa_accuracy("green", ["red"] + ["blue"] * 9) == 0.0
    # Exactly three others agreeing is full credit.
    assert vqa_accuracy("cat", ["cat"] * 4 + ["dog"] * 6) == pytest.approx((4 * 1.0 + 6 * 1.0) / 10)
    assert vqa_accuracy("cat", ["cat"] * 3 + ["dog"] * 7) == pytest.approx((3 * (2 / 3) + 7 * 1.0) / 10)


def test_vqa_accuracy_keeps_the_official_quirks():
    assert vqa_accuracy(" yes\n", ["yes"] * 10) == 1.0          # stripped
    assert vqa_accuracy("Yes", ["yes"] * 10) == 0.0             # unanimous answers: no normalisation
    assert vqa_accuracy("YES", ["Yes"] * 5 + ["yes"] * 5) == 1.0  # disagreeing: normalised (lower case)
    assert vqa_accuracy("0", ["none"] * 2 + ["0"] * 8) == 1.0    # "none" -> "0"
    with pytest.raises(InputError):
        vqa_accuracy("x", [])


def test_metric_names_match_the_scorers():
    from visprog.evaluation import METRICS
    from visprog.evaluation.names import METRIC_NAMES

    assert set(METRICS) == set(METRIC_NAMES)


def test_building_the_cli_loads_nothing_heavy():
    import subprocess
    import sys

    code = (
        "import argparse, sys\nfrom visprog.evaluation.cli import add_commands\n"
        "add_commands(argparse.ArgumentParser().add_subparsers())\n"
        "print(sorted(m for m in ('numpy', 'PIL', 'torch', 'ray', 'visprog_tools') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_vqa_normalisation():
    assert vqa_normalize("The Two Dogs!") == "2 dogs"
    assert vqa_normalize("dont") == "don't"
    assert vqa_normalize("a cat.") == "cat"
    assert vqa_normalize("1,000") == "1000"
    assert vqa_normalize("3.5") == "3.5"
    assert vqa_normalize("yes/no") == "yes no"
    assert vqa_normalize("yes / no") == "yes no"


def test_exact_boolean_and_answer_text():
    assert gqa_normalize(" The  Left. ") == "the left"
    assert score_exact("Left", "left").correct and not score_exact("right", "left").correct
    assert score_exact("two", ["2", "two"]).correct
    assert answer_text(True) == "yes" and answer_text(3) == "3" and answer_text(2.0) == "2" and answer_text(2.5) == "2.5"
    assert answer_text(["cat"]) == "cat" and answer_text(Detections([])) is None
    assert score_exact(Detections([]), "a").note == "the answer is not text (Detections)"
    assert score_boolean(True, "True").correct and score_boolean("no", "False").correct
    assert not score_boolean("yes", "False").correct
    assert score_boolean("maybe", "True").note == "the answer is not yes/no or true/false"
    with pytest.raises(InputError):
        score_boolean(True, "sometimes")
    vqa = score_vqa(2, ["2"] * 2 + ["two"] * 8)
    assert vqa.value == 1.0 and vqa.correct and vqa.answer == "2"


def test_iou_thresholds_and_coco_boxes():
    gold = coco_to_xyxy([10, 20, 30, 40])
    assert gold == [10.0, 20.0, 40.0, 60.0]
    assert iou_xyxy(gold, gold) == 1.0
    # Shifted right by 15: intersection 15x40 = 600, union 1200 + 1200 - 600 = 1800.
    shifted = score_iou(Box(25, 20, 55, 60), gold)
    assert shifted.extra["iou"] == pytest.approx(1 / 3) and not shifted.correct
    # Half the height: 600 / 1200 = 0.5, which counts (IoU >= 0.5).
    half = score_iou([10, 20, 40, 40], gold)
    assert half.extra["iou"] == pytest.approx(0.5) and half.correct
    # Just under the threshold.
    assert not score_iou([10, 20, 40, 39.9], gold).correct
    assert score_iou(Detections([Box(10, 20, 40, 50)]), gold).extra["iou"] == pytest.approx(0.75)
    assert score_iou(Detections([]), gold).note == "no box found"
    with pytest.raises(InputError):
        coco_to_xyxy([1, 2, 3])


def test_top_k():
    scores = {"a": 0.05, "b": 0.30, "c": 0.20, "d": 0.25, "e": 0.1, "f": 0.08, "g": 0.02}
    assert ranked_labels(scores) == ["b", "d", "c", "e", "f", "a", "g"]
    third = score_topk(scores, "c")
    assert third.extra == {"top1": 0.0, "top5": 1.0} and not third.correct
    sixth = score_topk(scores, "a")
    assert sixth.extra == {"top1": 0.0, "top5": 0.0}
    first = score_topk(scores, "B")
    assert first.extra == {"top1": 1.0, "top5": 1.0} and first.correct
    ranked = Detections([Box(0, 0, 1, 1, label="x", score=0.2), Box(0, 0, 1, 1, label="y", score=0.7)])
    assert ranked_labels(ranked) == ["y", "x"]
    single = score_topk("cat", "dog")
    assert single.extra == {"top1": 0.0, "top5": 0.0} and "ranks only 1" in single.note
    assert score_topk(42, "dog").note.startswith("the answer is not a ranking")


# -- datasets in their public formats ---------------------------------------------------------

def test_gqa_reader_and_planned_evaluation(tmp_path):
    root = eval_data.make_gqa(tmp_path / "gqa")
    dataset = load_dataset("gqa", root, split="testdev")
    assert [it.id for it in dataset.items] == [g[0] for g in eval_data.GQA]
    assert dataset.items[0].types == {"structural": "query", "semantic": "attr"}
    summary = planned(dataset, tmp_path / "gqa.jsonl")
    outcome = {r["id"]: r["error_kind"] for r in summary.records}
    assert outcome == {"g1": None, "g2": None, "g3": "wrong_answer", "g4": None, "g5": "wrong_answer", "g6": "no_program"}
    assert summary.overall["accuracy"] == pytest.approx(3 / 6)
    by = summary.by_type["structural"]
    assert by["query"]["accuracy"] == pytest.approx(2 / 3) and by["verify"]["accuracy"] == pytest.approx(1 / 2)
    assert by["logical"]["n"] == 1 and by["logical"]["accuracy"] == 0.0
    assert summary.failures["correct"] == 3 and summary.failures["wrong_answer"] == 2 and summary.failures["no_program"] == 1
    g1 = summary.record("g1")
    assert g1["program_source"] == "planned" and g1["program"] == eval_data.COLOR_PROGRAM and g1["attempts"] == 1
    assert g1["answer"] == "red" and g1["check"] == {"ok": True, "diagnostics": []}
    g6 = summary.record("g6")
    assert g6["attempts"] == 2 and g6["check"]["ok"] is False and "PlannerError" in g6["error"]
    assert set(g1["times"]) == {"load_s", "plan_s", "check_s", "run_s", "score_s", "trace_s", "total_s"}
    assert g1["times"]["plan_s"] > 0 and g1["times"]["total_s"] >= g1["times"]["run_s"]
    header = summary.header
    assert header["config"]["chat_model"] == "KeywordChatModel" and header["config"]["max_attempts"] == 2
    assert header["versions"]["visprog"] and header["config"]["seed"] == 0


def test_gqa_missing_images_refused_or_skipped(tmp_path):
    root = eval_data.make_gqa(tmp_path / "gqa")
    (root / "images" / "ng3.jpg").unlink()
    with pytest.raises(InputError, match=r"1 of 6 items have missing images \(first: item g3, ng3.jpg\)"):
        load_dataset("gqa", root)
    dataset = load_dataset("gqa", root, missing="skip")
    assert len(dataset) == 5 and dataset.skipped == 1


def test_nlvr2_pairs_with_a_fixed_program(tmp_path):
    root = eval_data.make_nlvr2(tmp_path / "nlvr2")
    dataset = load_dataset("nlvr2", root, split="dev")
    assert dataset.items[0].images["LEFT"].endswith("dev-1-0-img0.png") and dataset.items[0].gold is True
    summary = run(dataset, tmp_path / "nlvr2.jsonl", program=eval_data.SAME_COLOR_PROGRAM)
    assert {r["id"]: r["correct"] for r in summary.records} == {"dev-1-0-0": True, "dev-2-0-0": True, "dev-3-1-0": False, "dev-4-0-1": True}
    assert summary.overall["accuracy"] == pytest.approx(3 / 4)
    assert summary.header["program"] == eval_data.SAME_COLOR_PROGRAM
    assert all(r["program_source"] == "fixed" and r["program"] is None for r in summary.records)


def test_vqav2_official_accuracy_end_to_end(tmp_path):
    root = eval_data.make_vqa(tmp_path / "vqa")
    dataset = load_dataset("vqav2", root, split="val")
    assert len(dataset) == 5 and dataset.items[1].gold == ["1"] * 2 + ["2"] * 8
    summary = planned(dataset, tmp_path / "vqa.jsonl")
    scores = {r["id"]: r["score"] for r in summary.records}
    assert [r["answer"] for r in summary.records] == ["2", "1", "3", "0", "yes"]
    assert scores == pytest.approx({"11": 1.0, "12": 0.6, "13": 0.3, "14": 1.0, "15": 1.0})
    assert summary.overall["score"] == pytest.approx(3.9 / 5)
    assert summary.by_type["answer_type"]["number"]["score"] == pytest.approx(2.9 / 4)
    assert summary.by_type["answer_type"]["yes/no"]["score"] == 1.0
    # 0.6 and 0.3: partial credit (some humans gave that answer), not a wrong answer.
    assert summary.failures["correct"] == 3 and summary.failures["partial_credit"] == 2 and summary.failures["wrong_answer"] == 0
    assert {r["id"]: r["error_kind"] for r in summary.records if r["error_kind"]} == {"12": "partial_credit", "13": "partial_credit"}
    text = format_summary(summary)
    assert "outcomes: correct 3, partial_credit 2" in text and "4 or more 1.0" in text


def test_vqa_unanimous_answers_rule_is_explained(tmp_path):
    """The official script compares without normalising when all humans agree: '2'
    against ten 'two' scores 0. The item's note and the summary say why."""
    from visprog.evaluation.metrics import score_vqa

    score = score_vqa("2", ["two"] * 10)
    assert score.value == 0.0 and "without normalisation" in score.note
    assert score_vqa("3", ["two"] * 10).note == ""  # a plain wrong answer: no such note
    eval_data._save(eval_data.solid("red"), tmp_path / "red.png")
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": "a", "image": "red.png", "question": "how many?", "answer": ["two"] * 10}) + "\n")
    summary = run(read_jsonl(tmp_path / "q.jsonl", metric="vqa"), tmp_path / "r.jsonl", program="result(2)")
    assert summary.records[0]["error_kind"] == "wrong_answer" and "without normalisation" in summary.records[0]["note"]
    assert "scored 0 by the official rule for unanimous human answers" in format_summary(summary)
    assert "Official VQA rule" in (tmp_path / "r.html").read_text()


def test_okvqa_files(tmp_path):
    root = eval_data.make_vqa(tmp_path / "okvqa", okvqa=True)
    dataset = load_dataset("okvqa", root)
    assert dataset.name == "okvqa" and dataset.metric == "vqa" and len(dataset) == 5
    assert dataset.sources["questions"].endswith("OpenEnded_mscoco_val2014_questions.json")


def test_refcoco_boxes_and_iou(tmp_path):
    root = eval_data.make_refcoco(tmp_path / "refer")
    dataset = load_dataset("refcoco", root, split="val")
    assert [it.id for it in dataset.items] == ["10-1", "10-2", "11-3", "11-4"]
    assert dataset.items[0].gold == [10.0, 10.0, 40.0, 40.0] and dataset.items[2].gold == [60.0, 20.0, 90.0, 40.0]
    summary = planned(dataset, tmp_path / "refcoco.jsonl")
    assert {r["id"]: r["correct"] for r in summary.records} == {"10-1": True, "10-2": True, "11-3": True, "11-4": False}
    assert summary.record("10-1")["extra"]["iou"] == pytest.approx(1.0)
    assert summary.record("11-4")["note"] == "no box found"
    assert summary.overall["accuracy"] == pytest.approx(3 / 4)
    assert summary.by_type["category"]["block"]["accuracy"] == 1.0 and summary.by_type["category"]["tile"]["accuracy"] == 0.5
    assert len(load_dataset("refcoco", root, split="testA")) == 1
    with pytest.raises(InputError, match="no refs in split 'test'"):
        load_dataset("refcoco", root, split="test")


def test_refs_pickle_with_code_is_refused(tmp_path):
    root = eval_data.make_refcoco(tmp_path / "refer")
    import pickle

    (root / "refcoco" / "refs(unc).p").write_bytes(pickle.dumps([Path("x")]))
    with pytest.raises(InputError, match="only plain data is accepted"):
        load_dataset("refcoco", root)


def test_imagenet_folders_top1_top5(tmp_path):
    root = eval_data.make_imagenet(tmp_path / "imagenet")
    dataset = load_dataset("imagenet", root, split="val", classes=root / "LOC_synset_mapping.txt")
    assert dataset.constants == {"CLASSES": ["red", "green", "blue"]} and dataset.metric == "topk"
    summary = run(dataset, tmp_path / "in.jsonl", program=eval_data.RANK_PROGRAM)
    assert summary.overall["top1"] == pytest.approx(5 / 6) and summary.overall["top5"] == 1.0
    miss = summary.record("n002/n002_2.png")
    assert miss["answer"][:2] == ["red", "green"] and miss["extra"] == {"top1": 0.0, "top5": 1.0}


def test_imagenet_class_names_must_match(tmp_path):
    root = eval_data.make_imagenet(tmp_path / "imagenet")
    (root / "names.json").write_text(json.dumps(["red", "green"]))
    with pytest.raises(InputError, match="lists 2 names for 3 class folders"):
        load_dataset("imagenet", root, split="val", classes=root / "names.json")


def test_jsonl_generic_and_bad_lines(tmp_path):
    path = eval_data.make_jsonl(tmp_path, n=6)
    dataset = read_jsonl(path)
    assert dataset.items[0].images["IMAGE"] == str(tmp_path / "img" / "0.png")
    summary = run(dataset, tmp_path / "out.jsonl", program=eval_data.COLOR_PROGRAM)
    assert summary.overall["accuracy"] == pytest.approx(4 / 6)
    assert summary.by_type["type"]["red"]["accuracy"] == 0.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "image": "a.png"}\n{"id": 2}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: give 'image' or 'images'"):
        read_jsonl(bad)
    bad.write_text('{"id": 1, "image": "a.png"}\n{"id": 1, "image": "b.png"}\n')
    with pytest.raises(InputError, match="item id '1' appears twice"):
        read_jsonl(bad)


def test_data_folder_problems_are_one_line(tmp_path):
    with pytest.raises(InputError, match="gqa data not found"):
        load_dataset("gqa", tmp_path / "nope")
    (tmp_path / "gqa").mkdir()
    with pytest.raises(InputError, match=r"no GQA questions file in .* give it with --questions"):
        load_dataset("gqa", tmp_path / "gqa")
    with pytest.raises(InputError, match="unknown dataset 'coco'"):
        load_dataset("coco", tmp_path)


# -- records, failures, traces --------------------------------------------------------

def test_checker_and_runtime_failures_are_classified(tmp_path):
    path = eval_data.make_jsonl(tmp_path, n=3)
    # A fixed program that fails the checker stops before the first item.
    with pytest.raises(InputError, match=r"^the program fails the checker, so no item was run: line 1, column 8: 'no_such_tool'"):
        run(read_jsonl(path), tmp_path / "check.jsonl", program="result(no_such_tool(IMAGE))")
    assert not (tmp_path / "check.jsonl").exists()
    # Items' own programs fail alone.
    rows = [json.loads(line) | {"program": "result(no_such_tool(IMAGE))"} for line in path.read_text().splitlines()]
    (tmp_path / "own.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    bad_check = run(read_jsonl(tmp_path / "own.jsonl"), tmp_path / "check.jsonl")
    assert bad_check.failures["checker"] == 3
    record = bad_check.records[0]
    assert record["check"]["ok"] is False and "no_such_tool" in record["check"]["diagnostics"][0]
    assert record["trace"] and (tmp_path / record["trace"]).is_file()
    crash = run(read_jsonl(path), tmp_path / "crash.jsonl", program="result(find_color(IMAGE, 'red')[3])")
    assert crash.failures["runtime"] == 3
    assert crash.records[0]["run_error"]["kind"] == "ProgramRuntimeError"
    assert crash.runtime_by_tool == {"ProgramRuntimeError": 3}
    missing = tmp_path / "gone.jsonl"
    missing.write_text('{"id": "a", "image": "nowhere.png", "answer": "x"}\n{"id": "b", "image": "img/0.png", "answer": "x"}\n')
    # Absent images are refused when read (as every reader does), or left out with missing="skip"...
    with pytest.raises(InputError, match=r"gone: 1 of 2 items have missing images \(first: item a, .*nowhere.png\); pass --skip-missing"):
        read_jsonl(missing)
    assert [it.id for it in read_jsonl(missing, missing="skip").items] == ["b"]
    assert read_jsonl(missing, missing="skip").skipped == 1
    # ...and one that goes after reading fails alone, as an input failure.
    dataset = read_jsonl(path)
    Path(dataset.items[0].images["IMAGE"]).unlink()
    lost = run(dataset, tmp_path / "lost.jsonl", program=eval_data.COLOR_PROGRAM)
    assert lost.records[0]["error_kind"] == "input" and "image not found" in lost.records[0]["error"]


def test_runtime_failures_name_the_tool(tmp_path):
    path = eval_data.make_jsonl(tmp_path, n=2)
    summary = run(read_jsonl(path), tmp_path / "out.jsonl", program="x = [IMAGE.width]\nresult(rank_colors(IMAGE, x))")
    assert summary.failures["runtime"] == 2 and summary.runtime_by_tool == {"rank_colors": 2}


def test_traces_saved_and_bounded(tmp_path):
    path = eval_data.make_jsonl(tmp_path, n=3)
    summary = run(read_jsonl(path), tmp_path / "out.jsonl", program=eval_data.COLOR_PROGRAM, traces="failed")
    saved = [r["trace"] for r in summary.records]
    assert saved[0] is not None and saved[1] is None and saved[2] is None  # item0's gold is wrong
    page = (tmp_path / saved[0]).read_text()
    assert "main_color" in page and "data:image/" in page
    eval_data._save(eval_data.photo("astronaut"), tmp_path / "big.png")
    (tmp_path / "big.jsonl").write_text(json.dumps({"id": "big", "image": "big.png", "answer": "gray"}))
    full = run(read_jsonl(tmp_path / "big.jsonl"), tmp_path / "full.jsonl", program=eval_data.COLOR_PROGRAM, max_trace_bytes=5_000_000)
    assert (tmp_path / full.records[0]["trace"]).stat().st_size > 20_000
    small = run(read_jsonl(tmp_path / "big.jsonl"), tmp_path / "small.jsonl", program=eval_data.COLOR_PROGRAM, max_trace_bytes=20_000)
    stripped = (tmp_path / small.records[0]["trace"]).read_text()
    assert len(stripped.encode()) <= 20_000
    assert "images left out" in stripped and "data:image/" not in stripped and "main_color" in stripped


def test_report_html_links_traces_and_has_plots(tmp_path):
    root = eval_data.make_gqa(tmp_path / "gqa")
    summary = planned(load_dataset("gqa", root), tmp_path / "out" / "gqa.jsonl")
    page = (tmp_path / "out" / "gqa.html").read_text()
    assert page.count("<svg") >= 4 and "<script" not in page
    for record in summary.records:
        if record["trace"]:
            assert f"href='{record['trace']}'" in page
            assert (tmp_path / "out" / record["trace"]).is_file()
    assert "no program" in page and "By structural" in page
    from visprog.evaluation import write_report

    elsewhere = write_report(summary, tmp_path / "reports" / "r.html").read_text()
    assert "href='../out/gqa.traces/" in elsewhere


# -- resume -------------------------------------------------------------------------

class Stop(Exception):
    pass


def _comparable(records):
    keys = ("answer", "score", "correct", "error_kind", "extra", "program", "result")
    return {r["id"]: {k: r[k] for k in keys} for r in records}


def test_interrupted_run_resumes_to_the_same_results(tmp_path):
    root = eval_data.make_gqa(tmp_path / "gqa")
    dataset = load_dataset("gqa", root)
    whole = planned(dataset, tmp_path / "whole.jsonl")
    out = tmp_path / "part.jsonl"
    seen: list[str] = []

    def stop_after_two(record):
        seen.append(record["id"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        planned(dataset, out, on_record=stop_after_two)
    _, records, _ = read_results(out)
    assert [r["id"] for r in records] == ["g1", "g2"]
    with out.open("a") as handle:  # a line cut off while being written
        handle.write('{"kind": "item", "id": "g3", "answ')
    again: list[str] = []
    resumed = planned(dataset, out, on_record=lambda r: again.append(r["id"]))
    assert again == ["g3", "g4", "g5", "g6"]
    assert _comparable(resumed.records) == _comparable(whole.records)
    lines = out.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "header" and json.loads(lines[3])["kind"] == "resume"
    assert len(lines) == 1 + 2 + 1 + 4
    # Running it again finds nothing to do and rewrites the report.
    nothing: list[str] = []
    planned(dataset, out, on_record=lambda r: nothing.append(r["id"]))
    assert nothing == []


def test_resume_refuses_a_different_evaluation(tmp_path):
    path = eval_data.make_jsonl(tmp_path, n=3)
    out = tmp_path / "out.jsonl"
    run(read_jsonl(path), out, program=eval_data.COLOR_PROGRAM)
    with pytest.raises(InputError, match=r"different evaluation \(differs in: program_sha256\)"):
        run(read_jsonl(path), out, program=eval_data.IS_RED_PROGRAM)
    with pytest.raises(InputError, match=r"differs in: seed"):
        run(read_jsonl(path), out, program=eval_data.COLOR_PROGRAM, seed=1)
    fresh = run(read_jsonl(path), out, program=eval_data.IS_RED_PROGRAM, overwrite=True)
    assert len(fresh.records) == 3 and fresh.header["program"] == eval_data.IS_RED_PROGRAM


def test_not_a_results_file(tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text('{"hello": 1}\n')
    path = eval_data.make_jsonl(tmp_path, n=1)
    with pytest.raises(InputError, match="not a visprog evaluation results file"):
        run(read_jsonl(path), out, program=eval_data.COLOR_PROGRAM)


def test_run_stopped_by_limit_resumes_without_it(tmp_path):
    dataset = read_jsonl(eval_data.make_jsonl(tmp_path, n=6))
    out = tmp_path / "r.jsonl"
    first = run(dataset.subset(limit=3), out, program=eval_data.COLOR_PROGRAM)
    assert [r["id"] for r in first.records] == ["item0", "item1", "item2"]
    seen = []
    whole = run(dataset, out, program=eval_data.COLOR_PROGRAM, on_record=lambda r: seen.append(r["id"]))
    assert seen == ["item3", "item4", "item5"] and len(whole.records) == 6
    assert whole.header["dataset"]["items"] == 6
    again = run(dataset.subset(limit=2), out, program=eval_data.COLOR_PROGRAM)  # a smaller run: its items only
    assert [r["id"] for r in again.records] == ["item0", "item1"] and again.overall["n"] == 2
    other = read_jsonl(eval_data.make_jsonl(tmp_path / "other", n=5))
    with pytest.raises(InputError, match="differs in: dataset_fingerprint"):
        run(other, out, program=eval_data.COLOR_PROGRAM)


def test_cached_items_do_not_inflate_the_framework_share(tmp_path):
    records = [
        {"id": "a", "times": {"total_s": 1.0}, "model_s": 0.8, "other_tools_s": 0.0, "framework_s": 0.2, "cached_calls": 0},
        {"id": "b", "times": {"total_s": 0.1}, "model_s": 0.0001, "other_tools_s": 0.0, "framework_s": 0.1, "cached_calls": 1},
    ]
    header = {"kind": "header", "format": "visprog-eval", "dataset": {"name": "d", "metric": "exact", "items": 2}, "config": {"metric": "exact"}}
    path = tmp_path / "r.jsonl"
    base = {"kind": "item", "error_kind": None, "score": 1.0, "correct": True, "types": {}}
    path.write_text("\n".join(json.dumps(r) for r in [header, *(base | r for r in records)]) + "\n")
    summary = summarize(path)
    assert summary.overhead == pytest.approx(0.25)  # the uncached item only; both gave (0.3/0.8001) before
    assert "framework/model 25.0% over the items the cache did not answer" in format_summary(summary)
    only_cached = tmp_path / "c.jsonl"
    only_cached.write_text("\n".join(json.dumps(r) for r in [header, base | records[1]]) + "\n")
    assert summarize(only_cached).overhead is None
    assert "not measured: the cache answered" in format_summary(summarize(only_cached))


def test_gold_boxes_without_float_noise():
    assert 0.1 + 0.2 != 0.3
    assert coco_to_xyxy([0.1, 0.2, 0.2, 0.1]) == [0.1, 0.2, 0.3, 0.3]
    assert 100.01 + 13.9 == 113.91000000000001
    assert coco_to_xyxy([100.01, 5, 13.9, 7.25]) == [100.01, 5.0, 113.91, 12.25]
    assert coco_to_xyxy([1e-7, 0, 1, 2]) == [1e-7, 0.0, 1.0000001, 2.0]


def test_limit_and_sample_subsets(tmp_path):
    path = eval_data.make_jsonl(tmp_path, n=8)
    dataset = read_jsonl(path)
    assert [it.id for it in dataset.subset(limit=3).items] == ["item0", "item1", "item2"]
    a, b = dataset.subset(sample=4, seed=1), dataset.subset(sample=4, seed=1)
    assert [it.id for it in a.items] == [it.id for it in b.items] and len(a) == 4
    assert Item.from_dict(dataset.items[0].to_dict()) == dataset.items[0]


# -- real offline tools -----------------------------------------------------------------

def test_jsonl_with_real_face_detector(tmp_path):
    pytest.importorskip("cv2")
    eval_data._save(eval_data.photo("astronaut"), tmp_path / "astronaut.png")
    eval_data._save(eval_data.photo("coffee"), tmp_path / "coffee.png")
    program = "faces = detect_faces(IMAGE)\nresult(len(faces))"
    rows = [
        {"id": "astronaut", "image": "astronaut.png", "question": "How many faces?", "answer": "1", "program": program},
        {"id": "coffee", "image": "coffee.png", "question": "How many faces?", "answer": "0", "program": program},
        {"id": "astronaut-again", "image": "astronaut.png", "question": "How many faces?", "answer": "1", "program": program},
    ]
    (tmp_path / "faces.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    summary = evaluate(read_jsonl(tmp_path / "faces.jsonl"), tmp_path / "out.jsonl", progress=False)
    assert [r["answer"] for r in summary.records] == ["1", "0", "1"] and summary.overall["accuracy"] == 1.0
    astronaut = summary.record("astronaut")
    assert astronaut["program_source"] == "item" and astronaut["model_s"] > 0 and astronaut["cached_calls"] == 0
    assert summary.record("astronaut-again")["cached_calls"] == 1 and summary.cached == 1  # same pixels: a cache hit
    assert summary.times["model_s"] > 0 and summary.overhead is not None
    assert summary.header["models"]["faces"]["configured"] == summary.header["models"]["faces"]["default"]


# -- CLI ------------------------------------------------------------------------------

def cli(argv, capsys):
    parser = argparse.ArgumentParser(prog="visprog")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.handler(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_eval_jsonl_and_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    eval_data.make_nlvr2(tmp_path / "nlvr2")
    (tmp_path / "same.vp").write_text(eval_data.SAME_COLOR_PROGRAM)
    # The fake tools are not in the default registry: the program fails the checker,
    # and eval stops before the first item with the diagnostic.
    code, out, err = cli(["eval", "nlvr2", "nlvr2", "--split", "dev", "--program", "same.vp", "--out", "r.jsonl"], capsys)
    assert code == 2 and out == "" and not Path("r.jsonl").exists()
    assert err.startswith("visprog eval: error: the program fails the checker, so no item was run: line 1, column 8: 'main_color'")
    assert len(err.strip().splitlines()) == 1
    (tmp_path / "loc.vp").write_text("X = LOCC(image=LEFT, object='dog')\nresult(len(X))\n")
    code, _, err = cli(["eval", "nlvr2", "nlvr2", "--split", "dev", "--program", "loc.vp", "--out", "r.jsonl"], capsys)
    assert code == 2 and "did you mean 'LOC'?" in err
    # Every item fails at run time: exit 1, like batch.
    (tmp_path / "same.vp").write_text("result(LEFT.width[2])\n")
    code, out, err = cli(["eval", "nlvr2", "nlvr2", "--split", "dev", "--program", "same.vp", "--out", "r.jsonl"], capsys)
    assert code == 1 and "nlvr2: 4 items" in out and "runtime 4" in out and "every item failed" in err
    assert Path("r.html").is_file()
    code, _, err = cli(["eval", "gqa", "missing-folder", "--program", "same.vp"], capsys)
    assert code == 2 and err.strip() == "visprog eval: error: gqa data not found: missing-folder"
    code, _, err = cli(["eval", "nlvr2", "nlvr2", "--program", "nope.vp"], capsys)
    assert code == 2 and err.strip() == "visprog eval: error: program file not found: nope.vp"
    code, _, err = cli(["eval", "nlvr2", "nlvr2", "--metric", "vqa", "--program", "same.vp"], capsys)
    assert code == 2 and "--metric applies to jsonl datasets" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli(["eval", "nlvr2", "nlvr2", "--split", "dev", "--program", "same.vp", "--out", "r.jsonl", "--seed", "3"], capsys)
    assert code == 2 and "differs in: seed" in err


def test_cli_batch(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for color in ("red", "blue"):
        eval_data._save(eval_data.solid(color), tmp_path / "photos" / f"{color}.png")
    (tmp_path / "size.vp").write_text("result(IMAGE.width * IMAGE.height)")
    code, out, err = cli(["batch", "size.vp", "--images", "photos", "--out", "b.jsonl"], capsys)
    assert code == 0, err
    # No gold answers: the items ran; none is "correct".
    assert "outcomes: ran 2" in out and "correct" not in out
    page = Path("b.html").read_text()
    assert ">ran<" in page and "correct" not in page.split("<h2>Failures</h2>")[1].split("<h2>")[0]
    _, records, _ = read_results("b.jsonl")
    assert sorted((r["id"], r["answer"]) for r in records) == [("blue.png", "3072"), ("red.png", "3072")]
    (tmp_path / "bad.vp").write_text("result(IMAGE.width[2])")
    code, _, err = cli(["batch", "bad.vp", "--images", "photos/*.png", "--out", "c.jsonl"], capsys)
    assert code == 1 and "2 of 2 images failed" in err
    code, _, err = cli(["batch", "size.vp", "--images", "nowhere/*.jpg"], capsys)
    assert code == 2 and err.strip() == "visprog batch: error: no images match nowhere/*.jpg"


def test_cli_ray_without_ray_is_one_line(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as if not installed
    eval_data._save(eval_data.solid("red"), tmp_path / "photos" / "red.png")
    (tmp_path / "size.vp").write_text("result(IMAGE.width)")
    code, _, err = cli(["batch", "size.vp", "--images", "photos", "--ray"], capsys)
    assert code == 2
    assert err.strip() == "visprog batch: error: --ray needs Ray Data: pip install 'visprog[eval]' (or pip install 'ray[data]')"


#: The README's evaluation commands, run here as written (in a folder laid out as they say).
README_COMMANDS = """
.venv/bin/visprog eval gqa data/gqa --split testdev --program answer.vp --out gqa.jsonl
.venv/bin/visprog batch programs/count_left.vp --images 'photos/*.png' --out faces.jsonl
"""


def test_readme_commands(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    eval_data.make_gqa(tmp_path / "data" / "gqa")
    (tmp_path / "answer.vp").write_text("result(IMAGE.width > 10)")
    (tmp_path / "programs").mkdir()
    shutil.copy(Path(__file__).parent.parent / "programs" / "count_left.vp", tmp_path / "programs")
    eval_data._save(eval_data.solid("white"), tmp_path / "photos" / "blank.png")
    for line in README_COMMANDS.strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == ".venv/bin/visprog"
        code, _, err = cli(argv[1:], capsys)
        assert code == 0, err
    assert summarize("gqa.jsonl").overall["n"] == 6
    _, records, _ = read_results("faces.jsonl")
    assert [r["answer"] for r in records] == ["0"]


@pytest.mark.models
def test_imagenet_default_program_with_tiny_clip(tmp_path, tiny_models):
    """The default ImageNet program (class_scores over every class) through the real CLIP
    loader on a tiny random-weight model: templates, then a published-format CuPL file."""
    pytest.importorskip("open_clip")
    from visprog.evaluation.datasets import IMAGENET_PROGRAM

    root = eval_data.make_imagenet(tmp_path / "imagenet")
    dataset = load_dataset("imagenet", root, split="val", classes=root / "LOC_synset_mapping.txt")
    templates = evaluate(dataset, tmp_path / "t.jsonl", progress=False, result_cache=False, class_prompts="templates")
    assert templates.header["program"] == IMAGENET_PROGRAM and templates.header["config"]["class_prompts"] == "templates"
    for record in templates.records:
        assert record["error_kind"] in (None, "wrong_answer"), record["error"]
        assert sorted(record["answer"]) == ["blue", "green", "red"]  # every class ranked
        assert sum(record["result"].values()) == pytest.approx(1.0, abs=1e-4)
        assert record["extra"]["top5"] == 1.0 and record["model_s"] > 0
    cupl = tmp_path / "cupl.json"
    cupl.write_text(json.dumps({"red": ["A bright red surface."], "green": ["Green leaves."], "blue": ["A clear blue sky."]}))
    described = evaluate(dataset, tmp_path / "c.jsonl", progress=False, result_cache=False, class_prompts=str(cupl))
    assert described.header["config"]["class_prompts_sha256"]
    assert [r["result"] for r in described.records] != [r["result"] for r in templates.records]
    again = evaluate(dataset, tmp_path / "t2.jsonl", progress=False, class_prompts="templates")  # the file was unloaded
    assert [r["result"] for r in again.records] == [r["result"] for r in templates.records]


#: The README's evaluation snippet, run here as written.
README_SNIPPET = '''
import json, pathlib
from PIL import Image
from skimage import data
from visprog.evaluation import evaluate, load_dataset

folder = pathlib.Path("faces")
folder.mkdir(exist_ok=True)
items = []
for name, faces in [("astronaut", 1), ("coffee", 0)]:
    Image.fromarray(getattr(data, name)()).save(folder / f"{name}.png")
    items.append({"id": name, "image": f"{name}.png", "question": "How many faces?", "answer": str(faces)})
(folder / "items.jsonl").write_text("\\n".join(json.dumps(item) for item in items))

program = "faces = detect_faces(IMAGE)\\nresult(len(faces))"
summary = evaluate(load_dataset("jsonl", "faces/items.jsonl"), "faces.jsonl", program=program)
print(summary.overall["accuracy"], summary.failures)   # results in faces.jsonl, report in faces.html
'''


def test_readme_snippet(tmp_path, monkeypatch, capsys):
    pytest.importorskip("cv2")
    monkeypatch.chdir(tmp_path)
    exec(compile(README_SNIPPET, "README", "exec"), {})
    assert capsys.readouterr().out.startswith("1.0 {'correct': 2,")
    assert (tmp_path / "faces.html").is_file() and len(read_results("faces.jsonl")[1]) == 2


def test_readme_text_is_what_these_tests_run():
    root = Path(__file__).resolve().parent.parent
    texts = [p.read_text(encoding="utf-8") for p in (root / "README.md", root / "visprog" / "evaluation" / "README_SECTION.md") if p.is_file()]
    for line in README_COMMANDS.strip().splitlines():
        assert any(line in t for t in texts), line
    assert any(README_SNIPPET.strip() in t for t in texts)
