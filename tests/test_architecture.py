"""The layer diagram of ARCHITECTURE.md, enforced: imports run one way and never in a
circle, and the core never imports a tool package by name. Every import counts, also
those inside functions (a lazy import is still a dependency) and those made by calling
``importlib.import_module`` / ``__import__`` with a constant name; only
``if TYPE_CHECKING:`` blocks are left out."""

from __future__ import annotations

import ast
from pathlib import Path

from visprog.language.syntax import parse_tree  # one parse at a time: CPython 3.11 gh-106905

ROOT = Path(__file__).resolve().parent.parent

#: Lowest first. A module may import from its own layer and the ones before it.
LAYERS: list[tuple[str, ...]] = [
    ("visprog.errors", "visprog.lazy"),
    ("visprog.values",),
    ("visprog.language",),
    ("visprog.trace",),
    ("visprog.models",),
    ("visprog.toolkit",),
    ("visprog.checker",),
    ("visprog.runtime",),
    ("visprog.present",),
    ("visprog.run",),
    ("visprog.planner",),
    ("visprog.fronts", "visprog.evaluation", "visprog.__main__", "visprog"),
]
#: Tool packages sit beside the core: they may use any layer below ``run``.
TOOLS_MAY_USE = [layer for layers in LAYERS[: LAYERS.index(("visprog.run",))] for layer in layers]


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "tools":
        parts[0] = "visprog_tools"
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    best = -1
    best_len = -1
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def _imports(path: Path, module: str) -> set[str]:
    tree = parse_tree(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:  # `from visprog.values import core` imports a module
                found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Call) and _dynamic_import(node) is not None:
            found.add(_dynamic_import(node) or "")
    return {m for m in found if m == "visprog" or m.startswith(("visprog.", "visprog_tools"))}


def _dynamic_import(node: ast.Call) -> str | None:
    """The module named by ``importlib.import_module("x")``, ``import_module("x")`` or
    ``__import__("x")``, else None."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _graph(folder: str) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in (ROOT / folder).rglob("*.py")}
    return {name: {m for m in _imports(path, name)} for name, path in modules.items()}


def _known(graph: dict[str, set[str]], target: str) -> str | None:
    """The module an import names (``visprog.values.Box`` -> ``visprog.values``)."""
    while target:
        if target in graph:
            return target
        target = target.rpartition(".")[0]
    return None


def test_core_imports_never_go_up_a_layer():
    graph = _graph("visprog")
    upward = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            resolved = _known(graph, target)
            if resolved is None or resolved == module:
                continue
            if _layer(resolved) > _layer(module):
                upward.append(f"{module} -> {resolved}")
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


def test_the_core_never_imports_a_tool_package():
    # Tool packages are found through entry points (visprog.registries,
    # visprog.evaluation); importing visprog_tools by name, even through
    # importlib.import_module, would tie the core to this project's tools.
    named = sorted(f"{module} -> {target}" for module, targets in _graph("visprog").items() for target in targets
                   if target.startswith("visprog_tools"))
    assert not named, "core modules importing visprog_tools:\n" + "\n".join(named)


def test_the_layer_test_sees_import_module(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import importlib\n"
        "def f():\n"
        "    importlib.import_module('visprog_tools.vision.clip')\n"
        "    __import__('visprog.run')\n"
        "    name = 'visprog.fronts'\n"
        "    importlib.import_module(name)  # not constant: not seen, and not claimed\n"
    )
    assert _imports(planted, "visprog.values.planted") == {"visprog_tools.vision.clip", "visprog.run"}


def test_core_modules_all_have_a_layer():
    unplaced = [m for m in _graph("visprog") if _layer(m) < 0]
    assert not unplaced


def test_no_import_cycles():
    graph = {**_graph("visprog"), **_graph("tools")}
    edges = {m: {r for t in ts if (r := _known(graph, t)) is not None and r != m} for m, ts in graph.items()}
    # A package's __init__ re-exporting its own modules is not a cycle worth the name:
    # drop edges from a package to its own submodules.
    for module, targets in edges.items():
        edges[module] = {t for t in targets if not t.startswith(module + ".")}
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]) if nxt in path else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_tools_use_only_the_layers_below_run():
    graph = _graph("tools")
    core = _graph("visprog")
    bad = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target.startswith("visprog_tools"):
                continue
            resolved = _known(core, target)
            if resolved is not None and _layer(resolved) > LAYERS.index(("visprog.present",)):
                bad.append(f"{module} -> {resolved}")
    assert not bad, "tools importing layers at or above run:\n" + "\n".join(bad)


def test_the_layer_test_sees_a_planted_upward_import(tmp_path):
    # The checks above must be able to fail: an upward edge is found when present.
    graph = {"visprog.values.core": {"visprog.run"}, "visprog.run": set()}
    resolved = _known(graph, "visprog.run")
    assert resolved == "visprog.run" and _layer(resolved) > _layer("visprog.values.core")


def test_the_facade_exports_exactly_its_table():
    import visprog

    assert sorted(visprog.__all__) == sorted(visprog._EXPORTS)
    for name in visprog.__all__:
        assert getattr(visprog, name) is not None


def test_the_marks_name_existing_files_and_select_them():
    from tests.conftest import MODEL_FILES, SLOW_FILES

    folder = ROOT / "tests"
    assert all((folder / name).is_file() for name in SLOW_FILES | MODEL_FILES)
    import subprocess
    import sys

    quick = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-m", "not slow", "-p", "no:cacheprovider",
                            "tests/test_repl_pty.py", "tests/test_architecture.py"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    listed = quick.stdout
    assert "test_architecture.py::" in listed and "test_repl_pty.py::" not in listed, listed[-2000:]


def test_two_workers_keep_each_group_together(tmp_path):
    """scripts/test.sh's ``-n 2 --dist loadgroup`` runs a group (a file, unless a test
    names its own: tests/conftest.py) on one worker, so its session fixtures are built
    once. pytest 9.2 with pytest-xdist 3.8 spread every group over both workers (the Ray
    cluster and the red-team corpus ran twice); tests/conftest.py now refuses that."""
    import os
    import re
    import subprocess
    import sys

    for name in ("a", "b"):
        tests = "".join(f"def test_{name}{i}():\n    pass\n\n" for i in range(6))
        (tmp_path / f"test_{name}.py").write_text(f"import pytest\n\npytestmark = pytest.mark.xdist_group('{name}')\n\n{tests}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VISPROG_TEST_CPU"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-v", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
                           "-p", "no:langsmith_plugin", "-p", "tests.conftest", "test_a.py", "test_b.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    workers: dict[str, set[str]] = {}
    for worker, test in re.findall(r"^\[(gw\d)\] .*?PASSED (\S+)", done.stdout, re.M):
        workers.setdefault(test.split("::")[0], set()).add(worker)
    assert set(workers) == {"test_a.py", "test_b.py"} and all(len(w) == 1 for w in workers.values()), workers
