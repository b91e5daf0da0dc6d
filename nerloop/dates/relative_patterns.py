"""Periods relative to the reference date: 本月, 上上周, 本周三, 近7天, holidays, and comparisons."""

from __future__ import annotations

import datetime as dt
import random

from nerloop.dates.holidays import HOLIDAY_NAMES, NEEDS_TAIL, holiday_period, latest_holiday
from nerloop.dates.numbers import NN, YEAR_LA, cn_small, num, year_of, year_prefix
from nerloop.dates.periods import last_days, last_months, month_range, shift_month, shift_quarter, week
from nerloop.dates.table import CALENDAR, UNRANGED, Groups, Pattern, sample_year_prefix, words
from nerloop.draws import choice
from nerloop.records import DateRange, date_range

_NOT_PERIOD = "(?!期)"  # 本周期 is "this cycle", not 本周

TODAY = words("today", ("今天", "今日"), lambda r: date_range(r, r), 3)
YESTERDAY = words("yesterday", ("昨天", "昨日"), lambda r: last_days(r - dt.timedelta(days=1), 1), 3)
DAY_BEFORE = words("day_before", ("前天",), lambda r: last_days(r - dt.timedelta(days=2), 1), 1)
THREE_DAYS_AGO = words("three_days_ago", ("大前天",), lambda r: last_days(r - dt.timedelta(days=3), 1), 0.3)
THIS_WEEK = words("this_week", ("本周", "这周", "本星期", "这星期", "这个星期"), lambda r: week(r, 0), 3, _NOT_PERIOD)
LAST_WEEK = words("last_week", ("上周", "上星期", "上个星期", "上一周"), lambda r: week(r, -1), 3, _NOT_PERIOD)
WEEK_BEFORE_LAST = words(
    "week_before_last", ("上上周", "上上星期", "上上个星期"), lambda r: week(r, -2), 1, _NOT_PERIOD
)
THIS_MONTH = words("this_month", ("本月", "这个月", "当月", "本月份"), lambda r: month_range(r.year, r.month), 6)
LAST_MONTH = words("last_month", ("上月", "上个月", "上一个月", "上月份"), lambda r: shift_month(r, -1), 6)
MONTH_BEFORE_LAST = words("month_before_last", ("上上月", "上上个月"), lambda r: shift_month(r, -2), 1)
THIS_QUARTER = words(
    "this_quarter", ("本季度", "这季度", "本季", "这个季度", "当季度"), lambda r: shift_quarter(r, 0), 3
)
LAST_QUARTER = words("last_quarter", ("上季度", "上个季度", "上一季度", "上季"), lambda r: shift_quarter(r, -1), 3)
THIS_YEAR = words("this_year", ("今年", "本年度", "本年", "今年度"), lambda r: month_range(r.year, 1, 12), 4, YEAR_LA)
LAST_YEAR = words(
    "last_year", ("去年", "上年", "上一年", "去年度"), lambda r: month_range(r.year - 1, 1, 12), 4, YEAR_LA
)
YEAR_BEFORE = words("year_before", ("前年",), lambda r: month_range(r.year - 2, 1, 12), 1, YEAR_LA)


# weekdays: 本周三, 上周五, 上上周一, 这个星期天, 周三 (the latest Wednesday), 上周末
_WEEK_OFFSETS = {"本": 0, "这": 0, "这个": 0, "上": -1, "上个": -1, "上上": -2, "上上个": -2}
_DAYS = {"一": (0, 0), "二": (1, 1), "三": (2, 2), "四": (3, 3), "五": (4, 4), "六": (5, 5), "日": (6, 6),
         "天": (6, 6), "末": (5, 6)}  # fmt: skip
# 本周一共 (in total), 本周三次 (three times), 每周三 (every Wednesday) are no weekdays.
_NOT_AFTER_DAY = r"(?![次个件起天日周年月位名户条项台共些下直样般定致切十百千万0-9〇零一二两三四五六七八九])"


def _resolve_weekday(g: Groups, ref: dt.date) -> DateRange:
    first, last = _DAYS[g["d"]]  # type: ignore[index]
    if g["wk"] is None:  # the most recent such day (or weekend) starting on or before the reference
        start = ref - dt.timedelta(days=(ref.weekday() - first) % 7)
    else:
        start = week(ref, _WEEK_OFFSETS[g["wk"]]).start + dt.timedelta(days=first)
    return date_range(start, start + dt.timedelta(days=last - first))


def _sample_weekday(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    wk = choice(rng, ("本", "本", "这", "上", "上", "上个", "上上", "", ""))
    unit = choice(rng, ("周", "周", "周", "星期", "礼拜"))
    day = choice(rng, "一二三四五六日天末" if unit == "周" else "一二三四五六日天")
    return f"{wk}{unit}{day}", _resolve_weekday({"wk": wk or None, "d": day}, ref)


WEEKDAY = Pattern(
    "weekday",
    r"(?<![每0-9〇○零一二两三四五六七八九十几])(?P<wk>上上个?|上个?|本|这个?)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天末])"
    + _NOT_AFTER_DAY,
    _resolve_weekday,
    _sample_weekday,
    2,
)


# rolling windows ending on the reference date: 近7天, 最近30天, 过去两周, 近三个月, 近一年, 近半年
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
    return last_days(ref, n * size) if kind == "d" else last_months(ref, n * size)


def _resolve_near(g: Groups, ref: dt.date) -> DateRange | None:
    if g["n"] is None:  # 近半年
        return last_months(ref, 6)
    return _near(ref, num(g["n"]), g["u"])  # type: ignore[arg-type]


def _sample_near(rng: random.Random, ref: dt.date) -> tuple[str, DateRange]:
    prefix = choice(rng, _NEAR_PREFIXES)
    if rng.random() < 0.08:
        return prefix + "半年", last_months(ref, 6)
    ns, units = rng.choices(_NEAR_SAMPLES, weights=(6, 2, 4, 1, 2))[0]
    n, unit = choice(rng, ns), choice(rng, units)
    if n < 100 and rng.random() < 0.4:
        n_text = "两" if n == 2 and rng.random() < 0.5 else cn_small(n)
    else:
        n_text = str(n)
    return prefix + n_text + unit, _near(ref, n, unit)  # type: ignore[return-value]


def _near_regex() -> str:
    units = "|".join(sorted(_NEAR_UNITS, key=len, reverse=True))
    prefixes = "|".join(sorted(set(_NEAR_PREFIXES), key=len, reverse=True))
    return rf"(?:{prefixes})(?:(?P<n>{NN})(?P<u>{units})|半年)"


NEAR = Pattern("near", _near_regex(), _resolve_near, _sample_near, 5)


# public holidays: 春节期间, 国庆假期, 今年五一期间, 2024年中秋节; 五一前后 is a date with no range
_HOLIDAY_TAILS = ("期间", "假期", "长假", "小长假", "放假期间")
# Around, before or after a holiday: how many days is nowhere written.
_AROUND = ("前后", "之前", "之后", "以前", "以后", "前", "后")


def _holiday_regex() -> str:
    standalone = "|".join(sorted((n for n in HOLIDAY_NAMES if n not in NEEDS_TAIL), key=len, reverse=True))
    tailed = "|".join(sorted(NEEDS_TAIL, key=len, reverse=True))
    tails = "|".join(sorted((*_HOLIDAY_TAILS, *_AROUND), key=len, reverse=True))
    return rf"{year_prefix()}(?:(?P<h>{standalone})(?P<t>{tails})?|(?P<hs>{tailed})(?P<ts>{tails}))"


def _resolve_holiday(g: Groups, ref: dt.date) -> DateRange | None:
    if (g["t"] or g["ts"]) in _AROUND:
        return None
    key = HOLIDAY_NAMES[g["h"] or g["hs"]]  # type: ignore[index]
    year = year_of(g, ref.year)
    return latest_holiday(key, ref) if year is None else holiday_period(key, year)


def _sample_holiday(rng: random.Random, ref: dt.date) -> tuple[str, DateRange | None]:
    name = choice(rng, tuple(HOLIDAY_NAMES))
    prefix, year = sample_year_prefix(rng, ref, none_weight=6.0)
    r = rng.random()
    if r < 0.12:
        tail = choice(rng, ("前后", "前后", "前", "后", "之前", "以后"))
    else:
        tail = choice(rng, _HOLIDAY_TAILS) if r < 0.7 or name in NEEDS_TAIL else ""
    groups: Groups = {"h": name, "t": tail or None, "hs": None, "ts": None}
    if year is not None:
        groups.update(ya=str(year))
    return prefix + name + tail, _resolve_holiday(groups, ref)


HOLIDAY = Pattern("holiday", _holiday_regex(), _resolve_holiday, _sample_holiday, 2, CALENDAR)


# comparisons: no period of their own; the query's other Date mention (if any) carries the range
_COMPARISONS = ("同比", "同比", "环比", "去年同期", "上年同期", "上一年同期")
COMPARISON = Pattern(
    "comparison",
    r"(?:上一?年|去年)同期|同比(?!例)|环比",
    lambda g, ref: None,
    lambda rng, ref: (choice(rng, _COMPARISONS), None),
    0.0,  # not in place of a date: templates ask for one with {{date.compare}}
    UNRANGED,
)


def sample_comparison(rng: random.Random) -> str:
    """A comparison word (同比, 去年同期 …): a Date mention with no range."""
    return choice(rng, _COMPARISONS)
