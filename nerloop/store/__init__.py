"""The SQLAlchemy store: SQLite embedded by default, PostgreSQL (or any SQLAlchemy URL) by ``--db``.

Write through :func:`run_in_transaction` (or a helper built on it such as :func:`record_dataset`):
it retries a lost connection once and turns a store that is gone into a one-line
:class:`StoreUnavailable`, password masked.
"""

from nerloop.store.datasets import record_dataset, record_dataset_from_manifest
from nerloop.store.engine import open_store, run_in_transaction, session_scope, with_retry
from nerloop.store.errors import StoreError, StoreNeedsUpgrade, StoreTooNew, StoreUnavailable
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
from nerloop.store.urls import store_name

__all__ = [
    "Base",
    "CycleRound",
    "GeneratedDataset",
    "GoldLabel",
    "LabelTask",
    "ModelVersion",
    "QueryLog",
    "StoreError",
    "StoreNeedsUpgrade",
    "StoreTooNew",
    "StoreUnavailable",
    "StoredPrediction",
    "open_store",
    "record_dataset",
    "record_dataset_from_manifest",
    "run_in_transaction",
    "session_scope",
    "store_name",
    "with_retry",
]
