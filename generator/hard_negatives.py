"""What hard negatives are built from, per gazetteer: short forms, and brands, jieba words and names around them.

:mod:`generator.negatives` writes these into frames and checks every drawn text against the matcher.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from faker import Faker

from gazetteers.matcher import WEAK_BELOW_LEVEL, GazetteerMatcher
from gazetteers.segmentation import ALIAS, FULL
from generator.distractors import BRANDS

FAKER_PEOPLE = 2000
# jieba words: ordinary ones (dictionary frequency, part of speech: no names, places, organisations,
# numbers or time words), three to six CJK characters.
WORD_MIN_FREQUENCY = 3
WORD_LENGTHS = (3, 6)
WORD_TAGS = frozenset({"n", "i", "l", "z", "v", "vn", "vi", "vd", "b", "d", "c", "o", "a", "ad", "an", "r", "s"})


@lru_cache(maxsize=1)
def dictionary_words() -> tuple[str, ...]:
    """Ordinary words of jieba's bundled dictionary; read as a file, as jieba's segmenter is not needed."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return ()
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    shortest, longest = WORD_LENGTHS
    tags = "|".join(sorted(WORD_TAGS, key=len, reverse=True))
    line = re.compile(rf"^([\u4e00-\u9fff]{{{shortest},{longest}}}) (\d+) (?:{tags})$", re.MULTILINE)
    # one regular expression over the whole file: a third of the time of a loop over its 350 000 lines
    text = path.read_text(encoding="utf-8")
    return tuple(word for word, frequency in line.findall(text) if int(frequency) >= WORD_MIN_FREQUENCY)


def _containing(words: Sequence[str], forms: frozenset[str], lengths: frozenset[int]) -> tuple[str, ...]:
    """The words that hold one of ``forms`` (of the given lengths) without being one."""
    return tuple(
        w
        for w in words
        if w not in forms and any(w[i : i + k] in forms for k in lengths for i in range(len(w) - k + 1))
    )


class Candidates(NamedTuple):
    """What hard negatives are built from, per gazetteer: short forms and the words that hold one."""

    given_names: tuple[str, ...]
    place_forms: tuple[str, ...]
    brands: tuple[str, ...]
    words: tuple[str, ...]
    outer_forms: tuple[str, ...] = ()


_CANDIDATES: dict[tuple[str, bool], Candidates] = {}


def hard_negative_candidates(matcher: GazetteerMatcher, with_words: bool = True) -> Candidates:
    """Short forms of companies and substations, and brands and jieba words that hold one.

    Given names are the weak (two-character) forms (赵 + 建国); place names take the
    three-character short forms too (巨野县, 千佛山), but no ``X所``. Kept per gazetteer
    fingerprint for the process: scanning the dictionary takes a good part of a second.
    """
    key = (matcher.gazetteer.fingerprint, with_words)
    if key[0] and key in _CANDIDATES:
        return _CANDIDATES[key]
    domain = matcher.gazetteer.domain
    inner = domain.hierarchy[WEAK_BELOW_LEVEL:]
    outer = set(domain.hierarchy[:WEAK_BELOW_LEVEL])
    weak = sorted({f for t in inner for f in matcher.weak_forms(t)})
    short = sorted(
        f
        for t in inner
        for f in matcher.gazetteer.surfaces(t)
        if len(f) > 2
        and not f.endswith("所")
        and (info := matcher.form_info(f))
        and info[1] < ALIAS
        and outer.isdisjoint(info[0])
    )
    # city and province forms other than the canonical names, and not also a lower level's form
    outer_forms = sorted(
        f
        for t in outer
        for f in matcher.gazetteer.surfaces(t)
        if len(f) > 1 and (info := matcher.form_info(f)) and info[1] != FULL and outer.issuperset(info[0])
    )
    forms = frozenset(weak + short)
    lengths = frozenset(len(f) for f in forms)
    words = _containing(dictionary_words(), forms, lengths) if with_words else ()
    found = Candidates(
        tuple(weak),
        tuple(weak + short),
        _containing(BRANDS, forms, lengths),
        tuple(w for w in words if matcher.form_info(w) is None),
        tuple(outer_forms),
    )
    if key[0]:
        if len(_CANDIDATES) >= 4:
            _CANDIDATES.clear()
        _CANDIDATES[key] = found
    return found


@lru_cache(maxsize=4)
def faker_people(seed: int) -> tuple[str, ...]:
    """Ordinary person names from faker (zh_CN), the same for a seed."""
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    return tuple(dict.fromkeys(faker.name() for _ in range(FAKER_PEOPLE)))
