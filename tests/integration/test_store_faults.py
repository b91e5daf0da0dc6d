"""A store that goes away: retry once, then one line naming the store, never its password."""

from __future__ import annotations

import logging
import subprocess
import sys
import traceback

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg_server import POSTGRES_URL, require_postgres, terminate_backends
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from nerloop.store import (
    QueryLog,
    StoreError,
    StoreUnavailable,
    open_store,
    run_in_transaction,
    session_scope,
)
from nerloop.store import engine as store_engine

passwords = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=6, max_size=24)


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    monkeypatch.setattr(store_engine, "RETRY_BACKOFF_S", 0.0)


def _urls(password: str, **parts) -> list[str]:
    """The password percent-encoded (as it should be) and as a user may paste it."""
    url = URL.create(**{"drivername": "postgresql+psycopg", "username": "nerloop", "password": password, **parts})
    spelled = url.render_as_string(hide_password=False)
    host = f"{parts.get('host', '')}{':' + str(parts['port']) if parts.get('port') else ''}"
    return [spelled, f"{url.drivername}://nerloop:{password}@{host}/{parts.get('database', '')}"]


def _assert_hidden(password: str, url: str, exc: BaseException, logged: str) -> None:
    spelled = url[url.index("nerloop:") + len("nerloop:") : url.rindex("@")]
    assert exc.__context__ is None and exc.__cause__ is None  # no driver error (with a DSN) rides along
    # The chain is empty, so what a traceback prints of the error is its one line (the rest is our source).
    shown = "".join(traceback.format_exception_only(exc)) + logged
    for secret in {password, spelled}:
        assert secret not in shown
    assert "\n" not in str(exc) and str(exc).startswith(("store ", "cannot open store "))


class _Log(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


ERROR_PATHS = {
    "refused port": dict(host="127.0.0.1", port=1, database="store"),
    "bad host": dict(host="nosuchhost.invalid", database="store"),
    "invalid host name": dict(host="bad..host", database="store"),
    "bad driver": dict(drivername="postgresql+nosuchdriver", host="127.0.0.1", database="store"),
    "bad port": dict(host="127.0.0.1", port="notaport", database="store"),
}


@pytest.mark.parametrize("path", sorted(ERROR_PATHS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=passwords)
def test_no_error_path_shows_the_password(path, password):
    log = _Log()
    root = logging.getLogger()
    root.addHandler(log)
    level = root.level
    root.setLevel(logging.DEBUG)
    try:
        for url in _urls_for(path, password):
            with pytest.raises(StoreError) as info:
                open_store(url)
            _assert_hidden(password, url, info.value, "\n".join(log.lines))
    finally:
        root.removeHandler(log)
        root.setLevel(level)


def _urls_for(path: str, password: str) -> list[str]:
    parts = dict(ERROR_PATHS[path])
    if path == "bad port":  # URL.create refuses a non-integer port: write it by hand
        return [u.replace("127.0.0.1", "127.0.0.1:notaport") for u in _urls(password, host="127.0.0.1", database="x")]
    return _urls(password, **parts)


@pytest.mark.postgres
@settings(max_examples=10, deadline=None)
@given(password=passwords)
def test_a_missing_database_error_never_shows_the_password(password):
    require_postgres()
    server = make_url(POSTGRES_URL)
    for url in _urls(password, host=server.host, port=server.port or 5432, database="nerloop_no_such_db"):
        with pytest.raises(StoreError, match="does not exist|percent-encode") as info:
            open_store(url)
        _assert_hidden(password, url, info.value, "")


def test_refused_postgresql_connection_is_one_line_naming_the_store():
    pytest.importorskip("psycopg")
    with pytest.raises(StoreUnavailable) as info:
        open_store("postgresql+psycopg://nerloop:s3cret@127.0.0.1:1/store")
    message = str(info.value)
    assert message.startswith("store postgresql+psycopg://nerloop:***@127.0.0.1:1/store is unavailable: ")
    assert "Connection refused" in message and "\n" not in message and "s3cret" not in message


def test_an_unencoded_at_sign_in_the_password_is_refused_before_connecting():
    with pytest.raises(StoreError, match="percent-encode '@'") as info:
        open_store("postgresql+psycopg://nerloop:pa@ss@127.0.0.1:1/store")
    assert "pa@ss" not in str(info.value) and "ss@127" not in str(info.value)


def _flaky(failures: int):
    """A write whose first ``failures`` attempts lose the connection, as a restarted server does."""
    calls = []

    def write(session) -> None:
        calls.append(1)
        if len(calls) <= failures:
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        session.add(QueryLog(text="本月菏泽投诉", text_hash=f"h{len(calls)}"))

    return write, calls


def test_a_lost_connection_is_retried_once_and_the_row_written_once(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    write, calls = _flaky(failures=1)
    run_in_transaction(engine, write)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(QueryLog)).scalar_one() == 1
    assert len(calls) == 2
    engine.dispose()


def test_a_store_that_stays_gone_is_one_line_after_the_retry(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    write, calls = _flaky(failures=2)
    with pytest.raises(StoreUnavailable, match=r"^store sqlite:///.*s\.db is unavailable: server closed") as info:
        run_in_transaction(engine, write)
    assert len(calls) == 2 and "\n" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None
    engine.dispose()


@pytest.mark.postgres
def test_connection_terminated_mid_transaction_is_retried(postgres_url, postgres_admin):
    engine = open_store(postgres_url)
    database = make_url(postgres_url).database
    calls = []

    def write(session) -> None:
        calls.append(1)
        session.execute(text("SELECT 1"))  # the transaction is open on a live connection …
        if len(calls) == 1:
            assert terminate_backends(postgres_admin, database) >= 1  # … when the server kills it
        session.add(QueryLog(text="断线重连", text_hash="h1"))

    run_in_transaction(engine, write)
    with engine.connect() as conn:
        assert conn.execute(select(QueryLog.text)).scalars().all() == ["断线重连"]
    assert len(calls) == 2
    engine.dispose()


@pytest.mark.postgres
def test_a_pooled_connection_killed_while_idle_is_replaced_silently(postgres_url, postgres_admin):
    engine = open_store(postgres_url)
    run_in_transaction(engine, lambda s: s.add(QueryLog(text="一", text_hash="h1")))
    assert terminate_backends(postgres_admin, make_url(postgres_url).database) >= 1
    calls = []

    def write(session) -> None:
        calls.append(1)
        session.add(QueryLog(text="二", text_hash="h2"))

    run_in_transaction(engine, write)
    assert len(calls) == 1  # pool_pre_ping found the dead connection: no retry was needed
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(QueryLog)).scalar_one() == 2
    engine.dispose()


@settings(max_examples=25, deadline=None)
@given(password=passwords)
def test_a_write_error_quoting_the_dsn_never_shows_the_password(password):
    """Some drivers put their DSN or conninfo in the error text; the message must not carry it on."""
    urls = _urls(password, host="db.example", port=5432, database="store")
    for url in urls[: 1 if "@" in password else 2]:  # a raw '@' is refused before any write
        engine = open_store(url, create=False)  # no connection is made: the write fails first
        dsn = f"host=db.example password={password} dbname=store"

        def write(session, url=url, dsn=dsn) -> None:
            raise OperationalError("INSERT", {}, Exception(f"connection to {url} lost\n{dsn}"))

        with pytest.raises(StoreUnavailable) as info:
            run_in_transaction(engine, write)
        _assert_hidden(password, url, info.value, "")
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_processes_opening_a_new_store_at_once_all_succeed(backend, tmp_path, request):
    """Two cron jobs starting together: one migrates, the others wait for its lock and find it done."""
    url = f"sqlite:///{tmp_path / 's.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    code = "import sys; from nerloop.store import open_store; open_store(sys.argv[1]).dispose()"
    runs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    engine = open_store(url, create=False)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0001_initial"]
    engine.dispose()


def test_session_scope_turns_a_lost_connection_into_one_line_without_the_password():
    """Code that still writes through session_scope (no retry) gets the same one-line, masked error."""
    url = "postgresql+psycopg://nerloop:s3cr%3At@db.example/store"
    engine = open_store(url, create=False)
    with pytest.raises(StoreUnavailable) as info:
        with session_scope(engine):
            raise OperationalError("SELECT 1", {}, Exception(f"lost {url}\npassword=s3cr:t"))
    shown = "".join(traceback.format_exception(info.value))
    assert "\n" not in str(info.value) and "s3cr" not in shown and "nerloop:***@db.example" in shown
    engine.dispose()
