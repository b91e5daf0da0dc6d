from __future__ import annotations

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from nerloop.convert.bio import bio_labels, bio_to_entities, record_to_bio
from nerloop.convert.errors import ConvertError, OverlapError
from nerloop.records import Entity, SpanError, TaggedQuery


def spans(entities) -> list[tuple[str, int, int, str]]:
    return [(e.type, e.start, e.end, e.text) for e in entities]


def test_one_tag_per_code_point_outside_bmp():
    record = TaggedQuery(
        "𠀀镇供电所 投诉", (Entity("Substation", 0, 5, "𠀀镇供电所"), Entity("Indicator", 6, 8, "投诉"))
    )
    assert record_to_bio(record) == [
        "B-Substation",
        "I-Substation",
        "I-Substation",
        "I-Substation",
        "I-Substation",
        "O",
        "B-Indicator",
        "I-Indicator",
    ]


def test_samples_round_trip(records):
    for record in records:
        tags = record_to_bio(record)
        assert len(tags) == len(record.text)
        assert spans(bio_to_entities(record.text, tags)) == spans(sorted(record.entities, key=lambda e: e.start))


def test_adjacent_mentions_of_one_type_stay_apart():
    record = TaggedQuery("菏泽济南", (Entity("City", 0, 2, "菏泽"), Entity("City", 2, 4, "济南")))
    tags = record_to_bio(record)
    assert tags == ["B-City", "I-City", "B-City", "I-City"]
    assert spans(bio_to_entities(record.text, tags)) == spans(record.entities)


@pytest.mark.parametrize(
    "tags",
    [
        ["I-City", "I-City", "O", "O"],
        ["B-City", "I-Company", "I-Company", "O"],
        ["O", "I-City", "B-City", "I-City"],
        ["B-City", "I-City", "I-City", "I-City"],
    ],
)
def test_stray_inside_tags_start_a_mention_as_in_seqeval(tags):
    text = "菏泽巨野"
    expected = [(t, s, e + 1) for t, s, e in get_entities(tags)]
    assert [(e.type, e.start, e.end) for e in bio_to_entities(text, tags)] == expected


def test_overlapping_mentions_are_refused():
    record = TaggedQuery(
        "巨野县供电公司", (Entity("Company", 0, 7, "巨野县供电公司"), Entity("Company", 0, 3, "巨野县"))
    )
    with pytest.raises(OverlapError, match="overlap"):
        record_to_bio(record)


def test_span_that_misses_its_text_is_refused():
    with pytest.raises(SpanError):
        record_to_bio(TaggedQuery("菏泽", (Entity("City", 0, 2, "济南"),)))


@pytest.mark.parametrize("tags", [["O"], ["O", "X-City"], ["O", "B-"], ["O", "B"]])
def test_malformed_tags_are_refused(tags):
    with pytest.raises(ConvertError):
        bio_to_entities("菏泽", tags)


def test_labels_put_outside_first_then_types_sorted():
    assert bio_labels(["City", "Date", "City"]) == ["O", "B-City", "I-City", "B-Date", "I-Date"]
