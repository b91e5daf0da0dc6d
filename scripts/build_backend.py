"""PEP 517 build backend: setuptools' own, plus mypy in the build requirements when ``NERLOOP_COMPILE=1``.

Only a wheel is ever compiled (setup.py): an sdist carries the source, metadata does not depend on
the extensions, and an editable install stays pure whatever ``NERLOOP_COMPILE`` says, because an
extension beside a module would shadow every later edit of it. Those hooks run with the flag off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the hooks this module does not change)

COMPILE_REQUIRES = ["mypy>=1.11", 'tomli>=1.1; python_version < "3.11"']


# setuptools runs setup.py to ask for its requirements, before mypy can be there: setup.py reads this
# and then leaves the extensions out instead of failing for want of mypyc.
DISCOVERING = "NERLOOP_DISCOVERING_REQUIRES"


def _extra() -> list[str]:
    return COMPILE_REQUIRES if os.environ.get("NERLOOP_COMPILE", "0") == "1" else []


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    """``name=value`` in the environment for the duration of one hook, then as it was."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    with _env(DISCOVERING, "1"):
        return _setuptools.get_requires_for_build_wheel(config_settings) + _extra()


def _pure(name: str) -> Callable[..., Any]:
    """setuptools' hook ``name``, run with ``NERLOOP_COMPILE=0``: it must not compile."""
    hook = getattr(_setuptools, name)

    def run(*args: Any, **kwargs: Any) -> Any:
        with _env("NERLOOP_COMPILE", "0"):
            return hook(*args, **kwargs)

    run.__name__ = name
    return run


prepare_metadata_for_build_wheel = _pure("prepare_metadata_for_build_wheel")
get_requires_for_build_editable = _pure("get_requires_for_build_editable")
prepare_metadata_for_build_editable = _pure("prepare_metadata_for_build_editable")
build_editable = _pure("build_editable")
get_requires_for_build_sdist = _pure("get_requires_for_build_sdist")
build_sdist = _pure("build_sdist")
