"""The run's duplicate check: which texts were already written, in 8 bytes per text.

``generate`` refuses a sample whose text it has written before, so it must remember every
text of the run. A Python ``set`` of their 64-bit hashes costs about 70 bytes per text (an
int object and a slot); a million-sample run held 60 MiB for it. Here the hashes live in one
sorted numpy array, with a small set in front for the latest ones, merged into the array
when it fills: the same answers, an eighth of the memory. Most texts a run checks are new, and a
binary search of the array costs a numpy call each (3 % of ``generate``): a bitmap of the hashes'
low bits answers "never seen" for most of them first.
"""

from __future__ import annotations

import numpy as np

# Hashes kept in the set in front of the sorted array; merging costs O(n) per fill.
RECENT = 1 << 16
# Bits of the "maybe seen" bitmap (2 MiB): at a million texts, 6 % of new texts still need the search.
FILTER_BITS = 24


class SeenHashes:
    """Exact membership of ``int`` hashes (``hash(text)``: signed 64-bit) seen so far."""

    __slots__ = ("_recent", "_sorted", "_limit", "_bits", "_mask")

    def __init__(self, recent: int = RECENT, filter_bits: int = FILTER_BITS) -> None:
        self._recent: set[int] = set()
        self._sorted: np.ndarray = np.empty(0, dtype=np.int64)
        self._limit = recent
        self._bits = bytearray(max(1, (1 << filter_bits) >> 3))
        self._mask = (len(self._bits) << 3) - 1

    def __len__(self) -> int:
        return len(self._recent) + len(self._sorted)

    def __bool__(self) -> bool:  # compiled code tests truth by __bool__ alone (mypyc skips __len__)
        return bool(self._recent) or bool(len(self._sorted))

    def __contains__(self, key: int) -> bool:
        low = key & self._mask
        if not self._bits[low >> 3] & (1 << (low & 7)):
            return False  # no hash seen so far has these low bits
        if key in self._recent:
            return True
        kept = self._sorted
        if not len(kept):
            return False
        at = kept.searchsorted(key)
        return bool(at < len(kept) and kept[at] == key)

    def add(self, key: int) -> None:
        low = key & self._mask
        self._bits[low >> 3] |= 1 << (low & 7)
        self._recent.add(key)
        if len(self._recent) >= self._limit:
            latest = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
            latest.sort()
            # two sorted runs: the stable sort (timsort) merges them in linear time, in place
            merged = np.concatenate((self._sorted, latest))
            merged.sort(kind="stable")
            self._sorted = merged
            self._recent.clear()
