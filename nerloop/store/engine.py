"""Engine and session factory for the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nerloop.config import database_url
from nerloop.errors import NerloopError
from nerloop.store.models import Base


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL keeps readers going while a cron cycle writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_store(url: str | None = None, *, create: bool = True) -> Engine:
    """Engine for ``url`` (``--db``/``NERLOOP_DB``/SQLite default), tables created when missing."""
    resolved = database_url(url)
    try:
        engine = create_engine(resolved, future=True)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise NerloopError(f"cannot open store {resolved!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if create:
        try:
            Base.metadata.create_all(engine)
        except OperationalError as exc:
            raise NerloopError(
                f"cannot reach store {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
            ) from exc
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on error, so a crash loses nothing half-written."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
