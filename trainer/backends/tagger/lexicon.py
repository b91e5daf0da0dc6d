"""Gazetteer-match features per character: what lets the tagger use the gazetteer and still go beyond it.

For every character and every entity type, four bits say whether some surface form of
that type covers it as its Beginning, Middle, End or as a Single character (the
SoftLexicon/LEBERT idea, reduced to match positions). Every match counts, overlapping
ones included, so the model decides between readings instead of inheriting the
matcher's longest-match choice. In training the features of some gold mentions are
hidden (``lexicon_dropout``), which teaches the model to find names the gazetteer lacks
from their shape and context. Torch-free.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gazetteers.automaton import FormAutomaton
from gazetteers.linker import fold_width
from gazetteers.matcher import GazetteerMatcher, Scan
from gazetteers.model import Gazetteer
from nerloop.dates import find_dates

POSITIONS = 4  # B, M, E, S
Match = tuple[int, int, int]  # start, end, type index


class Lexicon:
    """Every surface form of the gazetteer by type, matched all at once (Aho-Corasick).

    Args:
        gazetteer: the gazetteer whose names the features describe; at inference it may be
            newer than the one the model was trained with (same types).
        types: the feature types, in the model's order (saved with the model).
        matcher: the gazetteer matcher of ``gazetteer`` that the pipeline also runs (the
            calibrated combination reads it): the features are then read off its
            :meth:`~gazetteers.matcher.GazetteerMatcher.scan` of each query, one scan for both,
            and no second automaton is built.
    """

    def __init__(self, gazetteer: Gazetteer, types: Sequence[str], matcher: GazetteerMatcher | None = None) -> None:
        self.types = tuple(types)
        self.n_features = len(self.types) * POSITIONS
        index = {t: i for i, t in enumerate(self.types)}
        self._date = index.get("Date")
        self._index = index
        self._scan = matcher.scan if matcher is not None else None
        self._type_ids: dict[tuple[str, ...], tuple[int, ...]] = {}
        if matcher is not None:
            if matcher.gazetteer is not gazetteer:
                raise ValueError("the lexicon's matcher must match the lexicon's own gazetteer")
            return
        forms: dict[str, set[int]] = {}
        for type_name in self.types:
            for form in gazetteer.surfaces(type_name):
                if len(form) >= 2:
                    forms.setdefault(form, set()).add(index[type_name])
        self._automaton = FormAutomaton(list(forms))
        self._form_types = [tuple(sorted(type_ids)) for type_ids in forms.values()]

    def matches(self, text: str) -> list[Match]:
        """Every ``(start, end, type index)`` a surface form or a date covers, overlaps included."""
        if self._scan is not None:
            return self._from_scan(self._scan(text))
        folded = fold_width(text)
        found: list[Match] = []
        form_types = self._form_types
        for i, start, end in self._automaton.find(folded):  # none when the gazetteer has no forms
            found.extend((start, end, t) for t in form_types[i])
        if self._date is not None:
            found.extend((start, end, self._date) for start, end in find_dates(folded))
        return found

    def _from_scan(self, scan: Scan) -> list[Match]:
        """:meth:`matches` from the matcher's scan: its forms of two characters or more, by feature type."""
        found: list[Match] = []
        type_ids = self._type_ids
        for hit in scan.hits:
            start, end, _, types = hit[:4]
            if end - start < 2:
                continue
            ids = type_ids.get(types)
            if ids is None:
                ids = type_ids[types] = tuple(sorted({self._index[t] for t in types if t in self._index}))
            found.extend((start, end, t) for t in ids)
        if self._date is not None:
            found.extend((start, end, self._date) for start, end in scan.dates)
        return found

    def char_features(self, n_chars: int, matches: Sequence[Match]) -> np.ndarray:
        """``(n_chars + 1, n_features)`` 0/1 array; the extra last row is all zeros (for special tokens)."""
        features = np.zeros((n_chars + 1, self.n_features), dtype=np.float32)
        if matches:
            _set_positions(features, np.asarray(matches, dtype=np.int64).reshape(-1, 3))
        return features

    def batch_char_features(
        self, n_chars: Sequence[int], matches: Sequence[Sequence[Match]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every text's :meth:`char_features` stacked into one array, built in one set of numpy calls.

        Returns the ``(sum(n_chars + 1), n_features)`` array and each text's first row in it:
        text ``k``'s character ``i`` is row ``first[k] + i``, and ``first[k] + n_chars[k]`` its
        zero row. Per text, numpy's fixed cost per call outweighed the work (a tagger batch
        spent more here than in its tokenizer).
        """
        lengths = np.asarray(n_chars, dtype=np.int64) + 1
        first = np.cumsum(lengths) - lengths
        features = np.zeros((int(lengths.sum()), self.n_features), dtype=np.float32)
        counts = [len(m) for m in matches]
        if sum(counts):
            found = np.asarray([m for text_matches in matches for m in text_matches], dtype=np.int64)
            shift = np.repeat(first, counts)
            found[:, 0] += shift
            found[:, 1] += shift
            _set_positions(features, found)
        return features, first


def _set_positions(features: np.ndarray, found: np.ndarray) -> None:
    """Set the B, M, E and S bits of ``(start, end, type index)`` rows: index arrays, four numpy writes."""
    start, end, base = found[:, 0], found[:, 1], found[:, 2] * POSITIONS
    single = end - start == 1
    features[start[single], base[single] + 3] = 1.0
    start, end, base = start[~single], end[~single], base[~single]
    features[start, base] = 1.0
    features[end - 1, base + 2] = 1.0
    inner = end - start - 2
    if inner.any():
        first = np.repeat(start + 1, inner)
        step = np.arange(inner.sum()) - np.repeat(np.cumsum(inner) - inner, inner)
        features[first + step, np.repeat(base + 1, inner)] = 1.0


def drop_mentions(matches: Sequence[Match], hidden: Sequence[tuple[int, int]]) -> list[Match]:
    """The matches that overlap none of the ``hidden`` spans (gold mentions playing "unknown names")."""
    return [m for m in matches if all(m[1] <= s or m[0] >= e for s, e in hidden)]
