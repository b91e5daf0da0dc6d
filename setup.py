"""setuptools' entry point; the package itself is described in pyproject.toml.

``NERLOOP_COMPILE=1`` compiles the modules listed in ``[tool.mypy] files`` with mypyc (README,
"Compiled build"): the same source, C extensions beside it, about 1.3x the matcher and 1.2x the
generator. The default (``0``) builds the pure-Python package. An editable install is meant to
stay pure: an extension beside a module shadows it, and an edit to the module would then do nothing.

Pickling: mypyc's native classes unpickle by calling ``__init__()`` without arguments, and set a
frozen dataclass's fields one by one, which the dataclass forbids (its ``serializable=True`` left
attributes undefined in mypyc 2.4). So the frozen dataclasses carry
``@mypyc_attr(native_class=False)`` (Python classes with compiled methods), and the classes that are
pickled (the gazetteer, for its load cache; the resolver, its linker and completion cache) define
``__reduce__``: their constructor's arguments, the same in both builds. tests/unit/test_compiled.py
checks both; other classes of these modules do not pickle in the compiled build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent


def compiled_modules() -> list[str]:
    """The files of ``[tool.mypy] files``: what mypy checks is what mypyc compiles."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the build backend asks for tomli there
        import tomli as tomllib
    with open(HERE / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["tool"]["mypy"]["files"])


def extensions() -> list:
    flag = os.environ.get("NERLOOP_COMPILE", "0")
    if flag not in ("0", "1"):
        sys.exit(f"NERLOOP_COMPILE={flag!r}: use 1 to compile the hot modules with mypyc, 0 (default) not to")
    if flag == "0":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        if os.environ.get("NERLOOP_DISCOVERING_REQUIRES") == "1":
            return []  # pip is asking what to install first (scripts/build_backend.py): mypy comes next
        sys.exit("NERLOOP_COMPILE=1 needs mypy (it holds mypyc): pip install mypy, or build with pip, which adds it")
    # group_name: the shared runtime library is named nerloop__mypyc, not after a hash of the module list
    return mypycify(compiled_modules(), opt_level="3", debug_level="0", group_name="nerloop")


EXTENSIONS = extensions()
# A compiled build works in build/mypyc: a later pure build of the same checkout (build/) must not
# pick up its extensions from build/lib and ship them in a "pure" wheel.
setup(ext_modules=EXTENSIONS, options={"build": {"build_base": "build/mypyc"}} if EXTENSIONS else {})
