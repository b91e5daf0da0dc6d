"""Guards of the compiled build (README, "Compiled build"; setup.py, scripts/test-compiled.sh).

The modules in ``[tool.mypy] files`` are compiled with mypyc when the package is built with
``NERLOOP_COMPILE=1``; scripts/test.sh runs the whole suite a second time against such a build.
These tests make sure that second pass really imports the compiled modules, that the pure pass
really imports the source, and that no listed module relies on what mypyc does differently.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import os
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
EXPECT_COMPILED = os.environ.get("NERLOOP_EXPECT_COMPILED") == "1"


def compiled_files() -> list[str]:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["mypy"]["files"]


def module_name(path: str) -> str:
    parts = Path(path).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_listed_module_exists_once():
    files = compiled_files()
    assert len(set(files)) == len(files)
    for path in files:
        assert (REPO / path).is_file(), f"[tool.mypy] files lists {path}, which does not exist"


@pytest.mark.parametrize("path", compiled_files())
def test_the_listed_module_is_the_build_under_test(path: str):
    """The compiled pass (NERLOOP_EXPECT_COMPILED=1) imports extensions; the pure pass imports source."""
    origin = importlib.import_module(module_name(path)).__file__ or ""
    compiled = origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    if EXPECT_COMPILED:
        assert compiled, f"{module_name(path)} came from {origin}, not from the compiled build"
    else:
        assert not compiled, f"{origin} shadows {path}: remove it (only scripts/test-compiled.sh's copy compiles)"


@pytest.mark.parametrize("path", compiled_files())
def test_classes_with_a_length_say_their_truth(path: str):
    """mypyc tests the truth of its own classes by ``__bool__`` alone, never ``__len__``: an empty
    collection would read as true in the compiled build and as false in the pure one."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            if "__len__" in methods:
                assert "__bool__" in methods, f"{path}: class {node.name} defines __len__ but not __bool__"
