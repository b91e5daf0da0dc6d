"""Settings shared by every command: where the store lives, the reference date."""

from __future__ import annotations

import datetime as dt
import os

DB_ENV = "NERLOOP_DB"
DEFAULT_DB_URL = "sqlite:///nerloop.db"


def database_url(explicit: str | None = None) -> str:
    """``--db`` wins, then ``NERLOOP_DB``, then a SQLite file in the working directory."""
    return explicit or os.environ.get(DB_ENV) or DEFAULT_DB_URL


# Relative dates reach years before and after the reference (去年, 未来三年); this range keeps
# every such range within what datetime.date can hold.
EARLIEST_REFERENCE = dt.date(1900, 1, 1)
LATEST_REFERENCE = dt.date(2199, 12, 31)


def parse_reference_date(value: str | None) -> dt.date:
    """``YYYY-MM-DD`` between 1900 and 2199, or today when not given; relative dates are resolved against it."""
    from nerloop.errors import UsageError

    if value is None:
        return dt.date.today()
    try:
        date = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--reference-date {value!r} is not a date; write YYYY-MM-DD") from exc
    if not EARLIEST_REFERENCE <= date <= LATEST_REFERENCE:
        raise UsageError(f"--reference-date {value}: give a date between {EARLIEST_REFERENCE} and {LATEST_REFERENCE}")
    return date
