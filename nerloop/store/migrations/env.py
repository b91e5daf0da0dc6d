"""Alembic environment for nerloop: the engine comes from the caller, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import DefaultClause, text
from sqlalchemy.sql.functions import now

from nerloop.store.models import Base

# Any fixed 64-bit number: PostgreSQL serializes concurrent upgrades (two cron jobs starting at once).
_PG_LOCK_ID = 0x6E65726C6F6F70  # "nerloop"


def _render_item(kind: str, obj: object, _autogen_context: object) -> str | bool:
    """Autogenerate writes ``server_default=func.now()`` as ``sa.text('now()')``, which SQLite lacks."""
    if kind == "server_default" and isinstance(obj, DefaultClause) and isinstance(obj.arg, now):
        return "sa.func.now()"
    return False


engine = context.config.attributes.get("engine")
if engine is None:
    raise RuntimeError("nerloop migrations run through nerloop.store.migrate, which passes the engine")

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite alters a table by copying it and dropping the original: with foreign keys on, that
        # DROP would cascade into every row referencing it. The pragma is a no-op inside a transaction.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
        render_item=_render_item,
        transactional_ddl=True,
    )
    try:
        with context.begin_transaction():
            # Take the store's write lock before Alembic reads alembic_version, so that of two processes
            # upgrading at once the second waits, then finds the store at head and does nothing.
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
            elif sqlite:
                # pysqlite begins transactions lazily (and never before DDL): begin one ourselves.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            context.run_migrations()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
