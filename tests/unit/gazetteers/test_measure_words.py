"""Measure words are not part of an Indicator: the check warns, the generator tags around them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gazetteers import load_gazetteer
from gazetteers.default import default_directory
from gazetteers.measure_words import MeasureWordIndex, measure_word_warnings, split_measure_word

MEASURE = ("量", "次数", "个数", "数量", "总数")
INDICATORS = {"投诉", "停电", "投诉百万户", "意见"}


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("投诉量", ("投诉", "量")),
        ("停电次数", ("停电", "次数")),
        ("投诉数量", ("投诉", "数量")),  # the longest measure word, not 量 after 投诉数
        ("意见总数", ("意见", "总数")),
        ("投诉百万户量", ("投诉百万户", "量")),  # only when 投诉百万户 is a mention by itself
        ("百万户投诉量", None),  # 百万户投诉 is no mention
        ("投诉", None),
        ("量", None),
    ],
)
def test_split_measure_word(surface, expected):
    assert split_measure_word(surface, INDICATORS, MEASURE) == expected


def test_default_indicators_have_no_measure_word_aliases():
    assert measure_word_warnings(load_gazetteer(default_directory(), use_cache=False)) == []


def test_check_warns_on_an_alias_that_is_an_indicator_plus_a_measure_word(tmp_path: Path):
    for f in default_directory().glob("*.csv"):
        shutil.copy(f, tmp_path)
    (tmp_path / "indicators.csv").write_text(
        "name,aliases\n投诉,投诉量|投诉工单\n停电,停电次数\n投诉百万户量,投诉百万户|百万户投诉量\n", "utf-8"
    )
    warnings = measure_word_warnings(load_gazetteer(tmp_path, use_cache=False))
    assert [(w.line, w.message.split("'")[1]) for w in warnings] == [(2, "投诉量"), (3, "停电次数")]
    assert all(w.file.endswith("indicators.csv") for w in warnings)


def test_index_splits_aliases_and_keeps_whole_names(tmp_path: Path):
    for f in default_directory().glob("*.csv"):
        shutil.copy(f, tmp_path)
    (tmp_path / "indicators.csv").write_text("name,aliases\n投诉,投诉量\n投诉百万户量,投诉百万户\n", "utf-8")
    index = MeasureWordIndex(load_gazetteer(tmp_path, use_cache=False))
    assert index.split("Indicator", "投诉量") == ("投诉", "量")
    assert index.split("Indicator", "投诉百万户量") is None  # a name of its own
    assert index.split("City", "菏泽") is None
    text = "菏泽投诉百万户量是多少"
    assert index.extend("Indicator", text, 2, 7) == 8  # 投诉百万户 + 量 is the whole name
    assert index.extend("Indicator", "菏泽投诉量", 2, 4) == 4  # 投诉 + 量 stays apart
    assert index.extend("Indicator", text, 2, 11) == 11  # the text's end: nothing follows
    assert index.extend("Indicator", text, 2, 6) == 6  # 投诉百万 + 户: no measure word


def test_extend_is_the_plain_loop_over_the_measure_words(tmp_path: Path):
    """The first-character test in front of the loop answers as the loop alone, at every span of many texts."""
    for f in default_directory().glob("*.csv"):
        shutil.copy(f, tmp_path)
    (tmp_path / "indicators.csv").write_text("name,aliases\n投诉,投诉量\n投诉百万户量,投诉百万户\n停电次数,\n", "utf-8")
    gazetteer = load_gazetteer(tmp_path, use_cache=False)
    index = MeasureWordIndex(gazetteer)
    words = sorted(gazetteer.domain.types["Indicator"].measure_words, key=len, reverse=True)
    whole = index._whole["Indicator"]

    def plain(text: str, start: int, end: int) -> int:
        for word in words:
            if text.startswith(word, end) and text[start : end + len(word)] in whole:
                return end + len(word)
        return end

    pieces = ["投诉", "百万户", "量", "停电", "次数", "个数", "菏泽", "的", "𠀋"]
    texts = {a + b + c for a in pieces for b in pieces for c in pieces}
    for text in texts:
        for start in range(len(text)):
            for end in range(start + 1, len(text) + 1):
                assert index.extend("Indicator", text, start, end) == plain(text, start, end), (text, start, end)
