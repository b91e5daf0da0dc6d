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


def _decorators(node: ast.ClassDef) -> list[str]:
    return [ast.unparse(d) for d in node.decorator_list]


@pytest.mark.parametrize("path", compiled_files())
def test_frozen_dataclasses_are_python_classes(path: str):
    """A native class unpickles by setting its fields one by one, which a frozen dataclass forbids:
    those of these modules are Python classes (with compiled methods) in the compiled build."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            decorators = _decorators(node)
            if any(d.startswith("dataclass(") and "frozen=True" in d for d in decorators):
                assert "mypyc_attr(native_class=False)" in decorators, f"{path}: {node.name} is a native class"


def _objects_that_cross_processes() -> dict[str, object]:
    import datetime as dt

    from gazetteers import load_gazetteer
    from gazetteers.automaton import FormAutomaton
    from gazetteers.default import default_directory
    from gazetteers.matcher import GazetteerMatcher
    from gazetteers.resolver import Resolver

    gazetteer = load_gazetteer(default_directory(), use_cache=False)
    matcher = GazetteerMatcher(gazetteer)
    resolution = matcher.tag("本月菏泽巨野县供电公司麒麟供电所投诉个数", dt.date(2026, 11, 25))
    return {
        "gazetteer": gazetteer,
        "entry": next(iter(gazetteer)),
        "resolver": Resolver(gazetteer),
        "record": resolution.record,
        "resolution": resolution,
        "links": resolution.links,
        "segmentation": resolution.segmentation,
        "completion": matcher.resolver.completions([0, 1], [("山东省",), ("山东省/菏泽市",)]),
        "automaton": FormAutomaton(["菏泽", "菏泽市", "𠀀"]),
    }


def test_what_crosses_processes_pickles_alike_in_both_builds():
    """The gazetteer cache, spawned serve workers and Ray actors pickle these; so must the compiled build."""
    import pickle

    for name, value in _objects_that_cross_processes().items():
        back = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is type(value), name
        if name == "gazetteer":
            assert len(back) == len(value) and back.fingerprint == value.fingerprint
            assert back.path(next(iter(value)).id) == value.path(next(iter(value)).id)
        elif name == "resolver":
            assert back.gazetteer.fingerprint == value.gazetteer.fingerprint
        elif name == "resolution":
            assert back.record == value.record and back.links == value.links
        elif name == "automaton":
            assert back.forms == value.forms and back.find("𠀀菏泽市") == value.find("𠀀菏泽市") != []
        else:
            assert back == value, name


def test_an_sdist_carries_the_in_tree_build_backend(tmp_path: Path):
    """pyproject's backend-path points into scripts/: a source distribution without it cannot build again."""
    import subprocess
    import sys
    import tarfile

    hook = (
        "import sys; sys.path.insert(0, 'scripts'); import build_backend; print(build_backend.build_sdist(sys.argv[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", hook, str(tmp_path)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with tarfile.open(tmp_path / done.stdout.strip().splitlines()[-1]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"pyproject.toml", "setup.py", "scripts/build_backend.py"} <= names
