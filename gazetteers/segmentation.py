"""Segmenting a query over the lattice of gazetteer matches: pure functions over candidate matches.

The matcher finds every surface form in the query, overlapping ones included, and this
module picks the non-overlapping set that explains the query best. Leftmost-longest
reads ``青岛市北区`` as 青岛市 + 北区 (no such chain) where 青岛 + 市北区 is a real one,
and tags ``平安`` inside ``平安保险``; a segmentation that scores coverage, strength and
consistency of neighbouring mentions does neither.

Score of a segmentation (maximized by dynamic programming, linear in the query):

* every chosen match adds its length (coverage first; a guessed name before an organisation
  suffix, ``红旗渠供电所``, only 0.6 per character), plus 0.2 for a canonical name or 0.1 for
  an explicit alias (strength), minus 0.5 (so at equal coverage fewer, longer matches win:
  ``电费咨询``, not 电费 + 咨询), minus another 0.3 for a *weak* match (below);
* two hierarchy matches in a row (at most ``WINDOW`` characters apart) that lie on one
  gazetteer chain add ``CHAIN_BONUS``, so ``青岛`` + ``市北区`` beats ``青岛市`` + ``北区``.

Afterwards a *weak* match — a two-character alias or short form of a company or substation,
no entry's name — is kept only where the
context supports it: a neighbouring mention that supports it (a date, an indicator, a
non-weak hierarchy mention, or a weak one on the same chain), or boundaries on both sides
(start or end of the query, punctuation or other non-Chinese characters, a function word
such as ``和``, ``的``, ``对比``, ``请问``). ``平安保险``, ``长城汽车`` and ``刷新一次`` keep nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

FULL, ALIAS, SHORT, GUESS, DATE = 3, 2, 1, 0, 4
STRENGTH_NAMES = {FULL: "name", ALIAS: "alias", SHORT: "short form", GUESS: "guessed name", DATE: "date"}
STRENGTH_BONUS = {FULL: 0.2, ALIAS: 0.1, SHORT: 0.0, GUESS: 0.0}
GUESS_WEIGHT = 0.6
MATCH_COST = 0.5
WEAK_PENALTY = 0.3
CHAIN_BONUS = 1.0
WINDOW = 8

# Words that may stand next to a short form without being part of a longer word: conjunctions,
# particles, comparison and question words, and the openings and fillers of analytics queries.
FUNCTION_WORDS = (
    "的", "和", "与", "及", "跟", "同", "或", "、", "对比", "比较", "相比", "比", "vs", "VS", "在", "是", "那边",
    "这边", "那里", "这里", "地区", "各", "哪个", "哪些", "两个", "三个", "几个", "个", "呢", "吗", "啊", "里",
    "等", "请问", "查询", "查一下", "看一下", "看看", "统计一下", "帮我查", "我想知道", "告诉我", "反映", "关于",
    "还有", "以及", "还是", "共", "出了", "所有", "全部",
)  # fmt: skip
_LEFT_WORDS = tuple(sorted(FUNCTION_WORDS, key=len, reverse=True))


class Match(NamedTuple):
    """One candidate in the lattice.

    Attributes:
        start, end: code-point span in the query.
        form: the folded surface text.
        types: the types the form may be (hierarchy, Indicator, Date…).
        strength: ``FULL``, ``ALIAS``, ``SHORT``, ``GUESS`` or ``DATE``.
        hierarchy: whether any of ``types`` is a hierarchy level.
        weak: a two-character form that is no entry's name and names only inner levels
            (companies, substations): 平安, 长城, 新一. Aliases count too: a national build
            writes its generated short forms out as aliases, and a two-character alias inside
            a longer word is as doubtful. Province and city forms (菏泽, 青岛) are few and
            well known, and never weak.
    """

    start: int
    end: int
    form: str
    types: tuple[str, ...]
    strength: int
    hierarchy: bool
    weak: bool = False

    def score(self) -> float:
        if self.strength == DATE:
            return 0.0  # dates are fixed before the lattice: nothing competes with them
        length = self.end - self.start
        value = (length * GUESS_WEIGHT if self.strength == GUESS else length) + STRENGTH_BONUS[self.strength]
        return value - MATCH_COST - (WEAK_PENALTY if self.weak else 0.0)

    def describe(self) -> dict:
        return {
            "text": self.form,
            "start": self.start,
            "end": self.end,
            "types": list(self.types),
            "strength": STRENGTH_NAMES[self.strength] + (" (weak)" if self.weak else ""),
            "score": round(self.score(), 3),
        }


class Segmentation(NamedTuple):
    """How the matcher read a query, for ``--explain`` (a named tuple, built once per query with
    ``tuple.__new__``).

    Attributes:
        chosen: the matches kept, dates included.
        dropped: weak matches dropped after segmenting, with the reason.
        candidates: every match the lattice held.
        folded: the width-folded query the matches index.
    """

    chosen: tuple[Match, ...]
    dropped: tuple[tuple[Match, str], ...]
    candidates: tuple[Match, ...]
    folded: str = ""

    def explain(self) -> dict:
        """Chosen matches, and each other candidate with what it lost to or why it was dropped."""
        lost = []
        for candidate in self.candidates:
            if candidate in self.chosen:
                continue
            reason = next((r for m, r in self.dropped if m == candidate), None)
            if reason is None:
                winners = [m.form for m in self.chosen if m.start < candidate.end and candidate.start < m.end]
                reason = f"overlaps {'+'.join(winners)}, which score higher together" if winners else "not chosen"
            lost.append({**candidate.describe(), "why_not": reason})
        return {"chosen": [m.describe() for m in self.chosen], "alternatives": lost}


# Whether two hierarchy matches can lie on one gazetteer chain (at different levels).
OnOneChain = Callable[[Match, Match], bool]


def segment(length: int, matches: Sequence[Match], on_one_chain: OnOneChain) -> list[Match]:
    """The best non-overlapping subset of ``matches`` (sorted by start) for a query of ``length``.

    Dynamic programming over the positions where matches start or end: ``prefix`` is the
    best score of a segmentation whose matches all end by the current position; a match's best score is its own plus the better of
    ``prefix[start]`` and, for each match ending within ``WINDOW`` before it, that match's
    best score plus ``CHAIN_BONUS`` when the two lie on one chain. Bonuses are never
    negative, so the prefix maximum never hides a penalty: the optimum is exact, and the
    work is linear in the query for a bounded number of matches per position.
    """
    count = len(matches)
    if not count:
        return []
    ends = [m[1] for m in matches]
    scores = [_score(m) for m in matches]
    best = [0.0] * count
    back = [-1] * count  # the previous match on the best path, -1 for none
    prefix, prefix_at = 0.0, -1
    finished: list[int] = []  # hierarchy matches whose end has been passed, in order of their end
    # Positions in order, ends before starts at each: matches come sorted by start; ends are taken
    # in (end, index) order up to each start, which is when a start can see them.
    ending = sorted(range(count), key=ends.__getitem__)
    passed = 0
    for index, match in enumerate(matches):
        pos = match[0]
        while passed < count and ends[ending[passed]] <= pos:
            done = ending[passed]
            passed += 1
            if best[done] > prefix:
                prefix, prefix_at = best[done], done
            if matches[done][5]:  # hierarchy
                finished.append(done)
        value, previous = prefix, prefix_at
        if match[5] and finished:
            for other in reversed(finished):
                if ends[other] < pos - WINDOW:
                    break
                if best[other] + CHAIN_BONUS > value and on_one_chain(matches[other], match):
                    value, previous = best[other] + CHAIN_BONUS, other
        best[index] = value + scores[index]
        back[index] = previous
    for done in ending[passed:]:
        if best[done] > prefix:
            prefix, prefix_at = best[done], done
    chosen: list[Match] = []
    index = prefix_at
    while index != -1:
        chosen.append(matches[index])
        index = back[index]
    chosen.reverse()
    return chosen


# Match.score by (strength, weak, length): a handful of values, looked up instead of recomputed per match.
_SCORES: dict[tuple[int, bool, int], float] = {}


def _score(match: Match) -> float:
    """``match.score()``, memoized: the same float, so ties in the segmentation break as before."""
    key = (match[4], match[6], match[1] - match[0])
    found = _SCORES.get(key)
    if found is None:
        found = _SCORES[key] = match.score()
    return found


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f"


def _left_bounded(text: str, start: int) -> bool:
    return start == 0 or not _is_cjk(text[start - 1]) or text.endswith(_LEFT_WORDS, 0, start)


def _right_bounded(text: str, end: int) -> bool:
    return end == len(text) or not _is_cjk(text[end]) or text.startswith(FUNCTION_WORDS, end)


def weak_is_supported(
    text: str, match: Match, before: Sequence[Match], after: Sequence[Match], on_one_chain: OnOneChain
) -> str | None:
    """Why the context supports a weak ``match``, or ``None`` if it does not.

    Args:
        text: the folded query.
        match: the weak match.
        before, after: the chosen matches ending where it starts and starting where it ends.
        on_one_chain: whether two hierarchy matches lie on one chain.
    """
    for other in (*before, *after):
        if not other.hierarchy:
            return f"next to {'date' if other.strength == DATE else 'mention'} {other.form!r}"
        if not other.weak:
            return f"next to {other.form!r}"
        if on_one_chain(other, match):
            return f"on one chain with {other.form!r}"
    # a weak neighbour on another chain does not bound it: 东方明珠 is no pair of substations
    if _left_bounded(text, match.start) and _right_bounded(text, match.end):
        return "bounded on both sides"
    return None


def drop_unsupported(
    text: str, chosen: Sequence[Match], on_one_chain: OnOneChain
) -> tuple[list[Match], list[tuple[Match, str]]]:
    """Drop weak matches the context does not support, until none is left to drop.

    Returns the kept matches and the dropped ones with the reason (for ``--explain``).
    """
    kept = list(chosen)
    dropped: list[tuple[Match, str]] = []
    if not any(m.weak for m in kept):
        return kept, dropped
    while True:
        ending: dict[int, list[Match]] = {}
        starting: dict[int, list[Match]] = {}
        for m in kept:
            ending.setdefault(m.end, []).append(m)
            starting.setdefault(m.start, []).append(m)
        bad = {
            index
            for index, m in enumerate(kept)
            if m.weak
            and weak_is_supported(text, m, ending.get(m.start, ()), starting.get(m.end, ()), on_one_chain) is None
        }
        if not bad:
            return kept, dropped
        dropped += [(kept[i], "short form inside a longer word, no supporting neighbour") for i in sorted(bad)]
        kept = [m for i, m in enumerate(kept) if i not in bad]
