#!/usr/bin/env bash
# Install nerloop with its test dependencies into .venv, lint, and run the whole test suite.
# Usage: scripts/test.sh [pytest args]      (e.g. scripts/test.sh -m "not slow")
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

# PostgreSQL tests need the server on 127.0.0.1:5432; start the machine's cluster if it is down.
scripts/ensure-postgres.sh || echo "warning: PostgreSQL is not available; its tests will be skipped" >&2

"$VENV/bin/ruff" check --quiet nerloop gazetteers generator trainer active_learning bench tests

exec "$VENV/bin/python" -m pytest "$@"
