"""Fixtures of the serving tests: the tiny champion, and in-process servers (FastAPI's TestClient)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serve_support import TinyModel, tiny_model


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return tiny_model(tmp_path_factory.getbasetemp())


@pytest.fixture
def client_for() -> Iterator:
    """``client_for(config)``: a TestClient on a freshly opened service; all are closed after the test."""
    from fastapi.testclient import TestClient

    from inference.serving.app import create_app
    from inference.serving.service import Service

    opened = []

    def make(config, **kwargs):
        service = Service.open(config)
        client = TestClient(create_app(service), **kwargs)
        client.__enter__()
        opened.append(client)
        return client, service

    yield make
    for client in opened:
        client.__exit__(None, None, None)
