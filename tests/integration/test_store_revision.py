"""Adding a table to models.py and writing its revision is one command, and the result upgrades a store."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, DateTime, Integer, String, Table, create_engine, func, text

from nerloop.store import Base
from nerloop.store.migrate import MIGRATIONS, alembic_config
from nerloop.store.revision import new_revision


@pytest.fixture
def new_table():
    """A table another issue adds to models.py (removed again after the test)."""
    table = Table(
        "example_additions",
        Base.metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(64)),
        Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    )
    yield table
    Base.metadata.remove(table)


def test_new_revision_creates_the_added_table_and_upgrades_a_store_to_match(new_table, tmp_path):
    versions = tmp_path / "versions"
    versions.mkdir()
    path = new_revision("Add example additions", version_path=versions)
    assert path.name == "0002_add_example_additions.py" and path.parent == versions
    source = path.read_text("utf-8")
    assert "create_table('example_additions'" in source.replace('"', "'") and "AUTO_UPGRADE = True" in source
    assert "server_default=sa.func.now()" in source

    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    config = alembic_config(engine)
    config.set_main_option("version_locations", os.pathsep.join([str(MIGRATIONS / "versions"), str(versions)]))
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0002_add_example_additions"
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        conn.execute(text("INSERT INTO example_additions (name) VALUES ('m1')"))  # the server default works on SQLite
        assert conn.execute(text("SELECT created_at FROM example_additions")).scalar_one() is not None
    engine.dispose()
