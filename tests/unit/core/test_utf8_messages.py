"""One message for bytes that are not UTF-8, whether a file is read whole or line by line."""

from __future__ import annotations

import io

import pytest

from nerloop.errors import InputError
from nerloop.queries import decode_lines
from nerloop.textfiles import CONVERT_HINT, decode_utf8


def _problem(call) -> str:
    with pytest.raises(InputError) as caught:
        call()
    return str(caught.value.problems[0])


def test_whole_file_and_line_by_line_readers_say_the_same_thing() -> None:
    data = "济南\n菏泽".encode() + b"\xff\n"
    whole = _problem(lambda: decode_utf8(data, "q.txt"))
    by_line = _problem(lambda: list(decode_lines(io.BytesIO(data), "q.txt")))
    assert whole == by_line == f"q.txt:2: not valid UTF-8: byte 0xff at byte offset 13; {CONVERT_HINT}"
