"""Tables. Later issues add predictions, Label Studio tasks, annotations, model versions and AL rounds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String, Text, func
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
    """A real user query from the assistant's logs; the text hash de-duplicates re-ingested logs."""

    __tablename__ = "query_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    source: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
