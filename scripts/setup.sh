#!/usr/bin/env bash
# Set up a virtual environment with everything align needs (CPU only).
# torch is installed first and pinned: an unpinned requirement would pull a
# multi-GB CUDA build. Ray (the optional `ray` extra) is installed too, so
# that the tests of --engine ray run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
python3 -m venv "$VENV"
. "$VENV/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q torch==2.13.0
python -m pip install -q -e '.[test,ray]'
echo "ready: . $VENV/bin/activate" >&2
