"""The store through the CLI: `db status|upgrade|record-dataset`, and `generate` when the store goes away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pg_server import terminate_backends
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from nerloop.cli.app import app
from nerloop.store import Base, GeneratedDataset
from nerloop.store import engine as store_engine

runner = CliRunner()
REF = "2026-11-25"


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    monkeypatch.setattr(store_engine, "RETRY_BACKOFF_S", 0.0)


def _generate(out: Path, db: str, mini_dir: Path):
    return runner.invoke(
        app,
        ["generate", "--out", str(out), "-n", "40", "--gazetteer", str(mini_dir), "--reference-date", REF, "--db", db],
    )


def _datasets(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(GeneratedDataset.out_dir)).scalars().all()
    finally:
        engine.dispose()


def test_generate_with_an_unreachable_store_fails_in_one_line_without_the_password(tmp_path):
    pytest.importorskip("psycopg")
    result = subprocess.run(
        [sys.executable, "-m", "nerloop", "generate", "--out", str(tmp_path / "out"), "-n", "10"],
        env={**_env(), "NERLOOP_DB": "postgresql+psycopg://nerloop:s3cr%40t%21@127.0.0.1:1/store"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: store postgresql+psycopg://nerloop:***@127.0.0.1:1/store is unavailable")
    assert "s3cr" not in result.stderr + result.stdout


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "NERLOOP_DB"}


def test_generate_keeps_its_output_when_the_store_write_fails_and_it_can_be_recorded_later(
    tmp_path, mini_dir, monkeypatch
):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "data"
    real_scope = store_engine._transaction

    def lost(engine):  # every write loses its connection, as a store that went away mid-run
        raise OperationalError("INSERT INTO generated_datasets", {}, Exception("server closed the connection"))

    monkeypatch.setattr(store_engine, "_transaction", lost)
    result = _generate(out, url, mini_dir)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "is unavailable: server closed the connection" in result.stderr
    assert f"nerloop db record-dataset {out}" in result.stderr
    assert {"train.jsonl", "validation.jsonl", "test.jsonl", "manifest.json"} <= {p.name for p in out.iterdir()}
    assert _datasets(url) == []

    monkeypatch.setattr(store_engine, "_transaction", real_scope)
    recorded = runner.invoke(app, ["db", "record-dataset", str(out), "--db", url])
    assert recorded.exit_code == 0, recorded.stderr
    assert _datasets(url) == [str(out.resolve())]


def test_record_dataset_of_an_incomplete_run_is_one_line(tmp_path):
    result = runner.invoke(app, ["db", "record-dataset", str(tmp_path), "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert result.exit_code == 1 and "no manifest" in result.stderr and result.stderr.count("\n") == 1


def test_db_status_and_upgrade_adopt_a_store_of_the_previous_release(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    raw = create_engine(url)
    Base.metadata.tables["query_logs"].create(raw)  # what nerloop 0.1's create_all left: no alembic_version
    raw.dispose()
    status = runner.invoke(app, ["db", "status", "--db", url])
    assert status.exit_code == 0, status.stderr
    assert "revision: - (head 0001_initial)" in status.stdout and "created by nerloop 0.1" in status.stdout
    upgraded = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert upgraded.exit_code == 0 and "→ 0001_initial" in upgraded.stdout
    assert "state: up to date" in runner.invoke(app, ["db", "status", "--db", url]).stdout


def test_db_status_and_generate_refuse_a_store_of_a_newer_nerloop(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    raw = create_engine(url)
    with raw.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    raw.dispose()
    status = runner.invoke(app, ["db", "status", "--db", url])
    assert status.exit_code == 1 and "upgrade nerloop" in status.stderr and status.stderr.count("\n") == 1
    generate = runner.invoke(app, ["generate", "--out", str(tmp_path / "o"), "--db", url])
    assert generate.exit_code == 1 and "newer than this nerloop" in generate.stderr


@pytest.mark.parametrize("command", [["db", "status"], ["db", "upgrade"], ["db", "record-dataset", "."]])
def test_db_commands_name_an_unreachable_store_without_its_password(command):
    pytest.importorskip("psycopg")
    result = runner.invoke(app, [*command, "--db", "postgresql+psycopg://nerloop:s3cr%2Ft@127.0.0.1:1/store"])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "nerloop:***@127.0.0.1:1/store is unavailable" in result.stderr and "s3cr" not in result.stderr


def _after_generation(monkeypatch, fault) -> None:
    """Run ``fault()`` once generate has written its files and before it records them in the store."""
    import generator.pipeline

    real = generator.pipeline.generate_dataset

    def generate_then_fault(*args, **kwargs):
        summary = real(*args, **kwargs)
        fault()
        return summary

    monkeypatch.setattr(generator.pipeline, "generate_dataset", generate_then_fault)


@pytest.mark.postgres
def test_generate_survives_its_connection_terminated_mid_run(
    tmp_path, mini_dir, postgres_url, postgres_admin, monkeypatch
):
    database = make_url(postgres_url).database

    def restart() -> None:
        assert terminate_backends(postgres_admin, database) >= 1  # the connection open_store used is gone

    _after_generation(monkeypatch, restart)
    result = _generate(tmp_path / "data", postgres_url, mini_dir)
    assert result.exit_code == 0, result.stderr
    assert _datasets(postgres_url) == [str((tmp_path / "data").resolve())]


@pytest.mark.postgres
def test_generate_whose_store_is_dropped_mid_run_keeps_its_files(
    tmp_path, mini_dir, postgres_url, postgres_admin, monkeypatch
):
    database = make_url(postgres_url).database

    def drop() -> None:
        with postgres_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))

    _after_generation(monkeypatch, drop)
    out = tmp_path / "data"
    result = _generate(out, postgres_url, mini_dir)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
    assert "record-dataset" in result.stderr and (out / "manifest.json").is_file()

    with postgres_admin.connect() as conn:  # the store is back (restored, recreated): record the run
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    assert runner.invoke(app, ["db", "record-dataset", str(out), "--db", postgres_url]).exit_code == 0
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(GeneratedDataset)).scalar_one() == 1
    engine.dispose()
