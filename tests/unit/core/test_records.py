import datetime as dt
import json
from dataclasses import MISSING, fields, replace

import pytest

from nerloop.domain import load_domain
from nerloop.records import DateRange, Entity, SpanError, TaggedQuery

CONTRACT_EXAMPLE = {
    "text": "本月菏泽麒麟供电所投诉个数",
    "entities": [
        {"type": "Date", "start": 0, "end": 2, "text": "本月"},
        {"type": "City", "start": 2, "end": 4, "text": "菏泽", "id": "山东省/菏泽市"},
        {
            "type": "Substation",
            "start": 4,
            "end": 9,
            "text": "麒麟供电所",
            "id": "山东省/菏泽市/巨野县供电公司/麒麟供电所",
        },
        {"type": "Indicator", "start": 9, "end": 11, "text": "投诉"},
    ],
    "resolved": {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"},
    "ambiguous": [],
    "conflict": False,
    "date": {"start": "2026-11-01", "end": "2026-11-30"},
}


def test_contract_example_round_trips_exactly():
    record = TaggedQuery.from_dict(CONTRACT_EXAMPLE)
    assert record.date == DateRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert json.loads(record.to_json()) == CONTRACT_EXAMPLE


def test_extra_fields_survive_as_top_level_keys():
    record = TaggedQuery.from_dict({**CONTRACT_EXAMPLE, "split": "train", "template": "t1"})
    assert record.extra == {"split": "train", "template": "t1"}
    assert record.to_dict()["split"] == "train"


def test_with_extra_is_replace_with_the_extra_fields_merged():
    record = TaggedQuery.from_dict(
        {
            **CONTRACT_EXAMPLE,
            "ambiguous": [["山东省/菏泽市"], ["山东省/济南市"]],
            "conflict": True,
            "targets": [{"mentions": [1], "resolved": {"City": "菏泽市"}, "ambiguous": [], "conflict": False}],
            "split": "train",
        }
    )
    # every field holds something other than its default: a field added later must be set here too
    for f in fields(TaggedQuery):
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        assert getattr(record, f.name) != default, f.name
    extended = record.with_extra(split="test", xml="<City>菏泽</City>")
    assert extended == replace(record, extra={"split": "test", "xml": "<City>菏泽</City>"})
    assert record.extra == {"split": "train"}  # the original is not changed


def test_offsets_are_code_points_outside_the_bmp():
    text = "𠀀菏泽投诉"
    record = TaggedQuery(text, (Entity("City", 1, 3, "菏泽"),))
    record.check_spans()
    assert TaggedQuery.from_json(record.to_json()) == record
    assert record.to_json_line() == (record.to_json() + "\n").encode("utf-8")
    assert TaggedQuery.from_json(record.to_json_line().decode("utf-8")) == record


@pytest.mark.parametrize("span", [(0, 2, "菏泽"), (2, 2, ""), (3, 9, "投诉")])
def test_a_span_that_does_not_select_its_text_is_refused(span):
    start, end, text = span
    with pytest.raises(SpanError):
        TaggedQuery("𠀀菏泽投诉", (Entity("City", start, end, text),)).check_spans()


def test_default_domain_is_the_power_domain():
    domain = load_domain()
    assert domain.hierarchy == ("Province", "City", "Company", "Substation")
    assert domain.flat_types == ("Indicator", "Date")
    assert all(t.description and t.examples for t in domain.types.values())


COMPARISON = {
    "text": "𠀀对比巨野和郓城的投诉",
    "entities": [
        {"type": "Company", "start": 3, "end": 5, "text": "巨野", "id": "山东省/菏泽市/巨野县供电公司"},
        {"type": "Company", "start": 6, "end": 8, "text": "郓城", "id": "山东省/菏泽市/郓城县供电公司"},
    ],
    "resolved": {"Province": "山东省", "City": "菏泽市", "Company": None, "Substation": None},
    "ambiguous": [],
    "conflict": False,
    "date": None,
    "targets": [
        {
            "mentions": [0],
            "resolved": {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": None},
            "ambiguous": [],
            "conflict": False,
        },
        {
            "mentions": [1],
            "resolved": {"Province": "山东省", "City": "菏泽市", "Company": "郓城县供电公司", "Substation": None},
            "ambiguous": [],
            "conflict": False,
        },
    ],
}


def test_targets_round_trip_and_old_records_stay_without_them():
    record = TaggedQuery.from_dict(COMPARISON)
    assert [t.mentions for t in record.targets] == [(0,), (1,)]
    assert json.loads(record.to_json()) == COMPARISON
    assert TaggedQuery.from_dict(CONTRACT_EXAMPLE).targets is None
    assert "targets" not in TaggedQuery.from_dict(CONTRACT_EXAMPLE).to_dict()


def test_a_target_pointing_outside_the_entities_is_refused():
    broken = {**COMPARISON, "targets": [{**COMPARISON["targets"][0], "mentions": [2]}]}
    with pytest.raises(SpanError):
        TaggedQuery.from_dict(broken)
