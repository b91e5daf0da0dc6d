"""Initial tables: generated_datasets and query_logs, as nerloop 0.1 created them.

A store created by nerloop 0.1 (before migrations) has some or all of these tables and no
``alembic_version``; this revision adopts it in place: it creates the tables that are missing,
adds the columns an older build lacked (backfilling NOT NULL ones with a constant) and the missing
indexes, and leaves every existing row alone. On an empty database it simply creates the tables.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None
AUTO_UPGRADE = True

# Frozen copies of the tables at this revision: later model changes get their own revision.
_metadata = sa.MetaData()
_TABLES = (
    sa.Table(
        "generated_datasets",
        _metadata,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("out_dir", sa.Text(), nullable=False),
        sa.Column("gazetteer_fingerprint", sa.String(64), nullable=False),
        sa.Column("grammar_fingerprint", sa.String(64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
    ),
    sa.Table(
        "query_logs",
        _metadata,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ingested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Index("ix_query_logs_text_hash", "text_hash", unique=True),
    ),
)


def _backfill(column: sa.Column) -> sa.TextClause:
    """A constant for the existing rows of a NOT NULL column an older store lacks.

    SQLite refuses a non-constant default (``CURRENT_TIMESTAMP``) in ``ADD COLUMN``, so times get the epoch.
    """
    if isinstance(column.type, sa.JSON):
        return sa.text("'{}'")
    if isinstance(column.type, sa.Integer):
        return sa.text("0")
    if isinstance(column.type, sa.DateTime):
        return sa.text("'1970-01-01 00:00:00+00:00'")
    return sa.text("''")


def _complete(table: sa.Table, inspector: sa.Inspector) -> None:
    present = {c["name"] for c in inspector.get_columns(table.name)}
    for column in table.columns:
        if column.name in present:
            continue
        added = column._copy()
        if not added.nullable:
            added.server_default = sa.DefaultClause(_backfill(column))
        op.add_column(table.name, added)
        if not added.nullable and op.get_bind().dialect.name != "sqlite":
            op.alter_column(table.name, column.name, server_default=column.server_default)
    indexes = {i["name"] for i in inspector.get_indexes(table.name)}
    for index in table.indexes:
        if index.name not in indexes:
            op.create_index(index.name, table.name, [c.name for c in index.columns], unique=index.unique)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for table in _TABLES:
        if table.name in existing:
            _complete(table, inspector)
        else:
            table.create(op.get_bind())


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table.name)
