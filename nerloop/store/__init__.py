"""The SQLAlchemy store: SQLite embedded by default, PostgreSQL (or any SQLAlchemy URL) by ``--db``."""

from nerloop.store.engine import open_store, session_scope
from nerloop.store.models import (
    Base,
    CycleRound,
    GeneratedDataset,
    GoldLabel,
    LabelTask,
    ModelVersion,
    QueryLog,
    StoredPrediction,
)

__all__ = [
    "Base",
    "CycleRound",
    "GeneratedDataset",
    "GoldLabel",
    "LabelTask",
    "ModelVersion",
    "QueryLog",
    "StoredPrediction",
    "open_store",
    "session_scope",
]
