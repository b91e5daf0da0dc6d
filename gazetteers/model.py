"""Gazetteer entries and the hierarchy index built over them.

The index answers the resolver's and generator's questions in O(1): an entry by
id, its ancestors (precomputed path), its children, and the entries a surface
form names, per type.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from mypy_extensions import mypyc_attr

from nerloop.domain import Domain


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Entry:
    """One gazetteer row.

    ``surfaces`` holds the name, explicit aliases and generated short forms;
    ``meta`` keeps the extra CSV columns; ``source`` is ``file:line`` for messages.
    """

    id: str
    type: str
    name: str
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    surfaces: tuple[str, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)
    source: str = ""


# what Gazetteer.__reduce__ saves: by id, by type, children, paths, surface index, base-name index
_Index = tuple[
    dict[str, Entry],
    dict[str, list[Entry]],
    dict[str | None, list[str]],
    dict[str, tuple[str, ...]],
    dict[str, dict[str, tuple[str, ...]]],
    dict[str, dict[str, tuple[str, ...]]],
]


class Gazetteer:
    """All entries of a gazetteer directory with their hierarchy and surface index."""

    _by_id: dict[str, Entry]
    _by_type: dict[str, list[Entry]]
    _children: dict[str | None, list[str]]
    _paths: dict[str, tuple[str, ...]]
    _surface: dict[str, dict[str, tuple[str, ...]]]
    _bases: dict[str, dict[str, tuple[str, ...]]]

    def __init__(
        self, domain: Domain, entries: Iterable[Entry], fingerprint: str = "", index: _Index | None = None
    ) -> None:
        """``index``: the structures :meth:`__reduce__` saved, taken as they are instead of built again."""
        self.domain = domain
        self.fingerprint = fingerprint
        self._chain_names: dict[str, dict[str, str | None]] = {}
        self._path_sets: dict[str, frozenset[str]] = {}
        self._chain_ids: dict[str, dict[str, str]] = {}
        if index is not None:
            self._by_id, self._by_type, self._children, self._paths, self._surface, self._bases = index
            return
        self._by_id = {}
        self._by_type = defaultdict(list)
        self._children = defaultdict(list)
        for entry in entries:
            self._by_id[entry.id] = entry
            self._by_type[entry.type].append(entry)
            if entry.type in domain.hierarchy:
                self._children[entry.parent].append(entry.id)
        self._paths = {}
        for entry_id in self._by_id:
            self._path(entry_id)
        surface: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for entry in self._by_id.values():
            for form in entry.surfaces:
                surface[entry.type][form].append(entry.id)
        self._surface = {t: {f: tuple(ids) for f, ids in forms.items()} for t, forms in surface.items()}
        self._bases = _base_index(self._by_type)

    def __reduce__(self) -> tuple[type[Gazetteer], tuple[Domain, tuple[()], str, _Index]]:
        """Pickled with its index as built (the load cache reads it back without building it again); the
        memos start empty. An explicit reduction, because the compiled build's classes pickle no state
        of their own (setup.py)."""
        index = (self._by_id, self._by_type, self._children, self._paths, self._surface, self._bases)
        return (Gazetteer, (self.domain, (), self.fingerprint, index))

    def _path(self, entry_id: str) -> tuple[str, ...]:
        cached = self._paths.get(entry_id)
        if cached is not None:
            return cached
        chain: list[str] = []
        current: str | None = entry_id
        while current is not None and current not in self._paths:
            chain.append(current)
            current = self._by_id[current].parent if current in self._by_id else None
        prefix = self._paths[current] if current is not None else ()
        for node in reversed(chain):
            prefix = (*prefix, node)
            self._paths[node] = prefix
        return self._paths[entry_id]

    def __len__(self) -> int:
        return len(self._by_id)

    def __bool__(self) -> bool:  # compiled code tests truth by __bool__ alone (mypyc skips __len__)
        return bool(self._by_id)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._by_id

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._by_id.values())

    def get(self, entry_id: str) -> Entry:
        return self._by_id[entry_id]

    def entries(self, type_name: str) -> list[Entry]:
        """Entries of one type, in file order."""
        return self._by_type.get(type_name, [])

    def path(self, entry_id: str) -> tuple[str, ...]:
        """Ids from the outermost ancestor down to ``entry_id`` itself."""
        return self._paths[entry_id]

    def path_set(self, entry_id: str) -> frozenset[str]:
        """``path`` as a set, memoized: completion tests membership in it constantly."""
        found = self._path_sets.get(entry_id)
        if found is None:
            found = self._path_sets[entry_id] = frozenset(self._paths[entry_id])
        return found

    def chain_ids(self, entry_id: str) -> dict[str, str]:
        """Type → id along the path to ``entry_id`` (memoized; do not mutate)."""
        found = self._chain_ids.get(entry_id)
        if found is None:
            found = self._chain_ids[entry_id] = {self._by_id[i].type: i for i in self._paths[entry_id]}
        return found

    def ancestors(self, entry_id: str) -> tuple[str, ...]:
        """Ids of the ancestors, outermost first (the entry itself excluded)."""
        return self._paths[entry_id][:-1]

    def children(self, entry_id: str | None) -> list[str]:
        """Ids of the direct children; ``None`` gives the roots."""
        return self._children.get(entry_id, [])

    def descendants(self, entry_id: str | None, type_name: str) -> list[str]:
        """Ids of the entries of ``type_name`` below ``entry_id`` (any depth); ``None``: below the roots."""
        found, stack = [], list(self.children(entry_id))
        while stack:
            node = stack.pop()
            if self._by_id[node].type == type_name:
                found.append(node)
            else:
                stack.extend(self.children(node))
        return found

    def lookup(self, surface: str, type_name: str) -> tuple[str, ...]:
        """Ids of the entries of ``type_name`` that ``surface`` names exactly."""
        return self._surface.get(type_name, {}).get(surface, ())

    def surfaces(self, type_name: str) -> dict[str, tuple[str, ...]]:
        """The whole surface index of one type: form → ids."""
        return self._surface.get(type_name, {})

    def bases(self, type_name: str) -> dict[str, tuple[str, ...]]:
        """Base name → ids of the entries of ``type_name`` whose shortest surface form it is.

        The part of a name a typo must not touch (fuzzy linking looks candidates up by it).
        Built with the rest of the index, so the first fuzzy link of a process does not pay for
        it (40 ms on the national gazetteer's substations).
        """
        return self._bases.get(type_name, {})

    def chain_names(self, entry_id: str) -> dict[str, str | None]:
        """The ``resolved`` mapping of a full chain ending at ``entry_id`` (a fresh dict each call)."""
        cached = self._chain_names.get(entry_id)
        if cached is None:
            cached = dict.fromkeys(self.domain.hierarchy)
            for node in self._paths[entry_id]:
                entry = self._by_id[node]
                cached[entry.type] = entry.name
            self._chain_names[entry_id] = cached
        return dict(cached)

    def shared_names(self, type_name: str) -> dict[str, int]:
        """Names borne by more than one entry of a type (城关, 市中区 …) with their counts."""
        counts: dict[str, int] = defaultdict(int)
        for entry in self.entries(type_name):
            counts[entry.name] += 1
        return {name: n for name, n in counts.items() if n > 1}


def _base_index(by_type: dict[str, list[Entry]]) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per type, each entry's shortest surface form (the first of the shortest) → the ids bearing it."""
    index: dict[str, dict[str, tuple[str, ...]]] = {}
    for type_name, entries in by_type.items():
        ids: dict[str, list[str]] = {}
        for entry in entries:
            if entry.surfaces:
                ids.setdefault(min(entry.surfaces, key=len), []).append(entry.id)
        index[type_name] = {base: tuple(found) for base, found in ids.items()}
    return index
