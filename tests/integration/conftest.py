"""PostgreSQL fixtures: one throw-away database per test, so parallel runs never share tables.

Tests using them carry the ``postgres`` marker; they skip with the reason when there is no server,
and fail instead when ``NERLOOP_REQUIRE_POSTGRES`` is set (CI).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pg_server import POSTGRES_URL, require_postgres
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url


@pytest.fixture
def postgres_admin() -> Iterator[Engine]:
    """An autocommit engine on the server's maintenance database (CREATE/DROP DATABASE, pg_terminate_backend)."""
    require_postgres()
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """URL of a new, empty database ``nerloop_test_<random>``, dropped (connections and all) after the test."""
    name = f"nerloop_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with postgres_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A fresh, empty store: a SQLite file, or a new PostgreSQL database dropped after the test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_url")
