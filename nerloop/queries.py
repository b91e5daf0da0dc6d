"""Reading queries for ``tag``: plain text lines or JSON Lines records, from a file or stdin."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from nerloop.errors import InputError, Problem


def read_queries(lines: Iterable[str], source: str) -> Iterator[str]:
    """Yield one query text per non-empty line, unchanged.

    A line starting with ``{`` is a JSON record whose ``text`` field is the query
    (other fields are ignored); any other line is the query itself.
    """
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if number == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    Problem(source, number, f"not valid JSON ({exc.msg}); write one query or one record per line")
                ) from exc
            text = data.get("text") if isinstance(data, dict) else None
            if not isinstance(text, str):
                raise InputError(Problem(source, number, "a JSON record needs a string field 'text'"))
            yield text
        else:
            yield line
