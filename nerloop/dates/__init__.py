"""Chinese date expressions: recognise, normalize and sample them.

A query's date decides which numbers come back. A date read wrongly (上季度
taken as this quarter, 24年5月 as this year, 2-4月 as April) returns plausible
but wrong figures, and nobody notices. So this package understands a closed,
explicit set of expressions, turns each into an inclusive day range against a
reference date, and says ``None`` for anything else rather than guess.

One table (``PATTERNS``) drives everything: its regex fragments are joined into
the single regex that :func:`find_dates` searches with and that
:func:`normalize_date` full-matches, its resolvers compute the ranges, and its
samplers feed :func:`sample_date`. Recognition and normalization therefore
cannot disagree. The conventions are written out in ``docs/dates.md``:

* Calendar periods are whole periods: 本月 is the full month, 本周 the full ISO
  week (Monday..Sunday), 本季度 the full quarter, even past the reference date.
* Rolling windows (近7天, 过去30天, 最近两周, 近三个月, 近半年) end on the
  reference date; 近N个月 starts the day after "reference minus N months".
* A period named without a year (3月, 5月28日, 三季度, 下半年, 2-4月, 周三,
  春节期间) is the most recent such period that starts on or before the
  reference date; with a year (今年3月, 24年5月) it is in that year, even ahead.
* Since-forms (年初至今, 今年以来, 2024年5月至今) end on the reference date.
* Holidays are the published days-off periods (``chinese_calendar``); a year the
  calendar does not know has no range.
* Comparisons (同比, 环比, 去年同期), 五一前后, 春节后 and 3月以后 are Date
  mentions without a range of their own (``normalize_date`` → ``None``), never a guess.
* Years: four digits 1900..2199, 一九xx / 二〇xx, or two digits before a month,
  quarter or half (24年5月: the year ending in 24 from 89 years before to 10
  years after the reference year); bare numbers and a bare 24年 are not dates.
* Input is NFKC-folded character by character (全角 ２０２４年 works and spans
  keep their offsets).
* Invalid dates (2023年2月30日, 13月, 2025年3月到2024年1月) are ``None``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from bisect import bisect
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import accumulate

from nerloop.dates import calendar_patterns as cal
from nerloop.dates import relative_patterns as rel
from nerloop.dates.first_chars import first_chars
from nerloop.dates.relative_patterns import sample_comparison
from nerloop.dates.table import OPEN, RANGED, Pattern
from nerloop.draws import choice
from nerloop.records import DateRange
from nerloop.width import fold_width, to_full_width

__all__ = [
    "DATE_RE",
    "PATTERN_NAMES",
    "BOUNDS",
    "RANGELESS_PATTERNS",
    "clear_caches",
    "find_dates",
    "normalize_date",
    "sample_comparison",
    "sample_date",
]

# Order matters where one pattern can start another at the same position: the
# longer, compound forms (去年同期, 今年以来, 2024年5月) come before their parts (去年, 今年, 2024年).
PATTERNS: tuple[Pattern, ...] = (
    rel.COMPARISON,
    rel.HOLIDAY,
    cal.SINCE,
    cal.FIRST,
    cal.QUARTER_SPAN,
    cal.DAY_SPAN,
    cal.MONTH_SPAN,
    cal.YEAR_SPAN,
    cal.HALF,
    cal.QUARTER,
    cal.MONTH,
    cal.ISO,
    rel.TODAY,
    rel.YESTERDAY,
    rel.THREE_DAYS_AGO,
    rel.DAY_BEFORE,
    rel.WEEKDAY,
    rel.WEEK_BEFORE_LAST,
    rel.THIS_WEEK,
    rel.LAST_WEEK,
    rel.MONTH_BEFORE_LAST,
    rel.THIS_MONTH,
    rel.LAST_MONTH,
    rel.THIS_QUARTER,
    rel.LAST_QUARTER,
    rel.THIS_YEAR,
    rel.LAST_YEAR,
    rel.YEAR_BEFORE,
    cal.YEAR_ABS,
    rel.NEAR,
)

PATTERN_NAMES: tuple[str, ...] = tuple(p.name for p in PATTERNS)
RANGELESS_PATTERNS: frozenset[str] = frozenset(p.name for p in PATTERNS if p.kind != RANGED)
"""Patterns whose mentions may have no range: comparisons (never), holidays (where the calendar lacks
the year), 至今-forms (while the reference lies before their start)."""

_Index = dict[str, tuple[Pattern, tuple[tuple[str, str], ...]]]  # name -> (pattern, (short, full) groups)


# Every date mention starts with one of these (a test derives the set from the patterns and checks it).
# The lookahead lets the joined regex reject most positions of a query with one character test
# instead of trying every alternative: find_dates runs on every query the matcher tags.
FIRST_CHARS = "0-9〇○零一二两三四五六七八九十Qq第上下本这今去前当近最过昨大年月元春清劳端中国同环周星礼"


def _prefixer(name: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement that prefixes a named group (or a backreference to one) with ``name``."""
    return lambda m: f"(?P{m[1]}{name}__{m[2]}"


def _compile(patterns: Sequence[Pattern], lookaheads: bool = True) -> tuple[re.Pattern[str], _Index]:
    """Join the fragments into one regex, prefixing each group name with its pattern's name.

    ``lookaheads``: each alternative tests its own first characters before it is entered (the same
    matches, found sooner: ``False`` gives the plain join, which the tests compare it with).
    """
    parts: list[str] = []
    index: _Index = {}
    for p in patterns:
        shorts = re.findall(r"\(\?P<(\w+)>", p.regex)
        body = re.sub(r"\(\?P([<=])(\w+)", _prefixer(p.name), p.regex)
        firsts = first_chars(p.regex) if lookaheads else None
        # DATE_RE tries every alternative at each position its lookahead admits, and most of them fail
        # on the first character: a character test before the alternative's groups are entered is cheaper
        ahead = "" if firsts is None else f"(?=[{''.join(re.escape(c) for c in sorted(firsts))}])"
        parts.append(f"{ahead}(?P<{p.name}>{body})")
        index[p.name] = (p, tuple((s, f"{p.name}__{s}") for s in shorts))
    return re.compile(f"(?=[{FIRST_CHARS}])(?:{'|'.join(parts)})"), index


DATE_RE, _INDEX = _compile(PATTERNS)
"""The one regex behind :func:`find_dates` and :func:`normalize_date` (on NFKC-folded text);
``match.lastgroup`` names the pattern."""

_CUM_WEIGHTS = tuple(accumulate(p.weight for p in PATTERNS))
# find_dates keeps a ranged match only if it normalizes under all of these (a leap cycle of years).
_VALIDATION_REFS = tuple(dt.date(y, 7, 1) for y in (2024, 2025, 2026, 2027))
_LATE_REF = dt.date(2199, 12, 31)
# A date followed by one of these is a mention of an open period with no honest range (3月以后).
BOUNDS = ("以前", "以后", "之前", "之后")
_BOUND_SHARE = 0.015


def _resolve(match: re.Match[str], reference: dt.date) -> DateRange | None:
    pattern, groups = _INDEX[match.lastgroup]  # type: ignore[index]
    return _resolve_groups(pattern, {s: match.group(f) for s, f in groups}, reference)


def _resolve_groups(pattern: Pattern, groups: dict[str, str | None], reference: dt.date) -> DateRange | None:
    try:
        return pattern.resolve(groups, reference)
    except (ValueError, OverflowError):  # 2月30日, or a year out of range
        return None


def _is_mention(match: re.Match[str]) -> bool:
    """A ranged form must normalize under every reference, an open one (2024年11月以来) under a late
    enough reference; holidays and comparisons are mentions as written."""
    name = match.lastgroup
    return _is_mention_of(name, tuple(match.group(f) for _, f in _INDEX[name][1]))  # type: ignore[index]


@lru_cache(maxsize=16384)
def _is_mention_of(name: str, values: tuple[str | None, ...]) -> bool:
    """:func:`_is_mention` by the pattern and its groups, memoized: queries repeat the same date spans."""
    pattern, groups = _INDEX[name]
    found = dict(zip((s for s, _ in groups), values))
    if pattern.kind == RANGED:
        return all(_resolve_groups(pattern, found, ref) is not None for ref in _VALIDATION_REFS)
    if pattern.kind == OPEN:
        return _resolve_groups(pattern, found, _LATE_REF) is not None
    return True


def clear_caches() -> None:
    """Empty the memoized parses (for benchmarks that measure a cold start)."""
    normalize_date.cache_clear()
    _is_mention_of.cache_clear()


@lru_cache(maxsize=65536)
def normalize_date(text: str, reference: dt.date) -> DateRange | None:
    """Normalize one whole date mention to an inclusive day range.

    Args:
        text: the mention alone, e.g. ``本月``, ``上季度``, ``2024年5月``; surrounding
            whitespace is ignored, full-width characters are folded.
        reference: the day the query is asked ("today").

    Returns:
        The range, or ``None`` if ``text`` is not a date expression this module
        understands, names no real date (``13月``, ``2023年2月30日``), or is a date
        mention without a range of its own (``同比``, ``五一前后``, a holiday in a
        year the calendar does not know).

    Pure, so results are memoized: a log or a generated set repeats the same
    few thousand date mentions.
    """
    match = DATE_RE.fullmatch(fold_width(text.strip()))
    return None if match is None else _resolve(match, reference)


def find_dates(text: str) -> list[tuple[int, int]]:
    """Find the date mentions in a query.

    Args:
        text: a whole query, e.g. ``帮我查一下2024年5月巨野的意见``.

    Returns:
        ``(start, end)`` code-point spans (end exclusive), left to right, not
        overlapping, the longest mention at each position, with a following
        以前/以后/之前/之后 taken in (``3月以后``: no range). Each one normalizes under
        any reference date, except the forms of ``RANGELESS_PATTERNS`` (同比,
        五一前后, a holiday outside the calendar's years, 2024年11月以来 asked before
        November 2024), which are mentions all the same.
    """
    folded = fold_width(text)
    spans: list[tuple[int, int]] = []
    pos = 0
    while (match := DATE_RE.search(folded, pos)) is not None:
        pos = match.end()  # an invalid date (2023年2月30日) is skipped whole, not in pieces
        if _is_mention(match):
            bound = next((b for b in BOUNDS if folded.startswith(b, pos)), "")
            pos += len(bound)  # 3月以后: one mention, without a range
            spans.append((match.start(), pos))
    return spans


def sample_date(rng: random.Random, reference: dt.date) -> tuple[str, DateRange | None]:
    """Draw a date mention and its range, for generating training queries.

    Every pattern above is drawn with a fixed weight, in Arabic and Chinese
    numerals, occasionally full-width; years lie in the six years up to the
    reference year. ``normalize_date(surface, reference) == range`` always
    (``None`` for 前后 and 以后 forms).

    Args:
        rng: the random source (no global state is used).
        reference: the reference date the range is computed against.

    Returns:
        ``(surface, range)``.
    """
    pattern = PATTERNS[bisect(_CUM_WEIGHTS, rng.random() * _CUM_WEIGHTS[-1])]
    surface, rng_range = pattern.sample(rng, reference)
    if pattern.kind == RANGED and rng.random() < _BOUND_SHARE:
        surface, rng_range = surface + choice(rng, BOUNDS), None
    if rng.random() < 0.05:
        surface = to_full_width(surface, punctuation=True)
    return surface, rng_range
