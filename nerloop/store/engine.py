"""Engine, sessions and the one write path that survives a lost connection.

Every store write goes through :func:`run_in_transaction`: a lost connection (PostgreSQL restarted,
an idle connection killed by a firewall) is retried once after a short back-off, and a store that
stays gone becomes :class:`~nerloop.store.errors.StoreUnavailable` with a one-line message that
names the store with its password masked. Pooled connections are checked before use
(``pool_pre_ping``), so a connection that died while a long run computed is replaced silently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from nerloop.config import database_url
from nerloop.jsonl import compact_json
from nerloop.store.errors import StoreError, StoreUnavailable
from nerloop.store.migrate import upgrade_store
from nerloop.store.urls import mask_url, one_line, raw_url, remember_url, scrub, store_name

T = TypeVar("T")

# Errors that mean "the connection or the server is gone", worth one more try. Drivers let some
# connect failures escape unwrapped: a socket's OSError, an IDNA-invalid host name's UnicodeError.
CONNECTION_ERRORS = (OperationalError, InterfaceError, DisconnectionError, OSError, UnicodeError)
RETRY_BACKOFF_S = 1.0


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL keeps readers going while a cron cycle writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def describe_error(exc: BaseException, url: str | URL) -> str:
    """The driver's own reason, on one line, with every spelling of the password removed."""
    reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return scrub(one_line(str(reason)) or type(reason).__name__, url)


def _create_engine(raw: str) -> tuple[Engine | None, str]:
    """The engine, or None and why not (one line, password removed)."""
    if raw.partition("://")[2].count("@") > 1:
        # An unencoded '@' in the password: the rest of it would be taken for the host name, or
        # (with '@:') the URL would not parse at all.
        return None, "percent-encode '@' in the user name or password as %40"
    try:
        parsed = make_url(raw)
    except Exception:  # noqa: BLE001 - its text would quote the URL, password included
        return None, "not a SQLAlchemy URL (dialect+driver://user:password@host/db)"
    try:
        return create_engine(
            parsed, pool_pre_ping=True, json_serializer=compact_json, json_deserializer=orjson.loads
        ), ""
    except Exception as exc:  # noqa: BLE001 - a missing driver, a bad option: all one message
        return None, describe_error(exc, raw)


def open_store(url: str | None = None, *, create: bool = True) -> Engine:
    """Engine for ``url`` (``--db``/``NERLOOP_DB``/SQLite default), migrated to this nerloop's schema.

    Args:
        url: SQLAlchemy URL; ``None`` reads ``NERLOOP_DB``, then the SQLite default.
        create: bring the schema up to date (create an empty store, adopt a 0.1 store, upgrade an
            older one); ``False`` only builds the engine (``nerloop db status``, tests).

    Raises:
        StoreError: a URL that cannot be used, a store newer than this code, or pending
            revisions that must not run unattended.
        StoreUnavailable: the store cannot be reached, even after one retry.
    """
    raw = database_url(url)
    name = scrub(mask_url(raw), raw)
    engine, reason = _create_engine(raw)
    if engine is None:  # raised here, not in an except block: no __context__ holds the driver's text
        raise StoreError(f"cannot open store {name}: {reason}", raw)
    remember_url(engine, raw)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if create:
        try:
            with_retry(engine, lambda: upgrade_store(engine, unattended=True))
        except BaseException:
            engine.dispose()
            raise
    return engine


def with_retry(engine: Engine, action: Callable[[], T], *, backoff_s: float | None = None) -> T:
    """``action()``, once more after ``backoff_s`` if the connection was lost; then a one-line error.

    ``action`` must be safe to run twice: its first attempt's transaction was rolled back. Other
    database errors become :class:`StoreError` (one line, password masked), except
    ``IntegrityError``, which callers use (a duplicate row) and which carries no URL.
    """
    delay = RETRY_BACKOFF_S if backoff_s is None else backoff_s
    for attempt in range(2):
        try:
            return action()
        except CONNECTION_ERRORS as exc:
            if attempt == 1:
                error = store_error(engine, exc)
                break
            engine.dispose()  # drop every pooled connection: they share the fate of the one that failed
            time.sleep(delay)
        except IntegrityError:
            raise  # a constraint the caller may expect (a duplicate log line), not a store failure
        except DBAPIError as exc:
            error = store_error(engine, exc)
            break
    # Raised outside the except blocks: no __context__ keeps the driver's error (and a DSN) attached.
    raise error


def store_error(engine: Engine, exc: BaseException) -> StoreError:
    """The one-line, password-free error for a database failure: unavailable, or another cause."""
    url = raw_url(engine)
    reason = describe_error(exc, url)
    if isinstance(exc, CONNECTION_ERRORS):
        return StoreUnavailable(f"store {store_name(engine)} is unavailable: {reason}", url)
    return StoreError(f"store {store_name(engine)}: {reason}", url)


def run_in_transaction(engine: Engine, fn: Callable[[Session], T], *, backoff_s: float | None = None) -> T:
    """``fn(session)`` in one committed transaction, retried once on a lost connection.

    This is the function every store write goes through. ``fn`` gets a fresh session on each
    attempt and must do nothing outside it (no files, no prints): the first attempt may be
    rolled back and replayed.

    Raises:
        StoreUnavailable: the store stayed unreachable after the retry (message: one line,
            naming the store, password masked).
    """

    def attempt() -> T:
        with _transaction(engine) as session:
            return fn(session)

    return with_retry(engine, attempt, backoff_s=backoff_s)


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on error, so a crash loses nothing half-written.

    Database errors leave it as one-line :class:`StoreError`/:class:`StoreUnavailable` (password
    masked), ``IntegrityError`` as is. No retry here: writes that must survive a lost connection
    use :func:`run_in_transaction`.
    """
    try:
        with _transaction(engine) as session:
            yield session
    except IntegrityError:
        raise
    except (DisconnectionError, DBAPIError) as exc:
        raise store_error(engine, exc) from None
