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


# How many of the latest targets a mention is tried against: keeps grouping linear in long inputs.
TARGET_LOOKBACK = 8


@dataclass(frozen=True)
class QueryCompletion:
    """A query's hierarchy mentions grouped into targets, each completed on its own.

    Attributes:
        targets: per target, the indexes of its mentions (into the candidates given) and
            their completion. One target when the mentions fit one chain (or contradict it:
            then that one target has ``conflict``); several when the query compares or
            lists units of one level; none without hierarchy mentions.
        resolved: the levels every target determines alike (a single target: its own).
        ambiguous: the candidate chains of a single ambiguous target; empty otherwise.
        linked: per mention, its entry id where every consistent target it belongs to agrees.
        conflict: some target's mentions contradict the gazetteer.
        chains: every target's consistent chains, for scoping fuzzy links.
    """

    targets: tuple[tuple[tuple[int, ...], Completion], ...]
    resolved: dict[str, str | None]
    ambiguous: tuple[tuple[str, ...], ...]
    linked: tuple[str | None, ...]
    conflict: bool
    chains: tuple[tuple[str, ...], ...]


def complete_query(
    gazetteer: Gazetteer, levels: Sequence[int], candidates: Sequence[tuple[str, ...]]
) -> QueryCompletion:
    """Group mentions into targets and complete each (CONTRACTS.md §2, ``targets``).

    Args:
        gazetteer: the gazetteer.
        levels: per mention, its hierarchy level (index into ``domain.hierarchy``).
        candidates: per mention, the entry ids it may name (empty: unknown, constrains nothing).

    Mentions that fit one chain together are one target, exactly as :func:`complete`
    completes them. Otherwise, in text order, a mention joins the latest target it fits
    that holds no other unit of its level; a mention of a level where a target already
    names another unit starts a new target (``巨野和郓城``); one that fits nowhere else
    contradicts the latest target, which is then a conflict. Finally a mention of a higher
    level than all of another target's mentions joins that target too where it fits
    (``菏泽巨野和郓城``: 菏泽 belongs to both).
    """
    whole = complete(gazetteer, candidates)
    mentions = tuple(range(len(candidates)))
    if not candidates:
        return QueryCompletion((), whole.resolved, (), (), False, ())
    if not whole.conflict:
        return QueryCompletion(((mentions, whole),), whole.resolved, whole.ambiguous, whole.linked, False, whole.chains)
    groups = _group(gazetteer, levels, candidates)
    if len(groups) == 1:
        return QueryCompletion(((mentions, whole),), whole.resolved, (), whole.linked, True, ())
    targets = tuple((tuple(g), complete(gazetteer, [candidates[i] for i in g])) for g in groups)
    linked: list[str | None] = []
    for i in mentions:
        ids = {c.linked[g.index(i)] for g, c in targets if i in g and not c.conflict}
        linked.append(ids.pop() if len(ids) == 1 else None)
    return QueryCompletion(
        targets,
        _shared(gazetteer, [c for _, c in targets]),
        (),
        tuple(linked),
        any(c.conflict for _, c in targets),
        tuple(chain for _, c in targets for chain in c.chains),
    )


def _group(gazetteer: Gazetteer, levels: Sequence[int], candidates: Sequence[tuple[str, ...]]) -> list[list[int]]:
    def other_unit(group: list[int], i: int) -> bool:
        return any(
            levels[j] == levels[i]
            and (not candidates[i] or not candidates[j] or set(candidates[i]).isdisjoint(candidates[j]))
            for j in group
        )

    def fits(group: list[int], i: int) -> bool:
        return not complete(gazetteer, [candidates[j] for j in (*group, i)]).conflict

    groups: list[list[int]] = []
    pending: list[int] = []  # fit no target yet: a target started later may take them
    for i in range(len(candidates)):
        recent = groups[-TARGET_LOOKBACK:]
        home = next((g for g in reversed(recent) if not other_unit(g, i) and fits(g, i)), None)
        if home is not None:
            home.append(i)
        elif not groups or any(other_unit(g, i) for g in recent):
            groups.append([i])
        else:
            pending.append(i)
    for i in pending:
        nearest = sorted(range(len(groups)), key=lambda g: min(abs(i - j) for j in groups[g]))
        home = next((groups[g] for g in nearest[:TARGET_LOOKBACK] if fits(groups[g], i)), None)
        (home if home is not None else groups[nearest[0]]).append(i)
    for group in groups:
        group.sort()
    own = [list(g) for g in groups]
    for index, group in enumerate(groups):
        top = min(levels[j] for j in own[index])
        for other in own[max(0, index - TARGET_LOOKBACK) : index + TARGET_LOOKBACK + 1]:
            for h in other:
                if (
                    levels[h] < top
                    and h not in group
                    and not any(levels[j] == levels[h] for j in group)
                    and fits(group, h)
                ):
                    group.append(h)
        group.sort()
    return groups


def _shared(gazetteer: Gazetteer, completions: Sequence[Completion]) -> dict[str, str | None]:
    """Levels at which every target's chains agree on one and the same entry."""
    resolved: dict[str, str | None] = dict.fromkeys(gazetteer.domain.hierarchy)
    prefixes = []
    for completion in completions:
        if not completion.chains:
            return resolved
        prefix = []
        for depth, node in enumerate(completion.chains[0]):
            if any(len(chain) <= depth or chain[depth] != node for chain in completion.chains):
                break
            prefix.append(node)
        prefixes.append(prefix)
    for nodes in zip(*prefixes):
        if len(set(nodes)) != 1:
            break
        entry = gazetteer.get(nodes[0])
        resolved[entry.type] = entry.name
    return resolved
