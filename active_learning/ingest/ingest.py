"""Read logs into ``query_logs``: normalized, exact duplicates dropped, near duplicates marked.

Rows go in batches, each its own transaction, and exact duplicates are found by asking the
store about each batch's hashes, so memory does not grow with the log and re-ingesting a
file (or finishing one whose ingest was killed) adds only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from active_learning.batch import normalize_query, text_hash
from active_learning.ingest.config import IngestConfig
from active_learning.ingest.errors import IngestError
from active_learning.ingest.near_duplicates import NearDuplicateFinder
from active_learning.ingest.readers import LogLine, read_log
from nerloop.store.engine import session_scope
from nerloop.store.models import QueryLog

Progress = Callable[[int, int], None]
"""Called with (bytes read, file size) as a file is ingested."""


@dataclass
class IngestReport:
    """What one ingest did, per file and in total."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    empty: int = 0
    added: int = 0
    duplicates: int = 0
    near_duplicates: int = 0

    def merge(self, other: IngestReport) -> None:
        self.files += other.files
        for name in ("lines", "empty", "added", "duplicates", "near_duplicates"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict:
        return asdict(self)


def _store_batch(
    engine: Engine, batch: Sequence[tuple[str, str, LogLine]], source: str, finder: NearDuplicateFinder
) -> tuple[int, int, int]:
    """Insert the batch's new queries; returns (added, duplicates, near duplicates)."""
    hashes = list(dict.fromkeys(h for _, h, _ in batch))
    with session_scope(engine) as session:
        known = set(session.scalars(select(QueryLog.text_hash).where(QueryLog.text_hash.in_(hashes))))
        rows, near = [], 0
        for text, digest, log_line in batch:
            if digest in known:
                continue
            known.add(digest)
            original = finder.find(text)
            if original is None:
                finder.remember(text, digest)
            else:
                near += 1
            rows.append(
                {
                    "text": text,
                    "text_hash": digest,
                    "source": source,
                    "line": log_line.line,
                    "near_duplicate_of": original,
                    "received_at": log_line.received_at,
                }
            )
        if rows:
            session.execute(QueryLog.__table__.insert(), rows)  # Core executemany: no ORM overhead
    return len(rows), len(batch) - len(rows), near


def stored_finder(engine: Engine, config: IngestConfig) -> NearDuplicateFinder:
    """A finder that already remembers the ``near_duplicate_history`` most recent stored originals.

    Logs arrive a day at a time; without this, a query that nearly repeats one ingested by an
    earlier run would go unmarked. The finder's own bounds (blocks × window) still cap memory.
    """
    finder = NearDuplicateFinder(config.near_duplicate_threshold, config.near_duplicate_window)
    if config.near_duplicate_history and config.near_duplicate_threshold < 100:
        with session_scope(engine) as session:
            recent = session.execute(
                select(QueryLog.text, QueryLog.text_hash)
                .where(QueryLog.near_duplicate_of.is_(None))
                .order_by(QueryLog.id.desc())
                .limit(config.near_duplicate_history)
            ).all()
        for text, digest in reversed(recent):  # oldest first, so the newest stay in each window
            finder.remember(text, digest)
    return finder


def ingest_file(
    engine: Engine,
    path: Path,
    config: IngestConfig | None = None,
    *,
    finder: NearDuplicateFinder | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest one log file (see :class:`IngestConfig` for layouts and settings).

    Raises:
        IngestError: the file is unreadable or malformed (rows before the bad line are kept).
    """
    config = config or IngestConfig()
    finder = finder or stored_finder(engine, config)
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"log file {path} does not exist")
    report = IngestReport(files=[str(path)])
    total = path.stat().st_size
    batch: list[tuple[str, str, LogLine]] = []

    def flush() -> None:
        added, duplicates, near = _store_batch(engine, batch, str(path), finder)
        report.added += added
        report.duplicates += duplicates
        report.near_duplicates += near
        batch.clear()

    with path.open("rb") as raw:
        for log_line in read_log(path, config, raw):
            report.lines += 1
            text = normalize_query(log_line.text)
            if not text:
                report.empty += 1
                continue
            batch.append((text, text_hash(text), log_line))
            if len(batch) >= config.batch_size:
                flush()
                if progress:
                    progress(raw.tell(), total)
        if batch:
            flush()
    if progress:
        progress(total, total)
    return report


def ingest_logs(
    engine: Engine,
    paths: Iterable[Path],
    config: IngestConfig | None = None,
    *,
    progress: Callable[[Path], Progress | None] | None = None,
) -> IngestReport:
    """Ingest several log files; near duplicates are also found across them.

    Args:
        progress: given a file, returns the callback for its progress (or ``None``).
    """
    config = config or IngestConfig()
    finder = stored_finder(engine, config)
    report = IngestReport()
    for path in paths:
        report.merge(ingest_file(engine, path, config, finder=finder, progress=progress(path) if progress else None))
    return report
