#!/usr/bin/env bash
# The test command: lint (ruff), types (mypy --strict on the core and the tools), then
# the test suite. Run from anywhere; uses the .venv made by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
"$PY" -m ruff check visprog tools tests benchmarks
# tools/ installs as the package visprog_tools: give mypy that name through a link.
typeroot="$(mktemp -d)"
trap 'rm -rf "$typeroot"' EXIT
ln -s "$PWD/tools" "$typeroot/visprog_tools"
MYPYPATH="$typeroot" "$PY" -m mypy -p visprog -p visprog_tools
# Two workers (this project's machines have 2 cores). Tests are shared out by group:
# a file's tests form one group unless a test names its own (tests/conftest.py).
"$PY" -m pytest -q -n 2 --dist loadgroup "$@"
