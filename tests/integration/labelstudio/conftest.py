"""A real Label Studio server for the ``labelstudio`` tests, started once per session.

The server lives in its own venv (``.venv-ls``, installed by ``scripts/test.sh``; its pins
must not touch ours). Each session gets a fresh data directory, a free port, a preset user
and a legacy API token; the server is stopped when the session ends. Without the venv the
tests skip with the reason, unless ``NERLOOP_REQUIRE_LABELSTUDIO=1`` (CI), where they fail.
To iterate on the tests against a server that is already running, set ``NERLOOP_TEST_LS_URL``
and ``NERLOOP_TEST_LS_TOKEN``.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# The first start migrates a new database: 25-30 s on an idle 2-core machine, 2 minutes on a loaded one.
STARTUP_SECONDS = float(os.environ.get("NERLOOP_LS_STARTUP_SECONDS", 300))
_SERVING = re.compile(r"Starting development server at http://127\.0\.0\.1:(\d+)/")


@dataclass(frozen=True)
class LabelStudioServer:
    url: str
    token: str
    email: str


def _label_studio_binary() -> Path | None:
    venv = Path(os.environ.get("NERLOOP_LS_VENV") or REPO / ".venv-ls")
    binary = venv / "bin" / "label-studio"
    return binary if binary.is_file() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(data_dir: Path, email: str, password: str, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("USERNAME", "PASSWORD", "PORT", "HOST")}
    env = {k: v for k, v in env.items() if not k.startswith("LABEL_STUDIO_")}
    env.update(
        LABEL_STUDIO_BASE_DATA_DIR=str(data_dir),
        LABEL_STUDIO_USERNAME=email,
        LABEL_STUDIO_PASSWORD=password,
        LABEL_STUDIO_USER_TOKEN=token,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
        LABEL_STUDIO_LATEST_VERSION_CHECK="false",
        LABEL_STUDIO_COLLECT_ANALYTICS="false",
        SENTRY_DSN="",
        FRONTEND_SENTRY_DSN="",
    )
    return env


def _wait_until_serving(process: subprocess.Popen, log: Path, port: int, token: str) -> str:
    """The URL the server really answers on, once ``/health`` is up and our token works there."""
    import httpx

    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text("utf-8", "replace")[-3000:]
            pytest.fail(f"Label Studio exited with {process.returncode} while starting:\n{tail}")
        found = _SERVING.search(log.read_text("utf-8", "replace"))
        if found:  # a busy port makes the server silently take the next one: believe its log
            url = f"http://127.0.0.1:{found.group(1)}"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    whoami = httpx.get(f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"})
                    if whoami.status_code == 200:
                        return url
            except httpx.HTTPError:
                pass
        time.sleep(0.5)
    pytest.fail(f"Label Studio did not answer on 127.0.0.1:{port} within {STARTUP_SECONDS} s; log: {log}")


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    if os.environ.get("NERLOOP_TEST_LS_URL"):
        yield LabelStudioServer(os.environ["NERLOOP_TEST_LS_URL"], os.environ["NERLOOP_TEST_LS_TOKEN"], "")
        return
    binary = _label_studio_binary()
    if binary is None:
        reason = "Label Studio is not installed in .venv-ls (scripts/test.sh installs it; or set NERLOOP_LS_VENV)"
        if os.environ.get("NERLOOP_REQUIRE_LABELSTUDIO"):
            pytest.fail(f"NERLOOP_REQUIRE_LABELSTUDIO is set but {reason}")
        pytest.skip(reason)
    data_dir = tmp_path_factory.mktemp("label-studio")
    email, password, token = "annotator@nerloop.test", secrets.token_hex(8), secrets.token_hex(20)
    port = _free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
            env=_server_env(data_dir, email, password, token),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            start_new_session=True,
        )
    try:
        url = _wait_until_serving(process, log, port, token)
        yield LabelStudioServer(url=url, token=token, email=email)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
