"""``gazetteer suggest``: unknown organisation names with counts, examples and implied parents."""

from __future__ import annotations

import datetime as dt

from active_learning.suggest import implied_parent, suggest_entries, suggestions_csv
from gazetteers.resolver import Resolver
from nerloop.records import Entity, TaggedQuery


def _record(text: str, *mentions: tuple[str, str]) -> TaggedQuery:
    return TaggedQuery(text, tuple(Entity(t, text.index(s), text.index(s) + len(s), s) for t, s in mentions))


def test_unknown_substation_gets_count_examples_and_the_parent_other_mentions_imply(mini):
    records = [
        _record(
            "本月菏泽巨野县供电公司新华供电所投诉",
            ("City", "菏泽"),
            ("Company", "巨野县供电公司"),
            ("Substation", "新华供电所"),
        ),
        _record("巨野新华供电所意见", ("Company", "巨野"), ("Substation", "新华供电所")),
        _record("麒麟供电所投诉", ("Substation", "麒麟供电所")),  # known: not suggested
    ]
    [suggestion] = suggest_entries(records, Resolver(mini), dt.date(2026, 11, 25))
    assert (suggestion.file, suggestion.name, suggestion.parent, suggestion.count) == (
        "substations.csv",
        "新华供电所",
        "山东省/菏泽市/巨野县供电公司",
        2,
    )
    assert suggestion.examples == [records[0].text, records[1].text]


def test_same_name_under_different_parents_gives_separate_rows_most_frequent_first(mini):
    records = [
        _record("曹县新华供电所投诉", ("Company", "曹县"), ("Substation", "新华供电所")),
        _record("巨野新华供电所投诉", ("Company", "巨野"), ("Substation", "新华供电所")),
        _record("巨野新华供电所意见", ("Company", "巨野"), ("Substation", "新华供电所")),
    ]
    rows = suggest_entries(records, Resolver(mini))
    assert [(r.parent, r.count) for r in rows] == [
        ("山东省/菏泽市/巨野县供电公司", 2),
        ("山东省/菏泽市/曹县供电公司", 1),
    ]
    assert suggest_entries(records, Resolver(mini), min_count=2)[0].count == 2


def test_ambiguous_context_leaves_the_parent_at_the_deepest_certain_level(mini):
    # 市中区 names a company in both 济南 and 枣庄: only the province is certain.
    record = _record("市中区新华供电所投诉", ("Company", "市中区"), ("Substation", "新华供电所"))
    [row] = suggest_entries([record], Resolver(mini))
    assert row.parent == "山东省"


def test_implied_parent_skips_levels_the_record_leaves_open(mini):
    resolved = {"Province": "北京市", "City": None, "Company": "东城区供电公司", "Substation": None}
    assert implied_parent(mini, resolved, "Substation") == "北京市/东城区供电公司"
    assert implied_parent(mini, resolved, "Province") == ""


def test_csv_has_one_row_per_suggestion_with_examples_joined(mini):
    records = [_record("𠀀供电所投诉", ("Substation", "𠀀供电所"))]
    text = suggestions_csv(suggest_entries(records, Resolver(mini)))
    assert text.splitlines() == ["file,name,parent,count,examples", "substations.csv,𠀀供电所,,1,𠀀供电所投诉"]


def test_a_name_known_only_under_other_parents_is_new_here_but_a_consistent_one_is_not(mini):
    records = [
        _record("巨野龙山供电所投诉", ("Company", "巨野"), ("Substation", "龙山供电所")),  # 龙山: 长清区 and 曹县 only
        _record("菏泽龙山供电所投诉", ("City", "菏泽"), ("Substation", "龙山供电所")),  # 曹县's, in 菏泽
        _record("菏泽城关供电所投诉", ("City", "菏泽"), ("Substation", "城关供电所")),  # two in 菏泽: ambiguous, known
    ]
    rows = suggest_entries(records, Resolver(mini))
    assert [(r.name, r.parent, r.examples) for r in rows] == [
        ("龙山供电所", "山东省/菏泽市/巨野县供电公司", [records[0].text])
    ]
