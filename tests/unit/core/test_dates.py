"""Date expressions: hand-checked ranges, agreement with jionlp, and round-trip properties."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerloop.dates import DATE_RE, PATTERN_NAMES, find_dates, normalize_date, sample_date
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
    ("十二月", R("2026-12-01", "2026-12-31")),
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
    ("5月28号", R("2026-05-28")),
    ("五月二十八日", R("2026-05-28")),
    ("2024-05", R("2024-05-01", "2024-05-31")),
    ("2024-05-28", R("2024-05-28")),
    ("2024/5/28", R("2024-05-28")),
    ("2024.05.28", R("2024-05-28")),
    ("２０２４－０５－２８", R("2024-05-28")),
    (" 本月 ", R("2026-11-01", "2026-11-30")),
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
        ("3月", D(2024, 1, 1), R("2024-03-01", "2024-03-31")),
    ],
)
def test_other_references(text: str, reference: dt.date, expected: DateRange) -> None:
    assert normalize_date(text, reference) == expected


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "菏泽", "投诉", "麒麟供电所", "13月", "十三月", "0月", "2023年2月30日", "2月30日",
        "2023年2月29日", "5月32日", "2024", "20240528", "2024.05", "24年", "近0天", "本周期",
        "2024年13月", "2024-13", "2024-05-32", "Q5", "五季度", "2024年5月巨野", "本月菏泽",
    ],
)  # fmt: skip
def test_not_a_date(text: str) -> None:
    assert normalize_date(text, REF) is None


def test_feb_29_without_a_year_depends_on_the_reference() -> None:
    assert normalize_date("2月29日", D(2026, 6, 1)) is None
    assert normalize_date("去年2月29日", D(2025, 6, 1)) == R("2024-02-29")
    assert find_dates("2月29日菏泽投诉") == []  # not valid under every reference


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("本月菏泽麒麟供电所投诉个数", ["本月"]),
        ("帮我查一下2024年5月巨野的意见", ["2024年5月"]),
        ("请问今年上半年菏泽投诉数量", ["今年上半年"]),
        ("去年同期和今年第一季度对比", ["去年", "今年第一季度"]),
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
        assert normalize_date(query[s:e], REF) is not None


# ---------------------------------------------------------------- jionlp cross-check
#
# jionlp 1.5.29 agrees on all of these. Left out on purpose:
#   近7天 / 最近30天 / 近三个月 …  jionlp spans reference-minus-N to the reference
#                                 (8 calendar days for 近7天); ours is N days ending today.
#   三月                          jionlp reads it as a duration (time_delta, "three months").
#   Q1, 本季                      jionlp cannot parse them.
AGREE_WITH_JIONLP = [
    "今天", "今日", "昨天", "昨日", "前天", "本周", "这周", "本星期", "上周", "上星期",
    "本月", "这个月", "当月", "上月", "上个月", "本季度", "上季度", "上个季度",
    "今年", "本年度", "去年", "上年", "前年", "上半年", "下半年", "今年上半年", "去年下半年",
    "3月", "一季度", "第一季度", "1季度", "三季度", "今年第一季度", "去年三季度",
    "2022年", "2024年5月", "2024年05月", "2024年2月", "2020年04月28号", "2024-05", "2024-05-28",
    "2024/5/28", "5月28日", "5月28号", "二〇二四年", "二零二四年五月", "十二月",
]  # fmt: skip


@pytest.mark.parametrize("reference", [REF, D(2026, 1, 15), D(2024, 3, 31)])
def test_agrees_with_jionlp(reference: dt.date) -> None:
    jionlp = pytest.importorskip("jionlp", reason="jionlp not installed")
    base = dt.datetime.combine(reference, dt.time(12))
    disagreements = []
    for text in AGREE_WITH_JIONLP:
        theirs = jionlp.parse_time(text, time_base=base)["time"]
        their_range = R(theirs[0][:10], theirs[1][:10])
        ours = normalize_date(text, reference)
        if ours != their_range:
            disagreements.append((text, ours, their_range))
    assert not disagreements
    assert len(AGREE_WITH_JIONLP) >= 20


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
        assert expected.start <= expected.end
        assert normalize_date(surface, reference) == expected, surface


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), reference=REFS, prefix=NOT_DATES, suffix=NOT_DATES, other=REFS)
def test_find_dates_in_context(seed: int, reference: dt.date, prefix: str, suffix: str, other: dt.date) -> None:
    surface, _ = sample_date(random.Random(seed), reference)
    query = prefix + surface + suffix
    assert find_dates(query) == [(len(prefix), len(prefix) + len(surface))], query
    assert normalize_date(surface, other) is not None  # a found span means a date under any reference


def test_sampler_covers_every_pattern() -> None:
    rng = random.Random(7)
    surfaces = [unicodedata.normalize("NFKC", sample_date(rng, REF)[0]) for _ in range(3000)]
    matches = [DATE_RE.fullmatch(s) for s in surfaces]
    assert {m.lastgroup for m in matches if m is not None} == set(PATTERN_NAMES)


def test_sampling_depends_only_on_the_rng() -> None:
    random.seed(1)
    a = [sample_date(rng, REF) for rng in [random.Random(3)] for _ in range(50)]
    random.seed(2)
    b = [sample_date(rng, REF) for rng in [random.Random(3)] for _ in range(50)]
    assert a == b
