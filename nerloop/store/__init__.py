"""The SQLAlchemy store: SQLite embedded by default, PostgreSQL (or any SQLAlchemy URL) by ``--db``."""

from nerloop.store.engine import open_store, session_scope
from nerloop.store.models import Base, GeneratedDataset, QueryLog

__all__ = ["Base", "GeneratedDataset", "QueryLog", "open_store", "session_scope"]
