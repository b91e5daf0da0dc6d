"""The shape of one row of the date table, and the helpers every row uses."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mypy_extensions import mypyc_attr

from nerloop.dates.numbers import fmt_year, year_of
from nerloop.draws import choice
from nerloop.records import DateRange

Groups = dict[str, "str | None"]
Resolver = Callable[[Groups, dt.date], "DateRange | None"]
Sampler = Callable[[random.Random, dt.date], "tuple[str, DateRange | None]"]

RANGED = "ranged"  # a day range under every reference (or None for an impossible date: 2月30日)
OPEN = "open"  # runs to the reference date: no range while the reference lies before its start
CALENDAR = "calendar"  # a range where the holiday calendar knows the year; a mention regardless
UNRANGED = "unranged"  # a date mention with no honest range of its own: 同比, 五一前后


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Pattern:
    """One kind of date expression: how it is written, read and generated.

    Attributes:
        name: the pattern's name; ``DATE_RE``'s ``lastgroup`` on a match.
        regex: a fragment with short group names; they are prefixed with ``name`` when joined.
        resolve: groups and the reference date → the range, or ``None``.
        sample: draws ``(surface, range)`` with ``normalize_date(surface) == range``.
        weight: how often :func:`sample_date` draws this pattern.
        kind: ``RANGED``, ``OPEN``, ``CALENDAR`` or ``UNRANGED`` (see above).
    """

    name: str
    regex: str
    resolve: Resolver
    sample: Sampler
    weight: float
    kind: str = RANGED


def words(
    name: str, written: Sequence[str], fn: Callable[[dt.date], DateRange], weight: float, after: str = ""
) -> Pattern:
    """A pattern of fixed words with one meaning (本月, 这个月, 当月 …)."""
    alternation = "|".join(re.escape(w) for w in sorted(written, key=len, reverse=True))
    return Pattern(
        name,
        f"(?:{alternation}){after}",
        lambda g, ref: fn(ref),
        lambda rng, ref: (choice(rng, written), fn(ref)),
        weight,
    )


def sample_year_prefix(rng: random.Random, ref: dt.date, none_weight: float = 3.0) -> tuple[str, int | None]:
    """A year prefix and the year it names: none (``None``), 今年/去年/…, 2024年, 二〇二四年 or 24年."""
    r = rng.random() * (none_weight + 5.5)
    if r < none_weight:
        return "", None
    if r < none_weight + 2:
        word = choice(rng, ("今年", "今年", "本年", "去年", "去年", "上年", "前年"))
        return word, year_of({"yr": word}, ref.year)
    year = sample_year(rng, ref)
    if r < none_weight + 5:
        return fmt_year(rng, year) + "年", year
    return f"{year % 100:02d}年", year


def sample_year(rng: random.Random, ref: dt.date) -> int:
    """One of the six years up to the reference year, recent ones more often."""
    return min(2199, max(1900, ref.year - choice(rng, (0, 0, 1, 1, 2, 3, 4, 5, 6))))
