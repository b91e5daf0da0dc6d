"""Numbers and years as written in date expressions: regex fragments, parsing, formatting."""

from __future__ import annotations

import random

from nerloop.draws import choice

_CN_DIGIT = {
    "〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
CN_CHARS = "一二三四五六七八九"

# Not preceded by a digit, a letter or a Chinese numeral: 3月 inside 13月, Q1 inside SQ1.
LB = r"(?<![0-9A-Za-z〇○零一二两三四五六七八九十百千万])"
AY = r"(?:19|20|21)\d{2}"  # four-digit year, 1900..2199
CY = r"(?:一九|二[〇○零一])[〇○零一二三四五六七八九]{2}"  # 二〇二四
Y2 = r"\d{2}"  # two-digit year (24年5月), only before a month, quarter or half
AM = r"1[0-2]|0?[1-9]"
CM = r"十[一二]?|[一二三四五六七八九]"
AD = r"3[01]|[12]\d|0?[1-9]"
CD = r"三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九]"
NN = r"[1-9]\d{0,2}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九]"
_CN_NUM_THEN = r"[〇○零一二三四五六七八九十]+"
# After a year: not a number, and not a Chinese number that is a (bad) month or day.
YEAR_LA = rf"(?![0-9]|{_CN_NUM_THEN}[月日号])"
# After a month without a day: no number at all, nor a Chinese (bad) day.
MONTH_LA = rf"(?![0-9]|{_CN_NUM_THEN}[日号])"
REL_YEARS = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "前年": -2}


def year_prefix(tag: str = "", *, required: bool = False) -> str:
    """A year before a month, quarter or half: 今年, 2024年, 二〇二四年, 24年, or (unless required) none.

    ``tag`` suffixes the group names (``yr``, ``ya``, ``y2``) so that one pattern may hold two years.
    """
    rel = "|".join(REL_YEARS)
    written = rf"(?P<yr{tag}>{rel})|{LB}(?P<ya{tag}>{AY}|{CY})年|{LB}(?P<y2{tag}>{Y2})年"
    return rf"(?:{written})" if required else rf"(?:{written}|{LB})"


def year_of(groups: dict[str, str | None], ref_year: int, tag: str = "") -> int | None:
    """The year a :func:`year_prefix` names; ``None`` when none is written."""
    if groups.get(f"ya{tag}"):
        return num(groups[f"ya{tag}"])  # type: ignore[arg-type]
    if groups.get(f"y2{tag}"):
        return two_digit_year(int(groups[f"y2{tag}"]), ref_year)  # type: ignore[arg-type]
    if groups.get(f"yr{tag}"):
        return ref_year + REL_YEARS[groups[f"yr{tag}"]]  # type: ignore[index]
    return None


def two_digit_year(yy: int, ref_year: int) -> int:
    """The year ending in ``yy`` from 89 years before to 10 years after the reference year (24 → 2024)."""
    top = ref_year + 10
    return top - (top - yy) % 100


def num(text: str) -> int:
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


def cn_small(n: int) -> str:
    """1..99 in Chinese numerals (十二, 二十八)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN_CHARS[ones - 1]
    head = "" if tens == 1 else CN_CHARS[tens - 1]
    return head + "十" + (CN_CHARS[ones - 1] if ones else "")


def fmt_year(rng: random.Random, year: int) -> str:
    """``2024`` or, a fifth of the time, ``二〇二四``."""
    if rng.random() < 0.8:
        return str(year)
    zero = choice(rng, "〇〇零○")
    return "".join(zero if c == "0" else CN_CHARS[int(c) - 1] for c in str(year))


def fmt_arabic(rng: random.Random, n: int) -> str:
    """``5`` or, now and then, zero-padded ``05``."""
    return f"0{n}" if n < 10 and rng.random() < 0.15 else str(n)


def fmt_number(rng: random.Random, n: int) -> str:
    """A count as analysts write it: ``3``, ``三``, ``两``."""
    if n < 100 and rng.random() < 0.5:
        return "两" if n == 2 and rng.random() < 0.5 else cn_small(n)
    return str(n)
