"""The red-team corpus: data only. Each case is (family, name, scenario + input,
expectation); :mod:`tests.redteam.scenarios` says what each scenario does and how an
expectation is judged, :mod:`tests.redteam.runner` runs each case in its own process
with a time and memory limit.

``needs`` names a mechanism that is being built elsewhere (the runtime, the fronts);
the pytest wrapper marks those cases ``xfail(strict=True)``, so they turn into failures
the moment the mechanism lands, and the mark is then removed.

Sources of the ported cases: smolagents ``tests/test_local_python_executor.py``
(``TestLocalPythonExecutorSecurity``), simpleeval ``tests/test_security.py``
(``TestTryingToBreakOut``), asteval ``tests/test_asteval.py`` (kaboom, unsafe format
strings, unsafe procedure access), RestrictedPython ``tests/transformer/test_inspect.py``,
``test_breakpoint.py``, ``test_fstring.py``, ``test_attribute.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CASES", "CASES_BY_NAME", "FAMILIES", "Case"]


@dataclass(frozen=True)
class Case:
    """One red-team case.

    Attributes:
        family: the issue's family it belongs to.
        name: unique, kebab-case.
        run: the scenario (a key of ``scenarios.SCENARIOS``).
        input: the scenario's data.
        expect: the expectation (see ``scenarios.judge``).
        needs: the mechanism a case waits for (it fails today), or None.
        timeout_s: the child is killed after this (never more than 15 s).
        memory_mb: allowed peak resident memory above the runner's.
    """

    family: str
    name: str
    run: str
    input: dict[str, Any]
    expect: dict[str, Any]
    needs: str | None = None
    timeout_s: float = 15.0
    memory_mb: int = 700


_NO_SIDE_EFFECT = {"facts": {"sentinel_exists": False}}

# -- families ---------------------------------------------------------------------------

FAMILIES = [
    "bad-images", "bad-programs", "faults", "cache-damage", "threads", "long-runs", "runaway-memory",
    "sandbox-escapes", "eval-injection", "values-and-tools", "rendering", "host",
]

CASES: list[Case] = []


def _add(*cases: Case) -> None:
    CASES.extend(cases)


def _array(shape: list[int], dtype: str, **params: Any) -> dict[str, Any]:
    return {"make": "array", "params": {"shape": shape, "dtype": dtype, **params}}


def _load(name: str, image: dict[str, Any], expect: dict[str, Any], **extra: Any) -> Case:
    return Case("bad-images", name, "load", {"image": image, **extra}, expect)


_BAD_INPUT = {"raises": "InputError"}

# -- bad images ---------------------------------------------------------------------------

_add(
    Case("bad-images", "exif-orientation-6-phone-photo-faces", "faces-exif", {}, {"result": 1}),
    Case("bad-images", "exif-orientations-1-to-8-upright", "exif-upright", {}, {"facts": {"wrong_orientations": []}}),
    Case("bad-images", "exif-note-recorded-in-trace", "program",
         {"source": "R = RESULT(var=IMAGE)", "image": {"make": "astronaut_exif", "params": {"orientation": 6}},
          "trace_checks": ["exif_note_in_trace"]},
         {"facts": {"exif_note_in_trace": True}}),
    _load("exif-invalid-orientation-noted", {"make": "astronaut_exif", "params": {"orientation": 9, "format": "png"}},
          {"facts": {"size": [512, 512], "notes": ["EXIF orientation 9 is not valid"]}}),
    _load("float-array-in-0-1-not-black", _array([4, 4, 3], "float32", fill=0.5), {"facts": {"pixel00": [128, 128, 128]}}),
    _load("float-array-0-255-refused", _array([4, 4, 3], "float64", fill=200.0), {**_BAD_INPUT, "message": "[0, 1]"}),
    _load("float-array-nan-refused", _array([2, 2], "float32", values=[0.1, float("nan"), 0.2, 0.3]), {**_BAD_INPUT, "message": "nan"}),
    _load("float-array-inf-refused", _array([2, 2], "float64", values=[0.1, float("inf"), 0.2, 0.3]), {**_BAD_INPUT, "message": "infinite"}),
    _load("bool-array-white-not-black", _array([3, 3], "bool", fill=True), {"facts": {"pixel00": [255, 255, 255]}}),
    _load("pil-mode-F-in-0-1", {"make": "pil", "params": {"values": [0.0, 1.0, 0.5, 0.25], "dtype": "float32", "shape": [2, 2]}},
          {"facts": {"pixel00": [0, 0, 0], "pixel_last": [64, 64, 64]}}),
    _load("uint16-array-not-modulo-256", _array([1, 3], "uint16", values=[256, 32896, 65535]),
          {"facts": {"pixel00": [1, 1, 1], "pixel_last": [255, 255, 255]}}),
    _load("int16-array-negative-not-wrapped", _array([1, 2], "int16", values=[-32768, 32767]),
          {"facts": {"pixel00": [0, 0, 0], "pixel_last": [255, 255, 255]}}),
    _load("int64-array-with-8-bit-values-as-is", _array([1, 2], "int64", values=[7, 200]),
          {"facts": {"pixel00": [7, 7, 7], "pixel_last": [200, 200, 200]}}),
    _load("int32-array-huge-values-refused", _array([1, 2], "int32", values=[0, 10**9]), {**_BAD_INPUT, "message": "outside"}),
    _load("png-16-bit-grey-not-clipped-white",
          {"make": "file", "params": {"values": [0, 32896, 65535, 1000], "dtype": "uint16", "shape": [2, 2], "name": "grey16.png"}},
          {"facts": {"pixel00": [0, 0, 0], "mean": 96.8}}),
    _load("pil-mode-I-32-bit", {"make": "pil", "params": {"values": [0, 65535, 32896, 257], "dtype": "int32", "shape": [2, 2]}},
          {"facts": {"pixel00": [0, 0, 0], "pixel_last": [1, 1, 1]}}),
    _load("rgba-transparent-over-white", _array([2, 2, 4], "uint8", values=[255, 0, 0, 0] * 4), {"facts": {"pixel00": [255, 255, 255]}}),
    _load("rgba-opaque-unchanged", _array([2, 2, 4], "uint8", values=[255, 0, 0, 255] * 4), {"facts": {"pixel00": [255, 0, 0], "notes": []}}),
    _load("palette-png-with-transparency", {"make": "palette_transparent"}, {"facts": {"pixel00": [255, 255, 255]}}),
    _load("grey-alpha-array", _array([1, 1, 2], "uint8", values=[0, 128]), {"facts": {"pixel00": [127, 127, 127]}}),
    _load("cmyk-jpeg-converted-with-note", {"make": "cmyk"}, {"facts": {"notes": ["converted from CMYK to RGB without a colour profile"]}}),
    _load("grey-array-h-w-1", _array([3, 5, 1], "uint8", fill=9), {"facts": {"size": [5, 3], "pixel00": [9, 9, 9]}}),
    _load("channel-first-array-refused", _array([3, 40, 50], "uint8"), {**_BAD_INPUT, "message": "channel-first"}),
    _load("four-d-array-refused", _array([1, 4, 4, 3], "uint8"), {**_BAD_INPUT, "message": "shape"}),
    _load("empty-array-refused", _array([0, 4, 3], "uint8"), {**_BAD_INPUT, "message": "no pixels"}),
    _load("complex-array-refused", _array([2, 2], "complex64"), {**_BAD_INPUT, "message": "dtype"}),
    _load("object-array-refused", _array([2, 2], "object"), {**_BAD_INPUT, "message": "dtype"}),
    Case("bad-images", "array-20000-squared-refused-before-opencv", "program",
         {"source": "F = FACEDET(image=IMAGE)\nR = RESULT(var=F)",
          "image": {"make": "array", "params": {"shape": [20000, 20000, 3], "dtype": "uint8", "broadcast": 0}}},
         {"raises": "InputError", "message": "max_image_pixels", "max_s": 2.0}),
    _load("png-header-bomb-60000-squared", {"make": "file", "params": {"png_header": [60000, 60000], "name": "bomb.png"}},
          {**_BAD_INPUT, "message": "larger than the limit", "max_s": 1.0}),
    _load("png-header-over-budget", {"make": "file", "params": {"png_header": [8000, 8000], "name": "big.png"}},
          {**_BAD_INPUT, "message": "max_image_pixels", "max_s": 1.0}),
    _load("truncated-png", {"make": "file", "params": {"noise": [64, 64], "name": "cut.png", "truncate": 0.5}},
          {**_BAD_INPUT, "message": "not a readable image"}),
    _load("random-bytes-named-jpg", {"make": "file", "params": {"bytes": "\x13\x37" * 300, "name": "noise.jpg"}},
          {**_BAD_INPUT, "message": "not a readable image"}),
    _load("empty-file", {"make": "file", "params": {"bytes": "", "name": "empty.jpg"}}, {**_BAD_INPUT, "message": "not a readable image"}),
    _load("text-file-named-jpg", {"make": "file", "params": {"text": "hello, not a picture", "name": "notes.jpg"}},
          {**_BAD_INPUT, "message": "not a readable image", "no_message": ["<_io", "BufferedReader"]}),
    _load("directory-as-image", {"make": "directory"}, {**_BAD_INPUT, "message": "directory"}),
    _load("fifo-as-image-does-not-hang", {"make": "fifo"}, {**_BAD_INPUT, "message": "not a regular file", "max_s": 1.0}),
    _load("url-as-image", {"make": "text", "params": {"text": "https://upload.wikimedia.org/x.jpg"}},
          {**_BAD_INPUT, "message": "https://upload.wikimedia.org/x.jpg"}),
    _load("missing-file", {"make": "missing"}, {**_BAD_INPUT, "message": "not found"}),
    _load("closed-pil-image", {"make": "closed_pil"}, {**_BAD_INPUT, "message": "cannot read its pixels"}),
    _load("animated-gif-first-frame-noted", {"make": "gif"}, {"facts": {"pixel00": [255, 0, 0], "notes": ["first of 3 frames used"]}}),
    _load("image-value-over-budget", {"make": "image_value", "params": {"size": [200, 100]}}, {**_BAD_INPUT, "message": "max_image_pixels"},
          max_pixels=1000),
    Case("bad-images", "str-path-is-an-image", "program",
         {"source": "R = RESULT(var=IMAGE)", "image": {"make": "file", "params": {"values": [0] * 48, "dtype": "uint8",
                                                                                 "shape": [4, 4, 3], "name": "p.png"}}},
         {"result": "Image 4x4"}),
)

# -- bad programs ----------------------------------------------------------------------------

_add(
    Case("bad-programs", "tab-inside-string-literal-kept", "program", {"source": "result('a\tb')", "registry": "test"},
         {"result": "a\tb"}),
    Case("bad-programs", "binary-garbage-source", "program", {"source": "\x00\x01\x02 garbage ))) (((", "registry": "test"},
         {"error": "CheckFailed"}),
    Case("bad-programs", "thousand-nested-parentheses", "program", {"source": "x = " + "(" * 1000 + "1" + ")" * 1000 + "\nresult(x)",
                                                                   "registry": "test"},
         {"error": ["CheckFailed", "BudgetExceeded"]}),
    Case("bad-programs", "hundred-thousand-nested-brackets", "program", {"source": "x = " + "[" * 100000 + "]" * 100000, "registry": "test"},
         {"error": ["CheckFailed", "BudgetExceeded"], "max_s": 3.0}),
    Case("bad-programs", "megabyte-source", "program", {"source": "x = '" + "a" * 1_000_000 + "'\nresult(x)", "registry": "test"},
         {"error": ["CheckFailed", "BudgetExceeded"], "message": "max_source_chars", "max_s": 3.0}),
    Case("bad-programs", "null-byte-in-source", "program", {"source": "x = 1\x00\nresult(x)", "registry": "test"},
         {"error": "CheckFailed"}),
    Case("bad-programs", "checker-1500-undefined-names", "program",
         {"source": "\n".join(f"v{i} = u{i} + w{i}" for i in range(1500)), "registry": "both"},
         {"error": "CheckFailed", "max_s": 5.0}),
    *[Case("bad-programs", f"tool-declared-int-returns-{kind}", "program",
           {"source": f"x = rt_declared('{kind}')\nresult(x)", "registry": "test"},
           {"error": "ToolError", "message": f"returned {said}, but it declares -> int"})
      for kind, said in (("str", "a str"), ("nan", "a float"), ("inf", "a float"), ("bool", "a bool"))],
    *[Case("bad-programs", f"tool-declared-list-of-float-returns-{kind}", "program",
           {"source": f"s = rt_scores('{kind}')\nresult(s)", "registry": "test"},
           {"error": "ToolError", "message": f"{said} at index 1, but it declares -> list[float]"})
      for kind, said in (("str", "a str"), ("nan", "the float nan"))],
    Case("bad-programs", "empty-program", "program", {"source": "", "registry": "test"},
         {"error": "CheckFailed", "message": "the program is empty"}),
    Case("bad-programs", "only-comments-program", "program", {"source": "# nothing\n# but comments\n", "registry": "test"},
         {"error": "CheckFailed", "message": "only comments"}),
    Case("bad-programs", "lone-surrogate-in-string", "program", {"source": "x = 'caf\udce9'\nresult(x)", "registry": "test"},
         {"error": "CheckFailed", "message": "line 1, column 9: syntax error: the program is not valid text"}),
    Case("bad-programs", "lone-surrogate-in-comment", "program", {"source": "x = 1  # \ud800\nresult(x)", "registry": "test"},
         {"error": "CheckFailed", "message": "lone surrogate"}),
    Case("bad-programs", "recursive-entry-function", "program",
         {"source": "def execute_command(image):\n    return execute_command(image)\n", "registry": "test", "astronaut": True},
         {"error": "CheckFailed", "message": "'execute_command' is the entry function: programs cannot call it (no recursion)"}),
    Case("bad-programs", "while-true-stopped-by-iterations", "program",
         {"source": "n = 0\nwhile True:\n    n = n + 1\nresult(n)", "registry": "test", "limits": {"max_loop_iterations": 5000}},
         {"error": "BudgetExceeded", "budget": "max_loop_iterations"}),
    Case("bad-programs", "unknown-tool-suggestion", "program", {"source": "X = LOCC(image=IMAGE)\nR = RESULT(var=X)", "registry": "both"},
         {"error": "CheckFailed", "message": "LOC"}),
)

# -- faults -----------------------------------------------------------------------------------

_add(
    Case("faults", "tool-raises-systemexit-recorded", "program", {"source": "x = rt_exit()\nresult(x)", "registry": "test"},
         {"error": "ToolError", "message": "SystemExit"}),
    Case("faults", "tool-raises-keyboardinterrupt-reraised", "ctrl-c", {"mode": "tool-raises"}, {"raises": "KeyboardInterrupt"}),
    Case("faults", "tool-error-with-megabyte-message-bounded", "program", {"source": "x = rt_long_error()\nresult(x)", "registry": "test"},
         {"error": "ToolError", "facts": {"message_short": True}}),
    Case("faults", "tool-error-whose-str-raises", "program", {"source": "x = rt_bad_str_error()\nresult(x)", "registry": "test"},
         {"error": "ToolError"}),
    Case("faults", "ctrl-c-stops-run-batch", "ctrl-c", {"mode": "run_batch", "after_s": 0.6},
         {"raises": "KeyboardInterrupt", "max_s": 2.0}),
    Case("faults", "ctrl-c-stops-a-sleeping-tool", "ctrl-c", {"mode": "run_program-sleep", "after_s": 0.5},
         {"raises": "KeyboardInterrupt", "max_s": 1.5}),
    Case("faults", "ctrl-c-stops-a-program-loop", "ctrl-c", {"mode": "run_program-loop", "after_s": 0.5},
         {"raises": "KeyboardInterrupt", "max_s": 1.5}),
    Case("faults", "ctrl-c-in-the-planners-llm-call", "planner-interrupt", {"mode": "llm-raises"},
         {"raises": "KeyboardInterrupt", "facts": {"llm_calls": 1}}),
    Case("faults", "ctrl-c-while-ask-runs-the-plan", "planner-interrupt", {"mode": "during-run"},
         {"raises": "KeyboardInterrupt", "max_s": 4.0, "facts": {"llm_calls": 1}}),
    Case("faults", "trace-html-save-on-a-full-disk-keeps-the-old-file", "save-full", {"format": "html"},
         {"raises": ["OSError", "InputError"], "facts": {"old_kept": True, "leftovers": []}}),
    Case("faults", "trace-json-save-on-a-full-disk-keeps-the-old-file", "save-full", {"format": "json"},
         {"raises": ["OSError", "InputError"], "facts": {"old_kept": True, "leftovers": []}}),
    Case("faults", "missing-image-is-an-input-error", "program",
         {"source": "R = RESULT(var=IMAGE)", "image": {"make": "missing"}},
         {"raises": "InputError", "message": "not found"}),
    Case("faults", "unreadable-image-in-a-batch-does-not-stop-the-others", "batch", {},
         {"facts": {"kinds": [None, "InputError", None]}}),
)

# -- cache damage ----------------------------------------------------------------------------------

_ENTRY_OK: dict[str, Any] = {"result": ["w0", "w1", "w2"], "facts": {"recomputed": 1, "third_run_calls": 0, "third_result": ["w0", "w1", "w2"]}}
for _damage in ("null", "number", "wrong-type", "raw-null", "truncated", "garbage", "empty", "other-key", "png-bomb", "deep-json",
                "directory"):
    _facts = dict(_ENTRY_OK["facts"])
    if _damage != "directory":
        _facts["warnings"] = 1
    _add(Case("cache-damage", f"cache-entry-{_damage}", "cache-entry", {"damage": _damage}, {**_ENTRY_OK, "facts": _facts}))

_add(
    Case("cache-damage", "cache-folder-read-only", "cache-fault", {"fault": "readonly"}, {"facts": {"runs_ok": True, "warnings": 1}}),
    Case("cache-damage", "cache-disk-full", "cache-fault", {"fault": "full"}, {"facts": {"runs_ok": True, "warnings": 1}}),
    Case("cache-damage", "cache-folder-deleted-during-runs", "cache-fault", {"fault": "deleted"}, {"facts": {"runs_ok": True}}),
    Case("cache-damage", "cache-folder-is-a-file", "cache-fault", {"fault": "file-in-place"}, {"facts": {"runs_ok": True, "warnings": 1}}),
    Case("cache-damage", "cache-folder-cannot-exist", "cache-fault", {"fault": "bad-path"}, {"facts": {"runs_ok": True, "warnings": 1}}),
    Case("cache-damage", "cache-four-processes-same-keys", "cache-concurrent", {"rounds": 60},
         {"facts": {"problems": 0, "leftover_tmp": [], "valid_entries": 5}}),
    Case("cache-damage", "cache-eight-threads-same-keys", "cache-concurrent", {"threads": True, "rounds": 40},
         {"facts": {"problems": 0, "leftover_tmp": [], "valid_entries": 5}}),
    Case("cache-damage", "cached-list-mutated-by-program", "cache-mutation",
         {"first": "c = rt_words(3)\nc[0] = 'X'\nc.append('Y')\nresult(c)", "second": "c = rt_words(3)\nresult(c)"},
         {"result": ["w0", "w1", "w2"], "facts": {"first_result": ["X", "w1", "w2", "Y"]}}),
    Case("cache-damage", "cached-dict-mutated-by-program", "cache-mutation",
         {"first": "t = rt_table(2)\nt['r0'].append(99)\nt['new'] = [1]\nresult(t)", "second": "t = rt_table(2)\nresult(t)"},
         {"result": {"r0": [0, 0], "r1": [1, 1]}}),
    Case("cache-damage", "cached-int-too-big-for-json-never-a-summary", "cache-bigint", {}, {"result": True, "facts": {"first_result": True}}),
    Case("cache-damage", "cupl-descriptions-in-cache-key-across-processes", "cache-cupl", {},
         {"facts": {"different_files_differ": True, "same_content_same_key": True}}, memory_mb=900),
    Case("cache-damage", "cache-size-cap-lru", "cache-cap", {}, {"facts": {"under_cap": True, "hot_kept": True}}),
)

# -- threads ----------------------------------------------------------------------------------------

_add(
    Case("threads", "faces-eight-threads", "threads", {"work": "faces", "threads": 8, "rounds": 4},
         {"facts": {"wrong": 0, "errors": 0}}),
    Case("threads", "haar-faces-eight-threads", "threads", {"work": "faces", "threads": 8, "rounds": 4, "env": {"VISPROG_MODEL_FACES": "haar"}},
         {"facts": {"wrong": 0, "errors": 0}}),
    Case("threads", "model-loads-once-under-eight-threads", "model-once", {},
         {"facts": {"loads": 1, "managers": 1, "models": 1, "errors": 0}}),
    Case("threads", "pure-programs-eight-threads", "threads", {"work": "pure", "threads": 8, "rounds": 10},
         {"facts": {"wrong": 0, "errors": 0}}),
    Case("threads", "shared-cache-context-eight-threads", "threads", {"work": "shared-cache", "threads": 8, "rounds": 10},
         {"facts": {"wrong": 0, "errors": 0}}),
    Case("threads", "load-exif-image-eight-threads", "threads", {"work": "load-exif", "threads": 8, "rounds": 4},
         {"facts": {"wrong": 0, "errors": 0}}),
)

# -- long runs ----------------------------------------------------------------------------------------

_WALL = {"error": "BudgetExceeded", "budget": "max_wall_time_s"}
_add(
    Case("long-runs", "wall-budget-preempts-a-sleeping-tool", "wall", {"source": "a = 1\nx = rt_sleep(4)\nresult(x)", "budget_s": 1.0},
         {**_WALL, "line": 2, "max_s": 2.0}),
    Case("long-runs", "wall-budget-preempts-a-spinning-tool", "wall", {"source": "x = rt_spin(4)\nresult(x)", "budget_s": 1.0},
         {**_WALL, "line": 1, "max_s": 2.0}),
    Case("long-runs", "wall-budget-blames-the-running-line", "wall",
         {"source": "a = rt_sleep(1.5)\nb = 2\nresult(b)", "budget_s": 1.0}, {**_WALL, "line": 1}),
    Case("long-runs", "idle-time-between-steps-not-counted", "wall", {"idle_between_steps": True}, {"error": None}),
    Case("long-runs", "hash-colliding-integer-keys", "program",
         {"source": "d = {}\nfor i in range(60000):\n    d[i * 2305843009213693951] = i\nresult(len(d))", "registry": "test",
          "limits": {"max_wall_time_s": 3}},
         {"error": "BudgetExceeded", "max_s": 6.0}),
    Case("long-runs", "hash-colliding-keys-in-one-comprehension", "program",
         {"source": "d = {i * 2305843009213693951: i for i in range(60000)}\nresult(len(d))", "registry": "test",
          "limits": {"max_wall_time_s": 3}},
         {"error": "BudgetExceeded", "max_s": 6.0}),
    # One C-level operation runs to its end once started: its work is estimated first.
    Case("long-runs", "one-equality-of-a-million-1mb-strings", "program",
         {"source": "s = 'x' * 1000000\nt = 'x' * 999999 + 'x'\na = [s] * 1000000\nb = [t] * 1000000\nresult(a == b)",
          "registry": "test", "limits": {"max_wall_time_s": 10}},
         {"error": "BudgetExceeded", "message": "max_operation_work", "max_s": 10.0}),
    Case("long-runs", "one-containment-test-over-1mb-strings", "program",
         {"source": "s = 'x' * 1000000\na = [s] * 1000000\nresult('x' * 999999 + 'y' in a)",
          "registry": "test", "limits": {"max_wall_time_s": 10}},
         {"error": "BudgetExceeded", "message": "max_operation_work", "max_s": 10.0}),
    Case("long-runs", "one-sort-of-1mb-strings", "program",
         {"source": "s = 'x' * 1000000\nt = 'x' * 999999 + 'x'\nresult(len(sorted([s, t] * 500)))",
          "registry": "test", "limits": {"max_wall_time_s": 10}},
         {"error": "BudgetExceeded", "message": "max_operation_work", "max_s": 10.0}),
    Case("long-runs", "one-set-of-90000-colliding-keys", "program",
         {"source": "keys = [i * 2305843009213693951 for i in range(90000)]\nresult(len(set(keys)))",
          "registry": "test", "limits": {"max_wall_time_s": 10}},
         {"error": "BudgetExceeded", "message": "max_operation_work", "max_s": 10.0}),
    Case("long-runs", "deep-tuple-hash-no-segfault", "program",
         {"source": "t = ()\nfor i in range(150000):\n    t = (t,)\nd = {t: 1}\nresult(len(d))", "registry": "test",
          "limits": {"max_loop_iterations": 200000, "max_statements": 400000}},
         {"error": ["BudgetExceeded", "ProgramRuntimeError"]}),
    Case("long-runs", "deep-list-equality-no-crash", "program",
         {"source": "a = []\nb = []\nfor i in range(150000):\n    a = [a]\n    b = [b]\nresult(a == b)", "registry": "test",
          "limits": {"max_loop_iterations": 200000, "max_statements": 400000}},
         {"error": ["BudgetExceeded", "ProgramRuntimeError"]}),
    Case("long-runs", "zwj-emoji-name-bounded", "program",
         {"source": "B = rt_boxes(1)\nE = emoji(image=IMAGE, objects=B, emoji='" + "\u200d".join(["\U0001F468"] * 40) + "')\nresult(E)",
          "astronaut": True, "limits": {"max_wall_time_s": 5}},
         {"error": ["ToolError", "BudgetExceeded"], "max_s": 6.0}),
    Case("long-runs", "per-box-tool-over-65k-boxes", "program",
         {"source": "B = rt_boxes(65536)\nE = emoji(image=IMAGE, objects=B, emoji='smiley')\nresult(E)", "astronaut": True},
         {"error": ["BudgetExceeded", "ToolError"], "max_s": 10.0}),
    Case("long-runs", "classify-with-20000-categories", "program",
         {"source": "C = [str(i) for i in range(20000)]\nX = classify(image=IMAGE, categories=C)\nresult(X)", "astronaut": True},
         {"error": ["BudgetExceeded", "ToolUnavailable", "ModelUnavailable", "ToolError"], "max_s": 10.0}),
    Case("long-runs", "huge-range-iteration", "program", {"source": "n = 0\nfor i in range(10 ** 9):\n    n = n + 1\nresult(n)", "registry": "test"},
         {"error": "BudgetExceeded", "max_s": 5.0}),
    Case("long-runs", "power-tower", "program", {"source": "x = 9 ** 9 ** 9 ** 9\nresult(x)", "registry": "test"},
         {"error": "BudgetExceeded", "budget": "max_int_bits", "max_s": 2.0}),
    Case("long-runs", "giant-shift", "program", {"source": "x = 1 << 25000000\nresult(x)", "registry": "test"},
         {"error": "BudgetExceeded", "budget": "max_int_bits", "max_s": 2.0}),
    Case("long-runs", "huge-int-to-str", "program", {"source": "x = 10 ** 30000\ny = str(x)\nresult(len(y))", "registry": "test"},
         {"error": ["ProgramRuntimeError", "BudgetExceeded", None], "max_s": 3.0}),
)

# -- runaway memory ------------------------------------------------------------------------------------

_MEM = {"error": "BudgetExceeded", "max_s": 10.0}
_add(
    Case("runaway-memory", "string-join-of-itself", "program", {"source": "a = 'x' * 900000\nb = a.join(a)\nresult(len(b))", "registry": "test"},
         _MEM),
    Case("runaway-memory", "str-of-large-container", "program",
         {"source": "x = ['a' * 900000] * 1000\ny = str(x)\nresult(len(y))", "registry": "test"}, _MEM),
    Case("runaway-memory", "fstring-of-large-container", "program",
         {"source": "x = ['a' * 900000] * 1000\ny = f'{x}'\nresult(len(y))", "registry": "test"}, _MEM),
    Case("runaway-memory", "percent-format-of-large-container", "program",
         {"source": "x = ['a' * 900000] * 1000\ny = '%s' % (x,)\nresult(len(y))", "registry": "test"},
         {"error": "CheckFailed", "message": "'%' formatting of strings is not allowed", "line": 2, "max_s": 10.0}),
    Case("runaway-memory", "percent-format-huge-width", "program",
         {"source": "y = '%999999999d' % 1\nresult(len(y))", "registry": "test"},
         {"error": "CheckFailed", "message": "'%' formatting of strings is not allowed", "max_s": 5.0}),
    Case("runaway-memory", "sum-of-lists", "program",
         {"source": "x = [[0] * 100000] * 1000\ny = sum(x, [])\nresult(len(y))", "registry": "test"},
         {"error": ["BudgetExceeded", "SandboxViolation"], "max_s": 10.0}),
    Case("runaway-memory", "detections-doubling", "program",
         {"source": "d = rt_boxes(1000)\nfor i in range(40):\n    d = d + d\nresult(len(d))", "registry": "test"}, _MEM),
    Case("runaway-memory", "thousands-of-large-strings", "program",
         {"source": "l = []\nfor i in range(5000):\n    l.append('x' * 900000)\nresult(len(l))", "registry": "test"}, _MEM),
    Case("runaway-memory", "comprehension-of-large-strings", "program",
         {"source": "l = ['x' * 900000 for i in range(5000)]\nresult(len(l))", "registry": "test"}, _MEM),
    Case("runaway-memory", "dict-of-large-values", "program",
         {"source": "d = {}\nfor i in range(50000):\n    d[i] = 'y' * 100000\nresult(len(d))", "registry": "test"}, _MEM),
    Case("runaway-memory", "crops-kept-in-trace", "program",
         {"source": "B = rt_boxes(1, 400)\nfor i in range(1000):\n    C = crop(image=IMAGE, box=B, margin=2.0)\nresult(1)",
          "astronaut": True}, _MEM),
    Case("runaway-memory", "tool-made-images-beyond-pixel-budget", "program",
         {"source": "l = []\nfor i in range(100):\n    l.append(rt_big_image(2000))\nresult(len(l))", "registry": "test"}, _MEM),
    Case("runaway-memory", "list-of-shared-huge-list-repr", "program",
         {"source": "x = [0] * 999999\ny = [x] * 999999\nz = str(y)\nresult(len(z))", "registry": "test"}, _MEM),
    Case("runaway-memory", "caption-of-5000-images", "program", {"source": "X = caption([IMAGE] * 5000)\nresult(X)", "astronaut": True},
         {"host_alive": True, "max_s": 10.0}),
    Case("runaway-memory", "string-repeat-chain", "program", {"source": "x = ('text' * 50000) * 1000\nresult(len(x))", "registry": "test"},
         {"error": "BudgetExceeded", "budget": "max_sequence_length", "max_s": 2.0}),
)

# -- sandbox escapes (ported) ------------------------------------------------------------------------------

_ESCAPES: list[tuple[str, str, str, str]] = [
    # smolagents TestLocalPythonExecutorSecurity
    ("smolagents-callable-self-exec", "exec = callable.__self__.exec\nexec(compile('open(\"{SENTINEL}\", \"w\")', 'f', 'exec'))", "CheckFailed", "attribute '__self__' starts with '_'"),
    ("smolagents-import-os", "import os\nos.system('touch {SENTINEL}')", "CheckFailed", 'import is not allowed'),
    ("smolagents-import-builtins", "import builtins\nbuiltins.exec('open(\"{SENTINEL}\", \"w\")')", "CheckFailed", 'import is not allowed'),
    ("smolagents-sys-modules-os", "import sys\nsys.modules['os'].system('touch {SENTINEL}')", "CheckFailed", 'import is not allowed'),
    ("smolagents-importlib", "import importlib\nimportlib.import_module('os').system('touch {SENTINEL}')", "CheckFailed", 'import is not allowed'),
    ("smolagents-random-private-os", "x = random._os.system('touch {SENTINEL}')", "CheckFailed", "'random' is a Python module; programs cannot use modules"),
    ("smolagents-getframe-builtins", "b = sys._getframe().f_builtins\nb['__import__']('os').system('touch {SENTINEL}')", "CheckFailed", "attribute '_getframe' starts with '_'"),
    ("smolagents-traceback-frame", "try:\n    1 / 0\nexcept Exception as e:\n    b = e.__traceback__.tb_frame.f_back.f_globals['__builtins__']\n"
                                   "    b['__import__']('os').system('touch {SENTINEL}')", "CheckFailed", 'try/except is not allowed'),
    ("smolagents-catch-warnings-subclass", "classes = {}.__class__.__base__.__subclasses__()\nfor cls in classes:\n    if cls.__name__ == 'catch_warnings':\n"
                                           "        break\nb = cls()._module.__builtins__\nb['__import__']('os').system('touch {SENTINEL}')", "CheckFailed", "attribute '__subclasses__' starts with '_'"),
    ("smolagents-builtin-importer", "classes = {}.__class__.__base__.__subclasses__()\nfor cls in classes:\n    if cls.__name__ == 'BuiltinImporter':\n"
                                    "        break\ncls().load_module('os').system('touch {SENTINEL}')", "CheckFailed", "attribute '__subclasses__' starts with '_'"),
    ("smolagents-popen-subclass", "for cls in ().__class__.__base__.__subclasses__():\n    if 'Popen' in cls.__class__.__repr__(cls):\n        break\n"
                                  "cls(['touch', '{SENTINEL}']).wait()", "CheckFailed", "attribute '__subclasses__' starts with '_'"),
    ("smolagents-dunder-class", "a = ()\nb = a.__class__\nresult(b)", "CheckFailed", "attribute '__class__' starts with '_'"),
    ("smolagents-getattr-dunder", "a = ()\nb = getattr(a, '__class__')\nresult(b)", "CheckFailed", "'getattr' is not a registered tool or an allowed built-in"),
    ("smolagents-dunder-dir", "x = 'string'.__dir__()\nresult(x)", "CheckFailed", "attribute '__dir__' starts with '_'"),
    ("smolagents-getattribute", "def execute_command(image):\n    c = execute_command.__getattribute__('__class__')\n    return c", "CheckFailed", "attribute '__getattribute__' starts with '_'"),
    ("smolagents-map-getattr", "x = list(map(getattr, ['a'], ['__class__']))\nresult(x)", "CheckFailed", "'map' is not a registered tool or an allowed built-in"),
    # simpleeval TestTryingToBreakOut
    ("simpleeval-from-bytes-bignum", "x = (1).from_bytes(('123123123123123123123123').encode() * 999999, 'big')\nresult(x)", "CheckFailed", "int has no method 'from_bytes'"),
    ("simpleeval-function-globals", "def execute_command(image):\n    return execute_command.__globals__", "CheckFailed", "attribute '__globals__' starts with '_'"),
    ("simpleeval-func-globals-py2-name", "def execute_command(image):\n    return execute_command.func_globals", "CheckFailed", "attribute 'func_globals' is not available to programs"),
    ("simpleeval-mro", "x = IMAGE.mro()\nresult(x)", "CheckFailed", "Image has no method 'mro'"),
    ("simpleeval-perkinslr-subclasses", "x = True.__class__.__class__.__base__.__subclasses__()[-1].__init__.func_globals['sys'].exit(1)", "CheckFailed", "attribute '__subclasses__' starts with '_'"),
    ("simpleeval-format-class", "x = '{string.__class__}'.format(string='things')\nresult(x)", "CheckFailed", 'format field {string.__class__} reads an attribute or item'),
    ("simpleeval-format-map", "x = '{a.__class__}'.format_map({'a': 1})\nresult(x)", "CheckFailed", "str has no method 'format_map'"),
    ("simpleeval-fstring-class", "x = 42\ny = f'{x.__class__}'\nresult(y)", "CheckFailed", "attribute '__class__' starts with '_'"),
    ("simpleeval-fstring-globals", "def execute_command(image):\n    return f'{execute_command.__globals__}'", "CheckFailed", "attribute '__globals__' starts with '_'"),
    ("simpleeval-quasi-private", "x = IMAGE._quasi_private()\nresult(x)", "CheckFailed", "attribute '_quasi_private' starts with '_'"),
    ("simpleeval-dunder-all", "x = IMAGE.__module__\nresult(x)", "CheckFailed", "attribute '__module__' starts with '_'"),
    # asteval
    ("asteval-kaboom", "x = (lambda fc=(lambda n: [c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == n][0]):\n"
                       "    fc('function')(fc('code')(0, 0, 0, 0, 'KABOOM', (), (), (), '', '', 0, ''), {})())()", "CheckFailed", "lambda is only allowed as the key="),
    ("asteval-subclasses-print", "x = [print(c) for c in ().__class__.__bases__[0].__subclasses__()]", "CheckFailed", "'print' is not a registered tool or an allowed built-in"),
    ("asteval-format-spec-escape", "x = f\"{dict:'\\x7B__fstring__.__class__.s\\x7D'}\"\nresult(x)", "CheckFailed", "variable 'dict' is used before it is assigned"),
    ("asteval-format-dict", "x = '{0}'.format(dict)\nresult(x)", "CheckFailed", "variable 'dict' is used before it is assigned"),
    ("asteval-open-write", "f = open('{SENTINEL}', 'wb')", "CheckFailed", "'open' is not a registered tool or an allowed built-in"),
    ("asteval-procedure-body", "def execute_command(image):\n    execute_command.__body__[0] = 'x'\n    return 1", "CheckFailed", "attribute '__body__' starts with '_'"),
    ("asteval-ndarray-ctypes", "x = IMAGE.to_array().ctypes\nresult(x)", "CheckFailed", "Image has no method 'to_array'"),
    ("asteval-ndarray-tofile", "IMAGE.to_array().tofile('{SENTINEL}')", "CheckFailed", "Image has no method 'to_array'"),
    # RestrictedPython
    ("restrictedpython-gi-frame", "g = (x for x in (1,))\nf = g.gi_frame.f_back\nresult(f)", "CheckFailed", "attribute 'f_back' is not available to programs"),
    ("restrictedpython-gi-frame-builtins", "g = (x for x in (1,))\nb = g.gi_frame.f_builtins\nresult(b)", "CheckFailed", "attribute 'f_builtins' is not available to programs"),
    ("restrictedpython-breakpoint", "breakpoint()", "CheckFailed", "'breakpoint' is not a registered tool or an allowed built-in"),
    ("restrictedpython-fstring-private-name", "x = f'{__init__}'\nresult(x)", "CheckFailed", "name '__init__' starts with '_'"),
    ("restrictedpython-private-attribute-write", "IMAGE._secret = 15\nresult(1)", "CheckFailed", "attribute '_secret' starts with '_'"),
    ("restrictedpython-attribute-write", "IMAGE.offset = (5, 5)\nresult(IMAGE)", "CheckFailed", "assigning to attribute 'offset' is not allowed"),
    # visprog-specific
    ("image-pil-internals", "x = IMAGE.pil\nresult(x)", "CheckFailed", "Image has no attribute 'pil'"),
    ("image-crop-method", "x = IMAGE.crop(1)\nresult(x)", "CheckFailed", "Image has no method 'crop'"),
    ("type-builtin", "x = type(IMAGE)\nresult(x)", "CheckFailed", "'type' is not a registered tool or an allowed built-in"),
    ("builtin-as-value-key", "x = sorted([3, 1], key=len)\nresult(x)", "CheckFailed", 'key= takes a lambda here'),
    ("tool-as-a-value", "f = rt_words\nx = f(2)\nresult(x)", "CheckFailed", "'rt_words' can only be called, not used as a value"),
    ("vars-locals-globals", "x = [vars(), locals(), globals()]\nresult(x)", "CheckFailed", "'vars' is not a registered tool or an allowed built-in"),
    ("dunder-builtins-name", "x = __builtins__['open']('{SENTINEL}', 'w')", "CheckFailed", "name '__builtins__' starts with '_'"),
    ("fullwidth-open-normalised", "x = \uff4f\uff50\uff45\uff4e('{SENTINEL}', 'w')\nresult(x)", "CheckFailed", "'open' is not a registered tool or an allowed built-in"),
    ("fullwidth-dunder-import", "x = __\uff49mport__('os')\nx.system('touch {SENTINEL}')", "CheckFailed", "name '__import__' starts with '_'"),
    ("del-statement", "x = 1\ndel x\nresult(1)", "CheckFailed", 'del is not allowed'),
    ("set-comprehension", "x = {i for i in range(3)}\nresult(x)", "CheckFailed", 'a set comprehension is not allowed'),
    ("starred-unpacking", "a, *b = [1, 2, 3]\nresult(b)", "CheckFailed", '* unpacking is only allowed in call arguments'),
    ("match-statement", "match 1:\n    case 1:\n        x = 1\nresult(x)", "CheckFailed", 'match is not allowed'),
    ("async-def", "async def execute_command(image):\n    return 1", "CheckFailed", 'async def is not allowed'),
    ("yield-in-entry", "def execute_command(image):\n    yield 1", "CheckFailed", 'yield is not allowed'),
    ("nonlocal-in-entry", "def execute_command(image):\n    nonlocal x\n    return 1", "CheckFailed", 'nonlocal is not allowed'),
    ("memoryview-builtin", "x = memoryview(b'x')\nresult(x)", "CheckFailed", "'memoryview' is not a registered tool or an allowed built-in"),
    ("input-builtin", "x = input()\nresult(x)", "CheckFailed", "'input' is not a registered tool or an allowed built-in"),
    ("detections-private", "B = rt_boxes(2)\nx = B._boxes\nresult(x)", "CheckFailed", "attribute '_boxes' starts with '_'"),
    ("box-reduce", "B = rt_boxes(1)\nx = B[0].__reduce__()\nresult(x)", "CheckFailed", "attribute '__reduce__' starts with '_'"),
]
for _name, _source, _kind, _message in _ESCAPES:
    _add(Case("sandbox-escapes", _name, "program", {"source": _source, "astronaut": True},
              {"error": _kind, "message": _message, "facts": {"sentinel_exists": False}}))

_add(
    Case("sandbox-escapes", "module-given-as-input-refused", "program",
         {"source": "x = path\nresult(1)", "inputs_module": True, "registry": "test", "inputs": None},
         {"raises": "InputError"}),
    Case("sandbox-escapes", "tool-returning-module-refused", "program", {"source": "m = rt_leak_module()\nresult(m)", "registry": "test"},
         {"error": "ToolError"}),
    Case("sandbox-escapes", "tool-returning-generator-refused", "program", {"source": "g = rt_generator()\nresult(g)", "registry": "test"},
         {"error": "ToolError"}),
)

# -- EVAL injection -------------------------------------------------------------------------------------------

_INJECT = "__import__('os').system('touch {SENTINEL}')"
_add(
    Case("eval-injection", "eval-variable-holding-code-stays-text", "program",
         {"source": f"X = \"{_INJECT}\"\nANS = EVAL(expr=\"{{X}}\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": None, "facts": {"sentinel_exists": False}}),
    Case("eval-injection", "eval-quote-breaking-value", "program",
         {"source": "X = \"a' + str(__import__('os').system('touch {SENTINEL}')) + 'b\"\nANS = EVAL(expr=\"'{X}'\")\nR = RESULT(var=ANS)",
          "registry": "test"},
         {"facts": {"sentinel_exists": False}, "error": [None, "ToolError", "SandboxViolation", "ProgramRuntimeError"]}),
    Case("eval-injection", "eval-expression-with-import", "program",
         {"source": "ANS = EVAL(expr=\"__import__('os').system('touch {SENTINEL}')\")\nR = RESULT(var=ANS)", "registry": "test"},
         {**_NO_SIDE_EFFECT, "error": "CheckFailed", "message": "name '__import__' starts with '_'; such names are not allowed in eval"}),
    Case("eval-injection", "eval-expression-with-lambda", "program",
         {"source": "ANS = EVAL(expr=\"(lambda: 1)()\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": "CheckFailed", "message": "lambda is only allowed as the key= of sorted(), min(), max() or list.sort() in eval"}),
    Case("eval-injection", "eval-format-class", "program",
         {"source": "ANS = EVAL(expr=\"'{0.__class__}'.format(1)\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": "CheckFailed", "message": "format field {0.__class__} reads an attribute or item"}),
    Case("eval-injection", "eval-expression-from-a-tool-output", "program",
         {"source": "W = rt_escape_text()\nE = \"open('{SENTINEL}', 'w')\"\nANS = EVAL(expr=E)\nR = RESULT(var=ANS)", "registry": "test"},
         {**_NO_SIDE_EFFECT, "error": "SandboxViolation", "message": "'open' is not a registered tool or an allowed built-in", "line": 3}),
    Case("eval-injection", "eval-power-tower", "program",
         {"source": "ANS = EVAL(expr=\"9 ** 9 ** 9 ** 9\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": "BudgetExceeded", "max_s": 2.0}),
    Case("eval-injection", "eval-deep-nesting", "program",
         {"source": "ANS = EVAL(expr=\"" + "(" * 5000 + "1" + ")" * 5000 + "\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": ["BudgetExceeded", "ToolError", "CheckFailed"], "max_s": 3.0}),
    Case("eval-injection", "eval-yes-no-semantics", "program",
         {"source": "A = 'yes'\nB = 'no'\nANS = EVAL(expr=\"{A} and not {B}\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": None, "result": "yes"}),
    Case("eval-injection", "eval-undefined-placeholder", "program",
         {"source": "ANS = EVAL(expr=\"{NOPE} + 1\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": ["CheckFailed", "ToolError", "ProgramRuntimeError"]}),
    Case("eval-injection", "eval-dunder-through-placeholder-name", "program",
         {"source": "ANS = EVAL(expr=\"{__builtins__}\")\nR = RESULT(var=ANS)", "registry": "test"},
         {"error": "CheckFailed", "message": "name '__builtins__' starts with '_'; such names are not allowed in eval"}),
)

# -- values and tools -----------------------------------------------------------------------------------------

_add(
    Case("values-and-tools", "box-label-module-refused", "program", {"source": "b = rt_module_label()\nresult(b.label)", "registry": "test"},
         {"error": "ToolError", "message": "label"}),
    Case("values-and-tools", "box-numpy-fields-plain", "program",
         {"source": "b = rt_numpy_box(7)\nresult([b.x2, b.label, b.score])", "registry": "test"}, {"result": [7, "np", 0.5]}),
    Case("values-and-tools", "box-numpy-huge-coordinate-refused", "program",
         {"source": "b = rt_numpy_box(9000000000000000000)\nresult(b.area)", "registry": "test"}, {"error": "ToolError"}),
    Case("values-and-tools", "box-nan-refused", "program", {"source": "b = rt_nan_box()\nresult(b)", "registry": "test"},
         {"error": "ToolError", "message": "finite"}),
    Case("values-and-tools", "detections-box-subclass-refused", "program", {"source": "d = rt_subclass_boxes()\nresult(d)", "registry": "test"},
         {"error": "ToolError"}),
    Case("values-and-tools", "mask-of-floats-refused", "program", {"source": "m = rt_float_mask()\nresult(m)", "registry": "test"},
         {"error": "ToolError", "message": "threshold"}),
    Case("values-and-tools", "inputs-copied-at-the-boundary", "inputs-copy", {},
         {"result": 3, "facts": {"caller_list": ["heron", "egret"], "caller_dict": {"a": [1, 2]}}}),
    Case("values-and-tools", "trace-arguments-not-rewritten-by-later-mutation", "program",
         {"source": "x = [1, 2]\ny = rt_echo(x)\nx.append(3)\nresult(y)", "registry": "test", "trace_checks": ["first_call_arguments"]},
         {"facts": {"first_call_arguments": {"values": [1, 2]}}}),
    Case("values-and-tools", "tool-output-not-shared-with-the-program", "program",
         {"source": "x = [1, 2]\ny = rt_echo(x)\ny.append(9)\nresult(x)", "registry": "test"}, {"result": [1, 2]}),
    Case("values-and-tools", "crop-with-huge-margin-refused", "program",
         {"source": "B = rt_boxes(1, 100)\nC = crop(image=IMAGE, box=B, margin=100000000000.0)\nR = RESULT(var=C)", "astronaut": True},
         {"error": ["ToolError", "BudgetExceeded"]}),
)

# -- rendering --------------------------------------------------------------------------------------------------

_MANY_STEPS = "B = rt_boxes(1, 64)\n" + "".join(f"C{i} = crop(image=IMAGE, box=B)\n" for i in range(200)) + "R = RESULT(var=C0)\n"
_MANY_CROPS = "B = rt_boxes(1, 600)\n" + "".join(f"C{i} = crop(image=IMAGE, box=B, margin=1.0)\n" for i in range(100)) + "R = RESULT(var=C0)\n"
_add(
    Case("rendering", "html-of-200-steps-bounded", "render", {"source": _MANY_STEPS, "image_side": 512, "render": "html"},
         {"facts": {"render_fast": True, "render_small": True}}),
    Case("rendering", "json-of-100-large-crops-bounded", "render", {"source": _MANY_CROPS, "image_side": 1024, "render": "json"},
         {"facts": {"render_fast": True, "render_small": True}}, memory_mb=1200),
    Case("rendering", "json-of-a-20000-digit-result", "render", {"source": "x = 10 ** 19999\nresult(x)", "render": "json"},
         {"facts": {"render_fast": True}}),
    Case("rendering", "html-of-a-20000-digit-result", "render", {"source": "x = 10 ** 19999\nresult(x)", "render": "html"},
         {"facts": {"render_fast": True}}),
    Case("rendering", "html-escapes-labels", "render", {"source": "D = rt_script_label()\nresult(D)", "image_side": 64, "render": "html"},
         {"facts": {"raw_script": False}}),
    Case("rendering", "terminal-trace-escapes-control-characters", "render",
         {"source": "T = rt_escape_text()\nresult(T)", "render": "rich"}, {"facts": {"escape_in_output": False}}),
    Case("rendering", "terminal-trace-escapes-program-text", "render",
         {"source": "t = 'a\x1b]0;pwned\x07b'\nT = rt_words(1)\nresult(t)", "render": "rich"}, {"facts": {"escape_in_output": False}}),
)

# -- host: the command line ------------------------------------------------------------------------------------

_add(
    Case("host", "cli-ctrl-c-during-run-exits-130", "cli", {"args": ["run", "{PROGRAM}", "--image", "{IMAGE}"], "interrupt_after": 5.0},
         {"facts": {"exit_code": 130, "traceback": False}}),
    Case("host", "cli-ctrl-c-during-start-up", "cli", {"args": ["run", "{PROGRAM}", "--image", "{IMAGE}"], "interrupt_after": 0.15},
         {"facts": {"exit_code": 130, "traceback": False}}),
    Case("host", "cli-ctrl-c-with-html-still-writes-the-trace", "cli",
         {"args": ["run", "{PROGRAM}", "--image", "{IMAGE}", "--html", "{TMP}/T.html"], "interrupt_after": 1.0,
          # rich's table: imported as the run starts (the step table), after the CLI and the
          # registry are built (visprog.models.chat, the marker before, now loads with the CLI)
          "marker": "rich.table",
          "file_contains": ["{TMP}/T.html", "stopped by the user (Ctrl-C)"]},
         {"facts": {"exit_code": 130, "traceback": False, "file_contains": True}}),
    Case("host", "cli-out-to-missing-folder-checked-before-run", "cli",
         {"args": ["run", "{PROGRAM}", "--image", "{IMAGE}", "--out", "{TMP}/no/such/dir/x.png"]},
         {"facts": {"traceback": False, "internal_error": False}, "max_s": 4.0}),
    Case("host", "cli-out-with-a-non-image-result", "cli",
         {"args": ["run", "{PROGRAM}", "--image", "{IMAGE}", "--out", "{TMP}/x.png"], "program": "x = 6 * 7\nresult(x)",
          "stdout_contains": "42"},
         {"facts": {"traceback": False, "internal_error": False, "stdout_contains": True}}),
    Case("host", "cli-json-of-a-20000-digit-result", "cli-json", {"program": "x = 10 ** 19999\nresult(x)"},
         {"facts": {"exit_code": 0, "json_ok": True}}),
    Case("host", "cli-escape-sequences-in-result", "cli",
         {"args": ["run", "{PROGRAM}"], "program": "t = 'x\x1b]0;pwned\x07y\x1b[2J'\nresult(t)"},
         {"facts": {"escape_in_output": False, "traceback": False}}),
    Case("host", "cli-missing-image-one-line", "cli", {"args": ["run", "{PROGRAM}", "--image", "{TMP}/nope.jpg"], "program": "R = RESULT(var=IMAGE)"},
         {"facts": {"traceback": False, "stderr_lines": 1}}),
)

CASES_BY_NAME: dict[str, Case] = {}
for _case in CASES:
    if _case.name in CASES_BY_NAME:
        raise ValueError(f"duplicate red-team case {_case.name}")
    if _case.family not in FAMILIES:
        raise ValueError(f"unknown family {_case.family}")
    if _case.timeout_s > 15:
        raise ValueError(f"{_case.name}: every case must stop within 15 s")
    CASES_BY_NAME[_case.name] = _case
