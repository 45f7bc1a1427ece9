"""Runs red-team cases in isolation: each case in its own forked child process with a
memory limit (``RLIMIT_AS``), a hard time limit (killed at ``timeout_s``) and its peak
memory measured, so a case that crashes, hangs or eats memory takes only its child down.

A *server* process imports visprog once and forks one child per case (fast: no
interpreter start-up per case). The parent talks to it over pipes, one JSON line per
case. Use :class:`CaseServer` (a context manager) or :func:`run_cases`.

Run ``python -m tests.redteam.runner [--jobs N] [NAME ...]`` for a quick listing.
"""

from __future__ import annotations

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

__all__ = ["CaseResult", "CaseServer", "run_cases"]


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
    """

    name: str
    family: str
    handled: bool
    detail: str
    elapsed_s: float
    peak_mb: float
    outcome: str


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
        result = _run_forked(case, float(request.get("timeout_s", case.timeout_s)))
        out.write(json.dumps(result.__dict__) + "\n")


def _run_forked(case: Any, timeout_s: float) -> CaseResult:
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
            handled, detail = scenarios.run_case(case)
            payload = json.dumps({"handled": bool(handled), "detail": str(detail)[:600]})
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
    if killed:
        return CaseResult(case.name, case.family, False, f"killed after {timeout_s:.0f} s", elapsed, peak, "killed")
    if os.WIFSIGNALED(status):
        sig = signal.Signals(os.WTERMSIG(status)).name
        return CaseResult(case.name, case.family, False, f"child died by {sig}; {tail}", elapsed, peak, "crashed")
    try:
        report = json.loads(b"".join(chunks).decode() or "{}")
    except ValueError:
        report = {}
    if "handled" not in report:
        return CaseResult(case.name, case.family, False, f"no report (exit {os.WEXITSTATUS(status)}); {tail}", elapsed, peak, "crashed")
    if report["handled"] and peak > case.memory_mb:
        return CaseResult(
            case.name, case.family, False, f"peak memory {peak:.0f} MiB over {case.memory_mb} MiB", elapsed, peak, "over-memory"
        )
    detail = report["detail"] if report["handled"] else f"{report['detail']}"
    return CaseResult(case.name, case.family, bool(report["handled"]), detail, elapsed, peak, "ok" if report["handled"] else "failed")


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

    def run(self, name: str, timeout_s: float | None = None) -> CaseResult:
        from tests.redteam.cases import CASES_BY_NAME

        case = CASES_BY_NAME[name]
        request: dict[str, Any] = {"name": name}
        if timeout_s is not None:
            request["timeout_s"] = timeout_s
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


def run_cases(names: Iterable[str], *, jobs: int = 2, progress: Any = None) -> list[CaseResult]:
    """Run cases on ``jobs`` servers in parallel; results in the order of ``names``."""
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
                result = server.run(name)
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
