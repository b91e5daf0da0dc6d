"""``nerloop serve``'s API in process: the records of ``nerloop tag``, limits, errors, metrics, auth, Label Studio."""

from __future__ import annotations

import base64
import json
import logging
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from serve_support import REF, TinyModel
from typer.testing import CliRunner

from inference.serving.config import ServeConfig
from nerloop.cli.app import app
from nerloop.export import read_jsonl

NDJSON = {"accept": "application/x-ndjson"}
EXTRA = ["😀𠀀菏泽麒麟供电所投诉个数", "你好", "上个月济南市中区供电公司停电次数", "对比巨野和郓城的投诉", "ABC 123"]


def _queries(tiny: TinyModel, n: int = 300) -> list[str]:
    texts = [r.text for name in ("test", "validation", "train") for r in read_jsonl(tiny.data / f"{name}.jsonl")]
    return (EXTRA + list(dict.fromkeys(texts)))[:n]


def test_v1_tag_answers_byte_for_byte_what_nerloop_tag_prints(tiny: TinyModel, client_for) -> None:
    queries = _queries(tiny)
    printed = CliRunner().invoke(
        app, ["tag", "--model", str(tiny.path), "--reference-date", REF.isoformat()], input="\n".join(queries) + "\n"
    )
    assert printed.exit_code == 0, printed.output
    expected = printed.stdout.splitlines()
    assert len(expected) == len(queries)

    client, _ = client_for(ServeConfig(model=tiny.path, max_batch=16, max_wait_ms=5))
    rng = random.Random(1)
    requests, at = [], 0
    while at < len(queries):  # single queries and batches of several sizes, sent concurrently
        size = rng.choice([1, 1, 1, 3, 17, 40])
        requests.append(queries[at : at + size])
        at += size

    def send(batch: list[str]) -> list[str]:
        body = {"query": batch[0]} if len(batch) == 1 else {"queries": batch}
        answer = client.post("/v1/tag", json={**body, "reference_date": REF.isoformat()}, headers=NDJSON)
        assert answer.status_code == 200, answer.text
        return answer.text.splitlines()

    with ThreadPoolExecutor(8) as pool:
        served = [line for lines in pool.map(send, requests) for line in lines]
    assert served == expected

    as_json = client.post("/v1/tag", json={"queries": queries[:20], "reference_date": REF.isoformat()})
    assert as_json.json() == {"model": tiny.version, "records": [json.loads(line) for line in expected[:20]]}


def test_explain_matches_tag_explain(tiny: TinyModel, client_for) -> None:
    queries = EXTRA[:3]
    printed = CliRunner().invoke(
        app,
        ["tag", "--model", str(tiny.path), "--explain", "--reference-date", REF.isoformat()],
        input="\n".join(queries),
    )
    client, _ = client_for(ServeConfig(runner="thread", model=tiny.path))
    answer = client.post(
        "/v1/tag", json={"queries": queries, "explain": True, "reference_date": REF.isoformat()}, headers=NDJSON
    )
    assert answer.text.splitlines() == printed.stdout.splitlines()


def test_model_health_ready_docs_and_metrics(tiny: TinyModel, client_for) -> None:
    client, _ = client_for(ServeConfig(runner="thread", model=tiny.path))
    model = client.get("/v1/model").json()
    assert model["version"] == tiny.version and model["backend"] == "tagger" and "B-City" in " ".join(model["labels"])
    assert len(model["gazetteer_fingerprint"]) >= 16 and model["follows_champion"] is False
    assert client.get("/health").json() == {"status": "UP", "model_class": "nerloop", "model_version": tiny.version}
    assert client.get("/").json()["status"] == "UP"
    assert client.get("/ready").json() == {"ready": True, "model_version": tiny.version}
    assert client.get("/docs").status_code == 200
    assert "/v1/tag" in client.get("/openapi.json").json()["paths"]
    client.post("/v1/tag", json={"queries": ["菏泽投诉", "济南停电"]})
    metrics = client.get("/metrics").text
    for name in (
        "nerloop_requests_total",
        "nerloop_request_seconds_bucket",
        "nerloop_batch_size_bucket",
        "nerloop_queue_depth",
    ):
        assert name in metrics
    assert f'nerloop_model_info{{version="{tiny.version}"}} 1.0' in metrics
    assert 'nerloop_requests_total{route="/v1/tag",status="200"} 1.0' in metrics


BAD = [
    ("not json", b"{", 400),
    ("empty", b"", 400),
    ("wrong shape", b'{"text": "a"}', 422),
    ("empty query", b'{"query": ""}', 422),
    ("too many", json.dumps({"queries": ["a"] * 11}).encode(), 413),
    ("too long", json.dumps({"query": "菏" * 51}).encode(), 422),
    ("too big", b'{"query": "' + b"a" * 3000 + b'"}', 413),
    ("bad date", b'{"query": "a", "reference_date": "soon"}', 422),
]


@pytest.mark.parametrize(("body", "status"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_requests_get_4xx_json_with_a_message(client_for, body: bytes, status: int) -> None:
    client, _ = client_for(
        ServeConfig(runner="thread", matcher=True, max_queries=10, max_query_chars=50, max_body_bytes=2048)
    )
    answer = client.post("/v1/tag", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status and answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] and "Traceback" not in answer.text


def test_unknown_routes_and_methods_are_json_too(client_for) -> None:
    client, _ = client_for(ServeConfig(runner="thread", matcher=True))
    assert client.get("/nope").status_code == 404 and "see /docs" in client.get("/nope").json()["error"]
    assert client.get("/v1/tag").status_code == 405 and "not allowed" in client.get("/v1/tag").json()["error"]


def test_a_full_queue_answers_503_with_retry_after(client_for) -> None:
    client, service = client_for(ServeConfig(runner="thread", matcher=True, max_batch=2, max_queue=2, max_wait_ms=0))
    gate = threading.Event()
    run = service.model.batcher._run

    def held(texts, reference, explain):
        gate.wait(10)
        return run(texts, reference, explain)

    service.model.batcher._run = held
    with ThreadPoolExecutor(2) as pool:
        busy = pool.submit(client.post, "/v1/tag", json={"queries": ["菏泽", "济南"]})  # taken by the worker, held
        time.sleep(0.3)
        waiting = pool.submit(client.post, "/v1/tag", json={"queries": ["青岛", "烟台"]})  # fills the queue
        time.sleep(0.3)
        refused = client.post("/v1/tag", json={"query": "潍坊"})
        gate.set()
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
        assert "--max-queue 2" in refused.json()["error"]
        assert busy.result().status_code == 200 and waiting.result().status_code == 200
    assert "nerloop_overloaded_total 1.0" in client.get("/metrics").text


def test_a_bulk_request_streams_through_batches_smaller_than_the_queue(client_for) -> None:
    client, service = client_for(ServeConfig(runner="thread", matcher=True, max_batch=8, max_queue=16, max_tasks=5000))
    tasks = [{"id": i, "data": {"text": f"菏泽麒麟供电所第{i}次投诉"}} for i in range(600)]
    answer = client.post("/predict", json={"tasks": tasks})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert len(results) == 600 and all(r["result"] for r in results)
    assert "nerloop_batch_size_count 75.0" in client.get("/metrics").text  # 600 / 8, none refused


def test_token_guards_everything_but_the_probes_and_is_never_logged(client_for, caplog) -> None:
    caplog.set_level(logging.INFO, "nerloop.serve.access")
    client, _ = client_for(ServeConfig(runner="thread", matcher=True, token="s3cret-token"))
    assert client.get("/health").status_code == 200 and client.get("/ready").status_code == 200
    refused = client.post("/v1/tag", json={"query": "菏泽"})
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
    assert (
        client.post("/v1/tag", json={"query": "菏泽"}, headers={"authorization": "Bearer s3cret-token"}).status_code
        == 200
    )
    basic = "Basic " + base64.b64encode(b"label-studio:s3cret-token").decode()
    assert client.post("/predict", json={"tasks": []}, headers={"authorization": basic}).status_code == 200
    assert "s3cret" not in caplog.text and '"POST /v1/tag" 401' in caplog.text


def test_access_log_has_one_line_per_request_and_query_text_only_when_asked(client_for, caplog) -> None:
    caplog.set_level(logging.INFO, "nerloop.serve.access")
    quiet, _ = client_for(ServeConfig(runner="thread", matcher=True))
    quiet.post("/v1/tag", json={"queries": ["菏泽麒麟供电所投诉", "济南"]})
    lines = [r.getMessage() for r in caplog.records if r.name == "nerloop.serve.access"]
    assert len(lines) == 1 and '"POST /v1/tag" 200' in lines[0] and "queries=2" in lines[0] and "麒麟" not in lines[0]
    caplog.clear()
    loud, _ = client_for(ServeConfig(runner="thread", matcher=True, log_queries=True))
    loud.post("/v1/tag", json={"query": "菏泽麒麟供电所投诉"})
    assert "菏泽麒麟供电所投诉" in caplog.text


CONFIG = (
    '<View><Labels name="ner" toName="content"><Label value="City"/><Label value="Substation"/>'
    '<Label value="Indicator"/><Label value="Date"/></Labels><Text name="content" value="$query"/></View>'
)


def test_label_studio_setup_and_predict_with_the_projects_names(client_for) -> None:
    client, service = client_for(ServeConfig(runner="thread", matcher=True))
    assert client.post("/setup", json={"project": "3.1700000000", "schema": CONFIG}).json() == {
        "model_version": "matcher"
    }
    assert (
        client.post("/setup", json={"project": "3.1", "schema": "<View><Text name='t' value='$t'/></View>"}).status_code
        == 422
    )
    texts = ["😀𠀀本月菏泽麒麟供电所投诉个数", "你好"]
    tasks = [{"id": 1, "data": {"query": texts[0]}}, {"id": 2, "data": {"query": texts[1]}}, {"id": 3, "data": {}}]
    body = {
        "tasks": tasks,
        "label_config": CONFIG,
        "project": "3.1700000000",
        "params": {"login": None, "password": None, "context": None},
    }
    answer = client.post("/predict", json=body).json()
    assert answer["model_version"] == "matcher" and len(answer["results"]) == 3
    first = answer["results"][0]
    assert first["model_version"] == "matcher" and 0 <= first["score"] <= 1
    for region in first["result"]:
        value = region["value"]
        assert (region["from_name"], region["to_name"]) == ("ner", "content")
        assert texts[0][value["start"] : value["end"]] == value["text"]
    assert {r["value"]["text"] for r in first["result"]} >= {"本月", "菏泽", "麒麟供电所"}
    assert answer["results"][2] == {"result": [], "score": 0.0, "model_version": "matcher"}
    assert client.get("/versions").json() == {"versions": ["matcher"]}


def test_webhooks_count_annotations_and_start_training_once(client_for, tmp_path: Path) -> None:
    client, service = client_for(
        ServeConfig(runner="thread", matcher=True, retrain_debounce_s=60, training_events=("PROJECT_UPDATED",))
    )
    marker = tmp_path / "ran"
    service.trigger.command = [
        sys.executable,
        "-c",
        f"import pathlib, time; pathlib.Path({str(marker)!r}).touch(); time.sleep(1)",
    ]
    assert client.post("/webhook", json={"action": "ANNOTATION_CREATED", "annotation": {}}).status_code == 201
    first = client.post("/webhook", json={"action": "START_TRAINING", "project": {"id": 1}})
    assert (first.status_code, first.json()) == (201, {"status": "ok", "retrain": "started"})
    assert client.post("/webhook", json={"action": "START_TRAINING"}).json()["retrain"] == "running"
    assert client.post("/webhook", json={"action": "PROJECT_UPDATED"}).json()["retrain"] == "running"
    assert client.post("/train", json={"annotations": [], "project": "1.2"}).json()["retrain"] == "running"
    deadline = time.monotonic() + 20
    while service.trigger.running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists() and service.trigger.runs == 1
    assert client.post("/webhook", json={"action": "START_TRAINING"}).json()["retrain"] == "debounced"
    other = client.post("/webhook", json={"action": "TASKS_CREATED"})
    assert (other.status_code, other.json()["status"]) == (200, "ignored")
    assert client.post("/webhook", json={"project": 1}).status_code == 422
    metrics = client.get("/metrics").text
    assert 'nerloop_webhook_events_total{action="ANNOTATION_CREATED"} 1.0' in metrics
    assert 'nerloop_retrain_requests_total{outcome="started"} 1.0' in metrics


def test_a_failing_model_is_a_json_500_and_one_log_line(client_for, caplog) -> None:
    caplog.set_level(logging.INFO, "nerloop.serve")
    client, service = client_for(ServeConfig(runner="thread", matcher=True))

    def broken(texts, reference, explain):
        raise RuntimeError("weights went missing\nsecond line")

    service.model.batcher._run = broken
    answer = client.post("/v1/tag", json={"query": "菏泽"})
    assert answer.status_code == 500 and answer.json() == {"error": "internal error (RuntimeError); see the server log"}
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert failures == ["POST /v1/tag failed: RuntimeError: weights went missing second line"]
    assert client.post("/v1/tag", json={"query": "菏泽"}).status_code == 500  # and the server goes on answering
