"""PEP 517 build backend: setuptools' own, plus mypy in the build requirements when ``NERLOOP_COMPILE=1``.

Only a wheel is ever compiled (setup.py): an sdist carries the source, metadata does not depend on
the extensions, and an editable install stays pure whatever ``NERLOOP_COMPILE`` says, because an
extension beside a module would shadow every later edit of it. Those hooks run with the flag off.
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


@contextmanager
def _pure() -> Iterator[None]:
    """``NERLOOP_COMPILE=0`` for the duration of a hook that must not compile."""
    before = os.environ.get("NERLOOP_COMPILE")
    os.environ["NERLOOP_COMPILE"] = "0"
    try:
        yield
    finally:
        if before is None:
            del os.environ["NERLOOP_COMPILE"]
        else:
            os.environ["NERLOOP_COMPILE"] = before


def get_requires_for_build_wheel(config_settings=None) -> list[str]:
    with _discovering():
        return _setuptools.get_requires_for_build_wheel(config_settings) + _extra()


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None) -> str:
    with _pure():
        return _setuptools.prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def get_requires_for_build_editable(config_settings=None) -> list[str]:
    with _pure():
        return _setuptools.get_requires_for_build_editable(config_settings)


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None) -> str:
    with _pure():
        return _setuptools.prepare_metadata_for_build_editable(metadata_directory, config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None) -> str:
    with _pure():
        return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)


def get_requires_for_build_sdist(config_settings=None) -> list[str]:
    with _pure():
        return _setuptools.get_requires_for_build_sdist(config_settings)


def build_sdist(sdist_directory, config_settings=None) -> str:
    with _pure():
        return _setuptools.build_sdist(sdist_directory, config_settings)
