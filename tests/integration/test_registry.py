"""The model registry: one champion per backend, promote retires, rollback restores."""

from __future__ import annotations

import pytest

from nerloop.store import open_store
from nerloop.store.registry import RegistryError, champion, list_models, promote, register_model, rollback


@pytest.fixture
def engine(tmp_path):
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield engine
    engine.dispose()


def test_promote_retires_the_previous_champion_and_rollback_restores_it(engine):
    for version in ("v1", "v2"):
        register_model(engine, version=version, backend="tagger", path=f"/models/{version}")
    promote(engine, "v1")
    promote(engine, "v2")
    assert champion(engine).version == "v2"
    assert {m.version: m.status for m in list_models(engine)} == {"v1": "retired", "v2": "champion"}
    assert rollback(engine).version == "v1"
    assert {m.version: m.status for m in list_models(engine)} == {"v1": "champion", "v2": "rejected"}


def test_champions_are_kept_per_backend(engine):
    register_model(engine, version="t", backend="tagger", path="/t")
    register_model(engine, version="g", backend="generative", path="/g")
    promote(engine, "t")
    promote(engine, "g")
    assert champion(engine, "tagger").version == "t"
    assert champion(engine, "generative").version == "g"


def test_rollback_without_an_earlier_champion_is_an_error(engine):
    register_model(engine, version="only", backend="tagger", path="/o")
    promote(engine, "only")
    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback(engine)
    with pytest.raises(RegistryError, match="no model version"):
        promote(engine, "missing")
