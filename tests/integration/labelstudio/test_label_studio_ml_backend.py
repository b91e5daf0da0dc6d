"""The real Label Studio connects to a running ``nerloop serve``, pre-annotates through its own action, and trains.

Label Studio 1.23 refuses ML backends and webhooks on loopback addresses by default (SSRF
protection): ``ML_BLOCK_LOCAL_IP=false`` lets ``POST /api/ml`` accept ``http://127.0.0.1:…``
and ``SSRF_PROTECTION_ENABLED=false`` lets its webhooks (annotation events) reach it; the
session's shared server (conftest.py) is started with both. The project
webhook Label Studio creates for an ML backend sends no credentials: with ``NERLOOP_SERVE_TOKEN``
set it needs an ``Authorization`` header (Settings → Webhooks), as the test gives it.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from serve_support import TinyModel, running_server, tiny_model

from active_learning.label_studio.local_server import LocalServer
from nerloop.convert.label_studio import labeling_config
from nerloop.domain import load_domain

pytestmark = pytest.mark.labelstudio

TEXTS = [
    "😀𠀀本月菏泽巨野县供电公司麒麟供电所投诉个数",
    "上个月济南市中区供电公司停电次数",
    "你好",
    "𠀀对比巨野和郓城的投诉😀",
]
TOKEN = "serve-test-token"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return tiny_model(tmp_path_factory.getbasetemp())


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def test_label_studio_connects_shows_our_predictions_and_starts_training(
    label_studio: LocalServer, tiny: TinyModel, tmp_path: Path
) -> None:
    ls = httpx.Client(
        base_url=label_studio.url,
        headers={"Authorization": f"Token {label_studio.token}"},
        timeout=120,
    )
    models_dir = tmp_path / "models"
    cycle_config = tmp_path / "cycle.yaml"
    cycle_config.write_text(f"models_dir: {models_dir}\nexport_dir: {tmp_path / 'exchange'}\n", "utf-8")
    args = ["--model", str(tiny.path), "--db", tiny.store, "--cycle-config", str(cycle_config)]
    with running_server(args, tmp_path / "serve.log", env={"NERLOOP_SERVE_TOKEN": TOKEN}) as server:
        project = ls.post(
            "/api/projects", json={"title": "nerloop serve", "label_config": labeling_config(load_domain())}
        )
        assert project.status_code == 201, project.text
        pid = project.json()["id"]
        imported = ls.post(f"/api/projects/{pid}/import", json=[{"text": t} for t in TEXTS])
        assert imported.status_code == 201, imported.text

        connected = ls.post(
            "/api/ml",
            json={
                "url": server.url,
                "project": pid,
                "title": "nerloop",
                "auth_method": "BASIC_AUTH",
                "basic_auth_user": "label-studio",
                "basic_auth_pass": TOKEN,
            },
        )
        assert connected.status_code == 201, connected.text
        ml = connected.json()
        assert ml["state"] == "CO" and ml["model_version"] == tiny.version

        action = ls.post(
            "/api/dm/actions",
            params={"id": "retrieve_tasks_predictions", "project": pid},
            json={"selectedItems": {"all": True, "excluded": []}},
        )
        assert action.status_code == 200, action.text
        tasks = ls.get("/api/tasks", params={"project": pid, "fields": "all", "page_size": 100}).json()["tasks"]
        assert len(tasks) == len(TEXTS)
        regions = 0
        for task in tasks:
            (prediction,) = [p for p in task["predictions"] if p["model_version"] == tiny.version]
            assert 0 <= prediction["score"] <= 1
            text = task["data"]["text"]
            for region in prediction["result"]:
                value = region["value"]
                assert (region["from_name"], region["to_name"], region["type"]) == ("label", "text", "labels")
                assert text[value["start"] : value["end"]] == value["text"], (text, value)
                regions += 1
        assert regions >= 2
        first = next(t for t in tasks if t["data"]["text"] == TEXTS[0])
        spans = {r["value"]["text"]: r["value"]["start"] for r in first["predictions"][0]["result"]}
        assert any(start >= 2 for start in spans.values())  # a span after the emoji and 𠀀, at code-point offsets

        # the project webhook Label Studio made for the backend sends no credentials: give it the token
        (hook,) = [
            h for h in ls.get("/api/webhooks", params={"project": pid}).json() if h["url"].startswith(server.url)
        ]
        patched = ls.patch(f"/api/webhooks/{hook['id']}", json={"headers": {"Authorization": f"Bearer {TOKEN}"}})
        assert patched.status_code == 200, patched.text
        annotation = ls.post(
            f"/api/tasks/{first['id']}/annotations", json={"result": first["predictions"][0]["result"]}
        )
        assert annotation.status_code == 201, annotation.text
        trained = ls.post(f"/api/ml/{ml['id']}/train", json={})
        assert trained.status_code == 200, trained.text
        log = _wait(lambda: "exited with" in server.log_text() and server.log_text(), 120, "the cycle to finish")
    assert "action=ANNOTATION_CREATED" in log  # Label Studio's project webhook reached us
    assert '"POST /webhook" 201 ' in log and "action=START_TRAINING" in log
    assert "retrain requested (START_TRAINING): started nerloop cycle" in log
    assert (models_dir / ".cycle.lock").exists()  # the cycle ran under its own lock
    assert TOKEN not in log and '"POST /predict" 200' in log and '"POST /setup" 200' in log
