"""Surface noise real users produce: typos in names, full-width characters. Pure functions."""

from __future__ import annotations

import random

from nerloop.draws import choice
from nerloop.width import to_full_width

# Characters of organisation suffixes and the slips people make typing them (same pinyin or shape).
TYPOS: dict[str, str] = {
    "电": "店垫", "供": "共工", "所": "锁索", "公": "工功", "司": "四私", "县": "线现", "区": "曲驱",
    "镇": "振震", "市": "是式", "省": "生升", "乡": "香相", "街": "接", "道": "到",
}  # fmt: skip


def typo(form: str, rng: random.Random) -> str | None:
    """``form`` with one character replaced by a common slip, or ``None`` if it has none to slip."""
    positions = [i for i, ch in enumerate(form) if ch in TYPOS]
    if not positions:
        return None
    i = choice(rng, positions)
    return form[:i] + choice(rng, TYPOS[form[i]]) + form[i + 1 :]


def to_fullwidth(text: str) -> str:
    """ASCII letters and digits to their full-width forms; one code point each, so spans stay valid."""
    return to_full_width(text)
