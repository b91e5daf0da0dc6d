"""Link one mention to gazetteer entries: exact, then normalized, then fuzzy.

Each step is tried only when the previous one found nothing, and the fuzzy step
may be confined to a scope (the entries the query's other mentions allow), so a
typo in 麒麟供店所 links to the 麒麟 under the company the user also named.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from rapidfuzz import fuzz, process

from gazetteers.aliases import short_forms
from gazetteers.config import ResolverConfig
from gazetteers.model import Gazetteer
from nerloop.width import fold_width


class Link(NamedTuple):
    """How a mention was linked, for ``--explain``.

    A named tuple built with ``tuple.__new__`` (:func:`_link`): the linker's caches hold them by the
    ten thousand, and a frozen dataclass ran an interpreted ``__init__`` for each.

    Attributes:
        candidates: entry ids the mention may name (empty: unknown to the gazetteer).
        method: ``exact``, ``normalized``, ``fuzzy`` or ``none``.
        form: the surface form that matched.
        score: 100 for exact and normalized links, the rapidfuzz ratio for fuzzy ones.
        alternatives: other fuzzy forms considered, with scores.
    """

    candidates: tuple[str, ...]
    method: str
    form: str = ""
    score: float = 0.0
    alternatives: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "form": self.form,
            "score": round(self.score, 2),
            "candidates": list(self.candidates),
            "alternatives": [[f, round(s, 2)] for f, s in self.alternatives],
        }


def _link(
    candidates: tuple[str, ...], method: str, form: str, score: float, alternatives: tuple[tuple[str, float], ...] = ()
) -> Link:
    return tuple.__new__(Link, (candidates, method, form, score, alternatives))  # type: ignore[type-var]


NOT_LINKED = _link((), "none", "", 0.0)
NORMALIZED_CACHE_SIZE = 65_536


def normalized_forms(text: str, gazetteer: Gazetteer, type_name: str) -> list[str]:
    """Forms to try after the exact one: width-folded and spaces removed, then the type's short forms.

    ``麒麟镇供电所`` → ``麒麟镇``, ``麒麟``; ``巨野县供电中心`` → ``巨野县``, ``巨野``.
    """
    base = "".join(fold_width(text).split())
    rules = gazetteer.domain.types[type_name].short_forms
    forms = [base, *short_forms(base, rules)]
    return [f for f in dict.fromkeys(forms) if f]


class Linker:
    """Links mentions of one gazetteer; remembers exact links and normalized forms.

    A fuzzy link must contain the candidate's base name (its shortest surface form,
    :meth:`Gazetteer.bases`) literally: slips in suffixes (供店所, 供电公四) are forgiven,
    a different name is not: ``麒麟供店所`` keeps 麒麟 and links, ``新建供电所`` is a
    different name from 新城供电所 even though four of five characters agree.
    """

    def __init__(self, gazetteer: Gazetteer, config: ResolverConfig | None = None) -> None:
        self.gazetteer = gazetteer
        self.config = config or ResolverConfig()
        self._exact: dict[tuple[str, str], Link] = {}  # bounded by the gazetteer's surface forms
        # normalized forms per (mention, type): a mention left unlinked is tried again with fuzzy on
        self._normalized: dict[tuple[str, str], list[str]] = {}

    def __reduce__(self) -> tuple[type[Linker], tuple[Gazetteer, ResolverConfig]]:
        """Pickled as its constructor's arguments: the memos start empty (setup.py: why not the state)."""
        return (Linker, (self.gazetteer, self.config))

    def link(self, text: str, type_name: str, *, fuzzy: bool = False, scope: Collection[str] | None = None) -> Link:
        """Candidates for ``text`` as a mention of ``type_name``; fuzzy only when asked and allowed."""
        gazetteer = self.gazetteer
        cached = self._exact.get((text, type_name))
        if cached is not None:
            return cached
        exact = gazetteer.lookup(text, type_name)
        if exact:
            link = self._exact[(text, type_name)] = _link(exact, "exact", text, 100.0)
            return link
        for form in self._normalized_forms(text, type_name):
            found = gazetteer.lookup(form, type_name)
            if found:
                return _link(found, "normalized", form, 100.0)
        if fuzzy and self.config.fuzzy and len(text) >= self.config.fuzzy_min_length:
            return self._fuzzy(text, type_name, scope)
        return NOT_LINKED

    def _normalized_forms(self, text: str, type_name: str) -> list[str]:
        """:func:`normalized_forms`, remembered in a bounded cache (cleared when full; do not mutate)."""
        key = (text, type_name)
        found = self._normalized.get(key)
        if found is None:
            if len(self._normalized) >= NORMALIZED_CACHE_SIZE:
                self._normalized.clear()
            found = self._normalized[key] = normalized_forms(text, self.gazetteer, type_name)
        return found

    def _fuzzy(self, text: str, type_name: str, scope: Collection[str] | None) -> Link:
        """Best ``fuzz.ratio`` among the entries whose base name the mention contains literally.

        Looking candidates up by the bases inside the mention (a handful of substrings)
        instead of scanning every surface form keeps an unscoped fuzzy link at
        microseconds on a national gazetteer.
        """
        query = "".join(fold_width(text).split())
        bases = self.gazetteer.bases(type_name)
        ids = {
            entry_id
            for a in range(len(query))
            for b in range(a + 1, len(query) + 1)
            for entry_id in bases.get(query[a:b], ())
        }
        if scope is not None:
            ids &= set(scope)
        scored: list[tuple[float, str, str]] = []
        for entry_id in ids:
            surfaces = self.gazetteer.get(entry_id).surfaces
            if not _continues_a_surface(query, min(surfaces, key=len), surfaces):
                continue
            hit = process.extractOne(
                query,
                surfaces,
                scorer=fuzz.ratio,
                score_cutoff=self.config.fuzzy_threshold,
            )
            if hit is not None:
                scored.append((float(hit[1]), hit[0], entry_id))
        if not scored:
            return NOT_LINKED
        scored.sort(key=lambda s: (-s[0], s[2]))
        best = scored[0][0]
        alternatives = tuple(dict.fromkeys((form, score) for score, form, _ in scored))[: self.config.fuzzy_limit]
        top = [entry_id for score, _, entry_id in scored if score == best]
        return _link(tuple(sorted(top)), "fuzzy", scored[0][1], best, alternatives)


def _continues_a_surface(query: str, base: str, surfaces: tuple[str, ...]) -> bool:
    """Whether the character after the base name in ``query`` continues one of the entry's forms.

    ``麒麟供店所`` continues 麒麟供电所 after 麒麟 (the slip comes later, in the suffix), and
    ``麒麟索`` is the base plus one slipped character; ``红旗渠供电所`` puts 渠 where 红旗's
    forms have 镇, 所 or nothing: another name that merely starts like 红旗, not a typo.
    """
    at = query.find(base)
    while at != -1:
        after = at + len(base)
        if after >= len(query) - 1:
            return True
        if any(s.startswith(base) and len(s) > len(base) and s[len(base)] == query[after] for s in surfaces):
            return True
        at = query.find(base, at + 1)
    return False
