"""Settings shared by every command: where the store lives, the reference date."""

from __future__ import annotations

import datetime as dt
import os

DB_ENV = "NERLOOP_DB"
DEFAULT_DB_URL = "sqlite:///nerloop.db"


def database_url(explicit: str | None = None) -> str:
    """``--db`` wins, then ``NERLOOP_DB``, then a SQLite file in the working directory."""
    return explicit or os.environ.get(DB_ENV) or DEFAULT_DB_URL


def parse_reference_date(value: str | None) -> dt.date:
    """``YYYY-MM-DD``, or today when not given; relative dates are resolved against it."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        from nerloop.errors import NerloopError

        raise NerloopError(f"--reference-date {value!r} is not a date; write YYYY-MM-DD") from exc
