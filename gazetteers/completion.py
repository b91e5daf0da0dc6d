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


def complete(gazetteer: Gazetteer, candidates: Sequence[Sequence[str]]) -> Completion:
    """Complete the hierarchy from each mention's candidate entry ids.

    A mention with no candidates (a name the gazetteer does not know) constrains
    nothing. A chain is consistent when every other mention has a candidate on it;
    only the deepest consistent chains are kept.
    """
    hierarchy = gazetteer.domain.hierarchy
    empty = dict.fromkeys(hierarchy)
    constraining = [frozenset(c) for c in candidates if c]
    if not constraining:
        return Completion((), empty, tuple(None for _ in candidates), False)
    terminals = set().union(*constraining)
    consistent = []
    for terminal in terminals:
        path = set(gazetteer.path(terminal))
        if all(path & cands for cands in constraining):
            consistent.append(terminal)
    inner = {a for t in consistent for a in gazetteer.ancestors(t)}
    chains = tuple(sorted(gazetteer.path(t) for t in consistent if t not in inner))
    if not chains:
        return Completion((), empty, tuple(None for _ in candidates), True)
    resolved = dict(empty)
    for type_name in hierarchy:
        at_level = {next((i for i in chain if gazetteer.get(i).type == type_name), None) for chain in chains}
        if len(at_level) == 1 and (only := at_level.pop()) is not None:
            resolved[type_name] = gazetteer.get(only).name
    on_chains = [set(chain) for chain in chains]
    linked = []
    for cands in candidates:
        hits = {c for c in cands for chain in on_chains if c in chain}
        linked.append(hits.pop() if len(hits) == 1 else None)
    return Completion(chains, resolved, tuple(linked), False)
