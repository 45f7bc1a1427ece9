"""Runs red-team cases in isolation: each case in its own forked child process with a
memory limit (``RLIMIT_AS``), a hard time limit (killed at ``timeout_s``) and its peak
memory measured, so a case that crashes, hangs or eats memory takes only its child down.

A *server* process imports visprog once and forks one child per case (fast: no
interpreter start-up per case). The parent talks to it over pipes, one JSON line per
case. Use :class:`CaseServer` (a context manager) or :func:`run_cases`.

**Time limits on a busy machine.** :func:`run_cases` times a fixed pure-Python workload
once (:func:`calibrate`) and multiplies every case's time limits (the kill at
``timeout_s`` and the expectations' ``max_s``) by ``max(1, measured / expected)``, at
most :data:`MAX_TIME_SCALE`. A case killed or too slow is run once more with twice those
limits, and its result says so. A case that never ends is still killed, twice, and
fails.

Run ``python -m tests.redteam.runner [--jobs N] [NAME ...]`` for a quick listing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

__all__ = ["CaseResult", "CaseServer", "calibrate", "run_cases", "run_with_retry"]


@dataclass(frozen=True)
class CaseResult:
    """What happened to one case.

    Attributes:
        name: the case name.
        family: its family.
        handled: the expectation held, within time and memory, and the child exited
            normally.
        detail: one line: why it was not handled, or what was observed.
        elapsed_s: wall time of the child.
        peak_mb: the child's peak resident memory above the server's, in MiB.
        outcome: ``"ok"``, ``"failed"`` (expectation not met), ``"killed"`` (over
            time), ``"crashed"`` (died by a signal), ``"over-memory"``.
        limit_s: the time limit it ran under (``timeout_s`` times the time scale).
        slow: it failed only because it took longer than its ``max_s``.
        time_scale: what its time limits were multiplied by.
    """

    name: str
    family: str
    handled: bool
    detail: str
    elapsed_s: float
    peak_mb: float
    outcome: str
    limit_s: float = 0.0
    slow: bool = False
    time_scale: float = 1.0


def _baseline_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _serve() -> None:
    """Server loop: read ``{"name": ...}`` lines on stdin, fork a child per case, write
    one result line on stdout."""
    from tests.redteam import scenarios
    from tests.redteam.cases import CASES_BY_NAME

    scenarios.warm_up()
    out = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # stray prints of the server must not corrupt the protocol
    for line in sys.stdin:
        request = json.loads(line)
        case = CASES_BY_NAME[request["name"]]
        scale = float(request.get("time_scale", 1.0))
        result = _run_forked(case, float(request.get("timeout_s", case.timeout_s * scale)), scale)
        out.write(json.dumps(result.__dict__) + "\n")


def _run_forked(case: Any, timeout_s: float, time_scale: float = 1.0) -> CaseResult:
    from tests.redteam import scenarios

    baseline = _baseline_mb()
    vm = _vm_bytes()
    read_fd, write_fd = os.pipe()
    log = tempfile.NamedTemporaryFile(prefix=f"redteam-{case.name}-", suffix=".log", delete=False)
    log.close()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            os.setsid()
            fd = os.open(log.name, os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            limit = vm + case.memory_mb * 2 * (1 << 20) + (3 << 30)  # headroom: libraries map large files
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            scenarios.TIME_SCALE = time_scale
            handled, detail, slow = scenarios.run_case(case)
            payload = json.dumps({"handled": bool(handled), "detail": str(detail)[:600], "slow": bool(slow)})
        except BaseException as exc:  # noqa: BLE001 - report anything, even SystemExit
            payload = json.dumps({"handled": False, "detail": f"runner error: {type(exc).__name__}: {exc}"[:600]})
            traceback.print_exc()
            code = 1
        try:
            os.write(write_fd, payload.encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    killed = False
    deadline = started + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            killed = True
            _kill_group(pid)
            break
        ready, _, _ = select.select([read_fd], [], [], min(left, 0.5))
        if ready:
            data = os.read(read_fd, 65536)
            if not data:
                break
            chunks.append(data)
    os.close(read_fd)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.monotonic() - started
    _kill_group(pid)  # anything the case left behind in its session
    peak = max(0.0, usage.ru_maxrss / 1024.0 - baseline)
    tail = _tail(log.name)
    os.unlink(log.name)
    limits = {"limit_s": timeout_s, "time_scale": time_scale}
    if killed:
        scaled = f" ({case.timeout_s:.0f} s x load factor {time_scale:.2f})" if time_scale != 1.0 else ""
        return CaseResult(case.name, case.family, False, f"killed after {timeout_s:.1f} s{scaled}", elapsed, peak, "killed", **limits)
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        return CaseResult(case.name, case.family, False, f"child died by {sig}; {tail}", elapsed, peak, "crashed", **limits)
    try:
        report = json.loads(b"".join(chunks).decode() or "{}")
    except ValueError:
        report = {}
    if "handled" not in report:
        return CaseResult(case.name, case.family, False, f"no report (exit {os.WEXITSTATUS(status)}); {tail}", elapsed, peak, "crashed",
                          **limits)
    if report["handled"] and peak > case.memory_mb:
        return CaseResult(
            case.name, case.family, False, f"peak memory {peak:.0f} MiB over {case.memory_mb} MiB", elapsed, peak, "over-memory",
            **limits,
        )
    return CaseResult(case.name, case.family, bool(report["handled"]), str(report["detail"]), elapsed, peak,
                      "ok" if report["handled"] else "failed", slow=bool(report.get("slow")), **limits)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: str, limit: int = 300) -> str:
    try:
        text = Path(path).read_text(errors="replace").strip()
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    return (" | ".join(lines[-3:]))[-limit:]


class CaseServer:
    """A server subprocess that runs cases one at a time (use several for parallelism).

    Usage::

        with CaseServer() as server:
            result = server.run("float-array-in-0-1")
    """

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TRANSFORMERS_OFFLINE", "1")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.redteam.runner", "--serve"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self._lock = threading.Lock()

    def run(self, name: str, timeout_s: float | None = None, *, time_scale: float = 1.0) -> CaseResult:
        """Run one case; its time limits (``timeout_s``, default the case's, and the
        expectation's ``max_s``) multiplied by ``time_scale``."""
        from tests.redteam.cases import CASES_BY_NAME

        case = CASES_BY_NAME[name]
        request: dict[str, Any] = {"name": name, "time_scale": time_scale}
        if timeout_s is not None:
            request["timeout_s"] = timeout_s * time_scale
        with self._lock:
            stdin, stdout = self._process.stdin, self._process.stdout
            if stdin is None or stdout is None or self._process.poll() is not None:
                return CaseResult(name, case.family, False, "the case server is not running", 0.0, 0.0, "crashed")
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            line = stdout.readline()
        if not line:
            return CaseResult(name, case.family, False, "the case server died", 0.0, 0.0, "crashed")
        return CaseResult(**json.loads(line))

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> CaseServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


#: Time limits are never stretched more than this (a hang still fails within minutes).
MAX_TIME_SCALE = 3.0
#: Seconds :func:`_workload` takes on an idle machine (an idle 2020s x86 core: about
#: 0.10 s; measured as the least of many runs).
CALIBRATION_S = 0.10


def _workload() -> float:
    """Wall seconds of a fixed pure-Python workload (one core, no I/O, no allocation
    growth): what a case's Python code gets from the machine right now."""
    started = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += (i * i) % 7
    return time.perf_counter() - started if total >= 0 else 0.0


def calibrate(repeats: int = 3) -> float:
    """How much slower than idle the machine runs Python now: ``max(1, median of
    :func:`_workload` / CALIBRATION_S)``, at most :data:`MAX_TIME_SCALE`.
    ``VISPROG_REDTEAM_TIME_SCALE`` sets it instead."""
    forced = os.environ.get("VISPROG_REDTEAM_TIME_SCALE")
    if forced:
        return min(MAX_TIME_SCALE, max(1.0, float(forced)))
    times = sorted(_workload() for _ in range(repeats))
    return min(MAX_TIME_SCALE, max(1.0, times[len(times) // 2] / CALIBRATION_S))


def run_with_retry(server: CaseServer, name: str, time_scale: float, timeout_s: float | None = None) -> CaseResult:
    """Run a case (``timeout_s``: in place of the case's own); if it was killed or too
    slow (and nothing else was wrong), once more with twice the time limits. The result
    says when it was retried and why."""
    first = server.run(name, timeout_s, time_scale=time_scale)
    if first.handled or not (first.outcome == "killed" or first.slow):
        return first
    again = server.run(name, timeout_s, time_scale=2 * time_scale)
    note = f"retried once with 2x the time limits, as the first try {first.detail}"
    if again.handled:
        return dataclasses.replace(again, detail=f"{again.detail} ({note})")
    return dataclasses.replace(again, detail=f"{again.detail} (after a retry: {note})")


def run_cases(names: Iterable[str], *, jobs: int = 2, progress: Any = None, time_scale: float | None = None) -> list[CaseResult]:
    """Run cases on ``jobs`` servers in parallel; results in the order of ``names``.
    Time limits are multiplied by ``time_scale`` (default: :func:`calibrate`, measured
    before the servers start)."""
    scale = calibrate() if time_scale is None else time_scale
    todo = list(names)
    results: dict[str, CaseResult] = {}
    lock = threading.Lock()
    queue = list(reversed(todo))

    def worker() -> None:
        with CaseServer() as server:
            while True:
                with lock:
                    if not queue:
                        return
                    name = queue.pop()
                result = run_with_retry(server, name, scale)
                with lock:
                    results[name] = result
                if progress is not None:
                    progress(result)

    threads = [threading.Thread(target=worker) for _ in range(max(1, min(jobs, len(todo))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[name] for name in todo]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--serve"]:
        _serve()
        return 0
    jobs = 2
    if args[:1] == ["--jobs"]:
        jobs, args = int(args[1]), args[2:]
    from tests.redteam.cases import CASES

    names = args or [case.name for case in CASES]
    for result in run_cases(names, jobs=jobs):
        mark = "ok " if result.handled else "NO "
        print(f"{mark} {result.family:16} {result.name:45} {result.elapsed_s:6.2f}s {result.peak_mb:7.0f}MiB  {result.detail[:110]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
