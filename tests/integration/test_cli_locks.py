"""Every command that writes a directory takes nerloop's one lock, and a second writer stops at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nerloop.cli.app import app
from nerloop.outdir import output_lock, sibling_lock

runner = CliRunner()


@pytest.mark.parametrize(
    ("lock", "args"),
    [
        (output_lock, ["al", "simulate", "--out", "{out}"]),
        (output_lock, ["demo", "--out", "{out}"]),
        (output_lock, ["gazetteer", "suggest", "--out", "{out}", "--db", "sqlite:///{tmp}/s.db"]),
        (sibling_lock, ["gazetteer", "drop", "{out}", "--ids", "{tmp}/ids.txt"]),
        (sibling_lock, ["gazetteer", "build-cn", "{out}"]),
    ],
)
def test_a_directory_another_run_is_writing_is_refused_before_any_work(tmp_path: Path, lock, args) -> None:
    out = tmp_path / "out"
    (tmp_path / "ids.txt").write_text("", "utf-8")
    argv = [a.format(out=out, tmp=tmp_path) for a in args]
    with lock(out):
        result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.output
    assert f"{out} is being written by pid" in result.output
    assert not (out.exists() and any(p.name != ".nerloop.lock" for p in out.iterdir()))
