"""The one atomic-write helper: the old file or the new one, never half, never a stray temporary."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerloop.atomic import atomic_open, atomic_write_bytes, atomic_write_text, temporary_path


def test_text_and_bytes_take_the_target_name_and_leave_only_it(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "a.jsonl", "济南\n")
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.jsonl").read_text("utf-8") == "济南\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "b.bin"]


def test_a_write_that_fails_keeps_the_old_file_and_removes_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", "utf-8")
    with pytest.raises(RuntimeError), atomic_open(target) as stream:
        stream.write("new, half")
        assert temporary_path(target).is_file() and target.read_text("utf-8") == "old\n"
        raise RuntimeError("killed")
    assert target.read_text("utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_the_temporary_is_hidden_beside_the_target_and_per_process(tmp_path: Path) -> None:
    tmp = temporary_path(tmp_path / "manifest.json")
    assert tmp.parent == tmp_path and tmp.name.startswith(".manifest.json.") and tmp.name.endswith(".tmp")


@pytest.mark.parametrize("mode", ["a", "r", "w+"])
def test_modes_that_are_not_a_whole_new_file_are_refused(tmp_path: Path, mode: str) -> None:
    with pytest.raises(ValueError, match="whole files"), atomic_open(tmp_path / "x", mode):
        pass
