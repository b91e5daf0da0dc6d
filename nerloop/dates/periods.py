"""Calendar arithmetic on inclusive day ranges."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable

from nerloop.records import DateRange, date_range

_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """``calendar.monthrange(year, month)[1]``, without its interpreted frames (it also works out the
    weekday): generation asks for it in about half of its samples."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29  # calendar.isleap, inlined
    if not 1 <= month <= 12:
        raise calendar.IllegalMonthError(month)
    return _MONTH_DAYS[month]


def month_range(year: int, m_first: int, m_last: int | None = None, year_last: int | None = None) -> DateRange:
    """``m_first`` of ``year`` through ``m_last`` of ``year_last`` (default: the same month and year)."""
    m_last = m_first if m_last is None else m_last
    year_last = year if year_last is None else year_last
    end = dt.date(year_last, m_last, days_in_month(year_last, m_last))
    return date_range(dt.date(year, m_first, 1), end)


def quarter_range(year: int, quarter: int, last: int | None = None) -> DateRange:
    return month_range(year, 3 * quarter - 2, 3 * (quarter if last is None else last))


def add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month0 + 1, min(day.day, days_in_month(year, month0 + 1)))


def last_days(ref: dt.date, days: int) -> DateRange:
    return date_range(ref - dt.timedelta(days=days - 1), ref)


def last_months(ref: dt.date, months: int) -> DateRange:
    return date_range(add_months(ref, -months) + dt.timedelta(days=1), ref)


def week(ref: dt.date, offset: int) -> DateRange:
    monday = ref - dt.timedelta(days=ref.weekday()) + dt.timedelta(weeks=offset)
    return date_range(monday, monday + dt.timedelta(days=6))


def shift_month(ref: dt.date, offset: int) -> DateRange:
    day = add_months(ref.replace(day=1), offset)
    return month_range(day.year, day.month)


def shift_quarter(ref: dt.date, offset: int) -> DateRange:
    year, q0 = divmod(ref.year * 4 + (ref.month - 1) // 3 + offset, 4)
    return quarter_range(year, q0 + 1)


def since(start: dt.date, ref: dt.date) -> DateRange | None:
    """``start`` through the reference date; ``None`` when ``start`` lies after it."""
    return date_range(start, ref) if start <= ref else None


# 2月29日 without a year: the latest one lies at most 8 years back (1900 and 2100 are not leap years).
_YEARS_BACK = 9


def latest(ref: dt.date, period_in: Callable[[int], DateRange]) -> DateRange:
    """The most recent period that starts on or before ``ref``: the convention for a period named without a year.

    Args:
        ref: the reference date.
        period_in: the period in a given year (its start year); may raise ``ValueError``
            for years in which it does not exist (2月29日).
    """
    for year in range(ref.year, ref.year - _YEARS_BACK, -1):
        try:
            period = period_in(year)
        except ValueError:
            continue
        if period.start <= ref:
            return period
    raise ValueError("no such period in the years before the reference date")
