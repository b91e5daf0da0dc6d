#!/usr/bin/env bash
# Build the compiled variant of this tree (README, "Compiled build") into a copy: the hot modules listed
# in pyproject.toml's [tool.mypy] files are compiled there with mypyc, beside their source.
# Usage: scripts/build-compiled.sh [TREE]    (default build/compiled; a relative TREE is under the repository)
# Then run anything on it with PYTHONPATH=TREE (scripts/test-compiled.sh does so for the tests; the
# benches print which build they ran on). The source tree stays pure Python, so an edit there always
# takes effect; a user installs the compiled build with NERLOOP_COMPILE=1 pip install .
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${NERLOOP_VENV:-.venv}
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
TREE=${1:-build/compiled}
case "$TREE" in /*) ;; *) TREE="$ROOT/$TREE" ;; esac
# TREE is emptied first: never the checkout itself, nor anything above it
case "$ROOT/" in "${TREE%/}/"*)
  echo "error: $TREE holds this checkout; give a directory of its own (default build/compiled)" >&2
  exit 2 ;;
esac

rm -rf "$TREE"
mkdir -p "$TREE"
tar -cf - --exclude=__pycache__ --exclude='*.so' --exclude='*.egg-info' \
  pyproject.toml setup.py MANIFEST.in scripts bench nerloop gazetteers generator trainer inference active_learning tests |
  tar -xf - -C "$TREE"
cd "$TREE"
echo "== compiling with mypyc: $(sed -n '/^\[tool.mypy\]/,/^]/p' pyproject.toml | grep -c '\.py') modules into $TREE"
started=$(date +%s)
NERLOOP_COMPILE=1 "$VENV/bin/python" setup.py --quiet build_ext --inplace >build-ext.log 2>&1 || {
  tail -50 build-ext.log >&2
  echo "error: the mypyc build failed (full log: $TREE/build-ext.log)" >&2
  exit 1
}
echo "== compiled in $(($(date +%s) - started)) s"
