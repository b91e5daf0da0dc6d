"""Every kind of bad request body → the status and a message that says what to change."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from inference.serving.errors import RequestError
from inference.serving.requests import Limits, parse_object, parse_predict_request, parse_tag_request

LIMITS = Limits(max_body_bytes=2000, max_queries=3, max_query_chars=20, max_tasks=2, max_predict_bytes=3000)


def _body(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


BAD_TAG = [
    ("empty body", b"", 400, "empty"),
    ("not json", b"{bad", 400, "not valid JSON"),
    ("not utf-8", b'{"query": "\xff"}', 400, "not UTF-8"),
    ("too deep", b"[" * 100_000, 413, "bytes"),
    ("body too large", _body({"query": "菏" * 1000}), 413, "at most 2000"),
    ("a list", _body(["本月投诉"]), 422, "JSON object"),
    ("neither", _body({"explain": True}), 422, "exactly one"),
    ("both", _body({"query": "a", "queries": ["b"]}), 422, "exactly one"),
    ("unknown field", _body({"query": "a", "text": "b"}), 422, "unknown field(s) text"),
    ("query not a string", _body({"query": 3}), 422, "query must be a string, not a number"),
    ("blank query", _body({"query": "  "}), 422, "query is empty"),
    ("query too long", _body({"query": "菏" * 21}), 422, "at most 20"),
    ("line break", _body({"query": "本月\n投诉"}), 422, "line break"),
    ("lone surrogate", b'{"query": "\\ud800"}', 422, "surrogate"),
    ("queries not a list", _body({"queries": "abc"}), 422, "list of strings, not a string"),
    ("queries empty", _body({"queries": []}), 422, "at least one"),
    ("too many queries", _body({"queries": ["a", "b", "c", "d"]}), 413, "at most 3 per request"),
    ("one query bad", _body({"queries": ["a", None]}), 422, "queries[1] must be a string, not null"),
    ("explain not bool", _body({"query": "a", "explain": "yes"}), 422, "explain must be true or false"),
    ("bad date", _body({"query": "a", "reference_date": "2026-13-01"}), 422, "reference_date"),
    ("date not a string", _body({"query": "a", "reference_date": 20261125}), 422, "YYYY-MM-DD"),
    ("date out of range", _body({"query": "a", "reference_date": "1066-10-14"}), 422, "between"),
]


@pytest.mark.parametrize(("body", "status", "message"), [c[1:] for c in BAD_TAG], ids=[c[0] for c in BAD_TAG])
def test_bad_tag_requests_are_refused_with_status_and_message(body: bytes, status: int, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_tag_request(body, LIMITS)
    assert caught.value.status == status
    assert message in caught.value.message and "\n" not in caught.value.message


def test_one_query_or_a_batch_with_date_and_explain() -> None:
    one = parse_tag_request(_body({"query": "本月菏泽投诉"}), LIMITS)
    assert one.queries == ["本月菏泽投诉"] and one.reference == dt.date.today() and not one.explain
    batch = parse_tag_request(_body({"queries": ["a", "𠀀b"], "reference_date": "2026-11-25", "explain": True}), LIMITS)
    assert batch.queries == ["a", "𠀀b"] and batch.reference == dt.date(2026, 11, 25) and batch.explain


BAD_PREDICT = [
    ("not an object", _body([1]), 422, "JSON object with tasks"),
    ("no tasks", _body({"project": "1.2"}), 422, "tasks must be a list of tasks, not null"),
    ("too many tasks", _body({"tasks": [{}, {}, {}]}), 413, "at most 2"),
    ("config not a string", _body({"tasks": [], "label_config": 5}), 422, "label_config must be a string"),
    ("body too large", _body({"tasks": [{"data": {"text": "a" * 3000}}]}), 413, "at most 3000"),
]


@pytest.mark.parametrize(("body", "status", "message"), [c[1:] for c in BAD_PREDICT], ids=[c[0] for c in BAD_PREDICT])
def test_bad_predict_requests_are_refused(body: bytes, status: int, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_predict_request(body, LIMITS)
    assert (caught.value.status, message in caught.value.message) == (status, True)


def test_predict_request_keeps_tasks_and_config() -> None:
    parsed = parse_predict_request(_body({"tasks": [{"data": {"text": "a"}}], "label_config": "<View/>"}), LIMITS)
    assert parsed.tasks == [{"data": {"text": "a"}}] and parsed.label_config == "<View/>"
    larger = _body({"tasks": [{"data": {"text": "a" * 2500}}]})  # over the body limit, within the /predict one
    assert len(parse_predict_request(larger, LIMITS).tasks) == 1
    with pytest.raises(RequestError, match="JSON object"):
        parse_object(_body("x"), LIMITS)
