"""The garbage collector's settings for a process that loads a gazetteer once and then works for long.

A loaded national gazetteer and its matcher are millions of objects that live as long as the
process. Left to the collector, every full collection walks all of them again (126–167 ms each,
three in a 20,000-query matcher pass: 13 % of it), and young collections run every 700
allocations although what the hot loops drop is freed by reference counting, not by the
collector. So every command settles its heap once, right after loading: what is loaded is frozen
(:func:`gc.freeze`) and young collections come every :data:`YOUNG_THRESHOLD` allocations.
``bench/resolve.py`` measures both, interleaved, against the collector's defaults.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000
"""Allocations between two young-generation collections (CPython's default: 700)."""


def settle_after_loading() -> None:
    """Freeze every object alive now and make young collections rarer, for the rest of the process.

    Call it once what lives for the whole process (gazetteer, matcher, model) is loaded.
    Objects created later are collected as usual; only the loaded ones are skipped.
    """
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


@contextmanager
def settled_heap() -> Iterator[None]:
    """:func:`settle_after_loading` for a block only: the thresholds are restored afterwards, and what
    was frozen is unfrozen unless the process had frozen objects before (then they stay frozen)."""
    frozen, thresholds = gc.get_freeze_count(), gc.get_threshold()
    settle_after_loading()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if not frozen:
            gc.unfreeze()
