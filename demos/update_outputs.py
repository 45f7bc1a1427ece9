"""Run the demo notebooks and save them with their outputs (what tests/test_demos.py
compares a fresh run against). Run it after changing a demo or the renderers:

    .venv/bin/python demos/update_outputs.py            # every notebook
    .venv/bin/python demos/update_outputs.py 03_editing # some of them

Each notebook runs offline in a fresh kernel, with a fresh cache folder, on the CPU, as
the test runs it. Widget state is not saved (JupyterLab's default). A ``display=True``
cell's live trace widget leaves the finished trace as static HTML in its place, which
viewers without a kernel (repository pages, nbconvert exports) show as it is.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DEMOS = Path(__file__).resolve().parent


def execute(path: Path, cache_dir: Path) -> object:
    """The notebook at ``path`` after a fresh run (raises on the first error cell)."""
    import nbclient
    import nbformat

    cache_dir.mkdir(parents=True, exist_ok=True)
    config = cache_dir / "config.toml"
    config.write_text("")  # no user configuration: the defaults, as on a fresh machine
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "VISPROG_CACHE_DIR": str(cache_dir), "VISPROG_CONFIG": str(config),
        "VISPROG_DEVICE": "cpu",
    }
    env.pop("VISPROG_LLM", None)
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    notebook.metadata.pop("widgets", None)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", store_widget_state=False,
        resources={"metadata": {"path": str(DEMOS)}},
    )
    client.execute(env=env)
    return notebook


def main(names: list[str]) -> int:
    import nbformat

    paths = [DEMOS / f"{n}.ipynb" for n in names] if names else sorted(DEMOS.glob("*.ipynb"))
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="visprog-demo-cache-") as cache:
            notebook = execute(path, Path(cache))
        nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
        print(f"{path.name}: {path.stat().st_size / 1000:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
