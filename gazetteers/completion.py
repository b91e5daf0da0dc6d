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
    if len(constraining) == 1:
        # one mention with several candidates: each candidate ends its own chain
        terminals: Sequence[str] = constraining[0]
    else:
        sets = [frozenset(c) for c in constraining]
        terminals = [t for t in frozenset().union(*sets) if all(not gazetteer.path_set(t).isdisjoint(c) for c in sets)]
    inner = {a for t in terminals for a in gazetteer.ancestors(t)}
    chains = tuple(sorted({gazetteer.path(t) for t in terminals if t not in inner}))
    if not chains:
        return Completion((), dict.fromkeys(hierarchy), (None,) * len(candidates), True)
    if len(chains) == 1:
        resolved = gazetteer.chain_names(chains[0][-1])
    else:
        # chains are paths in a tree: the levels all of them agree on are their common prefix
        resolved = dict.fromkeys(hierarchy)
        first = chains[0]
        for depth, node in enumerate(first):
            if any(len(chain) <= depth or chain[depth] != node for chain in chains):
                break
            entry = gazetteer.get(node)
            resolved[entry.type] = entry.name
    on_chains = set().union(*chains)
    linked = []
    for cands in candidates:
        hits = [c for c in cands if c in on_chains]
        linked.append(hits[0] if len(hits) == 1 else None)
    return Completion(chains, resolved, tuple(linked), False)
