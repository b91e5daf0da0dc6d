"""Which characters a date pattern can start with, read from the regex itself.

:func:`~nerloop.dates.find_dates` runs on every query the matcher tags, and the joined date regex
entered each of its alternatives at every position that could start a date, although most fail on
the first character. With each alternative's first characters known, the joined regex tests them
(a lookahead) before entering the alternative: the same matches, found with less work.

The reading uses the standard library's regex parser (``re._parser``; ``sre_parse`` before Python
3.11), a private module: where it is missing, or a pattern starts with a construct this reader does
not know, the answer is ``None`` and that alternative goes without the test — slower, never a different match.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

DIGITS = frozenset("0123456789")
"""What ``\\d`` stands for at the start of a date: the text is width-folded, and other scripts'
digits never start a date mention (``FIRST_CHARS`` admits ASCII digits only)."""


def _parser_modules() -> tuple[Any, Any] | None:
    """The regex parser and its constants, or ``None`` where this Python has neither layout."""
    try:
        return importlib.import_module("re._parser"), importlib.import_module("re._constants")
    except ImportError:
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return importlib.import_module("sre_parse"), importlib.import_module("sre_constants")
    except ImportError:
        return None


def first_chars(regex: str) -> frozenset[str] | None:
    """The characters a match of ``regex`` can start with; ``None`` where that cannot be told
    (an unknown construct, a case-insensitive part, a pattern that can match the empty string)."""
    modules = _parser_modules()
    if modules is None:
        return None
    parser, constants = modules
    try:
        parsed = parser.parse(regex)
    except Exception:  # noqa: BLE001  (a private module: any failure means "cannot tell")
        return None
    if parsed.state.flags & constants.SRE_FLAG_IGNORECASE:
        return None
    found = _sequence(list(parsed), constants)
    if found is None or found[1]:
        return None
    return frozenset(found[0])


def _sequence(items: list[Any], c: Any) -> tuple[set[str], bool] | None:
    """First characters of a parsed sequence, and whether it can match empty; ``None``: unknown."""
    firsts: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            return firsts | {chr(av)}, False
        if op is c.IN:
            chars = _charset(av, c)
            return None if chars is None else (firsts | chars, False)
        if op in (c.ASSERT, c.ASSERT_NOT, c.AT):
            continue  # zero width: the next item starts the match
        if op is c.BRANCH:
            results = [_sequence(list(branch), c) for branch in av[1]]
            if any(r is None for r in results):
                return None
            known = [r for r in results if r is not None]
            firsts |= set().union(*(f for f, _ in known))
            nullable = any(n for _, n in known)
        elif op is c.SUBPATTERN:
            if av[1] & c.SRE_FLAG_IGNORECASE:
                return None
            sub = _sequence(list(av[3]), c)
            if sub is None:
                return None
            firsts |= sub[0]
            nullable = sub[1]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            sub = _sequence(list(av[2]), c)
            if sub is None:
                return None
            firsts |= sub[0]
            nullable = sub[1] or av[0] == 0
        else:
            return None
        if not nullable:
            return firsts, False
    return firsts, True


def _charset(items: list[Any], c: Any) -> set[str] | None:
    chars: set[str] = set()
    for kind, value in items:
        if kind is c.LITERAL:
            chars.add(chr(value))
        elif kind is c.RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        elif kind is c.CATEGORY and value is c.CATEGORY_DIGIT:
            chars.update(DIGITS)
        else:
            return None  # a negated set, another category: cannot tell
    return chars
