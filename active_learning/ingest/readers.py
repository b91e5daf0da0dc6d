"""Stream query lines out of log files: any encoding the gazetteer loader reads, three layouts.

Files are decoded as they are read (never loaded whole), so a log of millions of lines
takes constant memory; the encoding is decided once from the first block.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from active_learning.ingest.config import IngestConfig, LogFormat, format_for
from active_learning.ingest.errors import IngestError
from gazetteers.encoding import EncodingProblem, decode_bytes
from nerloop.jsonl import json_problem

_SAMPLE_BYTES = 1 << 16
_TEXT_COLUMNS = ("text", "query", "question", "查询", "问题")


@dataclass(frozen=True)
class LogLine:
    """One query as found in a log: raw text, 1-based line (row) number and timestamp if known."""

    text: str
    line: int
    received_at: dt.datetime | None


def _sample(data: bytes) -> bytes:
    """The first block cut at a line end, so no multi-byte character is split."""
    if len(data) < _SAMPLE_BYTES:
        return data
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        cut = data.rfind(b"\n\x00" if data.startswith(codecs.BOM_UTF16_LE) else b"\x00\n")
        while cut > 0 and cut % 2:  # a real UTF-16 newline starts at an even offset
            cut = data.rfind(b"\n\x00" if data.startswith(codecs.BOM_UTF16_LE) else b"\x00\n", 0, cut)
        return data[: cut + 2] if cut > 0 else data[: len(data) - len(data) % 2]
    cut = data.rfind(b"\n")
    return data[: cut + 1] if cut > 0 else data


def detect_encoding(path: Path) -> str:
    """The codec to stream ``path`` with, decided by the gazetteer loader's rules on its first block.

    Raises:
        IngestError: the bytes are in no supported encoding.
    """
    with path.open("rb") as stream:
        head = stream.read(_SAMPLE_BYTES)
    try:
        _, encoding = decode_bytes(_sample(head))
    except EncodingProblem as exc:
        raise IngestError(f"{path}: {exc}") from exc
    return "utf-8-sig" if encoding == "utf-8" else encoding


def parse_time(value: str, where: str) -> dt.datetime:
    """ISO 8601 (``2026-11-25 10:03:00``, with or without zone) or epoch seconds; naive means UTC."""
    value = value.strip()
    try:
        stamp = dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
    except ValueError:
        try:
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("/", "-"))
        except ValueError as exc:
            raise IngestError(f"{where}: timestamp {value!r} is neither ISO 8601 nor epoch seconds") from exc
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)


def _column_index(header: list[str], column: str | None, path: Path, what: str) -> int:
    if column is None:
        lowered = [h.strip().lower() for h in header]
        return next((lowered.index(c) for c in _TEXT_COLUMNS if c in lowered), 0)
    if column.isdigit():
        index = int(column)
        if index >= len(header):
            raise IngestError(f"{path}: {what} {column} is past the last column ({len(header)} columns)")
        return index
    names = [h.strip() for h in header]
    if column not in names:
        raise IngestError(f"{path}: no {what} {column!r}; the header has {', '.join(names)}")
    return names.index(column)


def _csv_lines(stream: io.TextIOBase, path: Path, config: IngestConfig, delimiter: str, mtime) -> Iterator[LogLine]:
    rows = csv.reader(stream, delimiter=delimiter)
    header = next(rows, None)
    if header is None:
        return
    if header:
        header[0] = header[0].lstrip("\ufeff")
    text_at = _column_index(header, config.column, path, "--column")
    time_at = _column_index(header, config.time_column, path, "--time-column") if config.time_column else None
    for number, row in enumerate(rows, start=2):
        if len(row) <= text_at:
            continue
        stamp = mtime
        if time_at is not None and len(row) > time_at and row[time_at].strip():
            stamp = parse_time(row[time_at], f"{path}:{number}")
        yield LogLine(row[text_at], number, stamp)


def _jsonl_lines(stream: io.TextIOBase, path: Path, config: IngestConfig, mtime) -> Iterator[LogLine]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise IngestError(str(json_problem(exc, str(path), number, "one JSON object per line"))) from exc
        text = data.get(config.field) if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise IngestError(f"{path}:{number}: no string field {config.field!r} (choose one with --field)")
        stamp = mtime
        if config.time_column and data.get(config.time_column) not in (None, ""):
            stamp = parse_time(str(data[config.time_column]), f"{path}:{number}")
        yield LogLine(text, number, stamp)


def read_log(path: Path, config: IngestConfig, raw: io.BufferedReader) -> Iterator[LogLine]:
    """The queries in an open log file, streamed; ``raw.tell()`` tracks progress in bytes.

    Raises:
        IngestError: undecodable bytes, a missing column or field, bad JSON or timestamp.
    """
    encoding = detect_encoding(path)
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    layout = format_for(path, config.format)
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="" if layout in (LogFormat.csv, LogFormat.tsv) else None)
    try:
        if layout is LogFormat.csv or layout is LogFormat.tsv:
            delimiter = config.delimiter or ("\t" if layout is LogFormat.tsv else ",")
            yield from _csv_lines(stream, path, config, delimiter, mtime)
        elif layout is LogFormat.jsonl:
            yield from _jsonl_lines(stream, path, config, mtime)
        else:
            for number, line in enumerate(stream, start=1):
                yield LogLine(line.lstrip("\ufeff") if number == 1 else line, number, mtime)
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: bytes past the first block are not {encoding} ({exc.reason})") from exc
    finally:
        stream.detach()
