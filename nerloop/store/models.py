"""Tables of the store. Every change needs an Alembic revision (docs/store.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every nerloop table."""


class GeneratedDataset(Base):
    """One ``nerloop generate`` run: where it wrote, from what, with which settings."""

    __tablename__ = "generated_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    out_dir: Mapped[str] = mapped_column(Text)
    gazetteer_fingerprint: Mapped[str] = mapped_column(String(64))
    grammar_fingerprint: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)


class QueryLog(Base):
    """A real user query from the assistant's logs; the text hash de-duplicates re-ingested logs.

    ``text`` is normalized (``normalize_query``); ``line`` is where it first occurred in ``source``;
    ``near_duplicate_of`` is the text hash of an earlier query it nearly repeats (selection skips those).
    """

    __tablename__ = "query_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    source: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    near_duplicate_of: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ModelVersion(Base):
    """A trained model directory registered by ``nerloop train``; ``status`` marks the champion.

    ``status``: ``candidate`` (trained, not promoted), ``champion`` (the one ``al score`` and
    ``tag`` use by default; at most one per backend), ``retired`` (a former champion, target of
    ``model rollback``), ``rejected`` (a challenger that lost its evaluation).
    """

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    parent_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    backend: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    data_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    gazetteer_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    promoted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StoredPrediction(Base):
    """A model version's prediction for one logged query (``al score``), with its uncertainty scores.

    ``scores`` maps strategy name → value (higher = more useful to label); ``signals`` holds the
    resolver's flags (unlinked mention, ambiguous, conflict, unparseable).
    """

    __tablename__ = "predictions"
    __table_args__ = (UniqueConstraint("query_log_id", "model_version", name="uq_prediction_query_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_log_id: Mapped[int] = mapped_column(ForeignKey("query_logs.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(128), index=True)
    record: Mapped[dict] = mapped_column(JSON)
    uncertainty: Mapped[float] = mapped_column(Float, default=0.0)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    signals: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LabelTask(Base):
    """A query pushed to Label Studio (or to a file for air-gapped annotation).

    ``text_hash`` is our key, also stored in the task's ``data`` so a push can ask the server
    what it already has; ``status``: ``pushed``, ``annotated``, ``skipped``, ``deleted``.
    """

    __tablename__ = "label_tasks"
    __table_args__ = (UniqueConstraint("project", "text_hash", name="uq_label_task_project_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    query_log_id: Mapped[int | None] = mapped_column(ForeignKey("query_logs.id", ondelete="SET NULL"), nullable=True)
    project: Mapped[str] = mapped_column(String(256))
    ls_task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(128), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pushed")
    pushed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GoldLabel(Base):
    """A human annotation pulled back as a gold record (CONTRACTS.md §2 JSON in ``record``).

    One row per (task, annotation); the latest per ``text_hash`` is the gold used for training.
    """

    __tablename__ = "gold_labels"
    __table_args__ = (UniqueConstraint("source", "annotation_id", name="uq_gold_source_annotation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    record: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(256))
    annotation_id: Mapped[str] = mapped_column(String(64))
    ls_task_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    annotator: Mapped[str] = mapped_column(String(256), default="")
    annotated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    pulled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    split: Mapped[str] = mapped_column(String(16), default="train")


class CycleRound(Base):
    """One ``nerloop cycle`` round: which steps are done, with their figures, so a killed cycle resumes."""

    __tablename__ = "cycle_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    steps: Mapped[dict] = mapped_column(JSON, default=dict)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
