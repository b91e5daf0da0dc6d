"""The store on SQLite (always) and on the machine's real PostgreSQL (skipped with a reason where absent)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nerloop.errors import NerloopError
from nerloop.store import GeneratedDataset, QueryLog, open_store, session_scope


def _sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def engine(store_url):
    engine = open_store(store_url)
    yield engine
    engine.dispose()


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
