"""The generative target and its strict reader: mentions only, any deviation is unparseable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerloop.records import Entity, TaggedQuery
from trainer.backends.generative.markup import (
    CopyPlan,
    answer_ids,
    copy_plan,
    mention_markup,
    parse_markup,
    read_answer,
    tag_strings,
)

TYPES = ("City", "Company", "Substation", "Indicator")
TEXT = "菏泽巨野麒麟所投诉"


def test_target_wraps_mentions_and_never_writes_a_completed_parent():
    record = TaggedQuery(
        TEXT,
        (Entity("Substation", 4, 7, "麒麟所"), Entity("Indicator", 7, 9, "投诉")),
        resolved={"City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"},
    )
    assert mention_markup(record) == "菏泽巨野<Substation>麒麟所</Substation><Indicator>投诉</Indicator>"


def test_valid_markup_reads_back_spans_that_select_their_text():
    entities = parse_markup("<City>菏泽</City>巨野<Substation>麒麟所</Substation>投诉", TEXT, TYPES)
    assert entities == (Entity("City", 0, 2, "菏泽"), Entity("Substation", 4, 7, "麒麟所"))


@pytest.mark.parametrize(
    "markup",
    [
        "<Town>菏泽</Town>巨野麒麟所投诉",  # unknown tag
        "<City>菏泽<Company>巨野</Company></City>麒麟所投诉",  # nested
        "<City>菏泽市</City>巨野麒麟所投诉",  # changed text
        "<City>菏泽巨野麒麟所投诉",  # unclosed
        "菏泽</City>巨野麒麟所投诉",  # stray close
        "<City>菏泽</Company>巨野麒麟所投诉",  # mismatched close
        "<City></City>菏泽巨野麒麟所投诉",  # empty
        "<City>菏泽市</City>菏泽巨野麒麟所投诉",  # a completed parent the text does not contain
        "菏泽巨野麒麟所",  # text cut short
        "菏泽巨野麒麟所投诉吗",  # text added
    ],
)
def test_invalid_markup_is_unparseable(markup):
    assert parse_markup(markup, TEXT, TYPES) is None


def _tag_ids() -> dict[str, int]:
    return {tag: 1000 + i for i, tag in enumerate(tag_strings(TYPES))}


@st.composite
def tagged_texts(draw):
    text = draw(st.text(alphabet=st.sampled_from(list("菏泽巨野麒麟所投诉 A1𠀀")), min_size=1, max_size=14))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=6)))
    entities = []
    for start, end in zip(cuts[::2], cuts[1::2]):
        if start < end:
            entities.append(Entity(draw(st.sampled_from(TYPES)), start, end, text[start:end]))
    return TaggedQuery(text, tuple(entities))


def _encode(ch: str) -> list[int]:
    """A tokenizer that drops spaces and splits 𠀀 into two tokens, as real ones do."""
    if ch == " ":
        return []
    return [ord(ch) % 997, 7] if ch == "𠀀" else [ord(ch) % 997]


@settings(max_examples=150, deadline=None)
@given(tagged_texts())
def test_answer_ids_read_back_to_the_mentions_minus_dropped_edges(record):
    plan = copy_plan(record.text, _encode)
    tag_ids = _tag_ids()
    tags = {i: (t.strip("</>"), t.startswith("</")) for t, i in tag_ids.items()}
    entities = read_answer(answer_ids(record, plan, tag_ids), plan, tags, record.text)
    assert entities is not None
    for ent in entities:
        assert record.text[ent.start : ent.end] == ent.text and ent.text.strip() == ent.text
    expected = [(e.type, e.text.strip()) for e in record.entities if e.text.strip()]
    assert [(e.type, e.text) for e in entities] == expected


def test_a_tag_inside_a_multi_token_character_is_unparseable():
    plan = copy_plan("𠀀", _encode)
    tags = {1: ("City", False), 2: ("City", True)}
    assert read_answer([plan.ids[0], 1, plan.ids[1], 2], plan, tags, "𠀀") is None
    assert read_answer([1, *plan.ids, 2], plan, tags, "𠀀") == (Entity("City", 0, 1, "𠀀"),)


def test_copy_plan_maps_positions_to_characters():
    plan = CopyPlan((5, 6, 7), (0, 2, 2))
    assert [plan.boundary(i) for i in range(4)] == [True, True, False, True]
    assert plan.position(1) == 1 and plan.position(3) == 3
