"""How a log file is read and how hard duplicates are hunted."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from active_learning.ingest.errors import IngestError


class LogFormat(str, Enum):
    """Layouts of a query log; ``auto`` picks one from the file name."""

    auto = "auto"
    text = "text"
    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"


_SUFFIXES = {".csv": LogFormat.csv, ".tsv": LogFormat.tsv, ".tab": LogFormat.tsv}
_SUFFIXES |= {".jsonl": LogFormat.jsonl, ".ndjson": LogFormat.jsonl, ".json": LogFormat.jsonl}


def format_for(path: Path, requested: LogFormat) -> LogFormat:
    """The requested format, or the one the file's suffix names (plain text otherwise)."""
    if requested is not LogFormat.auto:
        return requested
    return _SUFFIXES.get(path.suffix.lower(), LogFormat.text)


@dataclass(frozen=True)
class IngestConfig:
    """Settings of one ingest run.

    Args:
        format: file layout; ``auto`` by suffix (.csv, .tsv, .jsonl/.ndjson/.json, else text).
        column: CSV/TSV column holding the query, by header name or 0-based index; default: a column
            named ``text``/``query``/``question`` if there is one, else the first.
        delimiter: CSV delimiter; default ``,`` for csv and tab for tsv.
        field: JSON Lines field holding the query.
        time_column: CSV column or JSON field with the query's timestamp (ISO 8601 or epoch
            seconds); without it every query gets the file's modification time.
        near_duplicate_threshold: rapidfuzz ``ratio`` (0-100) from which a query counts as a near
            duplicate of an earlier one; 100 turns near-duplicate detection off.
        near_duplicate_window: how many recent queries per block (same first or last characters)
            are compared; bounds time and memory, so 1M-line logs stay near-linear.
        near_duplicate_history: how many of the most recently stored queries a run starts from, so
            today's near duplicate of a query ingested yesterday is marked too; 0: this run only.
        batch_size: rows per insert transaction (a crash loses at most one batch; re-run to finish).
    """

    format: LogFormat = LogFormat.auto
    column: str | None = None
    delimiter: str | None = None
    field: str = "text"
    time_column: str | None = None
    near_duplicate_threshold: float = 92.0
    near_duplicate_window: int = 32
    near_duplicate_history: int = 50_000
    batch_size: int = 5000

    def __post_init__(self) -> None:
        if not 0 < self.near_duplicate_threshold <= 100:
            raise IngestError("near_duplicate_threshold must be in (0, 100]")
        if self.near_duplicate_window < 1 or self.batch_size < 1:
            raise IngestError("near_duplicate_window and batch_size must be positive")
        if self.near_duplicate_history < 0:
            raise IngestError("near_duplicate_history must be 0 or more")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise IngestError("delimiter must be one character")
