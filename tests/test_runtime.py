"""Runtime mechanisms: the pre-emptive deadline, paused time, cumulative budgets,
bounded text, key depth, copies at the boundary, Ctrl-C, thread safety, the one tool
call path, and reuse of checked programs."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from visprog import Box, Detections, InputError, Limits, Registry, ToolError, run_program, start_program, tool
from visprog.runtime import calls


@tool
def sleepy(seconds: float) -> int:
    """Sleep, then return 1.

    Args:
        seconds: how long.

    Returns:
        1.
    """
    time.sleep(seconds)
    return 1


@tool
def numbers(n: int) -> list[int]:
    """A fresh list of numbers.

    Args:
        n: how many.

    Returns:
        [0, ..., n-1].
    """
    return list(range(n))


@tool(preempt="inline")
def boxes(n: int) -> Detections:
    """n small boxes.

    Args:
        n: how many.

    Returns:
        The boxes.
    """
    return Detections([Box(i, 0, i + 1, 1) for i in range(n)])


@tool(preempt="inline")
def how_many(found: Detections) -> int:
    """How many boxes.

    Args:
        found: the boxes.

    Returns:
        Their number.
    """
    return len(found)


REG = Registry([sleepy, numbers, boxes, how_many])


def test_deadline_stops_a_slow_tool_call_and_names_its_line():
    started = time.perf_counter()
    result = run_program("a = 1\nb = sleepy(3)\nresult(b)", registry=REG, limits=Limits(max_wall_time_s=0.5))
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed  # not the tool's 3 s
    assert result.error is not None and result.error.budget == "max_wall_time_s"
    assert result.error.line == 2 and result.error.tool == "sleepy"
    assert "abandoned" in result.error.message


def test_a_call_abandoned_at_the_deadline_is_waited_for_before_exit():
    # A call left running at the deadline may be in native code (onnxruntime, torch) that a
    # finalising process aborts under (exit 134): it is remembered, and can be waited for.
    result = run_program("b = sleepy(1.5)\nresult(b)", registry=REG, limits=Limits(max_wall_time_s=0.3))
    assert result.error is not None and result.error.budget == "max_wall_time_s"
    assert "visprog-sleepy" in calls.abandoned_calls()
    assert calls.settle_abandoned(30.0)
    assert calls.abandoned_calls() == []


def test_settling_is_bounded_by_its_timeout():
    result = run_program("b = sleepy(3)\nresult(b)", registry=REG, limits=Limits(max_wall_time_s=0.2))
    assert result.error is not None
    started = time.monotonic()
    assert not calls.settle_abandoned(0.2)  # still running: not waited for past the bound
    assert time.monotonic() - started < 2.5
    assert calls.settle_abandoned(30.0)


def test_time_between_steps_does_not_count():
    execution = start_program("a = sleepy(0.01)\nb = sleepy(0.01)\nresult(b)", registry=REG, limits=Limits(max_wall_time_s=0.5))
    assert execution.step() is not None
    time.sleep(0.8)  # longer than the whole budget, while the run is paused
    result = execution.run()
    assert result.error is None and result.result == 1
    assert result.trace.duration_s < 0.5


def test_auto_tools_prove_fast_then_run_inline():
    numbers.fast_streak = 0
    result = run_program("xs = [numbers(2) for i in range(6)]\nresult(len(xs))", registry=REG)
    assert result.error is None and result.result == 6
    assert numbers.fast_streak >= calls.PROVEN_CALLS


def test_cumulative_items_budget_stops_many_small_pieces():
    program = "parts = []\nfor i in range(1000):\n    parts = parts + ['x' * 100]\nresult(len(parts))"
    assert run_program(program, registry=REG).error is None
    stopped = run_program(program, registry=REG, limits=Limits(max_total_items=50_000))
    assert stopped.error is not None and stopped.error.budget == "max_total_items" and stopped.error.line == 3


def test_text_of_a_huge_container_is_refused_before_it_is_built():
    program = "a = [1] * 900000\nb = [a, a, a, a, a]\nresult(str(b))"
    result = run_program(program, registry=REG)
    assert result.error is not None and result.error.budget == "max_sequence_length"
    fstring = run_program("a = [1] * 900000\nresult(f'{a}{a}')", registry=REG)
    assert fstring.error is not None and fstring.error.kind == "BudgetExceeded"


def test_sum_of_lists_is_refused():
    result = run_program("result(sum([[1], [2]], []))", registry=REG)
    assert result.error is not None and "sum() adds numbers only" in result.error.message


def test_repeated_detections_concatenation_is_bounded():
    program = "d = boxes(1000)\nfor i in range(30):\n    d = d + d\nresult(len(d))"
    result = run_program(program, registry=REG)
    assert result.error is not None and result.error.budget in ("max_sequence_length", "max_total_items")


def test_deep_tuple_keys_are_refused_before_hashing():
    program = "t = ()\nfor i in range(200):\n    t = (t,)\nd = {t: 1}\nresult(len(d))"
    result = run_program(program, registry=REG)
    assert result.error is not None and result.error.budget == "max_container_depth" and result.error.line == 4
    shallow = run_program("d = {((1, 2), 3): 1}\nresult(d[((1, 2), 3)])", registry=REG)
    assert shallow.error is None and shallow.result == 1


def test_items_per_call_are_checked_before_the_call():
    result = run_program("xs = [1] * 20000\nresult(numbers(len(xs)))\nb = boxes(1)", registry=REG,
                         limits=Limits(max_items_per_call=100))
    assert result.error is None  # an int argument is not a list
    crowded = run_program("d = boxes(5000)\nresult(how_many(d))", registry=REG, limits=Limits(max_items_per_call=100))
    assert crowded.error is not None and crowded.error.budget == "max_items_per_call" and crowded.error.line == 2


def test_trace_keeps_copies_and_program_mutations_do_not_rewrite_history():
    result = run_program("xs = numbers(3)\nxs.append(99)\nys = numbers(3)\nresult(xs)", registry=REG)
    assert result.result == [0, 1, 2, 99]
    assert result.trace.steps[0].output == [0, 1, 2]
    assert result.trace.steps[0].calls[0].output == [0, 1, 2]


def test_ctrl_c_during_a_worker_call_is_recorded_and_raised():
    import _thread

    execution = start_program("a = sleepy(2)\nresult(a)", registry=REG)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            execution.run()
    finally:
        timer.cancel()
    assert execution.interrupted
    assert execution.trace.error is not None and execution.trace.error.kind == "Interrupted"
    assert execution.trace.error.line == 1


def test_run_program_is_thread_safe():
    program = "xs = numbers(50)\nresult(sum(xs))"
    results: list[object] = []

    def work() -> None:
        for _ in range(20):
            results.append(run_program(program, registry=REG).result)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [sum(range(50))] * 160


def test_tool_call_outside_a_program_takes_the_same_path():
    # Validation, output checks and copies apply to a direct call too.
    with pytest.raises(ToolError, match="argument 'n'"):
        numbers(n="three")
    first = numbers(n=3)
    first.append(5)
    assert numbers(n=3) == [0, 1, 2]


def test_checked_programs_are_reused_while_the_registry_is_unchanged():
    from visprog import run as run_module

    source = "xs = numbers(2)\nresult(len(xs))  # reuse test"
    run_module._CHECKED.clear()
    registry = Registry([numbers])
    run_program(source, registry=registry)
    hits_before = len(run_module._CHECKED)
    assert run_program(source, registry=registry).result == 2
    assert len(run_module._CHECKED) == hits_before
    registry.add(sleepy)  # a change to the registry: checked again
    assert run_program(source, registry=registry).result == 2
    assert len(run_module._CHECKED) == hits_before + 1


def test_the_checked_program_cache_keeps_few_long_programs():
    """Kept syntax trees are objects the garbage collector walks in every full
    collection: the cache bounds their total, and keeps no program over half of it."""
    from visprog import run as run_module

    run_module._CHECKED.clear()
    registry = Registry([numbers])
    line = "xs = numbers(2)\n"
    long_program = line * 2_000 + "result(len(xs))"  # 12,000 nodes
    for i in range(8):
        assert run_program(f"# {i}\n{long_program}", registry=registry, limits=Limits(max_source_chars=100_000)).ok
    kept = [entry[1].scan.nodes for entry in run_module._CHECKED.values()]
    assert len(kept) == run_module._CHECKED_MAX_NODES // 12_000 and sum(kept) <= run_module._CHECKED_MAX_NODES
    huge = line * 6_000 + "result(len(xs))"
    assert run_program(huge, registry=registry, limits=Limits(max_source_chars=200_000, max_statements=10_000)).ok
    assert all(entry[1].source != huge for entry in run_module._CHECKED.values())


def _tasks(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


@pytest.mark.skipif(importlib.util.find_spec("rapidocr_onnxruntime") is None or not os.path.isdir("/proc"),
                    reason="needs rapidocr_onnxruntime and /proc")
def test_ctrl_c_during_read_text_exits_130_not_134(tmp_path):
    # onnxruntime's threads were still running when the interrupted command exited:
    # `terminate called without an active exception`, SIGABRT, exit 134.
    import numpy as np
    import PIL.Image

    PIL.Image.fromarray(np.random.default_rng(0).integers(0, 255, (1024, 1024, 3), dtype=np.uint8)).save(tmp_path / "i.png")
    (tmp_path / "p.vp").write_text("T = read_text(image=IMAGE)\nresult(T)\n")
    (tmp_path / "none.toml").write_text("")
    # onnxruntime's own thread pool (one thread per core), not the one thread per test
    # process that tests/conftest.py sets: the pool's threads are what this is about.
    threads = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    env = {**{k: v for k, v in os.environ.items() if k not in threads}, "VISPROG_CACHE_DIR": str(tmp_path / "cache"),
           "VISPROG_CONFIG": str(tmp_path / "none.toml"), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "visprog", "run", "p.vp", "--image", "i.png"],
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines: list[bytes] = []
    ready = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in iter(process.stderr.readline, b""):
            if line.startswith(b"import time:"):
                if line.rsplit(b"|", 1)[-1].strip() == b"visprog.models.chat":  # imported just before the run
                    ready.set()
            else:
                lines.append(line)
        ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert ready.wait(120), "the run did not start"
        before = _tasks(process.pid)
        waited = time.monotonic()
        while process.poll() is None and _tasks(process.pid) < before + 2 and time.monotonic() - waited < 120:
            time.sleep(0.02)  # until onnxruntime's threads run (the worker, then its pool)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        code = process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(5)
    text = b"".join(lines).decode(errors="replace")
    assert "terminate called" not in text, text
    assert code == 130, (code, text)
    assert text.strip().splitlines()[-1:] == ["visprog: interrupted"], text


@pytest.mark.parametrize(("field", "value", "says"), [
    ("max_image_pixels", "x", "a whole number, 0 or more, got 'x'"),
    ("max_image_pixels", 1.5, "a whole number, 0 or more, got 1.5"),
    ("max_statements", -1, "a whole number, 0 or more, got -1"),
    ("max_statements", True, "a whole number, 0 or more, got True"),
    ("max_wall_time_s", 0, "a number of seconds above 0, got 0"),
    ("max_wall_time_s", float("nan"), "a number of seconds above 0, got nan"),
])
def test_a_bad_budget_is_refused_when_limits_are_made(field, value, says):
    """Not later, deep in a run, as an error that blames the program."""
    with pytest.raises(InputError, match=rf"^Limits\({field}=\.\.\.\) must be {re.escape(says)}$"):
        Limits(**{field: value})
    assert Limits(max_wall_time_s=0.5, max_llm_calls=0).max_llm_calls == 0
