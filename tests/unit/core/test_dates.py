"""Date expressions: hand-checked ranges, agreement with jionlp, and round-trip properties."""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerloop.dates import (
    BOUNDS,
    DATE_RE,
    PATTERN_NAMES,
    RANGELESS_PATTERNS,
    find_dates,
    normalize_date,
    sample_comparison,
    sample_date,
)
from nerloop.records import DateRange

D = dt.date
REF = D(2026, 11, 25)  # a Wednesday: its week is 2026-11-23 .. 2026-11-29


def R(a: str, b: str | None = None) -> DateRange:
    return DateRange(D.fromisoformat(a), D.fromisoformat(b or a))


# Worked out by hand against REF.
HAND_CHECKED = [
    ("今天", R("2026-11-25")),
    ("今日", R("2026-11-25")),
    ("昨天", R("2026-11-24")),
    ("昨日", R("2026-11-24")),
    ("前天", R("2026-11-23")),
    ("本周", R("2026-11-23", "2026-11-29")),
    ("这周", R("2026-11-23", "2026-11-29")),
    ("本星期", R("2026-11-23", "2026-11-29")),
    ("上周", R("2026-11-16", "2026-11-22")),
    ("上星期", R("2026-11-16", "2026-11-22")),
    ("本月", R("2026-11-01", "2026-11-30")),
    ("这个月", R("2026-11-01", "2026-11-30")),
    ("当月", R("2026-11-01", "2026-11-30")),
    ("上月", R("2026-10-01", "2026-10-31")),
    ("上个月", R("2026-10-01", "2026-10-31")),
    ("本季度", R("2026-10-01", "2026-12-31")),
    ("这季度", R("2026-10-01", "2026-12-31")),
    ("本季", R("2026-10-01", "2026-12-31")),
    ("上季度", R("2026-07-01", "2026-09-30")),
    ("上个季度", R("2026-07-01", "2026-09-30")),
    ("今年", R("2026-01-01", "2026-12-31")),
    ("本年度", R("2026-01-01", "2026-12-31")),
    ("本年", R("2026-01-01", "2026-12-31")),
    ("去年", R("2025-01-01", "2025-12-31")),
    ("上年", R("2025-01-01", "2025-12-31")),
    ("前年", R("2024-01-01", "2024-12-31")),
    ("上半年", R("2026-01-01", "2026-06-30")),
    ("下半年", R("2026-07-01", "2026-12-31")),
    ("今年上半年", R("2026-01-01", "2026-06-30")),
    ("去年下半年", R("2025-07-01", "2025-12-31")),
    ("2024年上半年", R("2024-01-01", "2024-06-30")),
    ("近7天", R("2026-11-19", "2026-11-25")),
    ("近一周", R("2026-11-19", "2026-11-25")),
    ("最近30天", R("2026-10-27", "2026-11-25")),
    ("过去两周", R("2026-11-12", "2026-11-25")),
    ("近三个月", R("2026-08-26", "2026-11-25")),
    ("近半年", R("2026-05-26", "2026-11-25")),
    ("近一年", R("2025-11-26", "2026-11-25")),
    ("3月", R("2026-03-01", "2026-03-31")),
    ("三月", R("2026-03-01", "2026-03-31")),
    ("三月份", R("2026-03-01", "2026-03-31")),
    ("十二月", R("2025-12-01", "2025-12-31")),  # December 2026 has not started: the latest December
    ("十一月", R("2026-11-01", "2026-11-30")),
    ("一季度", R("2026-01-01", "2026-03-31")),
    ("第一季度", R("2026-01-01", "2026-03-31")),
    ("1季度", R("2026-01-01", "2026-03-31")),
    ("Q1", R("2026-01-01", "2026-03-31")),
    ("三季度", R("2026-07-01", "2026-09-30")),
    ("第4季度", R("2026-10-01", "2026-12-31")),
    ("今年第一季度", R("2026-01-01", "2026-03-31")),
    ("去年三季度", R("2025-07-01", "2025-09-30")),
    ("2024年Q3", R("2024-07-01", "2024-09-30")),
    ("2022年", R("2022-01-01", "2022-12-31")),
    ("2024年度", R("2024-01-01", "2024-12-31")),
    ("二〇二四年", R("2024-01-01", "2024-12-31")),
    ("２０２４年", R("2024-01-01", "2024-12-31")),
    ("2024年5月", R("2024-05-01", "2024-05-31")),
    ("2024年05月", R("2024-05-01", "2024-05-31")),
    ("２０２４年５月", R("2024-05-01", "2024-05-31")),
    ("二零二四年五月", R("2024-05-01", "2024-05-31")),
    ("2024年2月", R("2024-02-01", "2024-02-29")),
    ("2023年2月", R("2023-02-01", "2023-02-28")),
    ("去年12月", R("2025-12-01", "2025-12-31")),
    ("今年3月", R("2026-03-01", "2026-03-31")),
    ("2020年04月28号", R("2020-04-28")),
    ("2020年4月28日", R("2020-04-28")),
    ("二〇二四年十二月三十一日", R("2024-12-31")),
    ("2024年2月29日", R("2024-02-29")),
    ("5月28日", R("2026-05-28")),
    ("12月28日", R("2025-12-28")),
    ("5月28号", R("2026-05-28")),
    ("五月二十八日", R("2026-05-28")),
    ("2024-05", R("2024-05-01", "2024-05-31")),
    ("2024-05-28", R("2024-05-28")),
    ("2024/5/28", R("2024-05-28")),
    ("2024.05.28", R("2024-05-28")),
    ("２０２４－０５－２８", R("2024-05-28")),
    (" 本月 ", R("2026-11-01", "2026-11-30")),
    # two-digit years, before a month, quarter or half
    ("24年5月", R("2024-05-01", "2024-05-31")),
    ("24年5月28日", R("2024-05-28")),
    ("24年Q3", R("2024-07-01", "2024-09-30")),
    ("24年三季度", R("2024-07-01", "2024-09-30")),
    ("24年上半年", R("2024-01-01", "2024-06-30")),
    ("99年5月", R("1999-05-01", "1999-05-31")),  # 89 years back .. 10 ahead of the reference year
    # month ranges
    ("今年2-4月", R("2026-02-01", "2026-04-30")),
    ("2-4月", R("2026-02-01", "2026-04-30")),
    ("二到四月", R("2026-02-01", "2026-04-30")),
    ("2024年10月到12月", R("2024-10-01", "2024-12-31")),
    ("2024年10月至12月", R("2024-10-01", "2024-12-31")),
    ("24年10-12月", R("2024-10-01", "2024-12-31")),
    ("10月-12月份", R("2026-10-01", "2026-12-31")),
    ("2024年11月至2025年1月", R("2024-11-01", "2025-01-31")),
    ("去年11月到今年2月", R("2025-11-01", "2026-02-28")),
    ("2024年12月到1月", R("2024-12-01", "2025-01-31")),  # wraps into the next year
    ("11月到2月", R("2026-11-01", "2027-02-28")),  # the latest such range that has started
    # quarter ranges and the first N quarters or months of a year
    ("一至三季度", R("2026-01-01", "2026-09-30")),
    ("Q2-Q3", R("2026-04-01", "2026-09-30")),
    ("去年2-3季度", R("2025-04-01", "2025-09-30")),
    ("今年前两个季度", R("2026-01-01", "2026-06-30")),
    ("前三季度", R("2026-01-01", "2026-09-30")),
    ("去年前三季度", R("2025-01-01", "2025-09-30")),
    ("今年前5个月", R("2026-01-01", "2026-05-31")),
    ("2024年前两个月", R("2024-01-01", "2024-02-29")),
    # since a start, to the reference date
    ("年初至今", R("2026-01-01", "2026-11-25")),
    ("年初到现在", R("2026-01-01", "2026-11-25")),
    ("今年以来", R("2026-01-01", "2026-11-25")),
    ("今年年初至今", R("2026-01-01", "2026-11-25")),
    ("2024年以来", R("2024-01-01", "2026-11-25")),
    ("2024年5月至今", R("2024-05-01", "2026-11-25")),
    ("5月以来", R("2026-05-01", "2026-11-25")),
    ("本月以来", R("2026-11-01", "2026-11-25")),
    # two back
    ("上上周", R("2026-11-09", "2026-11-15")),
    ("上上个星期", R("2026-11-09", "2026-11-15")),
    ("上上个月", R("2026-09-01", "2026-09-30")),
    ("上上月", R("2026-09-01", "2026-09-30")),
    ("大前天", R("2026-11-22")),
    # weekdays (REF is Wednesday 2026-11-25)
    ("本周三", R("2026-11-25")),
    ("本周一", R("2026-11-23")),
    ("这周日", R("2026-11-29")),
    ("本周末", R("2026-11-28", "2026-11-29")),
    ("上周五", R("2026-11-20")),
    ("上星期一", R("2026-11-16")),
    ("上个礼拜天", R("2026-11-22")),
    ("上上周一", R("2026-11-09")),
    ("周三", R("2026-11-25")),  # the latest Wednesday: today
    ("周五", R("2026-11-20")),
    ("星期一", R("2026-11-23")),
    ("周日", R("2026-11-22")),
    ("周末", R("2026-11-21", "2026-11-22")),
    # dotted and slashed months
    ("2024.05", R("2024-05-01", "2024-05-31")),
    ("2024.5", R("2024-05-01", "2024-05-31")),
    ("2024/5", R("2024-05-01", "2024-05-31")),
    ("2024/05", R("2024-05-01", "2024-05-31")),
    # rolling windows end on the reference date
    ("过去30天", R("2026-10-27", "2026-11-25")),
    ("最近两周", R("2026-11-12", "2026-11-25")),
    ("过去半年", R("2026-05-26", "2026-11-25")),
    ("最近一个月", R("2026-10-26", "2026-11-25")),
    ("近一个季度", R("2026-08-26", "2026-11-25")),
    # holidays: the published days off (State Council arrangements, via chinese_calendar)
    ("春节期间", R("2026-02-15", "2026-02-23")),
    ("春节", R("2026-02-15", "2026-02-23")),
    ("国庆假期", R("2026-10-01", "2026-10-07")),
    ("国庆节", R("2026-10-01", "2026-10-07")),
    ("十一期间", R("2026-10-01", "2026-10-07")),
    ("十一长假", R("2026-10-01", "2026-10-07")),
    ("五一期间", R("2026-05-01", "2026-05-05")),
    ("劳动节", R("2026-05-01", "2026-05-05")),
    ("元旦", R("2026-01-01", "2026-01-03")),
    ("清明节", R("2026-04-04", "2026-04-06")),
    ("端午节", R("2026-06-19", "2026-06-21")),
    ("中秋节", R("2026-09-25", "2026-09-27")),
    ("2024年春节", R("2024-02-10", "2024-02-17")),
    ("去年国庆期间", R("2025-10-01", "2025-10-08")),  # 国庆 and 中秋 merged: 10-01..10-08
    ("2024年元旦", R("2023-12-30", "2024-01-01")),
    # day and year ranges
    ("5月1日至7日", R("2026-05-01", "2026-05-07")),
    ("5月1-7日", R("2026-05-01", "2026-05-07")),
    ("5月1日到5月7日", R("2026-05-01", "2026-05-07")),
    ("2024年5月28日到6月3日", R("2024-05-28", "2024-06-03")),
    ("2024年12月28日至2025年1月3日", R("2024-12-28", "2025-01-03")),
    ("12月28日至1月3日", R("2025-12-28", "2026-01-03")),  # 2026-12-28 has not come
    ("2023-2024年", R("2023-01-01", "2024-12-31")),
    ("2023年至2024年", R("2023-01-01", "2024-12-31")),
]


@pytest.mark.parametrize(("text", "expected"), HAND_CHECKED, ids=[t for t, _ in HAND_CHECKED])
def test_hand_checked(text: str, expected: DateRange) -> None:
    assert normalize_date(text, REF) == expected


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("上季度", D(2026, 1, 15), R("2025-10-01", "2025-12-31")),
        ("上月", D(2026, 3, 31), R("2026-02-01", "2026-02-28")),
        ("上月", D(2024, 3, 31), R("2024-02-01", "2024-02-29")),
        ("上月", D(2026, 1, 10), R("2025-12-01", "2025-12-31")),
        ("本周", D(2026, 11, 29), R("2026-11-23", "2026-11-29")),  # Sunday ends the week
        ("本周", D(2026, 11, 23), R("2026-11-23", "2026-11-29")),  # Monday starts it
        ("上周", D(2026, 1, 1), R("2025-12-22", "2025-12-28")),
        ("本季度", D(2026, 3, 31), R("2026-01-01", "2026-03-31")),
        ("近三个月", D(2026, 5, 31), R("2026-03-01", "2026-05-31")),
        ("近7天", D(2026, 3, 3), R("2026-02-25", "2026-03-03")),
        ("昨天", D(2026, 1, 1), R("2025-12-31")),
        ("2月29日", D(2024, 6, 1), R("2024-02-29")),
        ("2月29日", D(2026, 6, 1), R("2024-02-29")),  # the latest 29 February
        ("2月29日", D(2024, 2, 28), R("2020-02-29")),
        ("3月", D(2024, 1, 1), R("2023-03-01", "2023-03-31")),  # March 2024 has not started
        ("3月", D(2024, 3, 1), R("2024-03-01", "2024-03-31")),  # it has: the whole month
        ("三季度", D(2026, 1, 15), R("2025-07-01", "2025-09-30")),
        ("下半年", D(2026, 3, 10), R("2025-07-01", "2025-12-31")),
        ("上半年", D(2026, 3, 10), R("2026-01-01", "2026-06-30")),
        ("今年3月", D(2024, 1, 1), R("2024-03-01", "2024-03-31")),  # a written year is kept, even ahead
        ("2-4月", D(2026, 1, 10), R("2025-02-01", "2025-04-30")),
        ("11月到2月", D(2026, 3, 1), R("2025-11-01", "2026-02-28")),
        ("周五", D(2026, 11, 27), R("2026-11-27")),  # a Friday: today
        ("周末", D(2026, 11, 29), R("2026-11-28", "2026-11-29")),
        ("春节期间", D(2026, 1, 15), R("2025-01-28", "2025-02-04")),  # 2026's has not started
        ("元旦", D(2025, 12, 31), R("2025-01-01", "2025-01-01")),
        ("年初至今", D(2026, 1, 1), R("2026-01-01")),
        ("24年5月", D(2026, 1, 1), R("2024-05-01", "2024-05-31")),
        ("36年5月", D(2026, 1, 1), R("2036-05-01", "2036-05-31")),
        ("37年5月", D(2026, 1, 1), R("1937-05-01", "1937-05-31")),
    ],
)
def test_other_references(text: str, reference: dt.date, expected: DateRange) -> None:
    assert normalize_date(text, reference) == expected


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "菏泽", "投诉", "麒麟供电所", "13月", "十三月", "0月", "2023年2月30日", "2月30日",
        "2023年2月29日", "5月32日", "2024", "20240528", "24年", "近0天", "本周期",
        "2024年13月", "2024-13", "2024-05-32", "Q5", "五季度", "2024年5月巨野", "本月菏泽",
        "2025年3月到2024年1月", "2024年3月到3月", "4-3季度", "今年前13个月", "前两个月", "24年以来",
        "五一", "国庆", "十一", "清明", "每周三", "本周一共", "至今", "2024年12月以来", "2024.05万",
        "5月7日到5月1日", "2024-2023年",
    ],
)  # fmt: skip
def test_not_a_date(text: str) -> None:
    assert normalize_date(text, D(2024, 11, 25)) is None


@pytest.mark.parametrize(
    "text",
    ["同比", "环比", "去年同期", "上年同期", "五一前后", "春节前后", "国庆前后", "春节后", "国庆节前", "五一之后",
     "2030年春节", "2003年国庆节"],
)  # fmt: skip
def test_dates_without_an_honest_range_are_mentions_with_no_range(text: str) -> None:
    assert normalize_date(text, REF) is None
    assert find_dates(f"菏泽{text}投诉") == [(2, 2 + len(text))]
    assert DATE_RE.fullmatch(text).lastgroup in RANGELESS_PATTERNS


@pytest.mark.parametrize("text", ["3月以后", "今年以前", "上周之前", "2024年5月之后", "近7天以前"])
def test_a_date_with_a_bound_is_one_mention_without_a_range(text: str) -> None:
    assert normalize_date(text, REF) is None
    assert find_dates(f"菏泽{text}的投诉") == [(2, 2 + len(text))]


def test_feb_29_with_a_relative_year_depends_on_the_reference() -> None:
    assert normalize_date("去年2月29日", D(2026, 6, 1)) is None
    assert normalize_date("去年2月29日", D(2025, 6, 1)) == R("2024-02-29")
    assert find_dates("去年2月29日菏泽投诉") == []  # not valid under every reference
    assert find_dates("2月29日菏泽投诉") == [(0, 5)]  # the latest 29 February always exists


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("本月菏泽麒麟供电所投诉个数", ["本月"]),
        ("帮我查一下2024年5月巨野的意见", ["2024年5月"]),
        ("请问今年上半年菏泽投诉数量", ["今年上半年"]),
        ("去年同期和今年第一季度对比", ["去年同期", "今年第一季度"]),
        ("对比今年和去年巨野的投诉", ["今年", "去年"]),
        ("2024年11月至2025年1月巨野投诉", ["2024年11月至2025年1月"]),
        ("5月1日到5月7日投诉", ["5月1日到5月7日"]),
        ("2023年至2024年5月投诉", ["2023年", "2024年5月"]),  # two mentions, each its own range
        ("3月以后的投诉", ["3月以后"]),
        ("麒麟所同比投诉变化", ["同比"]),
        ("五一路供电所投诉", []),
        ("国庆乡和十一街道的投诉", []),
        ("五一期间巨野停电", ["五一期间"]),
        ("本周一共多少投诉", ["本周"]),
        ("本周三次停电", ["本周"]),
        ("每周三的投诉", []),
        ("周村区投诉", []),
        ("工作24年的老员工", []),
        ("同比例增长", []),
        ("营收2024.05万元", []),
        ("24年5月巨野意见", ["24年5月"]),
        ("2020年04月28号麒麟所故障报修情况", ["2020年04月28号"]),
        ("２０２４年５月巨野意见", ["２０２４年５月"]),
        ("上季度,3月和Q4的投诉", ["上季度", "3月", "Q4"]),
        ("近7天菏泽投诉排名", ["近7天"]),
        ("今年一共多少投诉", ["今年"]),
        ("13月菏泽投诉", []),
        ("2023年13月投诉", []),
        ("2023年2月30日巨野意见", []),
        ("菏泽110千伏线路2024条", []),
        ("本周期投诉", []),
        ("APPQ1版本", []),
    ],
)
def test_find_dates(query: str, mentions: list[str]) -> None:
    spans = find_dates(query)
    assert [query[s:e] for s, e in spans] == mentions
    for s, e in spans:
        text = query[s:e]
        assert normalize_date(text, REF) is not None or _pattern(text) in RANGELESS_PATTERNS or text.endswith(BOUNDS)


# ---------------------------------------------------------------- jionlp cross-check
#
# jionlp 1.5.29 agrees on these; the deliberate differences are listed in docs/dates.md
# (rolling windows, yearless periods that have not started, holidays, 以来, comparisons …).
AGREE_WITH_JIONLP = [
    "今天", "今日", "昨天", "昨日", "前天", "大前天", "本周", "这周", "本星期", "上周", "上星期", "上上周",
    "本月", "这个月", "当月", "上月", "上个月", "上上个月", "本季度", "上季度", "上个季度",
    "今年", "本年度", "去年", "上年", "前年", "上半年", "今年上半年", "去年下半年", "24年上半年",
    "一季度", "第一季度", "1季度", "今年第一季度", "去年三季度",
    "2022年", "2024年5月", "2024年05月", "2024年2月", "2020年04月28号", "2024-05", "2024-05-28",
    "2024/5/28", "二〇二四年", "二零二四年五月", "24年5月", "2024.05", "2024/5", "2024.05.28",
    "今年2-4月", "2024年10月到12月", "2024年11月至2025年1月", "年初至今",
    "今年前两个季度", "前三季度", "今年前5个月", "本周三", "上周五", "周三",
    "上上个星期", "今年年初至今", "去年前三季度", "2024年前两个月", "24年10-12月",
    "2024年5月28日到6月3日", "2024年12月28日至2025年1月3日", "2023-2024年", "2023年至2024年",
]  # fmt: skip
# These agree where the named period has already started in the reference year (REF: 2026-11-25).
AGREE_WITH_JIONLP_AT_REF = [
    "3月", "5月28日", "5月28号", "三季度", "下半年", "2024年5月至今", "2-4月", "二到四月",
    "5月1日至7日", "5月1-7日", "5月1日到5月7日",
]  # fmt: skip


def _jionlp_range(jionlp, text: str, reference: dt.date) -> DateRange:
    theirs = jionlp.parse_time(text, time_base=dt.datetime.combine(reference, dt.time(12)))["time"]
    return R(theirs[0][:10], theirs[1][:10])


@pytest.mark.parametrize("reference", [REF, D(2026, 1, 15), D(2024, 3, 31)])
def test_agrees_with_jionlp(reference: dt.date) -> None:
    jionlp = pytest.importorskip("jionlp", reason="jionlp not installed")
    texts = AGREE_WITH_JIONLP + (AGREE_WITH_JIONLP_AT_REF if reference == REF else [])
    disagreements = []
    for text in texts:
        ours, theirs = normalize_date(text, reference), _jionlp_range(jionlp, text, reference)
        if ours != theirs:
            disagreements.append((text, ours, theirs))
    assert not disagreements
    assert len(AGREE_WITH_JIONLP) >= 60


# ---------------------------------------------------------------- properties

REFS = st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31))
NOT_DATES = st.sampled_from(
    ["", "菏泽", "麒麟供电所", "投诉个数", "请问", "帮我查一下", "巨野县", "山东省", "的", "意见", "满意度", "，", " "]
)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), reference=REFS)
def test_samples_normalize_back(seed: int, reference: dt.date) -> None:
    rng = random.Random(seed)
    for _ in range(20):
        surface, expected = sample_date(rng, reference)
        assert expected is None or expected.start <= expected.end
        assert normalize_date(surface, reference) == expected, surface


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), reference=REFS, prefix=NOT_DATES, suffix=NOT_DATES, other=REFS)
def test_find_dates_in_context(seed: int, reference: dt.date, prefix: str, suffix: str, other: dt.date) -> None:
    surface, _ = sample_date(random.Random(seed), reference)
    query = prefix + surface + suffix
    assert find_dates(query) == [(len(prefix), len(prefix) + len(surface))], query
    if _pattern(surface) not in RANGELESS_PATTERNS and not surface.endswith(BOUNDS):
        assert normalize_date(surface, other) is not None  # a found span means a date under any reference


def _pattern(surface: str) -> str | None:
    match = DATE_RE.fullmatch(unicodedata.normalize("NFKC", surface))
    return None if match is None else match.lastgroup


@settings(max_examples=300, deadline=None)
@given(reference=REFS, month=st.integers(1, 12), day=st.integers(1, 28), weekday=st.sampled_from("一二三四五六日"))
def test_yearless_periods_are_the_latest_that_started(reference: dt.date, month: int, day: int, weekday: str) -> None:
    """The README's convention: a period named without a year starts on or before the reference, within a cycle."""
    year_ago = reference - dt.timedelta(days=366)
    for text in (f"{month}月", f"{month}月{day}日", f"{(month - 1) // 3 + 1}季度", "上半年", "下半年"):
        found = normalize_date(text, reference)
        assert found is not None and year_ago < found.start <= reference, text
    found = normalize_date(f"周{weekday}", reference)
    assert found is not None and reference - dt.timedelta(days=7) < found.start <= reference
    window = normalize_date(f"近{day}天", reference)
    assert window is not None and window.end == reference and (window.end - window.start).days == day - 1
    since = normalize_date("年初至今", reference)
    assert since == DateRange(D(reference.year, 1, 1), reference)


def test_comparisons_are_sampled_as_rangeless_mentions() -> None:
    rng = random.Random(0)
    for _ in range(20):
        text = sample_comparison(rng)
        assert find_dates(text) == [(0, len(text))] and normalize_date(text, REF) is None


def test_sampler_covers_every_pattern() -> None:
    rng = random.Random(7)
    surfaces = [unicodedata.normalize("NFKC", sample_date(rng, REF)[0]) for _ in range(3000)]
    matches = [DATE_RE.fullmatch(s) for s in surfaces]
    assert {m.lastgroup for m in matches if m is not None} == set(PATTERN_NAMES) - {"comparison"}


def test_first_chars_cover_every_pattern() -> None:
    """DATE_RE's lookahead must admit every character a date mention can start with."""
    from nerloop.dates import FIRST_CHARS, PATTERNS
    from nerloop.dates.first_chars import first_chars

    allowed = first_chars(f"[{FIRST_CHARS}]")
    assert allowed is not None
    for pattern in PATTERNS:
        firsts = first_chars(pattern.regex)
        assert firsts is not None and firsts <= allowed, (pattern.name, firsts)


def test_sampling_depends_only_on_the_rng() -> None:
    random.seed(1)
    a = [sample_date(rng, REF) for rng in [random.Random(3)] for _ in range(50)]
    random.seed(2)
    b = [sample_date(rng, REF) for rng in [random.Random(3)] for _ in range(50)]
    assert a == b


@functools.cache
def _plain_regex() -> re.Pattern[str]:
    """DATE_RE's alternatives joined as they are written, without their first-character tests."""
    from nerloop.dates import PATTERNS, _compile

    return _compile(PATTERNS, lookaheads=False)[0]


def _find_with_plain_regex(text: str) -> list[tuple[int, int, str | None]]:
    """find_dates with the plain join of the alternatives."""
    from nerloop.dates import _is_mention
    from nerloop.width import fold_width

    plain = _plain_regex()
    folded, spans, pos = fold_width(text), [], 0
    while (match := plain.search(folded, pos)) is not None:
        pos = match.end()
        if _is_mention(match):
            bound = next((b for b in BOUNDS if folded.startswith(b, pos)), "")
            pos += len(bound)
            spans.append((match.start(), pos, match.lastgroup))
    return spans


def _find_with_date_re(text: str) -> list[tuple[int, int, str | None]]:
    """find_dates's spans, with the pattern that matched each (the lookaheads must not change it)."""
    from nerloop.width import fold_width

    folded = fold_width(text)
    return [(s, e, DATE_RE.match(folded, s).lastgroup) for s, e in find_dates(text)]  # type: ignore[union-attr]


def test_first_chars_reads_what_it_knows_and_refuses_the_rest() -> None:
    from nerloop.dates.first_chars import first_chars

    assert first_chars(r"(?<!\d)(?:本|上)?月") == frozenset("本上月")
    assert first_chars(r"\d{4}年") == frozenset("0123456789")
    assert first_chars(r"[一-三]季度|Q[1-4]") == frozenset(map(chr, range(ord("一"), ord("三") + 1))) | {"Q"}
    assert first_chars(r"(?i)q1") is None  # case-insensitive
    assert first_chars(r".月") is None and first_chars(r"[^年]月") is None
    assert first_chars(r"(?:今年)?") is None  # can match the empty string


# Characters dates are made of, with others around them: both ways must read them alike.
_DATE_ALPHABET = "0123456789０２年月日号季度周星期一二三四五六七八九十两〇零上下本这今去前后近最过半当天春节元旦国庆劳动端午中秋清明同比环期以来至今到和-~、／/QqH供电所巨野"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_DATE_ALPHABET, max_size=24))
def test_the_first_character_tests_change_no_match(text: str) -> None:
    assert _find_with_date_re(text) == _find_with_plain_regex(text)


def test_the_first_character_tests_change_no_match_on_sampled_dates() -> None:
    from nerloop.width import fold_width

    rng = random.Random(7)
    for _ in range(2000):
        surface = sample_date(rng, REF)[0]
        text = (
            rng.choice(["", "查询", "菏泽", "1"]) + surface + rng.choice(["", "投诉", "和" + sample_date(rng, REF)[0]])
        )
        assert _find_with_date_re(text) == _find_with_plain_regex(text), text
        folded = fold_width(surface.strip())
        with_tests, plain = DATE_RE.fullmatch(folded), _plain_regex().fullmatch(folded)
        assert (with_tests is None) == (plain is None), surface  # None: 今天之后, a bound taken in
        if with_tests is not None and plain is not None:
            assert (with_tests.lastgroup, with_tests.groupdict()) == (plain.lastgroup, plain.groupdict()), surface


def test_days_in_month_is_the_calendars() -> None:
    import calendar

    from nerloop.dates.periods import days_in_month

    for year in [*range(1, 2500), 9999]:
        for month in range(1, 13):
            assert days_in_month(year, month) == calendar.monthrange(year, month)[1], (year, month)
    for month in (0, 13):
        with pytest.raises(calendar.IllegalMonthError):
            days_in_month(2024, month)
