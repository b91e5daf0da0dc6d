"""JSON Lines: the compact writer, and the one reader (values with their line numbers, problems as ``file:line: what``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerloop.errors import InputError
from nerloop.jsonl import compact_json, compact_json_line, parse_json_line, read_json_lines

# JSON values as records hold them: no floats (their shortest form differs between encoders, the value does not)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(st.characters(blacklist_categories=["Cs"])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(_values)
def test_compact_json_is_the_standard_encoders_compact_utf8_form(value) -> None:
    assert compact_json(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_compact_json_writes_characters_outside_the_bmp_unescaped() -> None:
    assert compact_json({"text": "𠀋菏泽", "n": 1}) == '{"text":"𠀋菏泽","n":1}'


def test_what_orjson_refuses_is_written_by_the_standard_encoder_in_the_same_form() -> None:
    assert compact_json({"big": 2**70, "k": [1, "济南"]}) == '{"big":1180591620717411303424,"k":[1,"济南"]}'
    assert compact_json({1: "a", None: [True]}) == '{"1":"a","null":[true]}'


@given(_values)
def test_a_compact_json_line_is_the_compact_form_and_a_newline_in_utf8(value) -> None:
    assert compact_json_line(value) == (compact_json(value) + "\n").encode("utf-8")


def test_a_compact_json_line_of_what_orjson_refuses_and_of_text_outside_the_bmp() -> None:
    assert compact_json_line({"big": 2**70, "t": "𠀋"}) == '{"big":1180591620717411303424,"t":"𠀋"}\n'.encode()
    assert compact_json_line({"text": "𠀋菏泽"}) == '{"text":"𠀋菏泽"}\n'.encode()


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
