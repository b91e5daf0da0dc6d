"""nerloop's one lock: ``file_lock`` and the two ways an output directory takes it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nerloop.errors import OutputBusy
from nerloop.outdir import LOCK_FILE, file_lock, output_lock, sibling_lock


class Taken(Exception):
    pass


def test_a_second_holder_is_refused_at_once_with_the_holders_pid(tmp_path: Path) -> None:
    with file_lock(tmp_path / "x.lock"):
        with pytest.raises(OutputBusy, match=f"x.lock is being written by pid {os.getpid()} \\(started "):
            with file_lock(tmp_path / "x.lock"):
                pass
    with file_lock(tmp_path / "x.lock"):  # released when the block ends
        pass


def test_the_caller_chooses_the_exception_a_second_holder_gets(tmp_path: Path) -> None:
    with file_lock(tmp_path / "cycle.lock"), pytest.raises(Taken, match=f"^pid {os.getpid()} "):
        with file_lock(tmp_path / "cycle.lock", Taken):
            pass


def test_output_lock_lives_in_the_directory_and_names_it(tmp_path: Path) -> None:
    out = tmp_path / "data"
    with output_lock(out):
        assert (out / LOCK_FILE).is_file()
        with pytest.raises(OutputBusy, match=f"^{out} is being written by pid"), output_lock(out):
            pass


def test_sibling_lock_keeps_the_directory_absent_names_it_and_removes_itself(tmp_path: Path) -> None:
    out = tmp_path / "model"
    with sibling_lock(out):
        assert not out.exists() and (tmp_path / ".model.lock").is_file()
        with pytest.raises(OutputBusy, match=f"^{out} is being written by pid"), sibling_lock(out):
            pass
    assert list(tmp_path.iterdir()) == []
    with sibling_lock(out):  # a removed lock file is taken again
        pass
