"""The Ray backend on a local Ray with 2 CPUs: the same records as the local backend,
streamed to the same results file (resuming a local run included)."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import PIL.Image
import pytest

from tests import eval_data
from visprog import InputError
from visprog.evaluation import evaluate, load_dataset, read_results
from visprog.evaluation.cli import add_commands
from visprog.evaluation.ray_backend import pool_size, preflight_check
from visprog.evaluation.ray_cluster import start_head, start_worker_node

ROOT = Path(__file__).resolve().parent.parent
KEYS = ("answer", "score", "correct", "error_kind", "extra", "program", "result", "check", "attempts", "note")


def test_pool_size():
    assert pool_size({"CPU": 16.0, "GPU": 2.0}, None) == (2, {"num_gpus": 1.0, "num_cpus": 1.0})
    assert pool_size({"CPU": 2.0}, None) == (2, {"num_cpus": 1.0})
    assert pool_size({"CPU": 8.0}, 3) == (3, {"num_cpus": 1.0})


@pytest.fixture
def local_ray(local_ray_node):
    """The session's local Ray node (tests/conftest.py), this process its driver."""
    return local_ray_node


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


def test_pool_size_with_gpus():
    assert pool_size({"CPU": 4.0, "GPU": 2.0}, None, gpu_share=0.5) == (4, {"num_gpus": 0.5, "num_cpus": 1.0})
    assert pool_size({"CPU": 4.0, "GPU": 1.0}, None, gpu_share=2.0) == (4, {"num_cpus": 1.0})  # does not fit: CPUs
    with pytest.raises(InputError, match="gpu_share"):
        pool_size({"GPU": 1.0}, None, gpu_share=1.5)


def test_preflight_names_what_a_node_cannot_see(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    assert preflight_check([str(tmp_path / "a.png")], str(tmp_path / "out")) == []
    (tmp_path / "file").write_text("")
    problems = preflight_check([str(tmp_path / "a.png"), str(tmp_path / "gone.png")], str(tmp_path / "file" / "out"))
    assert len(problems) == 2
    assert "cannot read 1 of 2 input files (first: " in problems[0] and problems[0].endswith("gone.png)")
    assert "cannot write the output folder" in problems[1]
    assert preflight_check([str(tmp_path / "a.png")], None) == []  # no traces to write


@pytest.mark.slow
@pytest.mark.xdist_group("ray-two-nodes")  # a minute alone: not queued behind the session cluster's tests
def test_two_node_cluster_joined_by_address(tmp_path):
    """A head and a second node started with `ray start` (own temp folders, CPUs and
    logical GPUs), `visprog batch --ray HOST:PORT` joining them from another process:
    the local answers, work on both nodes, one GPU per actor, clean shutdown."""
    pytest.importorskip("ray.data")
    sizes = [(40 + 8 * i, 30 + 4 * i) for i in range(12)]
    for i, (w, h) in enumerate(sizes):
        PIL.Image.new("RGB", (w, h), (i * 20, 90, 200)).save(tmp_path / f"p{i:02d}.png")
    program = tmp_path / "size.vp"
    program.write_text("result(IMAGE.width * 1000 + IMAGE.height)\n")

    def batch(*extra, env=None):
        command = [str(ROOT / ".venv" / "bin" / "visprog"), "batch", str(program), "--images", str(tmp_path / "*.png"), "--quiet", *extra]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-2000:]
        return {r["id"]: r for r in read_results(tmp_path / extra[extra.index("--out") + 1])[1]}

    local = batch("--out", "local.jsonl")
    assert sorted(r["answer"] for r in local.values()) == sorted(str(w * 1000 + h) for w, h in sizes)
    with start_head(1, num_gpus=1) as head, start_worker_node(head, 2, num_gpus=2) as second:
        env = os.environ | head.auth_environment()
        on_ray = batch("--out", "ray.jsonl", "--ray", head.address, env=env)
        processes = [head.process, second.process]
    assert {k: r["answer"] for k, r in on_ray.items()} == {k: r["answer"] for k, r in local.items()}
    workers = {(r["worker"]["node"], r["worker"]["cuda_visible_devices"]) for r in on_ray.values()}
    nodes = {node for node, _ in workers}
    assert len(nodes) == 2, workers  # both nodes answered items
    assert len(workers) == 3 and {d for _, d in workers} == {"0", "1"}, workers  # 3 actors: one GPU each
    assert all(r["worker"]["threads"] == 1 for r in on_ray.values())
    assert all(p.poll() is not None for p in processes)
    assert not head.temp_dir.exists() and not second.temp_dir.exists()
