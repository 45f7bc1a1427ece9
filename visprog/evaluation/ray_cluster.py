"""Starting Ray nodes on this machine in a way that survives a busy machine.

``ray.init(num_cpus=...)`` starts a head node in-process and gives up after 30 seconds
(hard-coded in Ray) when the raylet has not registered: on a loaded machine the raylet
first waits for the dashboard agent to write the port it picked, and that agent's
Python imports alone can take longer than that (seen: 20 s at load 6, a crash at load
10: ``The current node timed out during startup … the GCS has become overloaded``).

Here a node is started with ``ray start --block`` as a child process that this module
owns, with every port chosen beforehand (so the raylet registers at once instead of
waiting on the agents), longer registration time-outs for the agents and workers, no
dashboard, no usage stats, no log monitor, no pre-started workers, a fixed number of
CPUs, its own temp folder (so it never joins or clobbers another cluster on the
machine), bound to 127.0.0.1. A start that fails is retried on fresh ports.
:meth:`RayNode.stop` ends exactly the processes the node started (SIGTERM to the
``ray start`` process, which stops its children; SIGKILL to its process group as the
last resort) and removes its temp folder.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visprog import InputError

__all__ = ["RayNode", "connect", "refresh_auth", "ray_environment", "start_head", "start_worker_node"]

HOST = "127.0.0.1"
START_TIMEOUT_S = 240.0  # one attempt; a busy 2-core machine took up to ~60 s
ATTEMPTS = 3

# Read by Ray's C++ processes (RAY_<config name>) and its Python start-up code.
_RAY_ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_agent_register_timeout_ms": "600000",  # the runtime-env agent may be slow to come up
    "RAY_worker_register_timeout_seconds": "600",  # a worker's imports may be slow under load
    "RAY_enable_worker_prestart": "0",
    "RAY_prestart_worker_first_driver": "0",
    "RAY_DISABLE_DOCKER_CPU_WARNING": "1",
}


# The child process: ``ray start`` with one addition. Ray's raylet waits (15 s, fixed in
# Ray 2.60) for the dashboard agent to write the HTTP port it bound, even when the port
# was chosen beforehand, and aborts the node start-up when the agent's imports are
# slower than that on a busy machine. The raylet takes that port as a flag
# (``--dashboard_agent_listen_port``) but ``ray start`` does not pass it: pass it here,
# so the raylet registers at once. Where Ray's internals differ, plain ``ray start``.
_BOOTSTRAP = """
import sys
port = sys.argv.pop(1)
try:
    from ray._private import ray_constants, services
    _start = services.start_ray_process
    def start_ray_process(command, process_type, *args, **kwargs):
        if process_type == ray_constants.PROCESS_TYPE_RAYLET:
            command = [*command, "--dashboard_agent_listen_port=" + port]
        return _start(command, process_type, *args, **kwargs)
    services.start_ray_process = start_ray_process
except (ImportError, AttributeError):
    pass
sys.argv[0] = "ray"
from ray.scripts.scripts import main
main()
"""


def _auth_environment(token_file: Path) -> dict[str, str]:
    """Token authentication with the cluster's own token (Ray's nodes listen on every
    interface: without a token anyone who reaches the port could run code)."""
    return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token_file)}


def _new_token_file(folder: Path) -> Path:
    path = folder / "auth_token"
    path.touch(mode=0o600)
    path.write_text(secrets.token_hex(32))
    return path


def ray_environment(extra_pythonpath: Sequence[str] = ()) -> dict[str, str]:
    """The environment for a Ray node process: this one's, the settings above, and
    ``extra_pythonpath`` in front of ``PYTHONPATH`` (the node's workers inherit it)."""
    env = dict(os.environ) | _RAY_ENV
    path = [*extra_pythonpath, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    if path:
        env["PYTHONPATH"] = os.pathsep.join(path)
    return env


def _free_ports(n: int) -> list[int]:
    """``n`` distinct ports that are free on 127.0.0.1 now (held open together while
    picked, so they differ)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(n)]
        for s in sockets:
            s.bind((HOST, 0))
        return [int(s.getsockname()[1]) for s in sockets]


@dataclass
class RayNode:
    """A Ray node this process started (``ray start --block`` as a child process).

    Attributes:
        address: the cluster's GCS address, ``127.0.0.1:PORT`` (for ``ray.init(address=)``,
            ``--ray`` and further nodes).
        temp_dir: the node's own Ray temp folder (sessions, logs, sockets).
        process: the ``ray start`` process.
    """

    address: str
    temp_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    token_file: Path
    owns_temp_dir: bool = True
    stopped: bool = field(default=False, init=False)

    def auth_environment(self) -> dict[str, str]:
        """The environment variables a driver needs to join this cluster (its token)."""
        return _auth_environment(self.token_file)

    def stop(self, timeout: float = 60.0) -> None:
        """End the node's processes (and their workers) and remove its temp folder.
        Idempotent."""
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # What is left of the node's own process group (a `ray start` that failed
        # half-way leaves its GCS and monitors running): SIGKILL. Ray's workers run in
        # their own groups and end with their raylet.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        if self.owns_temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> RayNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _start(
    *, head_address: str | None, token_file: Path | None, num_cpus: int, num_gpus: int, resources: Mapping[str, float],
    temp_dir: Path | None, env: Mapping[str, str], timeout: float,
) -> RayNode:
    own = temp_dir is None
    # A short path: Ray's Unix sockets live under it (107-byte limit).
    folder = Path(tempfile.mkdtemp(prefix="vpray-", dir="/tmp" if os.path.isdir("/tmp") else None)) if temp_dir is None else temp_dir
    folder.mkdir(parents=True, exist_ok=True)
    ports = _free_ports(7)
    token = token_file or _new_token_file(folder)
    command = [
        sys.executable, "-c", _BOOTSTRAP, str(ports[3]), "start", "--block",
        f"--temp-dir={folder}", f"--num-cpus={num_cpus}", f"--num-gpus={num_gpus}",
        "--disable-usage-stats", "--include-log-monitor=false",
        f"--node-manager-port={ports[0]}", f"--object-manager-port={ports[1]}",
        f"--dashboard-agent-grpc-port={ports[2]}", f"--dashboard-agent-listen-port={ports[3]}",
        f"--runtime-env-agent-port={ports[4]}", f"--metrics-export-port={ports[5]}",
    ]
    if resources:
        command.append(f"--resources={json.dumps(dict(resources))}")
    if head_address is None:
        command += ["--head", f"--port={ports[6]}", "--include-dashboard=false"]
    else:
        command.append(f"--address={head_address}")
    log = folder / "ray-start.log"
    marker = folder / "ray_current_cluster"  # written by `ray start` once the node is up
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=dict(env) | _auth_environment(token), start_new_session=True,
        )
    node = RayNode("", folder, process, log, token, owns_temp_dir=own)
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            node.stop()
            reason = "did not come up in time" if process.returncode is None or process.returncode < 0 else f"exited with {process.returncode}"
            raise RuntimeError(f"ray start {reason}: " + " / ".join(tail))
        time.sleep(0.25)
    node.address = marker.read_text().strip() or head_address or ""
    return node


def _with_retries(what: str, attempts: int, **kwargs: object) -> RayNode:
    errors: list[str] = []
    for attempt in range(attempts):
        try:
            return _start(**kwargs)  # type: ignore[arg-type]
        except RuntimeError as exc:
            errors.append(str(exc))
            time.sleep(2.0 * (attempt + 1))
    raise InputError(f"cannot start {what} after {attempts} attempts: {errors[-1]}")


def start_head(
    num_cpus: int, *, num_gpus: int = 0, resources: Mapping[str, float] | None = None,
    extra_pythonpath: Sequence[str] = (), timeout: float = START_TIMEOUT_S, attempts: int = ATTEMPTS,
) -> RayNode:
    """Start a Ray head node on 127.0.0.1 with ``num_cpus`` CPUs (and ``num_gpus``
    logical GPUs, ``resources`` custom resources); see the module doc.

    Raises:
        InputError: it did not come up in ``attempts`` tries of ``timeout`` seconds.
    """
    if num_cpus < 1:
        raise InputError(f"a Ray node needs at least 1 CPU, got {num_cpus}")
    return _with_retries(
        "a local Ray", attempts, head_address=None, token_file=None, num_cpus=num_cpus, num_gpus=num_gpus, resources=resources or {},
        temp_dir=None, env=ray_environment(extra_pythonpath), timeout=timeout,
    )


def start_worker_node(
    head: RayNode, num_cpus: int, *, num_gpus: int = 0, resources: Mapping[str, float] | None = None,
    extra_pythonpath: Sequence[str] = (), timeout: float = START_TIMEOUT_S, attempts: int = ATTEMPTS,
) -> RayNode:
    """Start a second node on this machine that joins ``head``'s cluster, with its own
    temp folder and ``num_cpus`` CPUs.

    Raises:
        InputError: it did not join in ``attempts`` tries of ``timeout`` seconds.
    """
    if num_cpus < 1:
        raise InputError(f"a Ray node needs at least 1 CPU, got {num_cpus}")
    return _with_retries(
        f"a Ray node joining {head.address}", attempts, head_address=head.address, token_file=head.token_file, num_cpus=num_cpus, num_gpus=num_gpus,
        resources=resources or {}, temp_dir=None, env=ray_environment(extra_pythonpath), timeout=timeout,
    )


@contextlib.contextmanager
def connect(node: RayNode, **init_options: Any) -> Iterator[Any]:
    """``ray.init`` this process as a driver of ``node``'s cluster (with its token),
    yield the ``ray`` module, and ``ray.shutdown()`` after (the environment as before)."""
    import ray

    settings = _auth_environment(node.token_file) | {"RAY_AUTH_TOKEN": None}
    before = {k: os.environ.get(k) for k in settings}
    _set_environment(settings)
    try:
        ray.init(address=node.address, log_to_driver=False, **init_options)
        try:
            yield ray
        finally:
            ray.shutdown()
    finally:
        _set_environment(before)


def _set_environment(values: Mapping[str, str | None]) -> None:
    """Set (or, for None, remove) environment variables, and make Ray's cached
    configuration and token in this process follow (Ray reads them once)."""
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    refresh_auth()


def refresh_auth() -> None:
    """Make Ray's cached configuration and token in this process follow the
    environment's ``RAY_AUTH_*`` now (Ray reads them once)."""
    raylet = importlib.import_module("ray._raylet")
    if hasattr(raylet, "AuthenticationTokenLoader"):  # Ray with token authentication (2.5x on)
        raylet.Config.initialize("")
        raylet.AuthenticationTokenLoader.instance().reset_cache()
