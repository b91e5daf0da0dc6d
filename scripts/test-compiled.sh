#!/usr/bin/env bash
# The test suite against the compiled build (README, "Compiled build"): scripts/build-compiled.sh builds
# a copy of the tree whose hot modules are compiled with mypyc, then pytest runs there with the same
# arguments. scripts/test.sh runs this after the pure-Python pass; NERLOOP_TEST_COMPILED=0 skips it there.
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${NERLOOP_COMPILED_TREE:-build/compiled}
VENV=${NERLOOP_VENV:-.venv}
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
# the Label Studio tests find its venv from the repository root: the copy has none of its own
LS_VENV=${NERLOOP_LS_VENV:-.venv-ls}
case "$LS_VENV" in /*) ;; *) LS_VENV="$PWD/$LS_VENV" ;; esac
export NERLOOP_LS_VENV="$LS_VENV"

scripts/build-compiled.sh "$TREE"
cd "$TREE"
echo "== the tests against the compiled modules"
# PYTHONPATH: subprocesses the tests start (the CLI) import the compiled tree too, not the editable install.
# NERLOOP_EXPECT_COMPILED: tests/unit/test_compiled.py fails if any listed module is not the compiled one.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export NERLOOP_EXPECT_COMPILED=1
exec "$VENV/bin/python" -m pytest "$@"
