"""The store on SQLite (always) and on the machine's real PostgreSQL (skipped with a reason where absent)."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from sqlalchemy import select, text

from nerloop.errors import NerloopError
from nerloop.store import GeneratedDataset, QueryLog, open_store, session_scope

POSTGRES_URL = os.environ.get("NERLOOP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> str | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'nerloop[postgres]')"
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return None
    except OSError:
        return "no PostgreSQL server on 127.0.0.1:5432"


def _sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        yield open_store(_sqlite_url(tmp_path))
        return
    reason = _postgres_reachable()
    if reason and os.environ.get("NERLOOP_REQUIRE_POSTGRES"):
        pytest.fail(f"NERLOOP_REQUIRE_POSTGRES is set but {reason}")
    if reason:
        pytest.skip(reason)
    schema = f"nerloop_test_{uuid.uuid4().hex[:8]}"
    admin = open_store(POSTGRES_URL, create=False)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = open_store(POSTGRES_URL, create=False).execution_options(schema_translate_map={None: schema})
    from nerloop.store import Base

    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_records_round_trip_with_unicode_and_json(engine):
    with session_scope(engine) as session:
        session.add(
            GeneratedDataset(
                out_dir="out/𠀀",
                gazetteer_fingerprint="a" * 64,
                grammar_fingerprint="b" * 64,
                seed=7,
                counts={"train": 10},
                settings={"n": 12, "参考": "本月"},
            )
        )
        session.add(QueryLog(text="本月菏泽麒麟供电所投诉个数", text_hash="h1", source="log.txt"))
    with session_scope(engine) as session:
        dataset = session.scalars(select(GeneratedDataset)).one()
        assert dataset.settings == {"n": 12, "参考": "本月"}
        assert dataset.out_dir == "out/𠀀"
        assert dataset.created_at is not None
        assert session.scalars(select(QueryLog.text)).one() == "本月菏泽麒麟供电所投诉个数"


def test_a_failed_transaction_leaves_nothing_half_written(engine):
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            session.add(QueryLog(text="a", text_hash="same"))
            session.flush()
            raise RuntimeError("crash mid-way")
    with session_scope(engine) as session:
        assert session.scalars(select(QueryLog)).all() == []


def test_duplicate_log_lines_are_rejected_by_the_hash(engine):
    from sqlalchemy.exc import IntegrityError

    with session_scope(engine) as session:
        session.add(QueryLog(text="a", text_hash="same"))
    with pytest.raises(IntegrityError):
        with session_scope(engine) as session:
            session.add(QueryLog(text="a", text_hash="same"))


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NERLOOP_DB", _sqlite_url(tmp_path))
    engine = open_store()
    assert engine.url.database == str(tmp_path / "store.db")


def test_bad_url_is_a_clear_error():
    with pytest.raises(NerloopError, match="cannot open store"):
        open_store("nosuchdialect://x")
