"""The run's duplicate check: which texts were already written, in 8 bytes per text.

``generate`` refuses a sample whose text it has written before, so it must remember every
text of the run. A Python ``set`` of their 64-bit hashes costs about 70 bytes per text (an
int object and a slot); a million-sample run held 60 MiB for it. Here the hashes live in one
sorted numpy array, with a small set in front for the latest ones, merged into the array
when it fills: the same answers, an eighth of the memory.
"""

from __future__ import annotations

import numpy as np

# Hashes kept in the set in front of the sorted array; merging costs O(n) per fill.
RECENT = 1 << 16


class SeenHashes:
    """Exact membership of ``int`` hashes (``hash(text)``: signed 64-bit) seen so far."""

    __slots__ = ("_recent", "_sorted", "_limit")

    def __init__(self, recent: int = RECENT) -> None:
        self._recent: set[int] = set()
        self._sorted = np.empty(0, dtype=np.int64)
        self._limit = recent

    def __len__(self) -> int:
        return len(self._recent) + len(self._sorted)

    def __contains__(self, key: int) -> bool:
        if key in self._recent:
            return True
        kept = self._sorted
        if not len(kept):
            return False
        at = kept.searchsorted(key)
        return bool(at < len(kept) and kept[at] == key)

    def add(self, key: int) -> None:
        self._recent.add(key)
        if len(self._recent) >= self._limit:
            latest = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
            latest.sort()
            # two sorted runs: the stable sort (timsort) merges them in linear time, in place
            merged = np.concatenate((self._sorted, latest))
            merged.sort(kind="stable")
            self._sorted = merged
            self._recent.clear()
