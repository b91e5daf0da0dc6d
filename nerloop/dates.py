"""Chinese date expressions: recognise, normalize and sample them.

A query's date decides which numbers come back. A date read wrongly (上季度
taken as this quarter, 三月 as the wrong year, 2023年2月30日 guessed into
March) returns plausible but wrong figures, and nobody notices. So this module
understands a closed, explicit set of expressions, turns each into an inclusive
day range against a reference date, and says ``None`` for anything else rather
than guess.

One table (``_PATTERNS``) drives everything: its regex fragments are joined
into the single regex that :func:`find_dates` searches with and that
:func:`normalize_date` full-matches, its resolvers compute the ranges, and its
samplers feed :func:`sample_date`. Recognition and normalization therefore
cannot disagree.

Conventions:

* Calendar periods are whole periods: 本月 is the full month, 本周 the full
  ISO week (Monday..Sunday), 本季度 the full quarter, even where they extend
  past the reference date.
* 近N天 / 最近N天 / 过去N天 are the N days ending on the reference date,
  inclusive (近7天 on a Wednesday is last Thursday..today). 近N周 is 7N days;
  近N个月 / 近N季度 / 近N年 / 近半年 run from the day after "reference minus
  the period" to the reference date (近三个月 on 2026-11-25 is
  2026-08-26..2026-11-25). jionlp uses other conventions here.
* A month or quarter without a year (3月, 三季度, 5月28日, 上半年) is in the
  reference year, even if that lies in the future.
* Years are four digits, 1900..2199 (Arabic) or 一九xx / 二〇xx / 二一xx
  (Chinese); bare numbers and two-digit years are not dates.
* Input is NFKC-folded character by character (全角 ２０２４年 works and spans
  keep their offsets).
* Invalid dates (2023年2月30日, 13月) are ``None``. 2月29日 without an absolute
  year is valid only when the reference year makes it so, so
  :func:`find_dates` does not report it (its spans normalize under every
  reference) and :func:`sample_date` never produces it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import re
import unicodedata
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from nerloop.records import DateRange

__all__ = ["DATE_RE", "PATTERN_NAMES", "find_dates", "normalize_date", "sample_date"]

# --------------------------------------------------------------------------- numbers

_CN_DIGIT = {
    "〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_CHARS = "一二三四五六七八九"

# Not preceded by a digit, a letter or a Chinese numeral: 3月 inside 13月, Q1 inside SQ1.
_LB = r"(?<![0-9A-Za-z〇○零一二两三四五六七八九十百千万])"
_AY = r"(?:19|20|21)\d{2}"
_CY = r"(?:一九|二[〇○零一])[〇○零一二三四五六七八九]{2}"
_AM = r"1[0-2]|0?[1-9]"
_CM = r"十[一二]?|[一二三四五六七八九]"
_AD = r"3[01]|[12]\d|0?[1-9]"
_CD = r"三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九]"
_NN = r"[1-9]\d{0,2}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九]"
_CN_NUM_THEN = r"[〇○零一二三四五六七八九十]+"
# After a year: not a number, and not a Chinese number that is a (bad) month or day.
_YEAR_LA = rf"(?![0-9]|{_CN_NUM_THEN}[月日号])"
# After a month without a day: no number at all, nor a Chinese (bad) day.
_MONTH_LA = rf"(?![0-9]|{_CN_NUM_THEN}[日号])"
_REL_YEARS = {"今年": 0, "本年": 0, "去年": -1, "前年": -2}


def _year_prefix(lb_if_none: bool) -> str:
    rel = "|".join(_REL_YEARS)
    tail = f"|{_LB}" if lb_if_none else "|"
    return rf"(?:(?P<yr>{rel})|{_LB}(?P<ya>{_AY}|{_CY})年{tail})"


def _num(text: str) -> int:
    """An Arabic or Chinese integer: ``05``, ``二〇二四`` (digit by digit), ``二十八``."""
    if text.isascii():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)
    value = 0
    for ch in text:
        value = value * 10 + _CN_DIGIT[ch]
    return value


def _cn_small(n: int) -> str:
    """1..99 in Chinese numerals (十二, 二十八)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_CHARS[ones - 1]
    head = "" if tens == 1 else _CN_CHARS[tens - 1]
    return head + "十" + (_CN_CHARS[ones - 1] if ones else "")


# --------------------------------------------------------------------------- calendar


def _month_range(year: int, m_first: int, m_last: int | None = None) -> DateRange:
    m_last = m_first if m_last is None else m_last
    return DateRange(dt.date(year, m_first, 1), dt.date(year, m_last, calendar.monthrange(year, m_last)[1]))


def _quarter_range(year: int, quarter: int) -> DateRange:
    return _month_range(year, 3 * quarter - 2, 3 * quarter)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _last_days(ref: dt.date, days: int) -> DateRange:
    return DateRange(ref - dt.timedelta(days=days - 1), ref)


def _last_months(ref: dt.date, months: int) -> DateRange:
    return DateRange(_add_months(ref, -months) + dt.timedelta(days=1), ref)


def _week(ref: dt.date, offset: int) -> DateRange:
    monday = ref - dt.timedelta(days=ref.weekday()) + dt.timedelta(weeks=offset)
    return DateRange(monday, monday + dt.timedelta(days=6))


def _previous_month(ref: dt.date) -> DateRange:
    day = _add_months(ref, -1)
    return _month_range(day.year, day.month)


def _shift_quarter(ref: dt.date, offset: int) -> DateRange:
    year, q0 = divmod(ref.year * 4 + (ref.month - 1) // 3 + offset, 4)
    return _quarter_range(year, q0 + 1)


# --------------------------------------------------------------------------- the table

Groups = dict[str, "str | None"]
Resolver = Callable[[Groups, dt.date], "DateRange | None"]
Sampler = Callable[[random.Random, dt.date], "tuple[str, DateRange]"]


@dataclass(frozen=True)
class _Pattern:
    """One kind of date expression: how it is written, read and generated."""

    name: str
    regex: str  # fragment with short group names; prefixed with ``name`` when joined
    resolve: Resolver
    sample: Sampler
    weight: float


def _year_of(g: Groups, ref: dt.date) -> int:
    if g.get("ya"):
        return _num(g["ya"])
    if g.get("yr"):
        return ref.year + _REL_YEARS[g["yr"]]
    return ref.year


def _sample_year_prefix(rng: random.Random, ref: dt.date, none_weight: float = 3.0) -> tuple[str, int, bool]:
    """A year prefix (surface, year, absolute?): none, 今年/去年/…, 2024年 or 二〇二四年."""
    r = rng.random() * (none_weight + 5)
    if r < none_weight:
        return "", ref.year, False
    if r < none_weight + 2:
        word = rng.choice(("今年", "今年", "本年", "去年", "去年", "前年"))
        return word, ref.year + _REL_YEARS[word], False
    year = _sample_year(rng, ref)
    return _fmt_year(rng, year) + "年", year, True


def _sample_year(rng: random.Random, ref: dt.date) -> int:
    return min(2199, max(1900, ref.year - rng.choice((0, 0, 1, 1, 2, 3, 4, 5, 6))))


def _fmt_year(rng: random.Random, year: int) -> str:
    if rng.random() < 0.8:
        return str(year)
    zero = rng.choice("〇〇零○")
    return "".join(zero if c == "0" else _CN_CHARS[int(c) - 1] for c in str(year))


def _fmt_arabic(rng: random.Random, n: int) -> str:
    """``5`` or, now and then, zero-padded ``05``."""
    return f"0{n}" if n < 10 and rng.random() < 0.15 else str(n)


# half year: 上半年, 今年下半年, 2024年上半年
def _resolve_half(g: Groups, ref: dt.date) -> DateRange:
    year = _year_of(g, ref)
    return _month_range(year, 1, 6) if g["h"] == "上" else _month_range(year, 7, 12)


def _sample_half(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year, _ = _sample_year_prefix(rng, ref)
    h = rng.choice("上下")
    return f"{prefix}{h}半年", _month_range(year, 1, 6) if h == "上" else _month_range(year, 7, 12)


# ordinal quarter: 一季度, 第一季度, 1季度, Q1, 今年第一季度, 去年三季度, 2024年Q3
def _resolve_quarter(g: Groups, ref: dt.date) -> DateRange:
    return _quarter_range(_year_of(g, ref), _num(g["q"] or g["qq"]))


def _sample_quarter(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year, _ = _sample_year_prefix(rng, ref)
    q = rng.randint(1, 4)
    r = rng.random()
    if r < 0.15:
        body = rng.choice("Qq") + str(q)
    else:
        num = _CN_CHARS[q - 1] if r < 0.7 else str(q)
        body = ("第" if rng.random() < 0.4 else "") + num + "季度"
    return prefix + body, _quarter_range(year, q)


# month, optionally with a year and/or a day: 3月, 三月份, 2024年5月, 今年3月, 5月28号, 2020年04月28日
def _resolve_month(g: Groups, ref: dt.date) -> DateRange:
    year, month = _year_of(g, ref), _num(g["m"])
    if g["d"] is None:
        return _month_range(year, month)
    day = dt.date(year, month, _num(g["d"]))
    return DateRange(day, day)


def _sample_month(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year, absolute = _sample_year_prefix(rng, ref, none_weight=4.0)
    month = rng.randint(1, 12)
    chinese = rng.random() < 0.3
    m_text = _cn_small(month) if chinese else _fmt_arabic(rng, month)
    if rng.random() < 0.4:
        # 2月29日 only with an absolute year: otherwise it depends on the reference.
        last = calendar.monthrange(year if absolute else 2001, month)[1]
        day = rng.randint(1, last)
        d_text = _cn_small(day) if chinese else _fmt_arabic(rng, day)
        date = dt.date(year, month, day)
        return f"{prefix}{m_text}月{d_text}{rng.choice('日日号')}", DateRange(date, date)
    return f"{prefix}{m_text}月{'份' if rng.random() < 0.15 else ''}", _month_range(year, month)


# numeric: 2024-05, 2024-05-28, 2024/5/28, 2024.05.28
def _resolve_iso(g: Groups, ref: dt.date) -> DateRange:
    year = int(g["y"])
    if g["m2"] is not None:
        day = dt.date(year, int(g["m2"]), int(g["d2"]))
        return DateRange(day, day)
    if g["d"] is None:
        return _month_range(year, int(g["m"]))
    day = dt.date(year, int(g["m"]), int(g["d"]))
    return DateRange(day, day)


def _sample_iso(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    year, month = _sample_year(rng, ref), rng.randint(1, 12)
    pad = rng.random() < 0.7
    m_text = f"{month:02d}" if pad else str(month)
    sep = rng.choice("--/.")
    if sep != "." and rng.random() < 0.3:
        return f"{year}{sep}{m_text}", _month_range(year, month)
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    date = dt.date(year, month, day)
    d_text = f"{day:02d}" if pad else str(day)
    return f"{year}{sep}{m_text}{sep}{d_text}", DateRange(date, date)


# absolute year: 2022年, 二〇二四年, 2024年度
def _resolve_year_abs(g: Groups, ref: dt.date) -> DateRange:
    return _month_range(_num(g["ya"]), 1, 12)


def _sample_year_abs(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    year = _sample_year(rng, ref)
    return _fmt_year(rng, year) + ("年度" if rng.random() < 0.1 else "年"), _month_range(year, 1, 12)


# 近7天, 最近30天, 过去两周, 近三个月, 近一年, 近半年
_NEAR_PREFIXES = ("近", "近", "最近", "过去")
_NEAR_UNITS: dict[str, tuple[str, int]] = {  # surface -> (kind, size)
    "天": ("d", 1), "日": ("d", 1), "周": ("d", 7), "星期": ("d", 7), "个星期": ("d", 7),
    "个礼拜": ("d", 7), "月": ("m", 1), "个月": ("m", 1), "个季度": ("m", 3), "季度": ("m", 3),
    "年": ("m", 12),
}  # fmt: skip
_NEAR_SAMPLES: tuple[tuple[tuple[int, ...], tuple[str, ...]], ...] = (
    ((3, 5, 7, 7, 7, 10, 14, 15, 30, 30, 60, 90, 180, 365), ("天", "天", "天", "日")),
    ((1, 1, 2, 3, 4), ("周", "周", "个星期")),
    ((1, 1, 2, 3, 3, 6, 12), ("个月",)),  # 近3月 is understood but not generated: 近二月 reads as February
    ((1, 2), ("个季度",)),
    ((1, 1, 2, 3), ("年",)),
)


def _near(ref: dt.date, n: int, unit: str) -> DateRange | None:
    kind, size = _NEAR_UNITS[unit]
    if n <= 0:
        return None
    return _last_days(ref, n * size) if kind == "d" else _last_months(ref, n * size)


def _resolve_near(g: Groups, ref: dt.date) -> DateRange | None:
    if g["n"] is None:  # 近半年
        return _last_months(ref, 6)
    return _near(ref, _num(g["n"]), g["u"])


def _sample_near(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix = rng.choice(_NEAR_PREFIXES)
    if rng.random() < 0.05:
        return prefix + "半年", _last_months(ref, 6)
    ns, units = rng.choices(_NEAR_SAMPLES, weights=(6, 2, 4, 1, 2))[0]
    n, unit = rng.choice(ns), rng.choice(units)
    if n < 100 and rng.random() < 0.4:
        n_text = "两" if n == 2 and rng.random() < 0.5 else _cn_small(n)
    else:
        n_text = str(n)
    return prefix + n_text + unit, _near(ref, n, unit)  # type: ignore[return-value]


def _near_regex() -> str:
    units = "|".join(sorted(_NEAR_UNITS, key=len, reverse=True))
    prefixes = "|".join(sorted(set(_NEAR_PREFIXES), key=len, reverse=True))
    return rf"(?:{prefixes})(?:(?P<n>{_NN})(?P<u>{units})|半年)"


def _words(
    name: str, words: Sequence[str], fn: Callable[[dt.date], DateRange], weight: float, after: str = ""
) -> _Pattern:
    """A pattern of fixed words with one meaning (本月, 这个月, 当月 …)."""
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return _Pattern(
        name,
        f"(?:{alternation}){after}",
        lambda g, ref: fn(ref),
        lambda rng, ref: (rng.choice(words), fn(ref)),
        weight,
    )


_NOT_PERIOD = "(?!期)"  # 本周期 is "this cycle", not 本周

# Order matters where one pattern can start another at the same position: the
# longer, compound forms (今年上半年, 2024年5月) come before their parts (今年, 2024年).
_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern("half", _year_prefix(False) + r"(?P<h>[上下])半年", _resolve_half, _sample_half, 4),
    _Pattern(
        "quarter",
        _year_prefix(True) + r"(?:第?(?P<q>[1-4一二三四])季度|[Qq](?P<qq>[1-4])(?![0-9A-Za-z]))",
        _resolve_quarter,
        _sample_quarter,
        5,
    ),
    _Pattern(
        "month",
        _year_prefix(True) + rf"(?P<m>{_AM}|{_CM})月(?:(?P<d>{_AD}|{_CD})[日号]|份?{_MONTH_LA})",
        _resolve_month,
        _sample_month,
        12,
    ),
    _Pattern(
        "iso",
        rf"{_LB}(?P<y>{_AY})(?:(?P<s>[-/])(?P<m>{_AM})(?:(?P=s)(?P<d>{_AD}))?|\.(?P<m2>{_AM})\.(?P<d2>{_AD}))"
        r"(?![0-9]|[-/.][0-9])",
        _resolve_iso,
        _sample_iso,
        2,
    ),
    _words("today", ("今天", "今日"), lambda r: DateRange(r, r), 3),
    _words("yesterday", ("昨天", "昨日"), lambda r: _last_days(r - dt.timedelta(days=1), 1), 3),
    _words("day_before", ("前天",), lambda r: _last_days(r - dt.timedelta(days=2), 1), 1),
    _words("this_week", ("本周", "这周", "本星期", "这星期", "这个星期"), lambda r: _week(r, 0), 3, _NOT_PERIOD),
    _words("last_week", ("上周", "上星期", "上个星期", "上一周"), lambda r: _week(r, -1), 3, _NOT_PERIOD),
    _words("this_month", ("本月", "这个月", "当月", "本月份"), lambda r: _month_range(r.year, r.month), 6),
    _words(
        "last_month",
        ("上月", "上个月", "上一个月", "上月份"),
        _previous_month,
        6,
    ),
    _words("this_quarter", ("本季度", "这季度", "本季", "这个季度", "当季度"), lambda r: _shift_quarter(r, 0), 3),
    _words("last_quarter", ("上季度", "上个季度", "上一季度", "上季"), lambda r: _shift_quarter(r, -1), 3),
    _words("this_year", ("今年", "本年度", "本年", "今年度"), lambda r: _month_range(r.year, 1, 12), 4, _YEAR_LA),
    _words("last_year", ("去年", "上年", "上一年", "去年度"), lambda r: _month_range(r.year - 1, 1, 12), 4, _YEAR_LA),
    _words("year_before", ("前年",), lambda r: _month_range(r.year - 2, 1, 12), 1, _YEAR_LA),
    _Pattern("year_abs", rf"{_LB}(?P<ya>{_AY}|{_CY})年度?{_YEAR_LA}", _resolve_year_abs, _sample_year_abs, 4),
    _Pattern("near", _near_regex(), _resolve_near, _sample_near, 5),
)

PATTERN_NAMES: tuple[str, ...] = tuple(p.name for p in _PATTERNS)


_Index = dict[str, tuple[_Pattern, tuple[tuple[str, str], ...]]]  # name -> (pattern, (short, full) groups)


def _compile(patterns: Sequence[_Pattern]) -> tuple[re.Pattern[str], _Index]:
    """Join the fragments into one regex, prefixing each group name with its pattern's name."""
    parts: list[str] = []
    index: _Index = {}
    for p in patterns:
        shorts = re.findall(r"\(\?P<(\w+)>", p.regex)
        body = re.sub(r"\(\?P([<=])(\w+)", lambda m, name=p.name: f"(?P{m[1]}{name}__{m[2]}", p.regex)
        parts.append(f"(?P<{p.name}>{body})")
        index[p.name] = (p, tuple((s, f"{p.name}__{s}") for s in shorts))
    return re.compile("|".join(parts)), index


DATE_RE, _INDEX = _compile(_PATTERNS)
"""The one regex behind :func:`find_dates` and :func:`normalize_date` (on NFKC-folded text);
``match.lastgroup`` names the pattern."""

_CUM_WEIGHTS = tuple(accumulate(p.weight for p in _PATTERNS))
# find_dates keeps a match only if it normalizes under all of these (a leap cycle of years).
_VALIDATION_REFS = tuple(dt.date(y, 7, 1) for y in (2024, 2025, 2026, 2027))
_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}


# --------------------------------------------------------------------------- public API


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def _fold(text: str) -> str:
    """NFKC per code point, so offsets into the result are offsets into ``text``."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return "".join(map(_fold_char, text))


def _resolve(match: re.Match[str], reference: dt.date) -> DateRange | None:
    pattern, groups = _INDEX[match.lastgroup]  # type: ignore[index]
    try:
        return pattern.resolve({s: match.group(f) for s, f in groups}, reference)
    except (ValueError, OverflowError):  # 2月30日, or a year out of range
        return None


@lru_cache(maxsize=65536)
def normalize_date(text: str, reference: dt.date) -> DateRange | None:
    """Normalize one whole date mention to an inclusive day range.

    Args:
        text: the mention alone, e.g. ``本月``, ``上季度``, ``2024年5月``; surrounding
            whitespace is ignored, full-width characters are folded.
        reference: the day the query is asked ("today").

    Returns:
        The range, or ``None`` if ``text`` is not a date expression this module
        understands or names no real date (``13月``, ``2023年2月30日``).

    Pure, so results are memoized: a log or a generated set repeats the same
    few thousand date mentions.
    """
    match = DATE_RE.fullmatch(_fold(text.strip()))
    return None if match is None else _resolve(match, reference)


def find_dates(text: str) -> list[tuple[int, int]]:
    """Find the date mentions in a query.

    Args:
        text: a whole query, e.g. ``帮我查一下2024年5月巨野的意见``.

    Returns:
        ``(start, end)`` code-point spans (end exclusive), left to right, not
        overlapping, the longest mention at each position; each one normalizes
        under any reference date.
    """
    folded = _fold(text)
    spans: list[tuple[int, int]] = []
    pos = 0
    while (match := DATE_RE.search(folded, pos)) is not None:
        if all(_resolve(match, ref) is not None for ref in _VALIDATION_REFS):
            spans.append(match.span())
        pos = match.end()  # an invalid date (2023年2月30日) is skipped whole, not in pieces
    return spans


def sample_date(rng: random.Random, reference: dt.date) -> tuple[str, DateRange]:
    """Draw a date mention and its range, for generating training queries.

    Every pattern above is drawn with a fixed weight, in Arabic and Chinese
    numerals, occasionally full-width; years lie in the six years up to the
    reference year. ``normalize_date(surface, reference) == range`` always.

    Args:
        rng: the random source (no global state is used).
        reference: the reference date the range is computed against.

    Returns:
        ``(surface, range)``.
    """
    pattern = _PATTERNS[bisect(_CUM_WEIGHTS, rng.random() * _CUM_WEIGHTS[-1])]
    surface, rng_range = pattern.sample(rng, reference)
    if rng.random() < 0.05:
        surface = surface.translate(_FULLWIDTH)
    return surface, rng_range
