"""PEP 517 build backend: setuptools' own, plus mypy in the build requirements when ``NERLOOP_COMPILE=1``.

Only a compiled build (setup.py) needs mypyc; every other build, editable ones included, stays as
light as setuptools alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (the hooks this module does not change)

COMPILE_REQUIRES = ["mypy>=1.11", 'tomli>=1.1; python_version < "3.11"']


# setuptools runs setup.py to ask for its requirements, before mypy can be there: setup.py reads this
# and then leaves the extensions out instead of failing for want of mypyc.
DISCOVERING = "NERLOOP_DISCOVERING_REQUIRES"


def _extra() -> list[str]:
    return COMPILE_REQUIRES if os.environ.get("NERLOOP_COMPILE", "0") == "1" else []


@contextmanager
def _discovering() -> Iterator[None]:
    os.environ[DISCOVERING] = "1"
    try:
        yield
    finally:
        del os.environ[DISCOVERING]


def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    with _discovering():
        return _setuptools.get_requires_for_build_wheel(config_settings) + _extra()


def get_requires_for_build_editable(config_settings=None) -> list[str]:
    with _discovering():
        return _setuptools.get_requires_for_build_editable(config_settings) + _extra()


def get_requires_for_build_sdist(config_settings=None) -> list[str]:
    return _setuptools.get_requires_for_build_sdist(config_settings)
