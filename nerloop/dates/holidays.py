"""Official public-holiday periods of mainland China, from the ``chinese_calendar`` package.

春节, 国庆 and 五一 are the periods the State Council publishes each year (2024 春节:
02-10..02-17), not the festival day alone; lunar holidays move, and even the solar
ones are stretched by swapped working days, so no formula gives them. The package
ships the published arrangements (2004..2026 in chinese_calendar 1.11.0); for a
year it does not know, a holiday has no range (``None``), never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import lru_cache

from nerloop.records import DateRange, date_range

# How analysts name each holiday → the chinese_calendar ``Holiday`` member name.
HOLIDAY_NAMES: dict[str, str] = {
    "元旦": "new_years_day",
    "春节": "spring_festival",
    "清明": "tomb_sweeping_day",
    "清明节": "tomb_sweeping_day",
    "五一": "labour_day",
    "五一节": "labour_day",
    "劳动节": "labour_day",
    "五一劳动节": "labour_day",
    "端午": "dragon_boat_festival",
    "端午节": "dragon_boat_festival",
    "中秋": "mid_autumn_festival",
    "中秋节": "mid_autumn_festival",
    "国庆": "national_day",
    "国庆节": "national_day",
    "十一": "national_day",
}
# Names that are also place or road names (五一路, 国庆乡, 十一月): a date only with a tail (期间, 假期 …).
NEEDS_TAIL = frozenset({"五一", "十一", "国庆", "清明", "端午", "中秋"})


@lru_cache(maxsize=1)
def _periods() -> dict[tuple[str, int], DateRange]:
    try:
        from chinese_calendar.constants import Holiday, holidays
    except ImportError:  # pragma: no cover - a declared dependency; without it no holiday has a range
        return {}
    names = {member.value: member.name for member in Holiday}
    days: dict[tuple[str, int], list[dt.date]] = defaultdict(list)
    for day, label in holidays.items():
        # 元旦 may start in late December: it belongs to the year of its 1 January.
        year = day.year + 1 if day.month == 12 and day.day > 20 else day.year
        days[(names.get(label, label), year)].append(day)
    return {key: date_range(min(ds), max(ds)) for key, ds in days.items()}


def holiday_period(key: str, year: int) -> DateRange | None:
    """The published holiday period of ``key`` (a ``HOLIDAY_NAMES`` value) in ``year``, if known.

    A day-off block that merges two holidays (国庆 + 中秋 in 2025) runs from the first
    to the last day of the named one and so includes the other's days inside it;
    a holiday with no day of its own that year (中秋 2020, on 1 October) has none.
    """
    return _periods().get((key, year))


def latest_holiday(key: str, ref: dt.date) -> DateRange | None:
    """The most recent period of ``key`` that starts on or before ``ref``; ``None`` if the calendar cannot tell."""
    this_year = holiday_period(key, ref.year)
    if this_year is None:
        return None
    if this_year.start <= ref:
        return this_year
    return holiday_period(key, ref.year - 1)


def known_years() -> tuple[int, int]:
    """First and last year the installed calendar covers."""
    years = [year for _, year in _periods()]
    return (min(years), max(years)) if years else (0, -1)
