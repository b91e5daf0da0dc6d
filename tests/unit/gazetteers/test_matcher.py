"""The gazetteer matcher: longest forms, dates first, types that fit together, exact spans."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazetteers import load_gazetteer
from gazetteers.linker import fold_width
from gazetteers.matcher import MATCHER_VERSION, GazetteerMatcher

REFERENCE = dt.date(2026, 11, 25)
QILIN = "山东省/菏泽市/巨野县供电公司/麒麟供电所"
QILIN_RESOLVED = {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"}

# CONTRACTS.md §2, verbatim.
CONTRACT_EXAMPLE = """
{"text": "本月菏泽麒麟供电所投诉个数",
 "entities": [
   {"type": "Date", "start": 0, "end": 2, "text": "本月"},
   {"type": "City", "start": 2, "end": 4, "text": "菏泽", "id": "山东省/菏泽市"},
   {"type": "Substation", "start": 4, "end": 9, "text": "麒麟供电所", "id": "山东省/菏泽市/巨野县供电公司/麒麟供电所"},
   {"type": "Indicator", "start": 9, "end": 11, "text": "投诉"}],
 "resolved": {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"},
 "ambiguous": [],
 "conflict": false,
 "date": {"start": "2026-11-01", "end": "2026-11-30"}}
"""

MINI = load_gazetteer(Path(__file__).parents[2] / "fixtures" / "mini", use_cache=False)
DEFAULT = load_gazetteer(None, use_cache=False)
MATCHERS = {"mini": GazetteerMatcher(MINI), "default": GazetteerMatcher(DEFAULT)}


def found(text: str, name: str = "mini") -> list[tuple[str, str]]:
    return [(e.type, e.text) for e in MATCHERS[name].find(text)]


def test_contract_example_record_comes_out_of_the_matcher():
    record = MATCHERS["mini"].tag("本月菏泽麒麟供电所投诉个数", REFERENCE).record
    actual = record.to_dict()
    assert (actual.pop("uncertainty"), actual.pop("model")) == (0.0, MATCHER_VERSION)
    for entity in actual["entities"]:
        assert entity.pop("score") == 1.0
    # The resolver also names the canonical indicator; the contract's example omits that id.
    assert actual["entities"][3].pop("id") == "Indicator:投诉"
    # a single-unit query: one target, equal to the top-level fields
    assert actual.pop("targets") == [
        {"mentions": [1, 2], "resolved": actual["resolved"], "ambiguous": [], "conflict": False}
    ]
    assert actual == json.loads(CONTRACT_EXAMPLE)


def test_longest_form_wins():
    assert found("投诉百万户量是多少") == [("Indicator", "投诉百万户量")]
    assert found("麒麟供电所投诉") == [("Substation", "麒麟供电所"), ("Indicator", "投诉")]
    assert found("菏泽市巨野县") == [("City", "菏泽市"), ("Company", "巨野县")]


def test_form_inside_an_unfinished_longer_form_is_found():
    # 百万户投诉 is the start of 百万户投诉量 but ends early: 投诉 must still be found.
    assert found("百万户投诉") == [("Indicator", "投诉")]
    assert found("菏泽百万户投诉") == [("City", "菏泽"), ("Indicator", "投诉")]


def test_dates_take_precedence_over_overlapping_forms():
    # 天桥 (济南's 天桥区) overlaps 今天.
    assert found("今天桥区投诉", "default") == [("Date", "今天"), ("Indicator", "投诉")]


def test_form_overlapping_a_date_leaves_room_for_its_neighbour(mini_copy):
    with (mini_copy / "substations.csv").open("a", encoding="utf-8") as stream:
        stream.write("月城供电所,曹县供电公司,\n")
    matcher = GazetteerMatcher(load_gazetteer(mini_copy, use_cache=False))
    entities = matcher.find("3月城关投诉")
    assert [(e.type, e.start, e.end) for e in entities] == [("Date", 0, 2), ("Substation", 2, 4), ("Indicator", 4, 6)]


@pytest.mark.parametrize(
    ("text", "expected_type", "expected_city"),
    [
        ("滨城市中投诉", "Substation", "滨州市"),  # 滨城区 has a 市中供电所, no 市中区
        ("济南的市中投诉", "Company", "济南市"),  # 济南 has a 市中区, no 市中供电所
        ("德州的市中投诉", "Substation", "德州市"),  # two 市中供电所 in 德州, still not the company
        ("市中投诉", "Company", None),  # alone: two companies beat three substations
    ],
)
def test_shared_form_takes_the_type_that_fits_the_other_mentions(text, expected_type, expected_city):
    record = MATCHERS["default"].tag(text, REFERENCE).record
    mention = next(e for e in record.entities if e.text == "市中")
    assert mention.type == expected_type
    assert mention.score == 0.5
    assert record.extra["uncertainty"] == 0.5
    assert record.conflict is False
    assert record.resolved["City"] == expected_city


def test_spans_count_code_points_with_non_bmp_and_full_width_text():
    text = "𠀀ＡＢ菏泽\u3000麒\uf9f3所２０２６年１１月投诉𠀀"
    record = MATCHERS["mini"].tag(text, REFERENCE).record
    assert [(e.type, e.start, e.end, e.text) for e in record.entities] == [
        ("City", 3, 5, "菏泽"),
        ("Substation", 6, 9, "麒\uf9f3所"),
        ("Date", 9, 17, "２０２６年１１月"),
        ("Indicator", 17, 19, "投诉"),
    ]
    assert all(text[e.start : e.end] == e.text for e in record.entities)
    assert record.entities[1].id == QILIN
    assert record.resolved == QILIN_RESOLVED
    assert record.date.to_dict() == {"start": "2026-11-01", "end": "2026-11-30"}


def test_ambiguous_and_conflicting_queries_are_tagged_as_such():
    ambiguous = MATCHERS["mini"].tag("龙山投诉", REFERENCE).record
    assert len(ambiguous.ambiguous) == 2
    assert ambiguous.resolved == {"Province": "山东省", "City": None, "Company": None, "Substation": None}
    conflict = MATCHERS["mini"].tag("枣庄麒麟供电所投诉", REFERENCE).record
    assert conflict.conflict is True
    assert set(conflict.resolved.values()) == {None}
    # a weak short form that contradicts a strong mention is dropped, not made a conflict
    weak = MATCHERS["mini"].tag("枣庄麒麟投诉", REFERENCE).record
    assert [e.text for e in weak.entities] == ["枣庄", "投诉"]
    assert (weak.conflict, weak.resolved["City"]) == (False, "枣庄市")


def test_a_slip_in_the_organisation_suffix_stays_inside_the_mention():
    record = MATCHERS["default"].tag("巨野麒麟供店所投诉", REFERENCE).record
    substation = next(e for e in record.entities if e.type == "Substation")
    assert (substation.start, substation.end, substation.text) == (2, 7, "麒麟供店所")
    assert substation.id == "山东省/菏泽市/巨野县供电公司/麒麟供电所" and substation.score < 1
    # two-character suffixes are not stretched: 济南市中区 is 济南 + 市中区, no misspelt 地区
    entities = MATCHERS["default"].tag("济南市中区投诉", REFERENCE).record.entities
    assert [(e.type, e.text) for e in entities[:2]] == [("City", "济南"), ("Company", "市中区")]


def test_query_without_gazetteer_forms_has_no_entities():
    record = MATCHERS["mini"].tag("请问一下这个怎么查", REFERENCE).record
    assert record.entities == ()
    assert record.extra["uncertainty"] == 0.0
    assert (record.ambiguous, record.conflict, record.date) == ((), False, None)
    assert set(record.resolved.values()) == {None}


# --------------------------------------------------------------------------- properties

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
FORMS = {
    name: sorted({f for t in matcher.gazetteer.domain.types for f in matcher.gazetteer.surfaces(t)})
    for name, matcher in MATCHERS.items()
}
LONGEST_FORM = {name: max(map(len, forms)) for name, forms in FORMS.items()}
# Unfinished forms that end with another form (百万户投诉 of 百万户投诉量): the automaton is mid-way
# through the longer form when the text ends, where a leftmost-longest search (pyahocorasick's
# iter_long, which the matcher once used) loses the shorter one.
UNFINISHED = {
    name: sorted({f[:k] for f in forms for k in range(3, len(f)) if any(f[j:k] in known for j in range(1, k - 1))})
    for name, forms in FORMS.items()
    for known in [set(forms)]
}
EXTRAS = ("本月", "２０２４年５月", "上季度", "今天", "3月", " ", "\u3000", "，", "的", "ＡＢ", "𠀀", "\uf9f3", "个数")


def pieces(name: str):
    return st.one_of(
        st.sampled_from(FORMS[name]),
        st.sampled_from(FORMS[name]).map(lambda f: f[1:] or f),  # forms cut short at either end
        st.sampled_from(FORMS[name]).map(lambda f: f[:-1] or f),
        st.sampled_from(UNFINISHED[name]),
        st.sampled_from(EXTRAS),
        st.text(cjk, min_size=1, max_size=3),
        st.text(min_size=1, max_size=2),
    )


def surface_map(name: str) -> dict[str, set[str]]:
    gazetteer = MATCHERS[name].gazetteer
    return {t: set(gazetteer.surfaces(t)) for t in gazetteer.domain.types}


SURFACES = {name: surface_map(name) for name in MATCHERS}


def _slipped_suffix(name: str, entity) -> bool:
    """A known form followed by an organisation suffix with one character wrong (麒麟供店所)."""
    folded = fold_width(entity.text)
    rules = MATCHERS[name].gazetteer.domain.types[entity.type].short_forms
    for suffix in (s for s in rules.strip_suffixes if len(s) >= 3):
        head, tail = folded[: -len(suffix)], folded[-len(suffix) :]
        if head in SURFACES[name][entity.type] and sum(a != b for a, b in zip(tail, suffix)) == 1:
            return entity.score is not None and entity.score < 1
    return False


def _guessed(name: str, entity) -> bool:
    """A name the gazetteer lacks before an organisation suffix (红旗渠供电所), scored low."""
    rules = MATCHERS[name].gazetteer.domain.types[entity.type].short_forms
    suffixes = [s for s in rules.strip_suffixes if len(s) >= 3]
    return entity.text.endswith(tuple(suffixes)) and entity.score is not None and entity.score <= 0.6


@pytest.mark.parametrize("name", ["mini", "default"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_matcher_spans_are_exact_sorted_disjoint_and_maximal(name, data, consistent):
    text = "".join(data.draw(st.lists(pieces(name), max_size=6)))
    resolution = MATCHERS[name].tag(text, REFERENCE)
    entities = resolution.record.entities
    folded = fold_width(text)
    for entity in entities:
        assert text[entity.start : entity.end] == entity.text
        if entity.type != "Date":
            assert (
                fold_width(entity.text) in SURFACES[name][entity.type]
                or _slipped_suffix(name, entity)
                or _guessed(name, entity)
            )
    assert all(a.end <= b.start for a, b in zip(entities, entities[1:]))

    covered = [False] * len(text)
    dates = [False] * len(text)
    for entity in entities:
        for i in range(entity.start, entity.end):
            covered[i] = True
            dates[i] = entity.type == "Date"
    all_forms = set().union(*SURFACES[name].values())
    for start in range(len(text)):
        for end in range(start + 1, min(len(text), start + LONGEST_FORM[name]) + 1):
            if folded[start:end] not in all_forms or any(dates[start:end]):
                continue
            # only a weak form (a two-character short form inside a word) may be left out entirely
            weak = MATCHERS[name]._forms[folded[start:end]][4]
            assert weak or any(covered[start:end]), f"{folded[start:end]!r} left untagged in {text!r}"

    consistent(MATCHERS[name].gazetteer, resolution)


def test_uncertainty_reflects_ambiguity():
    # two candidate chains: 1 - 1/2, though every span is certain
    ambiguous = MATCHERS["mini"].tag("龙山供电所投诉", REFERENCE).record
    assert len(ambiguous.ambiguous) == 2 and {e.score for e in ambiguous.entities} == {1.0}
    assert ambiguous.extra["uncertainty"] == 0.5
    assert MATCHERS["mini"].tag("菏泽麒麟供电所投诉", REFERENCE).record.extra["uncertainty"] == 0.0


def test_segmentation_prefers_a_consistent_chain_over_the_longest_first_form():
    record = MATCHERS["default"].tag("青岛市北区停电", REFERENCE).record
    assert [(e.type, e.text) for e in record.entities] == [
        ("City", "青岛"),
        ("Company", "市北区"),
        ("Indicator", "停电"),
    ]
    assert record.conflict is False and record.resolved["Company"] == "市北区供电公司"
