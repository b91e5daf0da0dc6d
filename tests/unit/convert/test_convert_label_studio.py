from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from nerloop.convert.errors import SpanMismatch
from nerloop.convert.label_studio import (
    annotation_to_entities,
    labeling_config,
    labeling_config_problems,
    record_to_task,
)
from nerloop.records import Entity, SpanError, TaggedQuery


def spans(entities) -> list[tuple[str, int, int, str]]:
    return [(e.type, e.start, e.end, e.text) for e in entities]


def test_labeling_config_has_one_label_per_type_with_hint(domain):
    root = ET.fromstring(labeling_config(domain))
    assert root.tag == "View"
    labels = root.find("Labels")
    assert labels.attrib == {"name": "label", "toName": "text"}
    assert [label.get("value") for label in labels] == list(domain.types)
    for label in labels:
        assert domain.types[label.get("value")].description in label.get("hint")
    assert root.find("Text").attrib == {"name": "text", "value": "$text"}


def test_task_carries_key_meta_and_prediction(example):
    task = record_to_task(example, task_key="train-0", model_version="generator")
    assert task["data"] == {"text": example.text, "nerloop_key": "train-0"}
    assert task["meta"]["nerloop_key"] == "train-0"
    assert task["meta"]["resolved"] == example.resolved
    json.dumps(task)  # the whole task is JSON-able
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "generator"
    assert prediction["score"] == 1.0
    first = prediction["result"][0]
    assert first["from_name"] == "label" and first["to_name"] == "text" and first["type"] == "labels"
    assert first["value"] == {"start": 0, "end": 2, "text": "菏泽", "labels": ["City"]}
    ids = [r["id"] for r in prediction["result"]]
    assert len(set(ids)) == len(ids)
    assert ids == [
        r["id"] for r in record_to_task(example, task_key="train-0", model_version="x")["predictions"][0]["result"]
    ]


def test_task_without_model_version_has_no_predictions(example):
    assert "predictions" not in record_to_task(example, task_key="k", model_version=None)


def test_prediction_score_is_the_lowest_mention_score():
    record = TaggedQuery(
        "菏泽投诉", (Entity("City", 0, 2, "菏泽", score=0.9), Entity("Indicator", 2, 4, "投诉", score=0.4))
    )
    task = record_to_task(record, task_key="k", model_version="m1")
    assert task["predictions"][0]["score"] == 0.4
    assert annotation_to_entities(record.text, task["predictions"][0]["result"]) == record.entities


def test_samples_round_trip_through_prediction_results(records):
    for record in records:
        result = record_to_task(record, task_key="k", model_version="generator")["predictions"][0]["result"]
        assert spans(annotation_to_entities(record.text, result)) == spans(record.entities)


def test_non_span_results_are_ignored(example):
    result = record_to_task(example, task_key="k", model_version="g")["predictions"][0]["result"]
    result.append({"from_name": "ok", "to_name": "text", "type": "choices", "value": {"choices": ["yes"]}})
    assert spans(annotation_to_entities(example.text, result)) == spans(example.entities)


def test_drifted_offsets_raise_naming_the_span():
    text = "𠀀镇供电所投诉"
    # UTF-16 offsets, as a client counting surrogate pairs would send them.
    result = [
        {"id": "abc123", "type": "labels", "value": {"start": 6, "end": 8, "text": "投诉", "labels": ["Indicator"]}}
    ]
    with pytest.raises(SpanMismatch, match="abc123.*Indicator.*投诉"):
        annotation_to_entities(text, result)


@pytest.mark.parametrize(
    "value", [{"start": 5, "end": 99, "text": "投诉"}, {"start": 5, "end": 7}, {"end": 7, "text": "投诉"}]
)
def test_spans_outside_the_text_or_without_text_raise(value):
    with pytest.raises(SpanMismatch):
        annotation_to_entities(
            "𠀀镇供电所投诉", [{"id": "r", "type": "labels", "value": {**value, "labels": ["Indicator"]}}]
        )


def test_record_with_bad_span_is_not_pushed():
    with pytest.raises(SpanError):
        record_to_task(TaggedQuery("菏泽", (Entity("City", 0, 1, "菏泽"),)), task_key="k", model_version=None)


def test_our_labeling_config_fits_the_domain_and_foreign_ones_say_what_is_missing(domain):
    assert labeling_config_problems(labeling_config(domain), domain) == []
    only_dates = (
        '<View><Labels name="label" toName="text"><Label value="Date"/><Label value="Extra"/></Labels>'
        '<Text name="text" value="$text"/></View>'
    )
    (problem,) = labeling_config_problems(only_dates, domain)
    assert problem.startswith("it lacks the label(s) ") and "City" in problem and "Date" not in problem
    assert labeling_config_problems("<View></View>", domain) == [
        'it has no <Labels name="label">',
        'it has no <Text name="text" value="$text"/>',
    ]
    assert labeling_config_problems("<View>", domain)[0].startswith("it is not valid XML")
    pointed_elsewhere = labeling_config(domain).replace('toName="text"', 'toName="other"')
    assert labeling_config_problems(pointed_elsewhere, domain) == [
        'its <Labels name="label"> does not point at toName="text"'
    ]
