"""The gazetteer matcher: a model-free tagger that segments the query over every surface form.

It is the baseline every model must beat and the pre-annotator for Label Studio.
Dates are found by the date grammar first; then every surface form in the query,
overlapping ones included, is found with an Aho-Corasick automaton over width-folded
text (so offsets stay those of the original), names the gazetteer lacks are guessed
before an organisation suffix (``红旗渠供电所``), and :mod:`gazetteers.segmentation`
picks the set that explains the query best. A form that several types share (吉林:
province and city) takes the type that fits the other mentions best; a weak short form
that contradicts the other mentions is dropped rather than turning the query into a conflict.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from gazetteers.automaton import FormAutomaton
from gazetteers.completion import CompletionCache, fits_chains
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolution, Resolver
from gazetteers.segmentation import (
    ALIAS,
    DATE,
    FULL,
    GUESS,
    SHORT,
    Match,
    Segmentation,
    drop_unsupported,
    segment,
)
from gazetteers.type_choice import Option, TypeChooser
from nerloop.dates import find_dates
from nerloop.records import Entity, TaggedQuery
from nerloop.rounding import round4
from nerloop.width import fold_width

MATCHER_VERSION = "matcher"
_MAX_TYPE_COMBINATIONS = 64
# A guessed name before an organisation suffix: two to six characters, none of these.
_GUESS_LENGTHS = (2, 6)
_NOT_IN_NAMES = frozenset("的和与及跟同或在是有哪些各个每这那该全按其几多少谁了吗呢啊把被从向对比给让请问查看共")
_CHAIN_CACHE_LIMIT = 100_000
_RESEGMENT_LIMIT = 3
_SPAN = itemgetter(0, 1)  # a Match's (start, end)
_START = itemgetter(1)  # an Entity's start
# Forms of the outermost levels (provinces, cities: few and well known) are never weak.
WEAK_BELOW_LEVEL = 2
SCAN_CACHE = 4096
"""Queries whose :class:`Scan` is kept (a bounded LRU): a model's lexicon features and the matcher
read the same batch one after the other, and logs repeat queries."""


class Scan(NamedTuple):
    """One pass over a query: what the matcher and a model's lexicon features both read.

    Attributes:
        folded: the width-folded text (same length and offsets as the query).
        dates: the spans the date grammar reads.
        hits: every gazetteer form in ``folded``, overlapping ones and those inside dates included.
    """

    folded: str
    dates: tuple[tuple[int, int], ...]
    hits: tuple[Match, ...]


class GazetteerMatcher:
    """Finds and resolves mentions in queries using the gazetteer alone."""

    def __init__(self, gazetteer: Gazetteer, resolver: Resolver | None = None) -> None:
        self.gazetteer = gazetteer
        self.resolver = resolver or Resolver(gazetteer)
        shared = self.resolver.gazetteer is gazetteer
        self._completions = self.resolver.completions if shared else CompletionCache(gazetteer)
        domain = gazetteer.domain
        self._hierarchy = set(domain.hierarchy)
        self._levels = {t: i for i, t in enumerate(domain.hierarchy)}
        self.types = TypeChooser(gazetteer, self._completions, self._levels)
        self._suffixes = {
            t: tuple(x for x in domain.types[t].short_forms.strip_suffixes if len(x) >= 3) for t in domain.hierarchy
        }
        self._guess_suffixes = sorted(
            ((suffix, t) for t, suffixes in self._suffixes.items() for suffix in suffixes),
            key=lambda x: -len(x[0]),
        )
        # most queries hold no organisation suffix: one regex search rules all of them out
        self._guess_suffix_re = (
            re.compile("|".join(re.escape(s) for s, _ in self._guess_suffixes)) if self._guess_suffixes else None
        )
        self._on_chain_cache: dict[str, dict[str, bool]] = {}
        self._on_chain_count = 0
        types_by_form: dict[str, list[str]] = {}
        strength: dict[str, int] = {}
        for entry in gazetteer:
            for form in entry.surfaces:
                kind = FULL if form == entry.name else ALIAS if form in entry.aliases else SHORT
                if kind > strength.get(form, -1):
                    strength[form] = kind
        for type_name in domain.types:
            for form in gazetteer.surfaces(type_name):
                types_by_form.setdefault(form, []).append(type_name)
        outer = set(domain.hierarchy[:WEAK_BELOW_LEVEL])
        # per form, what a hit's Match holds after (start, end)
        self._forms: dict[str, tuple[str, tuple[str, ...], int, bool, bool]] = {}
        for form, types in types_by_form.items():
            if not form:
                continue
            hierarchy = any(t in self._hierarchy for t in types)
            kind = strength.get(form, FULL)
            weak = hierarchy and kind != FULL and len(form) == 2 and outer.isdisjoint(types)
            self._forms[form] = (form, tuple(types), kind, hierarchy, weak)
        self._automaton = FormAutomaton(list(self._forms))
        self._values = list(self._forms.values())
        self.scan = lru_cache(maxsize=SCAN_CACHE)(self._read)
        """``scan(text)``: the query's :class:`Scan`, read once and kept while the LRU holds it."""

    def find(self, text: str) -> list[Entity]:
        """Mentions in ``text``: dates, then the segmentation that explains the rest best."""
        return self._entities(text, self.segment(text))

    def candidates(self, text: str) -> tuple[Match, ...]:
        """``segment(text).candidates`` without the segmentation: for checks that any mention could be there."""
        _, dates, matches = self._scan(text)
        return tuple(dates + matches)

    def segment(self, text: str) -> Segmentation:
        """Dates, then every candidate match, then the best segmentation with weak matches checked."""
        folded, dates, matches = self._scan(text)
        lattice, dropped = matches, []
        for _ in range(_RESEGMENT_LIMIT):
            chosen = sorted(segment(len(folded), lattice, self._on_one_chain) + dates)
            kept, lost = drop_unsupported(folded, chosen, self._on_one_chain)
            if not lost:
                break
            # what the context does not support leaves the lattice, and the rest is segmented again:
            # 城关和龙山 drops 和龙 and then finds 龙山
            dropped += lost
            gone = {m for m, _ in lost}
            lattice = [m for m in lattice if m not in gone]
        new = tuple.__new__  # Segmentation's own __new__ is Python: the same tuple, built in C
        return new(Segmentation, (tuple(kept), tuple(dropped), tuple(dates + matches), folded))

    def _read(self, text: str) -> Scan:
        """Fold, find the dates, run the automaton: the part of a query's reading that others share."""
        folded = fold_width(text)
        new = tuple.__new__  # Match's own __new__ is Python: this builds the same tuple in C
        values = self._values
        hits = tuple([new(Match, (start, end) + values[i]) for i, start, end in self._automaton.find(folded)])
        return new(Scan, (folded, tuple(find_dates(folded)), hits))

    def _scan(self, text: str) -> tuple[str, list[Match], list[Match]]:
        """The folded text, its dates, and every other candidate match sorted by span."""
        folded, date_spans, hits = self.scan(text)
        taken = [False] * len(text)
        dates = []
        new = tuple.__new__  # Match's own __new__ is Python: this builds the same tuple in C
        for start, end in date_spans:
            dates.append(new(Match, (start, end, folded[start:end], ("Date",), DATE, False, False)))
            for i in range(start, end):
                taken[i] = True
        matches = [m for m in hits if not any(taken[m[0] : m[1]])] if dates else list(hits)
        matches += self._guesses(folded, taken)
        matches.sort(key=_SPAN)
        return folded, dates, matches

    def forms_in(self, text: str) -> tuple[tuple[str, ...], int]:
        """The weak short forms inside ``text`` and how many other mentions it may hold (dates included).

        For building hard negatives: a text with weak forms and nothing else is an ordinary
        word that merely contains a short form (平安保险).
        """
        segmentation = self.segment(text)
        weak = tuple(m.form for m in segmentation.candidates if m.weak)
        return weak, sum(not m.weak for m in segmentation.candidates)

    def form_info(self, text: str) -> tuple[tuple[str, ...], int, bool] | None:
        """``(types, strength, weak)`` of a surface form (width-folded first), ``None`` if no entry has it.

        ``strength`` is the best of ``FULL``/``ALIAS``/``SHORT`` over the entries with this form;
        what the calibrated combination of a model with the gazetteer weighs.
        """
        value = self._forms.get(fold_width(text))
        return None if value is None else (value[1], value[2], value[4])

    def weak_forms(self, type_name: str) -> list[str]:
        """Every weak form that names an entry of ``type_name``, sorted."""
        return sorted(f for f in self.gazetteer.surfaces(type_name) if (v := self._forms.get(f)) and v[4])

    def _guesses(self, folded: str, taken: Sequence[bool]) -> list[Match]:
        """Names the gazetteer lacks, before an organisation suffix: 红旗渠供电所 (a Substation)."""
        found: list[Match] = []
        if self._guess_suffix_re is None or self._guess_suffix_re.search(folded) is None:
            return found
        shortest, longest = _GUESS_LENGTHS
        new = tuple.__new__  # Match's own __new__ is Python: this builds the same tuple in C
        for suffix, type_name in self._guess_suffixes:
            at = folded.find(suffix)
            if at == -1:
                continue
            known, types = self.gazetteer.surfaces(type_name), (type_name,)
            while at != -1:
                end = at + len(suffix)
                first = at
                while first > 0 and at - first < longest and not taken[first - 1] and _name_char(folded[first - 1]):
                    first -= 1
                if not any(taken[at:end]):
                    for start in range(first, at - shortest + 1):
                        form = folded[start:end]
                        if form not in known:
                            found.append(new(Match, (start, end, form, types, GUESS, True, False)))
                at = folded.find(suffix, end)
        return found

    def _on_one_chain(self, a: Match, b: Match) -> bool:
        """Whether some reading of ``a`` and ``b`` as hierarchy mentions of different levels is one chain."""
        # keyed by one form, then the other: string keys, no (a, b) tuple per entry for the collector to walk
        known = self._on_chain_cache.get(a.form)
        if known is None:
            known = self._on_chain_cache[a.form] = {}
        found = known.get(b.form)
        if found is None:
            if self._on_chain_count > _CHAIN_CACHE_LIMIT:
                self._on_chain_cache.clear()
                self._on_chain_count = 0
                known = self._on_chain_cache[a.form] = {}
            found = known[b.form] = self._chain_fits(a, b)
            self._on_chain_count += 1
        return found

    def _chain_fits(self, a: Match, b: Match) -> bool:
        gazetteer, levels = self.gazetteer, self._levels  # its methods called directly: native calls, compiled
        for type_a in a.types:
            level_a = levels.get(type_a)
            if level_a is None:
                continue
            for type_b in b.types:
                level_b = levels.get(type_b)
                if level_b is None or type_a == type_b:
                    continue
                if level_a > level_b:
                    deep, deep_type, high, high_type = a, type_a, b, type_b
                else:
                    deep, deep_type, high, high_type = b, type_b, a, type_a
                above = gazetteer.lookup(high.form, high_type)
                if above and any(
                    not gazetteer.path_set(i).isdisjoint(above) for i in gazetteer.lookup(deep.form, deep_type)
                ):
                    return True
        return False

    def _entities(self, text: str, segmentation: Segmentation) -> list[Entity]:
        folded, chosen = segmentation.folded, segmentation.chosen
        new = tuple.__new__  # Entity's own __new__ is Python: the same tuple, built in C
        entities = [new(Entity, ("Date", m[0], m[1], text[m[0] : m[1]], None, 1.0)) for m in chosen if m[4] == DATE]
        matches = [m for m in chosen if m[4] != DATE]
        if matches:
            starts = sorted([m[0] for m in chosen])
            extend = self._extend_slipped_suffix
            options = [extend(folded, (m[0], m[1], m[3], False), starts) for m in matches]
            typed = self._choose_types(text, folded, options, matches)
            entities.extend(self._drop_contradicting(typed, [m[6] for m in matches]))
        return sorted(entities, key=_START)

    def _drop_contradicting(self, entities: list[Entity], weak: Sequence[bool]) -> list[Entity]:
        """Weak mentions that contradict the strong mentions of their target go: the strong reading stays.

        A target of weak mentions alone keeps its conflict: nothing outweighs them.
        """
        if not any(weak):
            return entities
        hierarchy = [i for i, e in enumerate(entities) if e.type in self._levels]
        completion = self._complete([entities[i] for i in hierarchy])
        drop = set()
        for mentions, target in completion.targets:
            if not target.conflict:
                continue
            members = [hierarchy[m] for m in mentions]
            strong = self._complete([entities[i] for i in members if not weak[i]])
            if strong.conflict or not strong.chains:
                continue
            for i in (i for i in members if weak[i]):
                if not fits_chains(self.gazetteer, strong.chains, self._lookup(entities[i])):
                    drop.add(i)
        return [e for i, e in enumerate(entities) if i not in drop]

    def _complete(self, entities: Sequence[Entity]):
        return self._completions([self._levels[e.type] for e in entities], [self._lookup(e) for e in entities])

    def _lookup(self, entity: Entity) -> tuple[str, ...]:
        return self.gazetteer.lookup(fold_width(entity.text), entity.type)

    def _extend_slipped_suffix(self, folded: str, option: Option, starts: Sequence[int]) -> Option:
        """Take a misspelt organisation suffix into the mention: 麒麟|供店所 → 麒麟供店所.

        The suffix also settles the type (供电所: a substation, even where 麒麟 names a
        district too). The resolver links the whole mention by its intact base name; a
        one-character slip in a suffix of three or more characters (供电所, 供电公司) is
        all this forgives.
        """
        start, end, types, _ = option
        following = bisect_right(starts, start)
        limit = starts[following] if following < len(starts) else len(folded)
        if limit - end < 3:  # no room for a suffix (all are three or more characters)
            return option
        for type_name in types:
            for suffix in self._suffixes.get(type_name, ()):
                stop = end + len(suffix)
                # one slip leaves the first or the second character intact: a cheap test before counting
                if (
                    stop <= limit
                    and (folded[end] == suffix[0] or folded[end + 1] == suffix[1])
                    and sum(a != b for a, b in zip(folded[end:stop], suffix)) == 1
                ):
                    return (start, stop, (type_name,), True)
        return option

    def _choose_types(
        self, text: str, folded: str, options: Sequence[Option], matches: Sequence[Match]
    ) -> list[Entity]:
        """Pick one type per match: the assignment whose hierarchy mentions fit together best."""
        choices = [types for _, _, types, _ in options]
        combos = 1
        for types in choices:
            combos *= len(types)
        if combos == 1 or combos > _MAX_TYPE_COMBINATIONS:
            assignment: Sequence[str] = [types[0] for types in choices]
        else:
            assignment = self.types.cheapest(folded, options, [m.weak for m in matches])
        new = tuple.__new__  # Entity's own __new__ is Python: the same tuple, built in C
        return [
            new(Entity, (chosen, start, end, text[start:end], None, round4(_confidence(slipped, m) / len(types))))
            for (start, end, types, slipped), chosen, m in zip(options, assignment, matches)
        ]

    def tag(self, text: str, reference: dt.date) -> Resolution:
        """Find and resolve; the record carries per-entity scores and a query uncertainty.

        The resolution also carries the segmentation (what was considered, what won) for ``--explain``.
        """
        segmentation = self.segment(text)
        extra: dict = {}
        resolution = self.resolver.resolve(text, self._entities(text, segmentation), reference, extra, segmentation)
        # the record holds ``extra`` itself: filled in place, not copied by ``with_extra``
        extra["uncertainty"] = uncertainty(resolution.record)
        extra["model"] = MATCHER_VERSION
        return resolution


def _name_char(ch: str) -> bool:
    """A character that may belong to a guessed organisation name (Chinese, not a function word)."""
    return ("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf") and ch not in _NOT_IN_NAMES


def _confidence(slipped: bool, match: Match) -> float:
    """A mention's score before sharing among types: lower for a slipped suffix or a guessed name."""
    if match.strength == GUESS:
        return 0.6
    return 0.8 if slipped else 1.0


def ambiguity_uncertainty(record: TaggedQuery) -> float:
    """``1 − 1/k`` where ``k`` is the largest number of candidate chains of any target (0 when none is ambiguous)."""
    chains = max((len(t.ambiguous) for t in record.targets or ()), default=len(record.ambiguous))
    return 1.0 - 1.0 / chains if chains > 1 else 0.0


def uncertainty(record: TaggedQuery) -> float:
    """How unsure the matcher is about a record: ``max(1 − min score, 1 − 1/k)``.

    ``min score`` is the lowest entity score (a form shared by two types scores 0.5, a
    guessed name 0.6); ``k`` is the largest number of candidate chains of any target
    (1 when none is ambiguous). A bare ``龙山`` with two chains is 0.5 uncertain, with
    hundreds (``城关``) close to 1, so active learning sees what the matcher cannot settle.
    """
    scores = [e.score for e in record.entities if e.score is not None]
    by_score = 1.0 - min(scores) if scores else 0.0
    return round4(max(by_score, ambiguity_uncertainty(record)))
