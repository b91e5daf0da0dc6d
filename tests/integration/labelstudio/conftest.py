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
from collections.abc import Iterator
from pathlib import Path

import pytest

from active_learning.label_studio.errors import LabelStudioError
from active_learning.label_studio.local_server import LocalServer, label_studio_binary, local_server

REPO = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = float(os.environ.get("NERLOOP_LS_STARTUP_SECONDS", 300))
# nerloop serve on 127.0.0.1 as its ML backend: Label Studio blocks loopback ML URLs and webhooks by default.
LOOPBACK_ALLOWED = {"ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false"}


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    if os.environ.get("NERLOOP_TEST_LS_URL"):
        yield LocalServer(os.environ["NERLOOP_TEST_LS_URL"], os.environ["NERLOOP_TEST_LS_TOKEN"], "")
        return
    binary = label_studio_binary(Path(os.environ.get("NERLOOP_LS_VENV") or REPO / ".venv-ls"))
    if binary is None:
        reason = "Label Studio is not installed in .venv-ls (scripts/test.sh installs it; or set NERLOOP_LS_VENV)"
        if os.environ.get("NERLOOP_REQUIRE_LABELSTUDIO"):
            pytest.fail(f"NERLOOP_REQUIRE_LABELSTUDIO is set but {reason}")
        pytest.skip(reason)
    server = local_server(
        binary, tmp_path_factory.mktemp("label-studio"), startup_seconds=STARTUP_SECONDS, extra_env=LOOPBACK_ALLOWED
    )
    try:
        started = server.__enter__()
    except LabelStudioError as exc:
        pytest.fail(str(exc))
    try:
        yield started
    finally:
        server.__exit__(None, None, None)
