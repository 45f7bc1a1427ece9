"""Shared fixtures. Every test runs offline with its own cache folder; only the offline
planner model converted from GGUF (``<cache>/local-llm``) is shared by the whole session."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import PIL.Image
import pytest

if TYPE_CHECKING:
    from visprog.evaluation.ray_cluster import RayNode
    from visprog.models import ModelManager

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# scripts/test.sh runs two xdist workers on two cores: one intra-op thread for each test
# process and what it starts (torch, onnxruntime's OCR sessions through
# visprog_tools.vision.specs.ocr_threads, BLAS). A second thread per process only waits
# for a core, and torch's waiting threads spin: on a busy 2-core machine tiny-model calls
# took 10-80x longer (a tiny BLIP caption: 6 s instead of 0.08 s).
for _threads in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")
# The CPU, named: device "auto" imports torch (~2.5 s of CPU) to look for a GPU, also in
# a process that runs no torch model (a result-cache key of a device-dependent tool
# resolves it: every `visprog run` of a LOC program). Tests of "auto" and of what imports
# no torch set or drop it themselves.
os.environ.setdefault("VISPROG_DEVICE", "cpu")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def _converted_local_llm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the offline planner model converted from GGUF, for the whole
    session: converting takes ~20 s, and notebook kernels and CLI subprocesses cannot
    share the in-process copy."""
    return tmp_path_factory.mktemp("local-llm")


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, _converted_local_llm: Path
) -> Iterator[Path]:
    """A fresh cache folder and model manager per test, never the user's; its
    ``local-llm`` (where the GGUF model is converted) links to the session's folder."""
    from visprog.models import set_model_manager

    folder = tmp_path_factory.mktemp("cache")
    (folder / "local-llm").symlink_to(_converted_local_llm, target_is_directory=True)
    monkeypatch.setenv("VISPROG_CACHE_DIR", str(folder))
    monkeypatch.setenv("VISPROG_CONFIG", str(folder / "none.toml"))
    (folder / "none.toml").write_text("")
    set_model_manager(None)
    yield folder
    set_model_manager(None)


@pytest.fixture(scope="session")
def local_ray_node() -> Iterator[RayNode]:
    """One local Ray node (2 CPUs) for the session, this process connected as a driver;
    yields the ``RayNode`` (its address and token for other drivers). Its tests share an
    xdist group (``test_evaluation_ray.py``: the README's Ray benchmark joins it too), so
    the node starts once. Workers import the test tools (tests.eval_data) and this
    checkout's visprog."""
    pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    from visprog.evaluation.ray_cluster import connect, start_head

    with start_head(2, extra_pythonpath=[str(ARTIFACTS.parent)]) as node, connect(node):
        yield node


@pytest.fixture(scope="session")
def astronaut() -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(data.astronaut())


@pytest.fixture(scope="session")
def coffee() -> PIL.Image.Image:
    from skimage import data

    return PIL.Image.fromarray(data.coffee())


@pytest.fixture
def small_image() -> PIL.Image.Image:
    """A 120x80 image: left half red, right half blue."""
    pixels = np.zeros((80, 120, 3), dtype=np.uint8)
    pixels[:, :60] = (255, 0, 0)
    pixels[:, 60:] = (0, 0, 255)
    return PIL.Image.fromarray(pixels)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def tiny_model_ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build every tiny model once per session (a few seconds)."""
    pytest.importorskip("torch")
    from tests.tiny_models import build_all

    return build_all(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture
def tiny_models(tiny_model_ids: dict[str, str], _isolated_cache: Path) -> ModelManager:
    """A model manager whose config points every model at the tiny ones (result cache off,
    no chat model: CLIP classes use templates unless a test passes a chat model)."""
    from visprog.models import Config, ModelManager, set_model_manager

    models = {k: v for k, v in tiny_model_ids.items() if k != "detector_owlvit"}
    manager = ModelManager(Config(device="cpu", cache_dir=_isolated_cache, result_cache=False, models=models, llm="none"))
    set_model_manager(manager)
    return manager


@pytest.fixture
def run_read_only() -> Callable[[Path, str, Sequence[str]], subprocess.CompletedProcess[str]]:
    """``run_read_only(folder, code, args)`` runs ``python -c code *args`` (from the
    repository root) with ``folder`` read-only, also as root (CI runs as root, and root
    ignores permission bits): an ordinary user gets the folder's write bits removed; root
    gets a read-only bind mount of it in a private mount namespace (``unshare -m``).
    Skips, saying why, only where neither is possible."""
    root = Path(__file__).resolve().parent.parent

    def run(folder: Path, code: str, args: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", code, *args]
        if os.geteuid() != 0:
            folder.chmod(0o555)
            try:
                return subprocess.run(command, capture_output=True, text=True, cwd=root, timeout=120)
            finally:
                folder.chmod(0o755)
        unshare = shutil.which("unshare")
        if unshare is None:
            pytest.skip("running as root without unshare(1): cannot make a read-only folder")
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
        done = subprocess.run([unshare, "-m", "sh", "-c", script, "sh", str(folder), *command],
                              capture_output=True, text=True, cwd=root, timeout=120)
        if done.returncode != 0 and ("unshare failed" in done.stderr or "mount:" in done.stderr):
            pytest.skip(f"running as root and cannot mount a read-only folder here: {done.stderr.strip()[:200]}")
        return done

    return run


#: Test files whose tests take seconds each (subprocesses, a browser, Ray start-up, a
#: planner model, the red-team corpus): marked ``slow``, so that a quick local loop
#: deselects them with ``-m "not slow"`` (CI runs everything).
SLOW_FILES = frozenset({
    "test_browser.py", "test_demos.py", "test_evaluation_ray.py", "test_models_tiny.py", "test_planner_offline.py",
    "test_readme.py", "test_real_weights.py", "test_repl_pty.py", "test_widgets.py", "redteam/test_redteam.py",
})
#: Test files that run models through their real loaders (tiny random weights, or real
#: weights where present): marked ``models`` (``-m "not models"`` leaves them out).
MODEL_FILES = frozenset({"test_models_tiny.py", "test_real_weights.py"})
#: The groups that take longest, longest first (wall seconds on a busy 2-core machine,
#: VISPROG_TEST_CPU, December 2026): the two workers start them first and share out
#: the short ones after, so no long group starts last and leaves one worker idle.
#: (pytest-xdist's own order is by a group's number of tests, which put the
#: single-test README benchmark groups last.)
LONG_GROUPS = (
    "test_evaluation_ray.py",  # ~150 s: the session Ray cluster, 3 evaluations on it, the README's Ray benchmark
    "test_library.py",  # ~200 s
    "ray-two-nodes",  # ~140 s
    "test_models_tiny.py",  # ~100 s
    "test_cli.py",  # ~100 s
    "redteam/test_redteam.py",  # ~90 s
    "readme:.venv/bin/python benchmarks/tools.py",  # ~80 s
    "test_demos.py",  # ~60 s
    "test_faces.py",  # ~50 s
)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (scripts/test.sh: --dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        try:
            name = item.path.resolve().relative_to(tests).as_posix()
        except ValueError:
            continue
        # A file's tests stay on one worker, so its session fixtures (the red-team corpus,
        # the converted offline model) are built once per worker that needs them; a test
        # that takes minutes alone (a README benchmark, the two-node Ray cluster) names its
        # own group, so that the two workers share those out instead of queueing them.
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(name))
        if name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        if name in MODEL_FILES:
            item.add_marker(pytest.mark.models)
    # Long groups first (a stable sort: each group's tests keep their order).
    rank = {group: i for i, group in enumerate(LONG_GROUPS)}

    def group_rank(item: pytest.Item) -> int:
        mark = item.get_closest_marker("xdist_group")
        return rank.get(str(mark.args[0]), len(rank)) if mark is not None and mark.args else len(rank)

    items.sort(key=group_rank)


def pytest_configure(config: pytest.Config) -> None:
    # --dist loadgroup hands out groups in the order collected (LONG_GROUPS first), not
    # pytest-xdist's default order by number of tests.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_node_collection_finished(node: object, ids: Sequence[str]) -> None:
    """Under ``--dist loadgroup`` every test here is in a group (a file, unless it names
    its own), and xdist appends ``@GROUP`` to its id, by which the scheduler keeps a group
    on one worker. pytest 9.2 keeps node ids where pytest-xdist 3.8 no longer writes
    them: the groups were silently ignored and a file's session fixtures (the Ray
    cluster, the red-team corpus, the converted planner model) built on both workers.
    Stop, saying so, instead."""
    config = getattr(node, "config", None)
    if config is None or config.getoption("dist", None) != "loadgroup" or not ids or any("@" in nodeid for nodeid in ids):
        return
    pytest.exit(
        f"pytest-xdist's --dist loadgroup grouped none of the {len(ids)} tests (pytest {pytest.__version__} with this "
        "pytest-xdist ignores xdist_group): install the pins of constraints.txt (bash scripts/setup.sh, or "
        "pip install -c constraints.txt pytest)", returncode=4,
    )


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[object]:
    """With ``VISPROG_TEST_CPU=FILE``, append each test's CPU seconds (this process and
    the subprocesses it waited for) and wall seconds to FILE as JSON lines: on a 2-core
    machine the suite's wall time is bounded by its CPU time, so this is where to cut."""
    out = os.environ.get("VISPROG_TEST_CPU")
    if not out:
        return (yield)
    cpu, wall = _cpu_seconds(), time.perf_counter()
    try:
        return (yield)
    finally:
        line = {"test": item.nodeid, "cpu_s": round(_cpu_seconds() - cpu, 2), "wall_s": round(time.perf_counter() - wall, 2)}
        with open(out, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(line) + "\n")
