"""Generated short forms of gazetteer names: pure functions over strings.

Users write ``巨野`` for 巨野县供电公司 and ``麒麟所`` for 麒麟供电所; the domain's
short-form rules say which suffixes may be dropped or added.
"""

from __future__ import annotations

from collections.abc import Iterable

from nerloop.domain import ShortFormRules


def short_forms(name: str, rules: ShortFormRules) -> list[str]:
    """All forms derived from ``name`` (excluding ``name``), in derivation order.

    Suffixes are stripped repeatedly, longest first, keeping every intermediate form
    with at least ``rules.min_length`` characters; ``add_suffixes`` go on the final base.
    >>> short_forms("巨野县供电公司", ShortFormRules(("供电公司", "县")))
    ['巨野县', '巨野']
    """
    suffixes = sorted(rules.strip_suffixes, key=len, reverse=True)
    forms: list[str] = []
    current = name
    while True:
        for suffix in suffixes:
            if current.endswith(suffix) and len(current) - len(suffix) >= rules.min_length:
                current = current[: -len(suffix)]
                forms.append(current)
                break
        else:
            break
    if forms or not rules.strip_suffixes:
        base = current
        forms.extend(base + suffix for suffix in rules.add_suffixes if not base.endswith(suffix))
    return [f for f in dict.fromkeys(forms) if f != name]


def surface_forms(name: str, aliases: Iterable[str], rules: ShortFormRules) -> tuple[str, ...]:
    """Name, explicit aliases and the short forms of both, de-duplicated, name first."""
    forms = [name]
    for written in (name, *aliases):
        forms.append(written)
        forms.extend(short_forms(written, rules))
    return tuple(dict.fromkeys(f for f in forms if f))
