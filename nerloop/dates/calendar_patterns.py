"""Calendar periods, optionally with a year: halves, quarters, months, days, ranges of them, 至今.

A period written without a year (3月, 三季度, 5月28日, 下半年, 2-4月) is the most
recent such period that starts on or before the reference date (:func:`latest`).

Size: a table of patterns, each a regex beside its resolver and sampler, sharing the range
and 至今 fragments at the top; split, one pattern would be read in two places.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from nerloop.dates.numbers import (
    AD,
    AM,
    AY,
    CD,
    CM,
    CN_CHARS,
    CY,
    LB,
    MONTH_LA,
    NN,
    YEAR_LA,
    cn_small,
    fmt_arabic,
    fmt_number,
    fmt_year,
    num,
    year_of,
    year_prefix,
)
from nerloop.dates.periods import days_in_month, latest, month_range, quarter_range, since
from nerloop.dates.table import OPEN, Groups, Pattern, sample_year, sample_year_prefix
from nerloop.draws import choice, randint
from nerloop.records import DateRange, date_range

_RANGE_SEP = r"(?:[-~～—–]|到|至)"
_RANGE_SEPS = ("-", "-", "到", "至", "~", "—")
_SINCE = r"(?:以来|至今|到现在|到目前|迄今|到今天|至今天)"
_SINCE_WORDS = ("以来", "至今", "至今", "到现在")


def in_year(year: int | None, ref: dt.date, period_in: Callable[[int], DateRange]) -> DateRange:
    """The period in ``year``, or by the yearless convention when no year is written."""
    return latest(ref, period_in) if year is None else period_in(year)


def _half(h: str) -> Callable[[int], DateRange]:
    return lambda y: month_range(y, 1, 6) if h == "上" else month_range(y, 7, 12)


# half year: 上半年, 今年下半年, 2024年上半年, 24年上半年
def _resolve_half(g: Groups, ref: dt.date) -> DateRange:
    return in_year(year_of(g, ref.year), ref, _half(g["h"]))  # type: ignore[arg-type]


def _sample_half(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year = sample_year_prefix(rng, ref)
    h = choice(rng, "上下")
    return f"{prefix}{h}半年", in_year(year, ref, _half(h))


HALF = Pattern("half", year_prefix() + r"(?P<h>[上下])半年", _resolve_half, _sample_half, 4)


# ordinal quarter: 一季度, 第一季度, 1季度, Q1, 今年第一季度, 去年三季度, 2024年Q3
def _resolve_quarter(g: Groups, ref: dt.date) -> DateRange:
    q = num(g["q"] or g["qq"])  # type: ignore[arg-type]
    return in_year(year_of(g, ref.year), ref, lambda y: quarter_range(y, q))


def _fmt_quarter(rng: random.Random, q: int, word: bool = True) -> str:
    r = rng.random()
    if r < 0.15 and word:
        return choice(rng, "Qq") + str(q)
    num_text = CN_CHARS[q - 1] if r < 0.7 else str(q)
    return ("第" if rng.random() < 0.4 else "") + num_text + ("季度" if word else "")


def _sample_quarter(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year = sample_year_prefix(rng, ref)
    q = randint(rng, 1, 4)
    return prefix + _fmt_quarter(rng, q), in_year(year, ref, lambda y: quarter_range(y, q))


QUARTER = Pattern(
    "quarter",
    year_prefix() + r"(?:第?(?P<q>[1-4一二三四])季度|[Qq](?P<qq>[1-4])(?![0-9A-Za-z]))",
    _resolve_quarter,
    _sample_quarter,
    5,
)


# quarter range: 一至三季度, 2-3季度, 今年Q1-Q3
def _resolve_quarter_span(g: Groups, ref: dt.date) -> DateRange | None:
    first, last = num(g["q1"] or g["qq1"]), num(g["q2"] or g["qq2"])  # type: ignore[arg-type]
    if last <= first:
        return None
    return in_year(year_of(g, ref.year), ref, lambda y: quarter_range(y, first, last))


def _sample_quarter_span(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year = sample_year_prefix(rng, ref)
    first = randint(rng, 1, 3)
    last = randint(rng, first + 1, 4)
    if rng.random() < 0.15:
        body = f"Q{first}-Q{last}"
    else:
        chinese = rng.random() < 0.6
        a, b = (CN_CHARS[first - 1], CN_CHARS[last - 1]) if chinese else (str(first), str(last))
        body = f"{a}{choice(rng, _RANGE_SEPS)}{b}季度"
    return prefix + body, in_year(year, ref, lambda y: quarter_range(y, first, last))


QUARTER_SPAN = Pattern(
    "quarter_span",
    year_prefix()
    + rf"(?:第?(?P<q1>[1-4一二三四])(?:季度)?{_RANGE_SEP}第?(?P<q2>[1-4一二三四])季度"
    + rf"|[Qq](?P<qq1>[1-4]){_RANGE_SEP}[Qq](?P<qq2>[1-4])(?![0-9A-Za-z]))",
    _resolve_quarter_span,
    _sample_quarter_span,
    0.7,
)


# the first N quarters or months of a year: 前三季度, 今年前两个季度, 去年前5个月
def _resolve_first(g: Groups, ref: dt.date) -> DateRange | None:
    if g["nm"] is not None:
        months = num(g["nm"])
        if not 1 <= months <= 12:
            return None
        return in_year(year_of(g, ref.year, "m"), ref, lambda y: month_range(y, 1, months))
    quarters = num(g["n"] or g["nb"])  # type: ignore[arg-type]
    return in_year(year_of(g, ref.year), ref, lambda y: quarter_range(y, 1, quarters))


def _sample_first(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    if rng.random() < 0.4:
        prefix, year = sample_year_prefix(rng, ref, none_weight=0.0)
        months = randint(rng, 2, 11)
        return f"{prefix}前{fmt_number(rng, months)}个月", in_year(year, ref, lambda y: month_range(y, 1, months))
    quarters = randint(rng, 2, 3)
    prefix, year = sample_year_prefix(rng, ref, none_weight=4.0)
    n_text = CN_CHARS[quarters - 1] if rng.random() < 0.7 else str(quarters)
    if prefix and rng.random() < 0.5:
        n_text = ("两" if quarters == 2 else n_text) + "个"
    return f"{prefix}前{n_text}季度", in_year(year, ref, lambda y: quarter_range(y, 1, quarters))


FIRST = Pattern(
    "first",
    rf"(?:{year_prefix(required=True)}前(?P<n>[1-4一二两三四])个?季度"
    rf"|{LB}前(?P<nb>[1-4一二两三四])季度"
    rf"|{year_prefix('m', required=True)}前(?P<nm>{NN})个月份?)",
    _resolve_first,
    _sample_first,
    1.5,
)


def _span_years(first: int | None, last: int | None, wraps: bool) -> tuple[int | None, int | None]:
    """A range's years completed from the one written: 2024年11月至2月 → (2024, 2025)."""
    if first is None and last is not None:
        return last - wraps, last
    if first is not None and last is None:
        return first, first + wraps
    return first, last


# month range: 今年2-4月, 2024年10月到12月, 2024年11月至2025年1月, 11月到2月, 二到四月
def _resolve_month_span(g: Groups, ref: dt.date) -> DateRange | None:
    m1, m2 = num(g["m1"]), num(g["m2"])  # type: ignore[arg-type]
    y1, y2 = year_of(g, ref.year, "a"), year_of(g, ref.year, "b")
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12) or (g["u1"] is None and y2 is not None):
        return None
    wraps = m2 < m1  # 11月到2月: into the next year
    y1, y2 = _span_years(y1, y2, wraps)
    if y1 is None or y2 is None:
        return latest(ref, lambda y: month_range(y, m1, m2, y + wraps))
    if (y2, m2) <= (y1, m1):
        return None  # reversed, or one month written as a range
    return month_range(y1, m1, m2, y2)


def _sample_month_span(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    sep = choice(rng, _RANGE_SEPS)
    chinese = rng.random() < 0.25
    fmt = cn_small if chinese else (lambda n: fmt_arabic(rng, n))
    if rng.random() < 0.2:  # across a year boundary, both years written: 2024年11月至2025年1月
        year = sample_year(rng, ref) - 1
        m1, m2 = randint(rng, 9, 12), randint(rng, 1, 3)
        y_text = fmt_year(rng, year)
        text = f"{y_text}年{fmt(m1)}月{sep}{fmt_year(rng, year + 1)}年{fmt(m2)}月"
        return text, month_range(year, m1, m2, year + 1)
    prefix, named_year = sample_year_prefix(rng, ref, none_weight=3.0)
    m1 = randint(rng, 1, 11)
    m2 = randint(rng, m1 + 1, 12)
    first = fmt(m1) + ("月" if rng.random() < 0.5 else "")
    text = f"{prefix}{first}{sep}{fmt(m2)}月{'份' if rng.random() < 0.1 else ''}"
    return text, in_year(named_year, ref, lambda y: month_range(y, m1, m2))


MONTH_SPAN = Pattern(
    "month_span",
    year_prefix("a")
    + rf"(?P<m1>{AM}|{CM})(?P<u1>月份?)?{_RANGE_SEP}(?:{year_prefix('b', required=True)})?"
    + rf"(?P<m2>{AM}|{CM})月份?{MONTH_LA}",
    _resolve_month_span,
    _sample_month_span,
    3,
)


# day range: 5月1日至7日, 5月1-7日, 2024年5月28日到6月3日, 2024年12月28日至2025年1月3日
def _resolve_day_span(g: Groups, ref: dt.date) -> DateRange | None:
    m1, d1 = num(g["m"]), num(g["d1"])  # type: ignore[arg-type]
    m2, d2 = (num(g["m2"]) if g["m2"] else m1), num(g["d2"])  # type: ignore[arg-type]
    y1, y2 = year_of(g, ref.year, "a"), year_of(g, ref.year, "b")
    y1, y2 = _span_years(y1, y2, wraps := m2 < m1)  # 12月28日至1月3日: into the next year

    def days(y: int, y_last: int | None = None) -> DateRange:
        return date_range(dt.date(y, m1, d1), dt.date(y + wraps if y_last is None else y_last, m2, d2))

    found = latest(ref, days) if y1 is None or y2 is None else days(y1, y2)
    return found if found.start < found.end else None


def _sample_day_span(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year = sample_year_prefix(rng, ref, none_weight=4.0)
    month = randint(rng, 1, 12)
    last = days_in_month(year if year is not None else 2001, month)
    d1 = randint(rng, 1, last - 1)
    d2 = randint(rng, d1 + 1, last)
    unit = choice(rng, "日日号")
    first = f"{prefix}{month}月{d1}{unit if rng.random() < 0.6 else ''}"
    second = f"{month}月{d2}{unit}" if rng.random() < 0.4 else f"{d2}{unit}"

    def days(y: int) -> DateRange:
        return date_range(dt.date(y, month, d1), dt.date(y, month, d2))

    return f"{first}{choice(rng, _RANGE_SEPS)}{second}", in_year(year, ref, days)


DAY_SPAN = Pattern(
    "day_span",
    year_prefix("a")
    + rf"(?P<m>{AM}|{CM})月(?P<d1>{AD}|{CD})[日号]?{_RANGE_SEP}"
    + rf"(?:{year_prefix('b', required=True)})?(?:(?P<m2>{AM}|{CM})月)?(?P<d2>{AD}|{CD})[日号]",
    _resolve_day_span,
    _sample_day_span,
    1,
)


# year range: 2023-2024年, 2023年至2024年
def _resolve_year_span(g: Groups, ref: dt.date) -> DateRange | None:
    first, last = num(g["a"]), num(g["b"])  # type: ignore[arg-type]
    return month_range(first, 1, 12, last) if first < last else None


def _sample_year_span(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    last = sample_year(rng, ref)
    first = last - choice(rng, (1, 1, 1, 2, 3))
    head = str(first) + ("年" if rng.random() < 0.5 else "")
    return f"{head}{choice(rng, _RANGE_SEPS)}{last}年", month_range(first, 1, 12, last)


YEAR_SPAN = Pattern(
    "year_span",
    rf"{LB}(?P<a>{AY}|{CY})年?{_RANGE_SEP}(?P<b>{AY}|{CY})年度?{YEAR_LA}",
    _resolve_year_span,
    _sample_year_span,
    0.7,
)


# since a start until the reference date: 年初至今, 今年以来, 2024年5月至今, 本月以来
def _resolve_since(g: Groups, ref: dt.date) -> DateRange | None:
    if g["mo"] is not None:
        return since(ref.replace(day=1), ref)
    if g["m"] is not None:
        month = num(g["m"])
        start = in_year(year_of(g, ref.year, "m"), ref, lambda y: month_range(y, month)).start
        return since(start, ref)
    if g["y2"] is not None:
        return None  # 24年以来 reads as "for 24 years" as much as "since 2024"
    year = year_of(g, ref.year)
    return since(dt.date(ref.year if year is None else year, 1, 1), ref)


def _sample_since(rng: random.Random, ref: dt.date) -> tuple[str, DateRange | None]:
    tail = choice(rng, _SINCE_WORDS)
    r = rng.random()
    if r < 0.5:
        head = choice(rng, ("年初", "年初", "今年", "今年年初", "本年"))
        return head + tail, since(dt.date(ref.year, 1, 1), ref)
    if r < 0.65:
        return choice(rng, ("本月", "月初")) + tail, since(ref.replace(day=1), ref)
    prefix, year = sample_year_prefix(rng, ref, none_weight=2.0)
    month = randint(rng, 1, 12) if year is None or year < ref.year else randint(rng, 1, ref.month)
    start = in_year(year, ref, lambda y: month_range(y, month)).start
    return f"{prefix}{fmt_arabic(rng, month)}月{tail}", since(start, ref)


SINCE = Pattern(
    "since",
    rf"(?:{year_prefix(required=True)}(?:年初)?|年初|(?P<mo>本月初?|这个月|月初)"
    rf"|{year_prefix('m')}(?P<m>{AM}|{CM})月份?初?){_SINCE}",
    _resolve_since,
    _sample_since,
    2,
    OPEN,
)


# month, optionally with a year and/or a day: 3月, 三月份, 2024年5月, 24年5月, 5月28号, 2020年04月28日
def _resolve_month(g: Groups, ref: dt.date) -> DateRange:
    month = num(g["m"])  # type: ignore[arg-type]
    if g["d"] is None:
        return in_year(year_of(g, ref.year), ref, lambda y: month_range(y, month))
    day = num(g["d"])

    def on_day(y: int) -> DateRange:
        date = dt.date(y, month, day)
        return date_range(date, date)

    return in_year(year_of(g, ref.year), ref, on_day)


def _sample_month(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix, year = sample_year_prefix(rng, ref, none_weight=4.0)
    month = randint(rng, 1, 12)
    chinese = rng.random() < 0.3
    m_text = cn_small(month) if chinese else fmt_arabic(rng, month)
    if rng.random() < 0.4:
        # 2月29日 only where it exists: without a year, the latest leap year's
        last = days_in_month(year if year is not None else 2000, month)
        day = randint(rng, 1, last)
        d_text = cn_small(day) if chinese else fmt_arabic(rng, day)

        def on_day(y: int) -> DateRange:
            date = dt.date(y, month, day)
            return date_range(date, date)

        return f"{prefix}{m_text}月{d_text}{choice(rng, '日日号')}", in_year(year, ref, on_day)
    suffix = "份" if rng.random() < 0.15 else ""
    return f"{prefix}{m_text}月{suffix}", in_year(year, ref, lambda y: month_range(y, month))


MONTH = Pattern(
    "month",
    year_prefix() + rf"(?P<m>{AM}|{CM})月(?:(?P<d>{AD}|{CD})[日号]|份?{MONTH_LA})",
    _resolve_month,
    _sample_month,
    12,
)


# numeric: 2024-05, 2024/5, 2024.05, 2024-05-28, 2024/5/28, 2024.05.28
def _resolve_iso(g: Groups, ref: dt.date) -> DateRange:
    year = int(g["y"])  # type: ignore[arg-type]
    month = int(g["m"] or g["m2"])  # type: ignore[arg-type]
    day_text = g["d"] or g["d2"]
    if day_text is None:
        return month_range(year, month)
    day = dt.date(year, month, int(day_text))
    return date_range(day, day)


def _sample_iso(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    year, month = sample_year(rng, ref), randint(rng, 1, 12)
    pad = rng.random() < 0.7
    m_text = f"{month:02d}" if pad else str(month)
    sep = choice(rng, "--/.")
    if rng.random() < 0.35:
        return f"{year}{sep}{m_text}", month_range(year, month)
    day = randint(rng, 1, days_in_month(year, month))
    date = dt.date(year, month, day)
    d_text = f"{day:02d}" if pad else str(day)
    return f"{year}{sep}{m_text}{sep}{d_text}", date_range(date, date)


ISO = Pattern(
    "iso",
    rf"{LB}(?P<y>{AY})(?:(?P<s>[-/])(?P<m>{AM})(?:(?P=s)(?P<d>{AD}))?|\.(?P<m2>{AM})(?:\.(?P<d2>{AD}))?)"
    r"(?![0-9]|[-/.][0-9]|[万亿元千百%‰])",
    _resolve_iso,
    _sample_iso,
    2.5,
)


# absolute year: 2022年, 二〇二四年, 2024年度 (a bare two-digit 24年 is no date: 工作24年)
def _resolve_year_abs(g: Groups, ref: dt.date) -> DateRange:
    return month_range(num(g["ya"]), 1, 12)  # type: ignore[arg-type]


def _sample_year_abs(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    year = sample_year(rng, ref)
    return fmt_year(rng, year) + ("年度" if rng.random() < 0.1 else "年"), month_range(year, 1, 12)


YEAR_ABS = Pattern("year_abs", rf"{LB}(?P<ya>{AY}|{CY})年度?{YEAR_LA}", _resolve_year_abs, _sample_year_abs, 4)
