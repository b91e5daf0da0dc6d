"""Migrations: the head matches models.py, and every kind of existing store is brought to it in place."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    inspect,
    select,
    text,
)
from typer.testing import CliRunner

from nerloop.cli.app import app
from nerloop.store import (
    Base,
    GeneratedDataset,
    QueryLog,
    StoreNeedsUpgrade,
    StoreTooNew,
    migrate,
    open_store,
    run_in_transaction,
    session_scope,
)
from nerloop.store.migrate import script_directory, store_revision

runner = CliRunner()


def _schema_diff(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_migration_head_matches_models(store_url):
    """Fails when a table or column is added to models.py without a revision (see docs/store.md)."""
    engine = open_store(store_url)
    try:
        assert store_revision(engine).state == "up to date"
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_revisions_form_one_line_starting_at_0001_initial():
    script = script_directory()
    assert script.get_base() == "0001_initial"
    assert len(script.get_heads()) == 1


# What an older nerloop might have created with create_all: query_logs without source/received_at
# and without its unique index, generated_datasets without created_at and settings.
OLD = MetaData()
Table(
    "generated_datasets",
    OLD,
    Column("id", Integer, primary_key=True),
    Column("out_dir", Text, nullable=False),
    Column("gazetteer_fingerprint", String(64), nullable=False),
    Column("grammar_fingerprint", String(64), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("counts", JSON, nullable=False),
)
Table(
    "query_logs",
    OLD,
    Column("id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("text_hash", String(64), nullable=False),
    Column("ingested_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
)
OLD_ROWS = [
    """INSERT INTO generated_datasets (out_dir, gazetteer_fingerprint, grammar_fingerprint, seed, counts)
       VALUES ('old/𠀀', 'g', 'h', 5, '{"train": 3}')""",
    "INSERT INTO query_logs (text, text_hash) VALUES ('本月菏泽投诉', 'h1')",
]


def test_store_of_an_older_schema_is_upgraded_in_place(store_url):
    raw = create_engine(store_url)
    OLD.create_all(raw)
    with raw.begin() as conn:
        for statement in OLD_ROWS:
            conn.execute(text(statement))
    raw.dispose()

    engine = open_store(store_url)
    try:
        assert store_revision(engine).state == "up to date"
        assert _schema_diff(engine) == []
        with session_scope(engine) as session:
            old = session.scalars(select(QueryLog)).one()
            assert (old.text, old.source, old.received_at) == ("本月菏泽投诉", "", None)
        run_in_transaction(
            engine,
            lambda s: s.add(
                GeneratedDataset(out_dir="new", gazetteer_fingerprint="g", grammar_fingerprint="h", seed=6, counts={})
            ),
        )
        with session_scope(engine) as session:
            old_row, new_row = session.scalars(select(GeneratedDataset).order_by(GeneratedDataset.id)).all()
        assert (old_row.out_dir, old_row.seed, old_row.counts, old_row.settings) == ("old/𠀀", 5, {"train": 3}, {})
        assert old_row.created_at is not None and new_row.created_at.year >= 2026  # now(), not a backfill constant
        run_in_transaction(engine, lambda s: s.add(QueryLog(text="新", text_hash="h2", source="log.txt")))
        with pytest.raises(Exception, match="(?i)unique"):  # the index the old store lacked now exists
            run_in_transaction(engine, lambda s: s.add(QueryLog(text="新", text_hash="h2")))
    finally:
        engine.dispose()


def test_store_of_the_previous_release_is_adopted_without_changes(store_url):
    """nerloop before migrations ran create_all on the tables of 0001_initial and kept no alembic_version."""
    raw = create_engine(store_url)
    script_directory().get_revision("0001_initial").module.TABLES[0].metadata.create_all(raw)
    with raw.begin() as conn:
        conn.execute(text("INSERT INTO query_logs (text, text_hash, source) VALUES ('a', 'h', 's')"))
    raw.dispose()

    engine = open_store(store_url, create=False)
    try:
        assert store_revision(engine).state == "unversioned"
    finally:
        engine.dispose()
    engine = open_store(store_url)
    try:
        assert store_revision(engine).state == "up to date"
        assert _schema_diff(engine) == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT source FROM query_logs")).scalar_one() == "s"
    finally:
        engine.dispose()


def test_store_of_a_newer_nerloop_is_refused_with_one_line(store_url):
    engine = open_store(store_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    with pytest.raises(StoreTooNew, match="upgrade nerloop") as info:
        open_store(store_url)
    assert "\n" not in str(info.value) and "0099_from_the_future" in str(info.value)


def test_opening_an_up_to_date_store_changes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    open_store(url).dispose()
    engine = open_store(url)
    try:
        assert inspect(engine).get_table_names() == ["alembic_version", *sorted(Base.metadata.tables)]
    finally:
        engine.dispose()


REVISION_0002 = '''"""Add query_logs.lang (a test revision)."""

import sqlalchemy as sa
from alembic import op

revision = "0002_add_lang"
down_revision = "0001_initial"
branch_labels = None
depends_on = None
AUTO_UPGRADE = {auto}


def upgrade() -> None:
    op.add_column("query_logs", sa.Column("lang", sa.String(8), nullable=False, server_default="zh"))


def downgrade() -> None:
    op.drop_column("query_logs", "lang")
'''


@pytest.fixture(params=[True, False], ids=["auto", "manual"])
def later_revision(request, tmp_path, monkeypatch) -> bool:
    """A revision 0002 beside the shipped ones, as a later nerloop release would bring."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0002_add_lang.py").write_text(REVISION_0002.format(auto=request.param), "utf-8")
    real = migrate.alembic_config

    def with_later(engine=None):
        config = real(engine)
        config.set_main_option(
            "version_locations", os.pathsep.join([str(migrate.MIGRATIONS / "versions"), str(versions)])
        )
        return config

    monkeypatch.setattr(migrate, "alembic_config", with_later)
    return request.param


def test_store_behind_is_upgraded_when_opened_unless_the_revision_is_manual(later_revision, tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url, create=False)
    migrate.upgrade(engine, "0001_initial")  # the store as the previous release left it
    run_in_transaction(engine, lambda s: s.add(QueryLog(text="旧", text_hash="h1")))
    engine.dispose()
    if later_revision:
        open_store(url).dispose()
    else:
        with pytest.raises(StoreNeedsUpgrade, match="run `nerloop db upgrade`") as info:
            open_store(url)
        assert "\n" not in str(info.value)
        assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    engine = open_store(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0002_add_lang"
        assert conn.execute(text("SELECT text, lang FROM query_logs")).one() == ("旧", "zh")
    engine.dispose()


def test_sqlite_table_copy_does_not_cascade_into_rows_that_reference_it(tmp_path):
    """SQLite alters a table by copying and dropping it; with foreign keys on, the DROP would cascade."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    raw = create_engine(url)
    OLD.create_all(raw)
    with raw.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=ON"))
        conn.execute(
            text(
                "CREATE TABLE audit (id INTEGER PRIMARY KEY, query_log_id INTEGER REFERENCES query_logs(id) ON DELETE CASCADE)"
            )
        )
        for statement in OLD_ROWS:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO audit (query_log_id) VALUES (1)"))
    raw.dispose()
    engine = open_store(url)  # query_logs lacks columns: 0001 copies it
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit")).scalar_one() == 1
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1  # back on for the store's users
    engine.dispose()
