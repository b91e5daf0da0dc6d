"""Initial tables: generated_datasets and query_logs, as nerloop 0.1 created them.

A store created by nerloop 0.1 (before migrations) has some or all of these tables and no
``alembic_version``; this revision adopts it in place: it creates the tables that are missing,
adds the columns an older build lacked (existing rows get the column's default, or a constant —
``''``, ``0``, ``{}``, the epoch — where it has none) and the missing indexes, and leaves every
existing row alone. On an empty database it simply creates the tables.

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

# Frozen copies of the tables at this revision: later model changes get their own revision. Every
# table that nerloop created with create_all before it had migrations belongs here, so that such a
# store is adopted (tables completed) rather than failing on CREATE TABLE in a later revision.
_metadata = sa.MetaData()
TABLES = (
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
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("near_duplicate_of", sa.String(64), nullable=True),
        sa.Index("ix_query_logs_text_hash", "text_hash", unique=True),
        sa.Index("ix_query_logs_near_duplicate_of", "near_duplicate_of"),
    ),
    sa.Table(
        "model_versions",
        _metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("parent_version", sa.String(length=128), nullable=True),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("gazetteer_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_model_versions_version", "version", unique=True),
    ),
    sa.Table(
        "predictions",
        _metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("query_log_id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("uncertainty", sa.Float(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["query_log_id"], ["query_logs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("query_log_id", "model_version", name="uq_prediction_query_model"),
        sa.Index("ix_predictions_model_version", "model_version", unique=False),
        sa.Index("ix_predictions_query_log_id", "query_log_id", unique=False),
    ),
    sa.Table(
        "label_tasks",
        _metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("query_log_id", sa.Integer(), nullable=True),
        sa.Column("project", sa.String(length=256), nullable=False),
        sa.Column("ls_task_id", sa.Integer(), nullable=True),
        sa.Column("model_version", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["query_log_id"], ["query_logs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project", "text_hash", name="uq_label_task_project_hash"),
        sa.Index("ix_label_tasks_text_hash", "text_hash", unique=False),
    ),
    sa.Table(
        "gold_labels",
        _metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("annotation_id", sa.String(length=64), nullable=False),
        sa.Column("ls_task_id", sa.Integer(), nullable=True),
        sa.Column("annotator", sa.String(length=256), nullable=False),
        sa.Column("annotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pulled_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("split", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "annotation_id", name="uq_gold_source_annotation"),
        sa.Index("ix_gold_labels_text_hash", "text_hash", unique=False),
    ),
    sa.Table(
        "cycle_rounds",
        _metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    ),
)


def _backfill(column: sa.Column) -> sa.TextClause:
    """A constant for the existing rows of a NOT NULL column that has no default of its own."""
    if isinstance(column.type, sa.JSON):
        return sa.text("'{}'")
    if isinstance(column.type, sa.Integer):
        return sa.text("0")
    if isinstance(column.type, sa.DateTime):
        return sa.text("'1970-01-01 00:00:00+00:00'")
    return sa.text("''")


def _complete(table: sa.Table, inspector: sa.Inspector) -> None:
    """Add the columns and indexes ``table`` lacks in an older store; existing rows stay."""
    present = {c["name"] for c in inspector.get_columns(table.name)}
    missing = [c for c in table.columns if c.name not in present]
    sqlite = op.get_bind().dialect.name == "sqlite"
    if missing:
        # SQLite's ADD COLUMN refuses a non-constant default (CURRENT_TIMESTAMP): copy the table instead.
        with op.batch_alter_table(table.name, recreate="always" if sqlite else "auto") as batch:
            for column in missing:
                added = column._copy()
                backfilled = not added.nullable and added.server_default is None
                if backfilled:
                    added.server_default = sa.DefaultClause(_backfill(column))
                batch.add_column(added)
                if backfilled and not sqlite:  # the constant was for existing rows only
                    batch.alter_column(column.name, server_default=None)
    indexes = {i["name"] for i in inspector.get_indexes(table.name)}
    for index in table.indexes:
        if index.name not in indexes:
            op.create_index(index.name, table.name, [c.name for c in index.columns], unique=index.unique)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for table in TABLES:
        if table.name in existing:
            _complete(table, inspector)
        else:
            table.create(op.get_bind())


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table.name)
