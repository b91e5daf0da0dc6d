"""The collector settings every long-running command applies after loading (nerloop.heap)."""

from __future__ import annotations

import gc

import pytest

from nerloop.heap import YOUNG_THRESHOLD, settle_after_loading, settled_heap


@pytest.fixture
def pristine_collector():
    """Each test starts with nothing frozen and CPython's thresholds, and leaves it so."""
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield thresholds
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_what_is_alive_and_makes_young_collections_rarer(pristine_collector) -> None:
    loaded = [{"entry": i} for i in range(1000)]  # stands in for a gazetteer: tracked containers
    settle_after_loading()
    assert gc.get_freeze_count() >= len(loaded)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *pristine_collector[1:])


def test_a_settled_block_restores_the_collector(pristine_collector) -> None:
    with settled_heap():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == pristine_collector


def test_a_settled_block_keeps_what_the_process_had_frozen(pristine_collector) -> None:
    gc.freeze()
    before = gc.get_freeze_count()
    with settled_heap():
        pass
    assert gc.get_freeze_count() >= before > 0
    assert gc.get_threshold() == pristine_collector


def test_a_settled_block_restores_the_collector_on_error(pristine_collector) -> None:
    with pytest.raises(RuntimeError), settled_heap():
        raise RuntimeError("boom")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == pristine_collector
