"""The import contract between the top-level packages (README, "Layout").

Each package may import only the layers below it, at module level or lazily inside a
function: a lazy import is still a dependency, and lazy back-imports are how hidden cycles
start. The data spine (``nerloop``, ``gazetteers``, ``generator``) must import without torch.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("nerloop", "gazetteers", "generator", "trainer", "inference", "active_learning")
# What each package may import besides itself. nerloop's CLI is the application's edge and
# may import everything; nerloop's core (records, domain, store, converters) imports nothing above it.
ALLOWED = {
    "nerloop": set(),
    "gazetteers": {"nerloop"},
    "generator": {"nerloop", "gazetteers"},
    "trainer": {"nerloop", "gazetteers"},
    "inference": {"nerloop", "gazetteers", "trainer"},
    "active_learning": {"nerloop", "gazetteers", "generator", "trainer", "inference"},
}
EDGE = {"nerloop/cli", "nerloop/__main__.py"}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def _is_edge(relative: str) -> bool:
    return any(relative == e or relative.startswith(e + "/") for e in EDGE)


def _violations() -> list[str]:
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if _is_edge(relative):
                continue
            bad = _imported_packages(path) - ALLOWED[package] - {package}
            out.extend(f"{relative} imports {name}" for name in sorted(bad))
    return out


def test_packages_import_only_the_layers_below_them() -> None:
    assert _violations() == []


def test_the_contract_catches_a_back_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from inference.pipeline import open_pipeline\n    import trainer.tagger\n", "utf-8")
    assert _imported_packages(probe) == {"inference", "trainer"}


def test_the_cli_is_not_imported_below_it() -> None:
    users = [
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if not _is_edge(path.relative_to(ROOT).as_posix()) and "nerloop.cli" in path.read_text("utf-8")
    ]
    assert users == []


@pytest.mark.parametrize("modules", ["gazetteers, generator, nerloop", "generator.pipeline, gazetteers.resolver"])
def test_the_data_spine_imports_without_torch(modules: str) -> None:
    """A finder that refuses torch and transformers stands in for an installation without them."""
    code = textwrap.dedent(
        f"""
        import importlib.abc, sys

        class NoTorch(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "transformers", "peft"):
                    raise ImportError(f"{{name}} is blocked")
                return None

        sys.meta_path.insert(0, NoTorch())
        import {modules}
        import gazetteers.loader, generator.pipeline, nerloop.records
        assert not any(m.split(".")[0] in ("torch", "transformers") for m in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
