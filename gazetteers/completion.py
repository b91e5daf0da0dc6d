"""Hierarchy completion: which gazetteer chains fit every mention of a query.

Pure over ids. This is the rule that keeps nerloop from guessing a parent: a
level is filled only when every chain consistent with the mentions agrees on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gazetteers.model import Gazetteer


@dataclass(frozen=True)
class Completion:
    """Outcome of completing one query's hierarchy mentions.

    Attributes:
        chains: the consistent chains (ids, outermost first), sorted; empty on conflict.
        resolved: level → canonical name where all chains agree, else ``None``.
        linked: per input mention, its entry id when all chains agree on it, else ``None``.
        conflict: the mentions fit no chain together.
    """

    chains: tuple[tuple[str, ...], ...]
    resolved: dict[str, str | None]
    linked: tuple[str | None, ...]
    conflict: bool

    @property
    def ambiguous(self) -> tuple[tuple[str, ...], ...]:
        """Candidate chains when there are several (CONTRACTS.md §2), else empty."""
        return self.chains if len(self.chains) > 1 else ()


def complete(gazetteer: Gazetteer, candidates: Sequence[tuple[str, ...]]) -> Completion:
    """Complete the hierarchy from each mention's candidate entry ids.

    A mention with no candidates (a name the gazetteer does not know) constrains
    nothing. A chain is consistent when every other mention has a candidate on it;
    only the deepest consistent chains are kept.
    """
    hierarchy = gazetteer.domain.hierarchy
    constraining = [c for c in candidates if c]
    if not constraining:
        return Completion((), dict.fromkeys(hierarchy), (None,) * len(candidates), False)
    if all(len(c) == 1 for c in constraining):
        # the common case: every mention names one entry; they fit iff the deepest path holds them all
        path = max((gazetteer.path(c[0]) for c in constraining), key=len)
        if all(c[0] in path for c in constraining):
            linked = tuple(c[0] if c else None for c in candidates)
            return Completion((path,), gazetteer.chain_names(path[-1]), linked, False)
        return Completion((), dict.fromkeys(hierarchy), (None,) * len(candidates), True)
    sets = [frozenset(c) for c in constraining]
    consistent = []
    for terminal in frozenset().union(*sets):
        path_set = gazetteer.path_set(terminal)
        if all(not path_set.isdisjoint(cands) for cands in sets):
            consistent.append(terminal)
    inner = {a for t in consistent for a in gazetteer.ancestors(t)}
    chains = tuple(sorted(gazetteer.path(t) for t in consistent if t not in inner))
    if not chains:
        return Completion((), dict.fromkeys(hierarchy), (None,) * len(candidates), True)
    if len(chains) == 1:
        resolved = gazetteer.chain_names(chains[0][-1])
    else:
        resolved = dict.fromkeys(hierarchy)
        per_chain = [gazetteer.chain_ids(chain[-1]) for chain in chains]
        for type_name in hierarchy:
            at_level = {levels.get(type_name) for levels in per_chain}
            if len(at_level) == 1 and (only := at_level.pop()) is not None:
                resolved[type_name] = gazetteer.get(only).name
    on_chains = set().union(*chains)
    linked = []
    for cands in candidates:
        hits = [c for c in cands if c in on_chains]
        linked.append(hits[0] if len(hits) == 1 else None)
    return Completion(chains, resolved, tuple(linked), False)
