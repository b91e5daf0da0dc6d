"""Which of its types each matched form takes: the assignment whose hierarchy mentions fit together best.

A form may name several types (吉林: a province and a city; 市中: a district and a township). The
matcher tries the assignments of a query's matches (up to a bound) and keeps the cheapest by a
lexicographic cost: an organisation word after a list first (``城关、龙山两个所``), then how well the
strong mentions fit one chain, then all mentions. Pure: reads the gazetteer and the completion cache.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from gazetteers.completion import CompletionCache
from gazetteers.model import Gazetteer

T = TypeVar("T")
# A match as the type choice sees it: start, end, the types its form may be, whether a misspelt suffix was taken in.
Option = tuple[int, int, tuple[str, ...], bool]
# A count before an organisation word types the list before it: 城关、龙山两个所 are substations.
# (哪个供电所, 各供电所 ask about the units below a mention, and type nothing.)
_LIST_TYPE_HINTS = (
    (re.compile(r"[两二三四五六七八九十几\d]+个(?:供电)?所(?!有|以)"), "Substation"),
    (re.compile(r"[两二三四五六七八九十几\d]+个(?:供电|县)?公司"), "Company"),
)


class TypeChooser:
    """The type choice of one gazetteer (its levels and its completion cache, shared with the matcher)."""

    def __init__(self, gazetteer: Gazetteer, completions: CompletionCache, levels: dict[str, int]) -> None:
        self.gazetteer = gazetteer
        self._completions = completions
        self._levels = levels

    def cheapest(self, folded: str, options: Sequence[Option], weak: Sequence[bool]) -> tuple[str, ...]:
        """The first assignment (in ``itertools.product`` order) of least :meth:`cost`, costed part by part.

        The cost compares lexicographically, so each part only needs computing for the assignments
        that tie on the parts before it: most are ruled out before the fit of all mentions is asked.
        """
        assignments = list(itertools.product(*(types for _, _, types, _ in options)))
        hints = self.hints(folded)
        parts = (
            lambda a: self.against_hint(options, a, hints),
            lambda a: self.strong_cost(folded, options, a, weak),
            lambda a: self.overall_cost(folded, options, a),
        )
        for part in parts[0 if hints else 1 :]:
            if len(assignments) == 1:
                break
            assignments = _least(assignments, part)
        return assignments[0]

    def cost(
        self,
        folded: str,
        options: Sequence[Option],
        assignment: Sequence[str],
        weak: Sequence[bool],
        hints: Sequence[tuple[int, str]],
    ) -> tuple[int, ...]:
        """Words first, then the strong mentions' reading, then all: conflicts, targets, chains, outer levels.

        An organisation word after a list types the mentions before it (``城关、龙山两个所``:
        substations). A weak mention must not pick the strong mentions' types (日照太平洋保险:
        日照 stays the city, and 太平, contradicting it, is dropped later); 吉林 alone is the province.
        :meth:`cheapest` computes the same tuple part by part.
        """
        return (
            self.against_hint(options, assignment, hints),
            *self.strong_cost(folded, options, assignment, weak),
            *self.overall_cost(folded, options, assignment),
        )

    @staticmethod
    def against_hint(options: Sequence[Option], assignment: Sequence[str], hints: Sequence[tuple[int, str]]) -> int:
        """How many mentions before an organisation word (``两个所``) take another of their types than it names."""
        return sum(
            1
            for (start, _, types, _), t in zip(options, assignment)
            for at, hinted in hints
            if start < at and hinted in types and t != hinted
        )

    def strong_cost(
        self, folded: str, options: Sequence[Option], assignment: Sequence[str], weak: Sequence[bool]
    ) -> tuple[int, int, int, int]:
        """The strong hierarchy mentions' fit, then how deep their levels are (outer first)."""
        levels = self._levels
        strong = [(o, t) for o, t, w in zip(options, assignment, weak) if t in levels and not w]
        return (*self.fit(strong, folded), sum(levels[t] for _, t in strong))

    def overall_cost(
        self, folded: str, options: Sequence[Option], assignment: Sequence[str]
    ) -> tuple[int, int, int, int]:
        """All hierarchy mentions' fit, then how deep their levels are (outer first)."""
        levels = self._levels
        typed = [(o, t) for o, t in zip(options, assignment) if t in levels]
        return (*self.fit(typed, folded), sum(levels[t] for _, t in typed))

    @staticmethod
    def hints(folded: str) -> list[tuple[int, str]]:
        """Where the query types a list by an organisation word (``三个所``), and the type it names."""
        return [(m.start(), hinted) for pattern, hinted in _LIST_TYPE_HINTS for m in pattern.finditer(folded)]

    def fit(self, typed: Sequence[tuple[Option, str]], folded: str) -> tuple[int, int, int]:
        candidates = [self.gazetteer.lookup(folded[o[0] : o[1]], t) for o, t in typed]
        completion = self._completions([self._levels[t] for _, t in typed], candidates)
        return (int(completion.conflict), len(completion.targets), len(completion.chains))


def _least(items: Sequence[T], key: Callable[[T], tuple[int, ...] | int]) -> list[T]:
    """The items of least ``key``, in their order (``min`` would keep only the first of them)."""
    keys = [key(item) for item in items]
    low = min(keys)
    return [item for item, k in zip(items, keys) if k == low]
