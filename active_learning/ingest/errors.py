"""Errors of log ingest."""

from __future__ import annotations

from nerloop.errors import NerloopError


class IngestError(NerloopError, ValueError):
    """A log file or an ingest setting that cannot be used as given."""
