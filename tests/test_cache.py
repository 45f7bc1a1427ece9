"""The result cache: versioned keys, atomic writes, validated reads, faults as misses
with one warning, a size cap with LRU eviction, and copies in and out."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import PIL.Image
import pytest

from visprog import Detections, Image, InputError, Registry, RunContext, run_program, tool
from visprog.models import Config, ModelManager, ModelSpec
from visprog.models.cache import CACHE_FORMAT, _seal
from visprog.models.config import load_config
from visprog.toolkit.result_cache import ResultCache, default_result_cache

ROOT = Path(__file__).resolve().parent.parent
CALLS: dict[str, int] = {}


@tool(cacheable=True)
def words(n: int = 3) -> list[str]:
    """Words w0, w1, ...

    Args:
        n: how many.

    Returns:
        The words.
    """
    CALLS["words"] = CALLS.get("words", 0) + 1
    return [f"w{i}" for i in range(n)]


@tool(cacheable=True)
def table(n: int = 2) -> dict[str, list[int]]:
    """A small table.

    Args:
        n: rows.

    Returns:
        Row name -> values.
    """
    return {f"r{i}": [i, i * i] for i in range(n)}


@tool(cacheable=True)
def big(digits: int) -> int:
    """10 ** digits.

    Args:
        digits: zeros.

    Returns:
        The number.
    """
    CALLS["big"] = CALLS.get("big", 0) + 1
    return int(10**digits)


REG = Registry([words, table, big])
PROGRAM = "W = words(3)\nresult(W)"


def _calls(program: str, folder: Path, **cache_args: Any) -> tuple[Any, int, list[warnings.WarningMessage]]:
    """Run with a fresh cache on ``folder``: (result, tool calls made, warnings)."""
    before = CALLS.get("words", 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_program(program, registry=REG, context=RunContext(cache=ResultCache(folder, **cache_args)))
    assert result.error is None, result.error
    return result.result, CALLS.get("words", 0) - before, [w for w in caught if "result cache" in str(w.message)]


def _only_entry(folder: Path) -> Path:
    entries = sorted(folder.rglob("*.json"))
    assert len(entries) == 1, entries
    return entries[0]


# -- keys -----------------------------------------------------------------------------

def _spec(key: str, model_id: str, library: str = "transformers") -> ModelSpec:
    return ModelSpec(
        key=key, default=model_id, library=library, description="test model",
        load=lambda *a: None, present=lambda *a: True, fetch=lambda *a: None,
    )


def test_key_recipe_names_versions_models_device_and_arguments(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text("{}")

    @tool(cacheable=True, models=[_spec("thing", str(weights))], requires=("numpy",), version="7")
    def thing(x: int) -> int:
        """Thing.

        Args:
            x: a number.

        Returns:
            The number.
        """
        return x

    cpu = ResultCache(None, manager=ModelManager(Config(device="cpu", cache_dir=tmp_path)))
    gpu = ResultCache(None, manager=ModelManager(Config(device="cuda", cache_dir=tmp_path)))
    text = cpu.recipe(thing, {"x": 1})
    assert text is not None
    recipe = json.loads(text)
    assert recipe["tool"] == "thing" and recipe["tool_version"][0] == "7"
    assert any(p.startswith("numpy==") for p in recipe["packages"]) and any(p.startswith("pillow==") for p in recipe["packages"])
    library, model_id, _, revision = recipe["models"][0]
    assert (library, model_id) == ("transformers", str(weights)) and revision.startswith("dir:")
    assert recipe["models"][-1] == ["device", "cpu", "float32"]
    assert recipe["arguments"] == [["x", 1]]
    assert cpu.key(thing, {"x": 1}) != gpu.key(thing, {"x": 1})  # device and dtype
    assert cpu.key(thing, {"x": 1}) != cpu.key(thing, {"x": 2})
    assert cpu.key(thing, {"x": 1}) == ResultCache(None, manager=ModelManager(Config(device="cpu", cache_dir=tmp_path))).key(thing, {"x": 1})


def test_tool_version_changes_the_key() -> None:
    def make(version: str) -> Any:
        @tool(cacheable=True, version=version)
        def same(x: int) -> int:
            """Same.

            Args:
                x: a number.

            Returns:
                The number.
            """
            return x

        return same

    cache = ResultCache(None)
    assert cache.key(make("1"), {"x": 1}) != cache.key(make("2"), {"x": 1})


def test_images_are_keyed_by_content() -> None:
    cache = ResultCache(None)

    @tool(cacheable=True)
    def look(image: Image) -> int:
        """Look.

        Args:
            image: the image.

        Returns:
            1.
        """
        return 1

    black = Image(PIL.Image.new("RGB", (4, 4)))
    also_black = Image(PIL.Image.new("RGB", (4, 4)))
    white = Image(PIL.Image.new("RGB", (4, 4), (255, 255, 255)))
    assert cache.key(look, {"image": black}) == cache.key(look, {"image": also_black})
    assert cache.key(look, {"image": black}) != cache.key(look, {"image": white})


_KEY_IN_A_PROCESS = """
import sys
from pathlib import Path
import PIL.Image
from visprog import Image
from visprog.toolkit.result_cache import ResultCache
sys.path.insert(0, sys.argv[1])
import local_tool
print(ResultCache(None).key(local_tool.stamp, {"x": 1}))
"""

_LOCAL_TOOL = '''
from visprog import tool


@tool(cacheable=True)
def stamp(x: int) -> str:
    """Stamp.

    Args:
        x: a number.

    Returns:
        A stamp.
    """
    return "{stamp}" * x
'''


def _key_in_a_process(folder: Path, stamp: str) -> str:
    (folder / "local_tool.py").write_text(_LOCAL_TOOL.replace("{stamp}", stamp))
    done = subprocess.run(
        [sys.executable, "-c", _KEY_IN_A_PROCESS, str(folder)], capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
    )
    return done.stdout.strip().splitlines()[-1]


def test_changing_a_tools_code_changes_its_key(tmp_path: Path) -> None:
    first = _key_in_a_process(tmp_path, "a")
    assert _key_in_a_process(tmp_path, "a") == first  # stable across processes
    assert _key_in_a_process(tmp_path, "b") != first


_CUPL = """
import sys
import PIL.Image
from visprog import Image
from visprog.toolkit.result_cache import ResultCache
from visprog_tools.vision import clip
clip.load_class_descriptions(sys.argv[1])
image = Image(PIL.Image.new("RGB", (8, 8)))
print(ResultCache(None).key(clip.classify, {"image": image, "categories": ["heron", "egret"], "objects": None}))
"""


def test_cupl_descriptions_are_in_the_key_by_content_across_processes(tmp_path: Path) -> None:
    """Two processes with different description files used to get the same key (a
    per-process counter); now the key holds a hash of the descriptions."""
    env = {**os.environ, "VISPROG_DEVICE": "cpu", "VISPROG_LLM": "none"}
    keys = []
    for name, sentence in (("a", "a long-legged wading bird"), ("b", "a small white heron"), ("c", "a long-legged wading bird")):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"heron": [sentence], "egret": ["an egret"]}))
        done = subprocess.run([sys.executable, "-c", _CUPL, str(path)], capture_output=True, text=True, check=True, env=env, cwd=ROOT, timeout=60)
        keys.append(done.stdout.strip().splitlines()[-1])
    assert keys[0] != keys[1]
    assert keys[0] == keys[2]


def test_arguments_that_cannot_be_keyed_make_no_key() -> None:
    assert ResultCache(None).key(words, {"n": object()}) is None


# -- copies in and out ------------------------------------------------------------------

def test_results_are_copied_in_and_out(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    key = cache.key(words, {"n": 2})
    assert key is not None
    value: list[Any] = ["a", {"b": [1]}]
    cache.put(key, value)
    value[1]["b"].append(2)  # the tool's object changes after it was cached
    hit, got = cache.get(key)
    assert hit and got == ["a", {"b": [1]}]
    got[1]["b"].append(3)  # the program changes what it got
    assert cache.get(key) == (True, ["a", {"b": [1]}])


def test_a_program_mutating_a_cached_result_does_not_poison_the_next_run(tmp_path: Path) -> None:
    context = RunContext(cache=ResultCache(tmp_path / "c"))
    first = run_program("c = words(3)\nc[0] = 'X'\nc.append('Y')\nresult(c)", registry=REG, context=context)
    second = run_program("c = words(3)\nresult(c)", registry=REG, context=context)
    assert first.result == ["X", "w1", "w2", "Y"]
    assert second.result == ["w0", "w1", "w2"]
    nested = run_program("t = table(2)\nt['r0'].append(9)\nresult(t)", registry=REG, context=context)
    again = run_program("t = table(2)\nresult(t)", registry=REG, context=context)
    assert nested.result["r0"] == [0, 0, 9] and again.result == {"r0": [0, 0], "r1": [1, 1]}


def test_a_value_the_codec_can_only_summarise_is_not_stored_on_disk(tmp_path: Path) -> None:
    program = "X = big(5000)\nresult(X == 10 ** 5000)"
    assert run_program(program, registry=REG, context=RunContext(cache=ResultCache(tmp_path))).result is True
    before = CALLS["big"]
    assert run_program(program, registry=REG, context=RunContext(cache=ResultCache(tmp_path))).result is True
    assert CALLS["big"] == before + 1  # recomputed, never read back as "<int of about 5000 digits>"


# -- validated reads -----------------------------------------------------------------------

def _reseal(entry: Path, data: dict[str, Any]) -> None:
    """Write an entry's fields back with a checksum that matches them (a careful edit)."""
    entry.write_bytes(_seal(json.dumps(data["body"], separators=(",", ":")).encode()))


def _damage(entry: Path, how: str) -> None:
    data = json.loads(entry.read_text())
    body = data["body"]  # [key, tool, notes, value]
    if how == "null":
        body[3] = None
    elif how == "number":
        body[3] = 42
    elif how == "wrong value type":
        body[3] = {"type": "Detections", "boxes": []}
    elif how == "other key":
        body[0] = "0" * 64
    elif how == "old format":
        data["visprog_cache"] = CACHE_FORMAT - 1
    elif how == "picture bomb":
        import base64
        import struct
        import zlib

        ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
        png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
        body[3] = [{"type": "Image", "offset": [0, 0], "root_size": [1, 1], "png": "data:image/png;base64," + base64.b64encode(png).decode()}]
    if how == "truncated":
        entry.write_text(entry.read_text()[:20])
    elif how == "garbage":
        entry.write_bytes(os.urandom(300))
    elif how == "raw null":
        entry.write_text("null")
    elif how == "old format":
        entry.write_text(json.dumps(data))
    else:
        _reseal(entry, data)  # checksum recomputed: the checks behind it must catch this


@pytest.mark.parametrize(
    "how", ["null", "number", "wrong value type", "other key", "old format", "picture bomb", "truncated", "garbage", "raw null"]
)
def test_invalid_entries_are_misses_that_get_rewritten(tmp_path: Path, how: str) -> None:
    assert _calls(PROGRAM, tmp_path) == (["w0", "w1", "w2"], 1, [])
    _damage(_only_entry(tmp_path), how)
    result, calls, caught = _calls(PROGRAM, tmp_path)
    assert (result, calls, len(caught)) == (["w0", "w1", "w2"], 1, 1)
    assert "is recomputed" in str(caught[0].message)
    assert _calls(PROGRAM, tmp_path) == (["w0", "w1", "w2"], 0, [])  # rewritten: a clean hit


def _tamper(raw: bytes, how: str) -> bytes:
    """Edits of a stored entry that leave its checksum as it was (or change only it)."""
    if how == "text edited":  # an OCR answer changed in place
        return raw.replace(b'"w1"', b'"w9"')
    if how == "text edited, same length, checksum of the edit elsewhere":
        edited = raw.replace(b'"w1"', b'"w9"')
        start = edited.index(b'"sha256":"') + 10
        return edited[:start] + hashlib.sha256(b"something else").hexdigest().encode() + edited[start + 64:]
    if how == "checksum edited":
        start = raw.index(b'"sha256":"') + 10
        flipped = b"0" if raw[start:start + 1] != b"0" else b"1"
        return raw[:start] + flipped + raw[start + 1:]
    if how == "one byte flipped":
        middle = raw.index(b'"w0"') + 1
        return raw[:middle] + b"x" + raw[middle + 1:]
    if how == "bytes appended":
        return raw + b" "
    if how == "entry unwrapped to plain JSON":  # the fields rewritten without their seal
        data = json.loads(raw)
        return json.dumps({"visprog_cache": CACHE_FORMAT, "key": data["body"][0], "value": data["body"][3]}).encode()
    if how == "truncated inside the value":
        return raw[: raw.index(b'"w1"')] + b"}"
    raise AssertionError(how)


@pytest.mark.parametrize("how", [
    "text edited", "text edited, same length, checksum of the edit elsewhere", "checksum edited", "one byte flipped",
    "bytes appended", "entry unwrapped to plain JSON", "truncated inside the value",
])
def test_an_entry_edited_on_disk_is_a_miss_with_one_warning(tmp_path: Path, how: str) -> None:
    assert _calls(PROGRAM, tmp_path) == (["w0", "w1", "w2"], 1, [])
    entry = _only_entry(tmp_path)
    raw = entry.read_bytes()
    entry.write_bytes(_tamper(raw, how))
    # Two runs with fresh caches on the edited folder: the edit is never served, the
    # first run warns once and rewrites the entry, the second is a clean hit.
    result, calls, caught = _calls(PROGRAM, tmp_path)
    assert (result, calls, len(caught)) == (["w0", "w1", "w2"], 1, 1)
    if how.startswith(("text edited", "checksum", "one byte", "truncated inside")):
        assert "do not match their checksum" in str(caught[0].message)
    assert entry.read_bytes() == raw
    assert _calls(PROGRAM, tmp_path) == (["w0", "w1", "w2"], 0, [])


def test_many_edited_entries_warn_once_per_cache(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    keys = [cache.key(words, {"n": n}) for n in range(1, 6)]
    for n, key in enumerate(keys, start=1):
        assert key is not None
        cache.put(key, [f"w{i}" for i in range(n)], words)
    for entry in tmp_path.rglob("*.json"):
        entry.write_bytes(entry.read_bytes().replace(b'"w0"', b'"XX"'))
    fresh = ResultCache(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [fresh.get(key) for key in keys if key is not None] == [(False, None)] * 5
    assert len([w for w in caught if "result cache" in str(w.message)]) == 1
    assert fresh.faults == 5 and not list(tmp_path.rglob("*.json"))


def test_entry_type_is_checked_against_the_tools_return_annotation(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    key = cache.key(words, {"n": 3})
    assert key is not None
    cache.put(key, ["fine"])
    entry = _only_entry(tmp_path)
    data = json.loads(entry.read_text())
    data["body"][3] = [1, 2]  # a list, but not list[str]
    _reseal(entry, data)
    fresh = ResultCache(tmp_path)
    fresh.key(words, {"n": 3})
    with pytest.warns(RuntimeWarning, match="not the tool's return type"):
        assert fresh.get(key) == (False, None)
    assert not entry.exists()


# -- faults are misses, with one warning ------------------------------------------------------------

def test_faults_are_misses_with_one_warning_per_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cache = ResultCache(blocker / "results")
        context = RunContext(cache=cache)
        results = [run_program(PROGRAM, registry=REG, context=context).result for _ in range(3)]
    assert results == [["w0", "w1", "w2"]] * 3
    assert len([w for w in caught if "result cache" in str(w.message)]) == 1
    assert cache.faults >= 2


def test_deleted_folder_is_recreated(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "c"
    cache = ResultCache(folder)
    context = RunContext(cache=cache)
    for _ in range(2):
        shutil.rmtree(folder, ignore_errors=True)
        cache.clear_memory()
        assert run_program(PROGRAM, registry=REG, context=context).result == ["w0", "w1", "w2"]
    assert cache.faults == 0 and len(list(folder.rglob("*.json"))) == 1


_FULL_DISK = """
import resource, signal, sys, warnings
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.test_cache import PROGRAM, REG
from visprog import RunContext, run_program
from visprog.toolkit.result_cache import ResultCache
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (40, 40))   # every entry write fails part-way
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    cache = ResultCache(Path(sys.argv[1]))
    results = [run_program(PROGRAM, registry=REG, context=RunContext(cache=cache)).result for _ in range(3)]
print(results == [["w0", "w1", "w2"]] * 3, len([w for w in caught if "result cache" in str(w.message)]), cache.faults)
"""


def test_a_full_disk_is_a_miss(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _FULL_DISK, str(tmp_path / "c"), str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    # One fault (the first write); the later runs are served from memory.
    assert done.stdout.split() == ["True", "1", "1"], done.stderr[-500:]
    assert not list((tmp_path / "c").rglob("*.tmp"))  # no half-written file left behind
    assert not list((tmp_path / "c").rglob("*.json"))


_READ_ONLY = """
import sys
from pathlib import Path
sys.path.insert(0, ".")
from tests.test_cache import _calls, PROGRAM
result, calls, caught = _calls(PROGRAM, Path(sys.argv[1]))
print(result == ["w0", "w1", "w2"], calls, len(caught), "cannot" in str(caught[0].message) if caught else None)
"""


def test_a_read_only_folder_is_a_miss(tmp_path: Path, run_read_only: Any) -> None:
    # Runs as root too (CI): the folder is a read-only mount there.
    folder = tmp_path / "c"
    folder.mkdir()
    done = run_read_only(folder, _READ_ONLY, [str(folder)])
    assert done.stdout.split() == ["True", "1", "1", "True"], done.stderr[-800:]
    assert not list(folder.rglob("*"))


# -- concurrency -----------------------------------------------------------------------------------

def test_concurrent_writers_never_expose_partial_entries(tmp_path: Path) -> None:
    problems: list[str] = []

    def hammer(seed: int) -> None:
        for i in range(40):
            cache = ResultCache(tmp_path)
            key = f"{i % 4:064d}"
            value = [f"v{i % 4}"] * 200
            cache.put(key, value)
            cache.clear_memory()
            hit, got = cache.get(key)
            if hit and got != value:
                problems.append(f"{seed}/{i}")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fault at all is expected
        threads = [threading.Thread(target=hammer, args=(s,)) for s in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert problems == []
    assert not list(tmp_path.rglob("*.tmp"))
    assert len(list(tmp_path.rglob("*.json"))) == 4


# -- size cap -------------------------------------------------------------------------------------------

def test_size_cap_evicts_least_recently_used(tmp_path: Path) -> None:
    import time

    cap = 40_000
    cache = ResultCache(tmp_path, max_bytes=cap, memory_items=1)
    hot = "f" * 64
    cache.put(hot, ["hot"])
    for i in range(120):
        cache.put(f"{i:064d}", ["x" * 1000])
        if i % 10 == 0:
            time.sleep(0.01)  # distinct modification times
            cache.clear_memory()
            assert cache.get(hot) == (True, ["hot"])  # used: refreshed
    assert cache.disk_bytes() <= cap
    assert cache.evictions > 0
    cache.clear_memory()
    assert cache.get(hot) == (True, ["hot"])
    cache.clear_memory()
    assert cache.get(f"{0:064d}") == (False, None)  # the oldest unused entry went first


def test_file_count_cap_evicts_least_recently_used(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, max_files=50, memory_items=1)
    for i in range(300):  # many tiny results: far under the byte cap, far over the file cap
        cache.put(f"{i:064d}", [i])
    assert cache.disk_files() <= 50
    assert cache.evictions >= 250
    cache.clear_memory()
    assert cache.get(f"{299:064d}") == (True, [299])  # the newest stay
    assert cache.get(f"{0:064d}") == (False, None)


def test_cache_max_files_from_config(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text("cache_max_files = 123\n")
    env = {"VISPROG_CONFIG": str(tmp_path / "c.toml"), "VISPROG_CACHE_DIR": str(tmp_path)}
    config = load_config(env)
    assert config.cache_max_files == 123
    cache = default_result_cache(config)
    assert cache is not None and cache.max_files == 123
    assert load_config({**env, "VISPROG_CACHE_MAX_FILES": "7"}).cache_max_files == 7
    with pytest.raises(InputError, match="VISPROG_CACHE_MAX_FILES: cache_max_files must be a positive whole number"):
        load_config({**env, "VISPROG_CACHE_MAX_FILES": "lots"})


def test_memory_part_is_bounded_by_bytes() -> None:
    cache = ResultCache(None, memory_max_bytes=100_000)
    for i in range(50):
        cache.put(f"{i:064d}", ["y" * 10_000])
    assert cache.get(f"{49:064d}")[0]
    assert not cache.get(f"{0:064d}")[0]


def test_cache_max_bytes_from_config(tmp_path: Path) -> None:
    env = {"VISPROG_CONFIG": str(tmp_path / "none.toml"), "VISPROG_CACHE_DIR": str(tmp_path), "VISPROG_CACHE_MAX_BYTES": "5M"}
    (tmp_path / "none.toml").write_text("")
    config = load_config(env)
    assert config.cache_max_bytes == 5 << 20
    cache = default_result_cache(config)
    assert cache is not None and cache.max_bytes == 5 << 20
    (tmp_path / "c.toml").write_text('cache_max_bytes = "2G"\n')
    assert load_config({**env, "VISPROG_CONFIG": str(tmp_path / "c.toml"), "VISPROG_CACHE_MAX_BYTES": ""}).cache_max_bytes == 2 << 30
    with pytest.raises(InputError, match="VISPROG_CACHE_MAX_BYTES: cache_max_bytes must be a size like 2G"):
        load_config({**env, "VISPROG_CACHE_MAX_BYTES": "lots"})
    with pytest.raises(InputError, match="must be a positive size"):
        load_config({**env, "VISPROG_CACHE_MAX_BYTES": "0"})


def test_runs_with_the_default_context_share_one_cache_and_its_memory(tmp_path: Path) -> None:
    from visprog.models import set_model_manager
    from visprog.models.manager import model_manager

    previous = model_manager()
    set_model_manager(ModelManager(Config(cache_dir=tmp_path, result_cache=True, llm="none")))
    try:
        registry = Registry([words])
        before = CALLS.get("words", 0)
        first = run_program("r = words(n=4)\nresult(r)", registry=registry)
        cache = default_result_cache()
        assert cache is not None and cache is default_result_cache()
        # The entry on disk is damaged; the second run is served from the shared memory layer.
        entries = [p for p in (tmp_path / "results").rglob("*") if p.is_file()]
        assert entries
        for entry in entries:
            entry.write_bytes(b"{broken")
        second = run_program("r = words(n=4)\nresult(r)", registry=registry)
        assert first.result == second.result == ["w0", "w1", "w2", "w3"]
        assert CALLS["words"] == before + 1 and second.trace.steps[0].calls[0].cached
        assert cache.hits == 1 and cache.faults == 0
    finally:
        set_model_manager(previous)


def test_detections_round_trip_through_disk(tmp_path: Path) -> None:
    from visprog import Box

    @tool(cacheable=True)
    def boxes(n: int) -> Detections:
        """Boxes.

        Args:
            n: how many.

        Returns:
            The boxes.
        """
        return Detections([Box(i, i, i + 2, i + 3, label=f"b{i}", score=0.5) for i in range(n)])

    cache = ResultCache(tmp_path)
    key = cache.key(boxes, {"n": 3})
    assert key is not None
    cache.put(key, boxes.func(3))
    fresh = ResultCache(tmp_path)
    fresh.key(boxes, {"n": 3})
    hit, value = fresh.get(key)
    assert hit and isinstance(value, Detections) and value == boxes.func(3)


def test_notes_are_kept_with_the_result(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    key = cache.key(words, {"n": 2})
    assert key is not None
    cache.put(key, ["w0", "w1"], notes=["descriptions from templates (no chat model)"])
    assert cache.lookup(key) == (True, ["w0", "w1"], ("descriptions from templates (no chat model)",))
    fresh = ResultCache(tmp_path)
    fresh.key(words, {"n": 2})
    assert fresh.lookup(key) == (True, ["w0", "w1"], ("descriptions from templates (no chat model)",))


def test_a_model_spec_says_whether_device_and_dtype_enter_the_key(tmp_path: Path) -> None:
    def keyed(spec: ModelSpec) -> tuple[Any, str | None, str | None]:
        @tool(cacheable=True, models=[spec])
        def measure(x: int) -> int:
            """Measure.

            Args:
                x: a number.

            Returns:
                The number.
            """
            return x

        cpu = ResultCache(None, manager=ModelManager(Config(device="cpu", cache_dir=tmp_path)))
        gpu = ResultCache(None, manager=ModelManager(Config(device="cuda", cache_dir=tmp_path)))
        recipe = json.loads(cpu.recipe(measure, {"x": 1}) or "null")
        return recipe["models"], cpu.key(measure, {"x": 1}), gpu.key(measure, {"x": 1})

    # Any library, torch or not, may say it: no list of library names decides.
    same = ModelSpec(key="ocr", default="pp-ocr", library="rapidocr", description="", load=lambda *a: None,
                     present=lambda *a: True, fetch=lambda *a: None, device_dependent=False)
    models, cpu_key, gpu_key = keyed(same)
    assert not any(part[0] == "device" for part in models) and cpu_key == gpu_key
    varies = ModelSpec(key="new", default="org/new", library="newlib", description="", load=lambda *a: None,
                       present=lambda *a: True, fetch=lambda *a: None)
    models, cpu_key, gpu_key = keyed(varies)
    assert models[-1] == ["device", "cpu", "float32"] and cpu_key != gpu_key


@pytest.mark.parametrize("stored", [{"r0": ["x"]}, {"r0": [1, 2], "r1": None}, {"r0": [1.5]}, {"r0": 3}, [["r0", [1]]]])
def test_entries_meet_the_same_structural_check_as_arguments(tmp_path: Path, stored: Any) -> None:
    # table() -> dict[str, list[int]]: a careful edit (checksum recomputed) that breaks
    # the inner types is caught by Tool.fits_return, the toolkit's one structural check.
    cache = ResultCache(tmp_path)
    key = cache.key(table, {"n": 1})
    assert key is not None
    cache.put(key, {"r0": [0, 0]}, table)
    entry = _only_entry(tmp_path)
    data = json.loads(entry.read_text())
    from visprog.values.codec import encode_value

    data["body"][3] = encode_value(stored)
    _reseal(entry, data)
    fresh = ResultCache(tmp_path)
    fresh.key(table, {"n": 1})
    assert table.fits_return({"r0": [1, 2]}) and not table.fits_return(stored)
    with pytest.warns(RuntimeWarning, match="not the tool's return type"):
        assert fresh.get(key) == (False, None)
