"""The one JSON Lines reader: values with their line numbers, problems as ``file:line: what``."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerloop.errors import InputError
from nerloop.jsonl import parse_json_line, read_json_lines


def test_values_come_with_their_line_numbers_past_blank_lines_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('\ufeff{"text": "济南"}\n\n  \n[1, 2]\n"s"', "utf-8")
    assert list(read_json_lines(path)) == [(1, {"text": "济南"}), (4, [1, 2]), (5, "s")]


def test_a_line_that_is_not_json_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"a": 1}\n{oops\n', "utf-8")
    with pytest.raises(InputError) as caught:
        list(read_json_lines(path))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2: not valid JSON: Expecting property name enclosed in double quotes"
    ]


def test_a_line_that_is_not_utf8_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_bytes(b'{"a": 1}\n' + '"菏泽"'.encode("gbk") + b"\n")
    with pytest.raises(InputError) as caught:
        list(read_json_lines(path))
    assert str(caught.value.problems[0]).startswith(f"{path}:2: not UTF-8 (")


def test_one_line_parses_or_says_why_with_the_callers_hint() -> None:
    assert parse_json_line('{"text": "x"}', "<stdin>", 3) == {"text": "x"}
    with pytest.raises(InputError) as caught:
        parse_json_line("{", "<stdin>", 3, "write one query per line")
    assert str(caught.value.problems[0]) == (
        "<stdin>:3: not valid JSON: Expecting property name enclosed in double quotes; write one query per line"
    )
