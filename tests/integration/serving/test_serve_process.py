"""``nerloop serve`` as it runs in production: SIGTERM under load, a promoted champion picked up, one-line errors."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from serve_support import TinyModel, copy_as_version, running_server

from inference.serving.config import ServeConfig
from nerloop.store import open_store
from nerloop.store.registry import promote, register_model

QUERIES = ["本月菏泽麒麟供电所投诉个数", "😀𠀀上个月济南市中区停电次数", "你好", "对比巨野和郓城的投诉"]


def test_sigterm_under_load_answers_every_accepted_request(tiny: TinyModel, tmp_path: Path) -> None:
    results: list[object] = []
    lock = threading.Lock()

    def client_loop(url: str, i: int) -> None:
        # a new connection per request: after SIGTERM the listener closes and new ones are refused
        with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=60) as client:
            n = 0
            while True:
                body = {"query": QUERIES[n % 4]} if i % 2 else {"queries": QUERIES * 3}
                n += 1
                try:
                    outcome: object = client.post(f"{url}/v1/tag", json=body).status_code
                except httpx.ConnectError:
                    outcome = "refused"
                except httpx.TransportError:
                    outcome = "dropped before the server read it"
                with lock:
                    results.append(outcome)
                if not isinstance(outcome, int):
                    return

    with running_server(["--model", str(tiny.path)], tmp_path / "serve.log") as server:
        threads = [threading.Thread(target=client_loop, args=(server.url, i)) for i in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        server.process.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(60)
        code = server.process.wait(60)
        log = server.log_text()
    answered = sum(1 for r in results if r == 200)
    assert code == 0, log[-2000:]
    assert answered >= 8 and all(r == 200 or isinstance(r, str) for r in results), results
    assert log.count('"POST /v1/tag" 200') == answered  # every request the server took was answered and received
    assert "Traceback" not in log and " 500 " not in log and " 503 " not in log


def test_a_promoted_champion_is_served_without_restart_and_a_broken_one_is_not(
    tiny: TinyModel, client_for, tmp_path: Path, caplog
) -> None:
    caplog.set_level(logging.INFO, "nerloop.serve")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = open_store(url)
    register_model(engine, version=tiny.version, backend="tagger", path=str(tiny.path))
    promote(engine, tiny.version)
    client, _ = client_for(ServeConfig(db=url, poll_s=0.2))
    assert client.get("/v1/model").json()["version"] == tiny.version
    assert client.get("/v1/model").json()["follows_champion"] is True

    second = copy_as_version(tiny.path, tmp_path / "v2", "tiny-v2")
    register_model(engine, version="tiny-v2", backend="tagger", path=str(second))
    seen: list[tuple[int, str]] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            answer = client.post("/v1/tag", json={"query": QUERIES[0]})
            seen.append((answer.status_code, answer.json().get("model", "")))

    sender = threading.Thread(target=traffic)
    sender.start()
    time.sleep(0.3)
    promote(engine, "tiny-v2")
    _wait(lambda: client.get("/v1/model").json()["version"] == "tiny-v2", 60)
    time.sleep(0.3)
    stop.set()
    sender.join(30)
    assert {status for status, _ in seen} == {200}
    assert {version for _, version in seen} == {tiny.version, "tiny-v2"}
    assert seen[-1][1] == "tiny-v2"

    broken = copy_as_version(tiny.path, tmp_path / "v3", "tiny-v3")
    shutil.rmtree(broken / "model")
    register_model(engine, version="tiny-v3", backend="tagger", path=str(broken))
    promote(engine, "tiny-v3")
    _wait(lambda: "nerloop_model_load_failures_total 1.0" in client.get("/metrics").text, 60)
    time.sleep(0.5)  # a few more polls: the failure is logged once, not at every poll
    assert client.get("/v1/model").json()["version"] == "tiny-v2"
    assert client.post("/v1/tag", json={"query": QUERIES[0]}).json()["model"] == "tiny-v2"
    failures = [r.getMessage() for r in caplog.records if "failed to load" in r.getMessage()]
    assert len(failures) == 1 and "tiny-v3" in failures[0] and "still serving tiny-v2" in failures[0]
    assert "\n" not in failures[0]


def test_serve_errors_are_one_line(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "nerloop", "serve", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)

    for args, code, message in [
        (["--db", f"sqlite:///{tmp_path / 'empty.db'}"], 1, "no champion"),
        (["--model", str(tmp_path / "missing")], 1, "not a nerloop model directory"),
        (["--matcher", "--max-batch", "0"], 2, "--max-batch must be at least 1"),
        (["--matcher", "--model", str(tmp_path)], 2, "either --model or --matcher"),
    ]:
        done = run(*args)
        assert done.returncode == code, (args, done.stderr)
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def _wait(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_killed_model_process_fails_one_batch_and_is_replaced(client_for) -> None:
    import os

    client, service = client_for(ServeConfig(matcher=True, runner="process"))
    (pid,) = client.get("/v1/model").json()["pids"]
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    failed = client.post("/v1/tag", json={"query": QUERIES[0]})
    assert (
        failed.status_code == 503 and "model process died" in failed.json()["error"] and failed.headers["retry-after"]
    )
    answer = client.post("/v1/tag", json={"query": QUERIES[0]})
    assert answer.status_code == 200 and answer.json()["records"][0]["text"] == QUERIES[0]
    assert client.get("/v1/model").json()["pids"] != [pid]


def test_a_model_process_that_fails_to_restart_is_tried_again_on_the_next_request(client_for) -> None:
    import os

    client, service = client_for(ServeConfig(matcher=True, runner="process"))
    runner = service.model
    start = runner._start_child
    attempts = []

    def flaky():
        attempts.append(1)
        return None if len(attempts) == 1 else start()  # the first new process fails to load

    runner._start_child = flaky
    (pid,) = client.get("/v1/model").json()["pids"]
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    died = client.post("/v1/tag", json={"query": QUERIES[0]})
    assert died.status_code == 503 and "model process died" in died.json()["error"]
    _wait(lambda: runner._replacing is not None and runner._replacing.done(), 30)
    assert len(attempts) == 1
    answer = client.post("/v1/tag", json={"query": QUERIES[0]})  # no live process: a second start, and it works
    assert answer.status_code == 200 and answer.json()["records"][0]["text"] == QUERIES[0]
    assert len(attempts) == 2 and client.get("/v1/model").json()["pids"] != [pid]
