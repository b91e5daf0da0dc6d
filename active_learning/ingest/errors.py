"""Errors of log ingest."""

from __future__ import annotations

from nerloop.errors import UsageError


class IngestError(UsageError, ValueError):
    """A log file or an ingest setting that cannot be used as given (bad input: exit 2)."""
