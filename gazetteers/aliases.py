"""Generated short forms of gazetteer names: pure functions over strings.

Users write ``巨野`` for 巨野县供电公司, ``麒麟所`` for 麒麟供电所, ``滨海`` for
滨海新区, ``长阳`` for 长阳土家族自治县 and ``十里望`` for 十里望回族镇; the
domain's short-form rules say which suffixes may be dropped or added and whether
an ethnic designation (``土家族``, ``回族``, ``达斡尔鄂温克民族``) may go too.

Guards against forms that are too short or too generic: every generated form has
at least ``min_length`` characters, a suffix may ask for more (林区 is dropped
only from 神农架林区, not from 万柏林区, since 林 ends many district names), an
ethnic designation is kept when nothing of the name would remain (鄂伦春自治旗 →
鄂伦春, 水族乡 → 水族), and ``stop_forms`` (新区, 矿区, 城区 …: words of the
administrative vocabulary, not names) are never generated. Ordinary words that are
also real place names (长城, 平安) stay: telling them apart needs the context, which
is the matcher's job.
"""

from __future__ import annotations

from collections.abc import Iterable

from nerloop.domain import ShortFormRules

# The 55 minority nationalities (汉 is never part of a division name), as written before 族.
ETHNIC_GROUPS: tuple[str, ...] = tuple(
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
    "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 "
    "保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺".split()
)
_WITH_ZU = tuple(sorted((g + "族" for g in ETHNIC_GROUPS), key=len, reverse=True))
# Multi-character names may stand without 族 inside a run (达斡尔鄂温克民族乡, 博尔塔拉蒙古自治州).
_BARE = tuple(sorted((g for g in ETHNIC_GROUPS if len(g) > 1), key=len, reverse=True))


def strip_ethnic(base: str, min_length: int = 2, *, autonomous: bool = False) -> str:
    """Drop a trailing ethnic designation: ``十里望回族`` → ``十里望``, ``长阳土家族`` → ``长阳``.

    A run of designations goes as a whole (``音河达斡尔鄂温克民族`` → ``音河``). Outside
    an autonomous unit (``autonomous=False``: a township) the run must end in 族, so a
    place whose name merely ends like a group name (``新保安``) keeps it.

    Args:
        base: the name without its administrative suffix.
        min_length: characters that must remain; otherwise nothing is stripped
            (``水族`` stays ``水族``, ``鄂伦春`` stays ``鄂伦春``).
        autonomous: the suffix just removed was 自治州/县/旗…, where the group name may
            stand without 族 (``博尔塔拉蒙古``).
    """
    current = base
    in_run = autonomous
    while True:
        step = _ethnic_tail(current, bare_allowed=in_run)
        if step is None or len(current) - len(step) < min_length:
            break
        current = current[: -len(step)]
        in_run = True
    return current


def _ethnic_tail(text: str, *, bare_allowed: bool) -> str | None:
    if text.endswith("民族"):
        return "民族"
    for tail in _WITH_ZU:
        if text.endswith(tail):
            return tail
    if bare_allowed:
        for tail in _BARE:
            if text.endswith(tail):
                return tail
    return None


def strip_once(name: str, rules: ShortFormRules) -> tuple[str, str] | None:
    """The longest suffix of ``rules`` that may be dropped from ``name``: ``(base, suffix)``.

    A suffix that would leave too little is passed over for a shorter one, so
    ``清新区`` loses 区 (``清新``), not 新区.
    """
    for suffix in rules.sorted_suffixes:
        if name.endswith(suffix) and len(name) - len(suffix) >= rules.min_base(suffix):
            return name[: -len(suffix)], suffix
    return None


def short_forms(name: str, rules: ShortFormRules) -> list[str]:
    """All forms derived from ``name`` (excluding ``name``), in derivation order.

    Suffixes are stripped repeatedly, longest first, keeping every intermediate form
    with at least ``rules.min_length`` characters (and, with ``rules.strip_ethnic``,
    the form without its ethnic designation); ``add_suffixes`` go on the final base.
    Forms listed in ``rules.stop_forms`` are not generated.

    >>> short_forms("巨野县供电公司", ShortFormRules(("供电公司", "县")))
    ['巨野县', '巨野']
    """
    forms: list[str] = []
    current = name
    while (step := strip_once(current, rules)) is not None:
        current, suffix = step
        forms.append(current)
        if rules.strip_ethnic:
            bare = strip_ethnic(current, rules.min_length, autonomous=suffix.startswith("自治"))
            if bare != current:
                current = bare
                forms.append(current)
    if forms or not rules.strip_suffixes:
        forms.extend(current + suffix for suffix in rules.add_suffixes if not current.endswith(suffix))
    stop = set(rules.stop_forms)
    return [f for f in dict.fromkeys(forms) if f != name and f not in stop]


def surface_forms(name: str, aliases: Iterable[str], rules: ShortFormRules) -> tuple[str, ...]:
    """Name, explicit aliases and the short forms of both, de-duplicated, name first."""
    forms = [name]
    for written in (name, *aliases):
        forms.append(written)
        forms.extend(short_forms(written, rules))
    return tuple(dict.fromkeys(f for f in forms if f))
