#!/usr/bin/env bash
# Install nerloop with its test dependencies into .venv, lint, type-check, and run the whole test
# suite twice: on the pure-Python source, then on the compiled build (scripts/test-compiled.sh).
# Usage: scripts/test.sh [pytest args]      (e.g. scripts/test.sh -m "not slow")
#        NERLOOP_TEST_COMPILED=0 scripts/test.sh ...   (the pure-Python pass only)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${NERLOOP_VENV:-.venv}
PYTHON=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# torch first and pinned in the same command: any other torch pulls gigabytes of CUDA wheels.
"$VENV/bin/python" -m pip install --quiet "torch==2.13.0" -e ".[dev]"

# The labelstudio tests start a real Label Studio server from its own venv: its pins (pyarrow,
# python-dateutil …) must not touch ours. Installed once (about 45 s, 1 GB), reused afterwards.
LS_VENV=${NERLOOP_LS_VENV:-.venv-ls}
LS_VERSION=1.23.2
if ! "$LS_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('label-studio') != '$LS_VERSION')" 2>/dev/null; then
  if { [ -x "$LS_VENV/bin/python" ] || "$PYTHON" -m venv "$LS_VENV"; } &&
    "$LS_VENV/bin/python" -m pip install --quiet "label-studio==$LS_VERSION"; then
    :
  elif [ -n "${NERLOOP_REQUIRE_LABELSTUDIO:-}" ]; then
    echo "error: cannot install label-studio==$LS_VERSION into $LS_VENV" >&2
    exit 1
  else
    echo "warning: label-studio is not installed; the labelstudio tests will be skipped" >&2
  fi
fi
case "$LS_VENV" in
  /*) export NERLOOP_LS_VENV="$LS_VENV" ;;
  *) export NERLOOP_LS_VENV="$PWD/$LS_VENV" ;;
esac

# PostgreSQL tests need the server on 127.0.0.1:5432; start the machine's cluster if it is down.
scripts/ensure-postgres.sh || echo "warning: PostgreSQL is not available; its tests will be skipped" >&2

"$VENV/bin/ruff" check --quiet nerloop gazetteers generator trainer inference active_learning bench scripts tests setup.py
# The layering contracts in pyproject.toml [tool.importlinter].
"$VENV/bin/lint-imports" --no-logo
# The modules the compiled build compiles ([tool.mypy] files): mypyc enforces their annotations at run time.
"$VENV/bin/mypy"

"$VENV/bin/python" -m pytest "$@"
if [ "${NERLOOP_TEST_COMPILED:-1}" != 0 ]; then
  scripts/test-compiled.sh "$@"
fi
