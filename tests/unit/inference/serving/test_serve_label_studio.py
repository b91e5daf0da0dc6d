"""Label Studio's ML-backend protocol: the labeling config read, predictions built with code-point offsets."""

from __future__ import annotations

import pytest

from inference.serving.errors import ProtocolError
from inference.serving.label_studio import (
    DEFAULT_INTERFACE,
    Interface,
    is_annotation_event,
    is_training_event,
    parse_label_config,
    prediction,
    predictions,
    task_text,
)
from nerloop.convert.label_studio import annotation_to_entities, labeling_config
from nerloop.domain import load_domain
from nerloop.records import Entity, TaggedQuery

CUSTOM = (
    '<View><Header value="x"/><Choices name="intent" toName="content"><Choice value="a"/></Choices>'
    '<Labels name="ner" toName="content"><Label value="City"/><Label value="Substation"/></Labels>'
    '<Text name="content" value="$query"/></View>'
)


def test_names_come_from_the_projects_labeling_config() -> None:
    interface = parse_label_config(CUSTOM)
    assert interface == Interface("ner", "content", "query", frozenset({"City", "Substation"}))
    ours = parse_label_config(labeling_config(load_domain()))
    assert (ours.from_name, ours.to_name, ours.data_key) == ("label", "text", "text")
    assert parse_label_config(None) == DEFAULT_INTERFACE == parse_label_config("  ")


@pytest.mark.parametrize(
    "config",
    [
        "<View",
        '<View><Choices name="c" toName="t"/><Text name="t" value="$text"/></View>',
        '<View><Labels name="l" toName="t"/></View>',
    ],
    ids=["not xml", "no labels", "labels without text"],
)
def test_a_config_without_span_labels_on_a_text_is_refused(config: str) -> None:
    with pytest.raises(ProtocolError):
        parse_label_config(config)


def _record(text: str, *entities: Entity) -> TaggedQuery:
    return TaggedQuery.from_dict({"text": text, "entities": [e.to_dict() for e in entities]})


def test_prediction_offsets_are_code_points_after_emoji_and_astral_characters() -> None:
    text = "😀𠀀菏泽麒麟供电所投诉"
    record = _record(
        text,
        Entity("City", 2, 4, "菏泽", score=0.9),
        Entity("Substation", 4, 9, "麒麟供电所", score=0.7),
        Entity("Indicator", 9, 11, "投诉", score=0.95),
    )
    interface = parse_label_config(CUSTOM)
    out = prediction(record, interface, "v1")
    assert out["model_version"] == "v1" and out["score"] == 0.7
    assert [r["value"]["labels"] for r in out["result"]] == [["City"], ["Substation"]]  # Indicator not in the config
    assert {(r["from_name"], r["to_name"], r["type"]) for r in out["result"]} == {("ner", "content", "labels")}
    assert [(e.start, e.end, e.text) for e in annotation_to_entities(text, out["result"])] == [
        (2, 4, "菏泽"),
        (4, 9, "麒麟供电所"),
    ]
    assert prediction(record, interface, "v1")["result"][0]["id"] == out["result"][0]["id"]  # stable region ids


def test_a_task_without_text_gets_an_empty_result_in_its_place() -> None:
    tasks = [{"data": {"text": "菏泽"}}, {"data": {"image": "x"}}, "junk"]
    texts = [task_text(t, DEFAULT_INTERFACE) for t in tasks]
    assert texts == ["菏泽", None, None]
    record = _record("菏泽", Entity("City", 0, 2, "菏泽", score=1.0))
    out = predictions(tasks, [record, None, None], DEFAULT_INTERFACE, "v")
    assert [len(p["result"]) for p in out] == [1, 0, 0] and out[1]["score"] == 0.0


def test_a_shifted_span_is_never_sent() -> None:
    bad = TaggedQuery.from_dict({"text": "菏泽市", "entities": []})
    object.__setattr__(bad, "entities", (Entity("City", 1, 3, "菏泽"),))
    with pytest.raises(ProtocolError, match="does not select"):
        prediction(bad, DEFAULT_INTERFACE, "v")


def test_training_and_annotation_events() -> None:
    assert is_training_event("START_TRAINING") and not is_training_event("PROJECT_UPDATED")
    assert is_training_event("PROJECT_UPDATED", ("PROJECT_UPDATED",)) and not is_training_event(None)
    assert is_annotation_event("ANNOTATION_CREATED") and not is_annotation_event("PROJECT_CREATED")
