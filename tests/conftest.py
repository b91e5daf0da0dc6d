"""Shared fixtures: small gazetteers on disk, an isolated cache directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NERLOOP_CACHE", str(tmp_path_factory.getbasetemp() / "nerloop-cache"))


@pytest.fixture
def mini_dir() -> Path:
    """A hand-made gazetteer with the collisions of real data: 龙山 ×2, 城关 ×2 in one city, 市中区 ×2, 北京 without a city level."""
    return FIXTURES / "mini"


@pytest.fixture
def mini(mini_dir: Path):
    from gazetteers import load_gazetteer

    return load_gazetteer(mini_dir, use_cache=False)


@pytest.fixture
def mini_copy(tmp_path: Path, mini_dir: Path) -> Path:
    """A writable copy of the mini gazetteer, for tests that break it."""
    target = tmp_path / "gaz"
    shutil.copytree(mini_dir, target)
    return target
