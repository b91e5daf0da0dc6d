"""Turn mentions into a full record: link them, complete the hierarchy, normalize the date.

Whatever found the mentions (the gazetteer matcher, a tagger, a generative model,
a human in Label Studio), this is where they meet the gazetteer. Because the
gazetteer is read at resolve time, a substation added yesterday resolves today
without retraining any model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from mypy_extensions import mypyc_attr

from gazetteers.completion import CompletionCache, QueryCompletion
from gazetteers.config import ResolverConfig
from gazetteers.linker import NOT_LINKED, Link, Linker
from gazetteers.model import Gazetteer
from nerloop.dates import normalize_date
from nerloop.frozen import fast_init
from nerloop.records import DateRange, Entity, TaggedQuery, Target


@fast_init
@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Resolution:
    """A resolved record plus, per entity, how it was linked (for ``--explain``).

    ``segmentation`` is the matcher's account of how it read the query (an object whose
    ``explain()`` lists the chosen matches and the alternatives it considered, computed
    only when asked); ``None`` where the mentions came from elsewhere.
    """

    record: TaggedQuery
    links: tuple[Link, ...]
    segmentation: Any = None

    def explanation(self) -> list[dict]:
        return [
            {"type": e.type, "text": e.text, "start": e.start, "end": e.end, "id": e.id, **link.to_dict()}
            for e, link in zip(self.record.entities, self.links)
        ]


_span_order = itemgetter(1, 2)  # an Entity's (start, end), read in C
# Fuzzy-link scopes remembered per resolver: (type, the other mentions' chains) → entries.
SCOPE_CACHE_SIZE = 4096


class Resolver:
    """Resolves mentions against one gazetteer."""

    def __init__(self, gazetteer: Gazetteer, config: ResolverConfig | None = None) -> None:
        self.gazetteer = gazetteer
        self.config = config or ResolverConfig()
        self.linker = Linker(gazetteer, self.config)
        self.completions = CompletionCache(gazetteer)
        self._hierarchy = set(gazetteer.domain.hierarchy)
        self._linkable = set(gazetteer.domain.types) - {"Date"}
        self._levels = {t: i for i, t in enumerate(gazetteer.domain.hierarchy)}
        self._scopes: dict[tuple[str, tuple[tuple[str, ...], ...]], frozenset[str]] = {}

    def __reduce__(self) -> tuple[type[Resolver], tuple[Gazetteer, ResolverConfig]]:
        """Pickled as its constructor's arguments: the caches start empty (setup.py: why not the state)."""
        return (Resolver, (self.gazetteer, self.config))

    def resolve(
        self,
        text: str,
        entities: Sequence[Entity],
        reference: dt.date,
        extra: dict[str, Any] | None = None,
        segmentation: Any = None,
    ) -> Resolution:
        """Link, complete and normalize; entities keep their spans, gain ids where unique.

        ``extra`` becomes the record's extra fields (saves a copy of the record on hot paths);
        ``segmentation`` is the finder's account of its reading, kept on the resolution.
        """
        record, links = self._resolved(text, entities, reference, extra)
        return Resolution(record, links, segmentation)

    def record(
        self, text: str, entities: Sequence[Entity], reference: dt.date, extra: dict[str, Any] | None = None
    ) -> TaggedQuery:
        """``resolve(...).record`` without the resolution around it: generation needs the record alone."""
        return self._resolved(text, entities, reference, extra)[0]

    def _resolved(
        self, text: str, entities: Sequence[Entity], reference: dt.date, extra: dict[str, Any] | None
    ) -> tuple[TaggedQuery, tuple[Link, ...]]:
        entities = tuple(sorted(entities, key=_span_order))
        link, linkable, hierarchy = self.linker.link, self._linkable, self._hierarchy
        links = [
            link(e.text, e.type, fuzzy=e.type not in hierarchy) if e.type in linkable else NOT_LINKED for e in entities
        ]
        completion = self._complete(entities, links)
        if self.config.fuzzy and any(
            link is NOT_LINKED and e.type in self._hierarchy for e, link in zip(entities, links)
        ):
            scope_chains = completion.chains
            for i, entity in enumerate(entities):
                if links[i] is NOT_LINKED and entity.type in self._hierarchy:
                    scope = self._scope(entity.type, scope_chains) if scope_chains else None
                    links[i] = self.linker.link(entity.text, entity.type, fuzzy=True, scope=scope)
            completion = self._complete(entities, links)
        linked_ids = iter(completion.linked)
        out_entities = []
        new = tuple.__new__  # Entity's own __new__ is Python: the same tuple, built in C
        for entity, found in zip(entities, links):
            if entity.type in hierarchy:
                entity_id = next(linked_ids)
            else:
                entity_id = found.candidates[0] if len(found.candidates) == 1 else None
            out_entities.append(
                new(Entity, (entity.type, entity.start, entity.end, entity.text, entity_id, entity.score))
            )
        record = TaggedQuery(
            text=text,
            entities=tuple(out_entities),
            resolved=dict(completion.resolved),  # the completion is cached and shared: the record owns a copy
            ambiguous=completion.ambiguous,
            conflict=completion.conflict,
            date=self._date(text, entities, reference),
            extra=extra if extra is not None else {},
            targets=self._targets(entities, completion),
        )
        return record, tuple(links)

    def _complete(self, entities: Sequence[Entity], links: Sequence[Link]) -> QueryCompletion:
        levels = self._levels
        at, candidates = [], []
        for entity, link in zip(entities, links):
            level = levels.get(entity.type)
            if level is not None:
                at.append(level)
                candidates.append(link.candidates)
        return self.completions(at, candidates)

    def _targets(self, entities: Sequence[Entity], completion: QueryCompletion) -> tuple[Target, ...]:
        """The completion's targets, with mention indexes into the record's entities."""
        if not completion.targets:
            return ()
        levels = self._levels
        position = [i for i, e in enumerate(entities) if e[0] in levels].__getitem__
        new = tuple.__new__  # Target's own __new__ is Python: the same tuple, built in C
        return tuple(
            [
                new(Target, (tuple(map(position, mentions)), dict(c.resolved), c.ambiguous, c.conflict))
                for mentions, c in completion.targets
            ]
        )

    def _scope(self, type_name: str, chains: tuple[tuple[str, ...], ...]) -> frozenset[str]:
        """Entries of ``type_name`` that the other mentions allow: on their chains or below them.

        Remembered (a bounded cache): a province's or city's descendants take a walk over its subtree.
        """
        key = (type_name, chains)
        found = self._scopes.get(key)
        if found is None:
            if len(self._scopes) >= SCOPE_CACHE_SIZE:
                self._scopes.clear()
            found = self._scopes[key] = frozenset(self._walk_scope(type_name, chains))
        return found

    def _walk_scope(self, type_name: str, chains: Sequence[Sequence[str]]) -> set[str]:
        gazetteer = self.gazetteer
        level = gazetteer.domain.level(type_name)
        scope: set[str] = set()
        for chain in chains:
            terminal = chain[-1]
            if gazetteer.domain.level(gazetteer.get(terminal).type) < level:
                scope.update(gazetteer.descendants(terminal, type_name))
            else:
                scope.update(i for i in chain if gazetteer.get(i).type == type_name)
        return scope

    @staticmethod
    def _date(text: str, entities: Sequence[Entity], reference: dt.date) -> DateRange | None:
        for entity in entities:
            if entity.type == "Date":
                found = normalize_date(entity.text, reference)
                if found is not None:
                    return found
        return None
