"""The gazetteer matcher: a model-free tagger by longest match over every surface form.

It is the baseline every model must beat and the pre-annotator for Label Studio.
Mentions are found with an Aho-Corasick automaton over width-folded text (so
offsets stay those of the original), dates by the date grammar's regex; a form
that several types share (吉林: province and city) takes the type that fits the
other mentions best.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

import ahocorasick

from gazetteers.completion import complete
from gazetteers.linker import fold_width
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolution, Resolver
from nerloop.dates import find_dates
from nerloop.records import Entity

MATCHER_VERSION = "matcher"
# A match: start, end, the types its form may be, whether a misspelt suffix was taken in.
Option = tuple[int, int, tuple[str, ...], bool]
_MAX_TYPE_COMBINATIONS = 64


class GazetteerMatcher:
    """Finds and resolves mentions in queries using the gazetteer alone."""

    def __init__(self, gazetteer: Gazetteer, resolver: Resolver | None = None) -> None:
        self.gazetteer = gazetteer
        self.resolver = resolver or Resolver(gazetteer)
        self._suffixes = {
            t: tuple(x for x in gazetteer.domain.types[t].short_forms.strip_suffixes if len(x) >= 3)
            for t in gazetteer.domain.hierarchy
        }
        self._automaton = ahocorasick.Automaton()
        types_by_form: dict[str, list[str]] = {}
        for type_name in gazetteer.domain.types:
            for form in gazetteer.surfaces(type_name):
                types_by_form.setdefault(form, []).append(type_name)
        for form, types in types_by_form.items():
            self._automaton.add_word(form, (form, tuple(types)))
        if types_by_form:
            self._automaton.make_automaton()

    def find(self, text: str) -> list[Entity]:
        """Mentions in ``text``: dates first, then longest non-overlapping gazetteer forms."""
        folded = fold_width(text)
        dates = find_dates(folded)
        taken = [False] * len(text)
        entities: list[Entity] = []
        for start, end in dates:
            entities.append(Entity("Date", start, end, text[start:end], score=1.0))
            for i in range(start, end):
                taken[i] = True
        # Leftmost-longest over all matches: pyahocorasick's iter_long drops matches
        # (百万户投诉 loses 投诉 inside the unfinished 百万户投诉量), and forms that
        # overlap a date must leave room for the shorter forms beside them.
        longest: dict[int, tuple[int, tuple[str, ...]]] = {}
        if len(self._automaton):
            for end_index, (form, types) in self._automaton.iter(folded):
                start, end = end_index - len(form) + 1, end_index + 1
                if not any(taken[start:end]) and end > longest.get(start, (start, ()))[0]:
                    longest[start] = (end, types)
        options: list[Option] = []
        covered = 0
        for start in sorted(longest):
            if start >= covered:
                end, types = longest[start]
                options.append((start, end, types, False))
                covered = end
        starts = sorted([s for s, _ in dates] + [o[0] for o in options])
        options = [self._extend_slipped_suffix(folded, o, starts) for o in options]
        entities.extend(self._choose_types(text, options))
        return sorted(entities, key=lambda e: e.start)

    def _extend_slipped_suffix(self, folded: str, option: Option, starts: Sequence[int]) -> Option:
        """Take a misspelt organisation suffix into the mention: 麒麟|供店所 → 麒麟供店所.

        The suffix also settles the type (供电所: a substation, even where 麒麟 names a
        district too). The resolver links the whole mention by its intact base name; a
        one-character slip in a suffix of three or more characters (供电所, 供电公司) is
        all this forgives.
        """
        start, end, types, _ = option
        limit = next((s for s in starts if s > start), len(folded))
        for type_name in types:
            for suffix in self._suffixes.get(type_name, ()):
                stop = end + len(suffix)
                if stop <= limit and sum(a != b for a, b in zip(folded[end:stop], suffix)) == 1:
                    return (start, stop, (type_name,), True)
        return option

    def _choose_types(self, text: str, options: Sequence[Option]) -> list[Entity]:
        """Pick one type per match: the assignment whose hierarchy mentions fit together best."""
        choices = [types for _, _, types, _ in options]
        combos = 1
        for types in choices:
            combos *= len(types)
        if combos == 1 or combos > _MAX_TYPE_COMBINATIONS:
            assignment = [types[0] for types in choices]
        else:
            assignment = min(itertools.product(*choices), key=lambda a: self._cost(text, options, a))
        return [
            Entity(chosen, start, end, text[start:end], score=round((0.8 if slipped else 1.0) / len(types), 4))
            for (start, end, types, slipped), chosen in zip(options, assignment)
        ]

    def _cost(self, text: str, options: Sequence[Option], assignment: Sequence[str]) -> tuple[int, int, int]:
        """Conflicts first, then fewer candidate chains, then outer levels (吉林 alone: the province)."""
        hierarchy = self.gazetteer.domain.hierarchy
        candidates = [
            self.gazetteer.lookup(fold_width(text[start:end]), t)
            for (start, end, _, _), t in zip(options, assignment)
            if t in hierarchy
        ]
        completion = complete(self.gazetteer, candidates)
        outer_first = sum(hierarchy.index(t) for t in assignment if t in hierarchy)
        return (int(completion.conflict), len(completion.chains), outer_first)

    def tag(self, text: str, reference: dt.date) -> Resolution:
        """Find and resolve; the record carries per-entity scores and a query uncertainty."""
        resolution = self.resolver.resolve(text, self.find(text), reference)
        scores = [e.score for e in resolution.record.entities if e.score is not None]
        uncertainty = round(1.0 - min(scores), 4) if scores else 0.0
        record = resolution.record.with_extra(uncertainty=uncertainty, model=MATCHER_VERSION)
        return Resolution(record, resolution.links)
