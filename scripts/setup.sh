#!/usr/bin/env bash
# Set up a fresh machine: a virtual environment with visprog, its vision models'
# libraries and the test tools, pinned by constraints.txt (torch 2.14.1 + torchvision
# 0.29.1, opencv 4.x). Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e ".[vision,test]"
