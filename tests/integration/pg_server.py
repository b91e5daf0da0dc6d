"""The test PostgreSQL server: where it is, whether it runs, and killing connections to it."""

from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("NERLOOP_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_unreachable() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'nerloop[postgres]')"
    url = make_url(POSTGRES_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=1):
            return None
    except OSError:
        return f"no PostgreSQL server on {url.host}:{url.port or 5432}"


def require_postgres() -> None:
    reason = postgres_unreachable()
    if reason and os.environ.get("NERLOOP_REQUIRE_POSTGRES"):
        pytest.fail(f"NERLOOP_REQUIRE_POSTGRES is set but {reason}")
    if reason:
        pytest.skip(reason)


def terminate_backends(admin: Engine, database: str) -> int:
    """Kill every server process connected to ``database``, as a PostgreSQL restart would; how many."""
    with admin.connect() as conn:
        return len(
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).all()
        )
