"""Reading queries for ``tag``: plain text lines or JSON Lines records, from a file or stdin."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from nerloop.errors import InputError, Problem
from nerloop.jsonl import parse_json_line
from nerloop.textfiles import utf8_message


def decode_lines(stream: BinaryIO, source: str) -> Iterator[str]:
    """Lines of a byte stream, strictly UTF-8, split at ``\n`` only.

    Text mode would also split at a bare ``\r`` (one query becoming two) and pass
    undecodable bytes through to stdout; here a bad byte is an error with its line
    and byte offset.
    """
    offset = 0
    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(Problem(source, number, utf8_message(raw, exc, base_offset=offset))) from None
        offset += len(raw)
        yield line


def read_queries(lines: Iterable[str], source: str) -> Iterator[str]:
    """Yield one query text per non-empty line, unchanged.

    A line starting with ``{`` is a JSON record whose ``text`` field is the query
    (other fields are ignored); any other line is the query itself.
    """
    for number, raw in enumerate(lines, start=1):
        line = raw.removesuffix("\n").removesuffix("\r")
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            data = parse_json_line(line, source, number, "write one query or one record per line")
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str):
                raise InputError(Problem(source, number, "a JSON record needs a string field 'text'"))
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(
                    Problem(source, number, "'text' holds a lone surrogate escape (\\udXXX); it is not text")
                ) from None
            yield text
        else:
            yield line
