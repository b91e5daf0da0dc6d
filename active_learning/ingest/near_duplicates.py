"""Near-duplicate detection that stays near-linear on millions of queries.

Comparing every query with every earlier one is quadratic. A near duplicate of a short
query differs by a few edits, and an edit confined to one region leaves either the
start or the end intact, so each query is compared only with recent queries sharing its
first or its last characters (two blocks), at most ``window`` per block, and the number
of blocks kept is bounded too: memory stays flat however long the log is.
"""

from __future__ import annotations

from collections import OrderedDict

from rapidfuzz import fuzz, process

_AFFIX = 2


class NearDuplicateFinder:
    """Remembers recent queries and names the one a new query nearly repeats.

    Args:
        threshold: rapidfuzz ``ratio`` (0-100) from which two queries are near duplicates;
            100 disables the search (exact duplicates are the store's job).
        window: recent queries kept per block.
        max_blocks: blocks kept; the least recently used are forgotten first.
    """

    def __init__(self, threshold: float, window: int = 32, max_blocks: int = 8192) -> None:
        self.threshold = threshold
        self.window = window
        self.max_blocks = max_blocks
        self._blocks: OrderedDict[str, tuple[list[str], list[str]]] = OrderedDict()  # texts, keys

    def _keys(self, text: str) -> tuple[str, str]:
        return "^" + text[:_AFFIX], text[-_AFFIX:] + "$"

    def find(self, text: str) -> str | None:
        """The key of a remembered query ``text`` nearly repeats (the most similar), or ``None``."""
        if self.threshold >= 100:
            return None
        best: tuple[float, str] | None = None
        for block_key in self._keys(text):
            block = self._blocks.get(block_key)
            if block is None:
                continue
            texts, keys = block
            found = process.extractOne(text, texts, scorer=fuzz.ratio, score_cutoff=self.threshold)
            if found is not None and (best is None or found[1] > best[0]):
                best = (found[1], keys[found[2]])
        return best[1] if best else None

    def remember(self, text: str, key: str) -> None:
        """Make ``text`` (stored under ``key``) a candidate for later queries."""
        if self.threshold >= 100:
            return
        for block_key in self._keys(text):
            block = self._blocks.get(block_key)
            if block is None:
                block = self._blocks[block_key] = ([], [])
                if len(self._blocks) > self.max_blocks:
                    self._blocks.popitem(last=False)
            else:
                self._blocks.move_to_end(block_key)
            texts, keys = block
            texts.append(text)
            keys.append(key)
            if len(texts) > self.window:
                del texts[0], keys[0]
