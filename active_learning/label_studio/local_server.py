"""A throwaway Label Studio on 127.0.0.1: its own venv, a fresh data directory, a preset user and token.

The ``labelstudio`` tests and ``bench/label_studio.py`` need a real server that touches no
one else's: this starts ``label-studio`` from the venv it was installed into (its pins must not
touch ours, see ``scripts/test.sh``), waits until ``/health`` answers and the legacy API
token works, and stops the whole process group afterwards.
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from active_learning.label_studio.errors import LabelStudioError

# The first start migrates a new database: 25-30 s on an idle 2-core machine, 2 minutes on a loaded one.
STARTUP_SECONDS = 300.0
_SERVING = re.compile(r"Starting development server at http://127\.0\.0\.1:(\d+)/")


@dataclass(frozen=True)
class LocalServer:
    url: str
    token: str
    email: str


def label_studio_binary(venv: Path) -> Path | None:
    """``VENV/bin/label-studio`` if it is installed there."""
    binary = Path(venv) / "bin" / "label-studio"
    return binary if binary.is_file() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(
    data_dir: Path, email: str, password: str, token: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
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
    env.update(extra or {})
    return env


def _wait_until_serving(process: subprocess.Popen, log: Path, port: int, token: str, seconds: float) -> str:
    """The URL the server really answers on, once ``/health`` is up and our token works there."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text("utf-8", "replace")[-3000:]
            raise LabelStudioError(f"Label Studio exited with {process.returncode} while starting:\n{tail}")
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
    raise LabelStudioError(f"Label Studio did not answer on 127.0.0.1:{port} within {seconds:.0f} s; log: {log}")


@contextmanager
def local_server(
    binary: Path,
    data_dir: Path,
    *,
    startup_seconds: float = STARTUP_SECONDS,
    email: str = "annotator@nerloop.test",
    extra_env: dict[str, str] | None = None,
) -> Iterator[LocalServer]:
    """A Label Studio serving from ``data_dir`` (fresh) until the block ends; ``extra_env`` is added to
    its environment (``ML_BLOCK_LOCAL_IP=false`` lets it reach an ML backend on 127.0.0.1).

    Raises:
        LabelStudioError: the server exited or did not answer in ``startup_seconds`` (with its log's tail).
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    password, token = secrets.token_hex(8), secrets.token_hex(20)
    port = _free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
            env=_server_env(data_dir, email, password, token, extra_env),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
            start_new_session=True,
        )
    try:
        url = _wait_until_serving(process, log, port, token, startup_seconds)
        yield LocalServer(url=url, token=token, email=email)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
