"""``nerloop logs ingest`` through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from nerloop.cli.app import app

runner = CliRunner()


def test_logs_ingest_prints_counts_and_a_second_run_adds_nothing(tmp_path):
    log = tmp_path / "q.csv"
    log.write_text("id,query\n1,本月菏泽投诉\n2,本月菏泽投诉\n3,上季度济南停电\n", "utf-8")
    db = f"sqlite:///{tmp_path / 's.db'}"
    first = runner.invoke(app, ["logs", "ingest", str(log), "--db", db, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == 2
    second = runner.invoke(app, ["logs", "ingest", str(log), "--db", db, "--json"])
    assert json.loads(second.stdout)["added"] == 0


def test_logs_ingest_bad_column_is_a_one_line_error(tmp_path):
    log = tmp_path / "q.csv"
    log.write_text("id,query\n1,本月菏泽投诉\n", "utf-8")
    result = runner.invoke(
        app, ["logs", "ingest", str(log), "--column", "问题", "--db", f"sqlite:///{tmp_path / 's.db'}"]
    )
    assert result.exit_code == 2  # bad input
    assert result.stderr.strip().splitlines() == [f"error: {log}: no --column '问题'; the header has id, query"]
