"""The Ray backend on a local Ray with 2 CPUs: the same records as the local backend,
streamed to the same results file (resuming a local run included)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests import eval_data
from visprog.evaluation import evaluate, load_dataset, read_results
from visprog.evaluation.cli import add_commands
from visprog.evaluation.ray_backend import pool_size
from visprog.evaluation.ray_cluster import connect, start_head

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("answer", "score", "correct", "error_kind", "extra", "program", "result", "check", "attempts", "note")


def test_pool_size():
    assert pool_size({"CPU": 16.0, "GPU": 2.0}, None) == (2, {"num_gpus": 1.0, "num_cpus": 1.0})
    assert pool_size({"CPU": 2.0}, None) == (2, {"num_cpus": 1.0})
    assert pool_size({"CPU": 8.0}, 3) == (3, {"num_cpus": 1.0})


@pytest.fixture(scope="session")
def local_ray():
    pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    # Workers import the test tools (tests.eval_data) and this checkout's visprog.
    with start_head(2, extra_pythonpath=[str(ROOT)]) as node, connect(node) as ray:
        yield ray


def _comparable(records):
    return {r["id"]: {k: r[k] for k in KEYS} for r in records}


def _run(dataset, out, backend, **kwargs):
    return evaluate(
        dataset, out, registry=eval_data.fake_registry(), chat_model=eval_data.planner_model(), max_attempts=2,
        planner_options={"selection": "lexical"}, result_cache=False, progress=False, backend=backend, **kwargs,
    )


@pytest.mark.slow
def test_ray_gives_the_local_results(local_ray, tmp_path):
    for make, kind in ((eval_data.make_gqa, "gqa"), (eval_data.make_vqa, "vqav2")):
        dataset = load_dataset(kind, make(tmp_path / kind))
        local = _run(dataset, tmp_path / f"{kind}-local.jsonl", "local")
        on_ray = _run(dataset, tmp_path / f"{kind}-ray.jsonl", "ray", workers=2)
        assert _comparable(on_ray.records) == _comparable(local.records)
        assert on_ray.overall == local.overall and on_ray.failures == local.failures
        assert on_ray.header["backend"] == "ray" and on_ray.header["config_hash"] == local.header["config_hash"]
        assert all(r["trace"] and (tmp_path / r["trace"]).is_file() for r in on_ray.records if r["error_kind"] != "no_program")


@pytest.mark.slow
def test_local_run_resumed_on_ray(local_ray, tmp_path):
    dataset = load_dataset("refcoco", eval_data.make_refcoco(tmp_path / "refer"))
    whole = _run(dataset, tmp_path / "whole.jsonl", "local")
    out = tmp_path / "part.jsonl"

    def stop(record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(dataset, out, "local", on_record=stop)
    assert len(read_results(out)[1]) == 1
    resumed = _run(dataset, out, "ray", workers=2)
    assert _comparable(resumed.records) == _comparable(whole.records)
    assert resumed.overall["accuracy"] == pytest.approx(3 / 4)


@pytest.mark.slow
def test_cli_batch_on_ray(local_ray, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for color in ("red", "green", "blue"):
        eval_data._save(eval_data.solid(color), tmp_path / "photos" / f"{color}.png")
    (tmp_path / "size.vp").write_text("result(IMAGE.width + IMAGE.height)")
    parser = argparse.ArgumentParser(prog="visprog")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["batch", "size.vp", "--images", "photos", "--ray", "--workers", "2", "--out", "b.jsonl"])
    assert args.handler(args) == 0, capsys.readouterr().err
    header, records, _ = read_results("b.jsonl")
    assert header["backend"] == "ray" and sorted(r["answer"] for r in records) == ["112"] * 3
