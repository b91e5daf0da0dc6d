"""Pure Label Studio conversions and settings: spans checked both ways, latest annotation, errors."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from label_studio_sdk.core.api_error import ApiError

from active_learning.batch import BatchItem, text_hash
from active_learning.label_studio.api import LabelStudioApi
from active_learning.label_studio.config import LabelStudioTarget
from active_learning.label_studio.convert import item_to_task, latest_annotation, task_key, task_to_annotated
from active_learning.label_studio.errors import (
    AuthenticationFailed,
    LabelStudioError,
    ProjectNotFound,
    ServerUnreachable,
)
from nerloop.convert.errors import ConvertError, SpanMismatch
from nerloop.records import Entity, SpanError, TaggedQuery

TEXT = "本月菏泽𠀀供电所😀投诉"
LABELS = ("Date", "City", "Company", "Substation", "Indicator")


def _item(text: str, spans, version: str = "v1") -> BatchItem:
    record = TaggedQuery(text, tuple(Entity(t, s, e, text[s:e], score=0.5) for t, s, e in spans))
    return BatchItem(7, text_hash(text), record, 0.25, version, "margin")


def _annotated(task: dict, result: list, **annotation) -> dict:
    return dict(task, id=3, annotations=[{"id": 1, "result": result, "completed_by": 2, **annotation}])


def test_task_carries_hash_uncertainty_and_a_scored_prediction_for_astral_text():
    task = item_to_task(_item(TEXT, [("City", 2, 4), ("Substation", 4, 8), ("Indicator", 9, 11)]))
    assert task["data"] == {
        "text": TEXT,
        "nerloop_key": text_hash(TEXT),
        "uncertainty": 0.25,
        "model_version": "v1",
        "strategy": "margin",
    }
    [prediction] = task["predictions"]
    assert prediction["model_version"] == "v1" and prediction["score"] == 0.5
    assert [(r["value"]["start"], r["value"]["text"]) for r in prediction["result"]] == [
        (2, "菏泽"),
        (4, "𠀀供电所"),
        (9, "投诉"),
    ]


def test_accepting_the_pre_annotation_round_trips_every_span():
    task = item_to_task(_item(TEXT, [("City", 2, 4), ("Substation", 4, 8)]))
    annotated = task_to_annotated(_annotated(task, task["predictions"][0]["result"]), LABELS)
    assert [(e.type, e.start, e.end, e.text, e.score) for e in annotated.record.entities] == [
        ("City", 2, 4, "菏泽", None),
        ("Substation", 4, 8, "𠀀供电所", None),
    ]
    assert (annotated.task_id, annotated.annotation_id, annotated.annotator) == (3, "1", 2)


@given(st.text(alphabet="菏泽𠀀😀a1 ", min_size=1, max_size=12), st.data())
def test_any_span_survives_task_and_annotation(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    task = item_to_task(_item(text, [("City", start, end)]))
    annotated = task_to_annotated(_annotated(task, task["predictions"][0]["result"]), LABELS)
    assert [(e.start, e.end, e.text) for e in annotated.record.entities] == [(start, end, text[start:end])]


def test_a_record_whose_span_does_not_select_its_text_is_not_pushed():
    record = TaggedQuery(TEXT, (Entity("City", 3, 5, "菏泽"),))
    with pytest.raises(SpanError):
        item_to_task(BatchItem(None, text_hash(TEXT), record, 0.1, "v1"))


def test_an_item_with_the_hash_of_another_text_is_refused():
    item = _item(TEXT, [])
    with pytest.raises(ConvertError, match="hash of another text"):
        item_to_task(BatchItem(None, text_hash("other"), item.record, 0.1, "v1"))


def test_utf16_drift_after_an_astral_character_raises_not_repairs():
    region = {"type": "labels", "value": {"start": 5, "end": 9, "text": "𠀀供电所", "labels": ["Substation"]}}
    with pytest.raises(SpanMismatch, match="drifted"):
        task_to_annotated(_annotated({"data": {"text": TEXT}}, [region]), LABELS)


def test_a_label_outside_the_domain_is_refused():
    region = {"type": "labels", "value": {"start": 2, "end": 4, "text": "菏泽", "labels": ["Person"]}}
    with pytest.raises(ConvertError, match="Person"):
        task_to_annotated(_annotated({"data": {"text": TEXT}}, [region]), LABELS)


def test_a_skipped_task_has_no_record_and_a_task_without_annotations_is_none():
    assert task_to_annotated(_annotated({"data": {"text": TEXT}}, [], was_cancelled=True), LABELS).skipped
    assert task_to_annotated({"data": {"text": TEXT}, "annotations": []}, LABELS) is None


def test_latest_annotation_is_the_most_recently_updated():
    older = {"id": 9, "updated_at": "2026-11-25T10:00:00Z"}
    newer = {"id": 4, "updated_at": "2026-11-26T09:00:00.5+00:00"}
    assert latest_annotation([older, newer]) is newer
    assert latest_annotation([{"id": 1}, {"id": 2}])["id"] == 2


def test_a_task_whose_text_was_edited_no_longer_matches_its_key():
    with pytest.raises(ConvertError, match="edited"):
        task_key({"text": TEXT + "?", "nerloop_key": text_hash(TEXT)})


def test_target_hides_the_token_and_reads_the_environment(monkeypatch):
    monkeypatch.setenv("NERLOOP_LS_URL", "http://127.0.0.1:8080/")
    monkeypatch.setenv("NERLOOP_LS_TOKEN", "s3cret-token")
    target = LabelStudioTarget.from_options(None, None, "nerloop")
    assert target.url == "http://127.0.0.1:8080" and target.token == "s3cret-token"
    assert "s3cret" not in repr(target)
    with pytest.raises(LabelStudioError, match="3\\+ characters"):
        LabelStudioTarget("http://x", "t", project="ab")


@pytest.mark.parametrize(
    ("failure", "error", "message"),
    [
        (httpx.ConnectError("refused"), ServerUnreachable, "cannot reach Label Studio at http://127.0.0.1:9"),
        (ApiError(status_code=401, body={"detail": "Invalid token."}), AuthenticationFailed, "refused the token (401)"),
        (ApiError(status_code=404, body={"detail": "Not found."}), ProjectNotFound, "project 5 not found"),
        (ApiError(status_code=500, body="boom\n  trace"), LabelStudioError, "answered 500 to do it: boom trace"),
    ],
)
def test_sdk_failures_become_one_line_typed_errors_without_the_token(failure, error, message):
    api = LabelStudioApi(LabelStudioTarget("http://127.0.0.1:9", "tok-secret", project="nerloop"))

    def fail():
        raise failure

    with pytest.raises(error, match=re.escape(message)) as raised:
        api._call("do it", fail, project=5)
    assert "\n" not in str(raised.value) and "tok-secret" not in str(raised.value)
