"""JSON Lines: one compact line per value written, one parsed value per line read, every problem
as ``file:line: what is wrong``.

Records (:func:`nerloop.export.read_jsonl`), the queries ``tag`` reads and the logs ``logs
ingest`` reads are all JSON Lines; they share the line loop and the message for a line that
is not JSON, and add only what their own lines must hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from nerloop.errors import InputError, Problem

# What orjson refuses (an integer past 64 bits, a key that is not a string) is written by the standard
# library, in the same compact form.
_FALLBACK_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))


def compact_json(value: Any) -> str:
    """One JSON line, compact and UTF-8 (no ``\\u`` escapes): how records and the store's JSON columns are written.

    The same text as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` (but NaN,
    which orjson writes as null) in about a fifth of the time: the standard encoder was 15 % of a
    compiled ``generate`` (py-spy) and cost ``al score`` more than its uncertainty strategies.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return _FALLBACK_ENCODER.encode(value)


def compact_json_line(value: Any) -> bytes:
    """``compact_json(value)`` and a newline, UTF-8: for a writer of bytes, which then neither decodes
    orjson's bytes nor has a text stream encode them again (together 4 % of ``generate``)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (_FALLBACK_ENCODER.encode(value) + "\n").encode()


def json_problem(exc: json.JSONDecodeError, source: str, line: int, hint: str = "") -> Problem:
    """The one message for a line that is not JSON: ``file:line: not valid JSON: why[; hint]``."""
    return Problem(source, line, f"not valid JSON: {exc.msg}" + (f"; {hint}" if hint else ""))


def parse_json_line(line: str, source: str, number: int, hint: str = "") -> Any:
    """``json.loads`` of one line.

    Raises:
        InputError: ``file:line: not valid JSON: why[; hint]``.
    """
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(json_problem(exc, source, number, hint)) from exc


def read_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line of a UTF-8 file, lazily; a BOM is dropped.

    Raises:
        InputError: ``file:line: not UTF-8 (why)`` or ``file:line: not valid JSON: why`` for the
            first line that is neither.
    """
    path = Path(path)
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(Problem(str(path), number, f"not UTF-8 ({exc.reason})")) from exc
            if number == 1:
                line = line.removeprefix("\ufeff")
            if line.strip():
                yield number, parse_json_line(line, str(path), number)
