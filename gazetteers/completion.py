"""Hierarchy completion: which gazetteer chains fit every mention of a query.

Pure over ids. This is the rule that keeps nerloop from guessing a parent: a
level is filled only when every chain consistent with the mentions agrees on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import NamedTuple

from gazetteers.model import Gazetteer


class Completion(NamedTuple):
    """Outcome of completing one query's hierarchy mentions.

    A named tuple built with ``tuple.__new__`` (:func:`_completion`): completions are made on every
    completion-cache miss, and a frozen dataclass's ``__init__`` runs interpreted, one
    ``object.__setattr__`` per field.

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


def _completion(
    chains: tuple[tuple[str, ...], ...], resolved: dict[str, str | None], linked: tuple[str | None, ...], conflict: bool
) -> Completion:
    return tuple.__new__(Completion, (chains, resolved, linked, conflict))  # type: ignore[type-var]


def complete(gazetteer: Gazetteer, candidates: Sequence[tuple[str, ...]]) -> Completion:
    """Complete the hierarchy from each mention's candidate entry ids.

    A mention with no candidates (a name the gazetteer does not know) constrains
    nothing. A chain is consistent when every other mention has a candidate on it;
    only the deepest consistent chains are kept.
    """
    hierarchy = gazetteer.domain.hierarchy
    constraining = [c for c in candidates if c]
    if not constraining:
        return _completion((), dict.fromkeys(hierarchy), (None,) * len(candidates), False)
    ones = [c[0] for c in constraining if len(c) == 1]
    if len(ones) == len(constraining):
        # the common case: every mention names one entry; they fit iff the deepest path holds them all
        path = gazetteer.path(ones[0])
        for one in ones:  # the first of the longest, as max(..., key=len) picks it
            other = gazetteer.path(one)
            if len(other) > len(path):
                path = other
        if gazetteer.path_set(path[-1]).issuperset(ones):
            linked = tuple(ones) if len(ones) == len(candidates) else tuple(c[0] if c else None for c in candidates)
            return _completion((path,), gazetteer.chain_names(path[-1]), linked, False)
        return _completion((), dict.fromkeys(hierarchy), (None,) * len(candidates), True)
    if len(constraining) == 1:
        # one mention with several candidates: each candidate ends its own chain
        terminals: Sequence[str] = constraining[0]
    else:
        # A mention names entries of one level, so a path holds at most one of its candidates:
        # a terminal fits when its path holds as many candidates (counted per mention) as there are mentions.
        # (Loops rather than sum(map(...)): compiled, these are C calls with no Python call protocol.)
        count: dict[str, int] = {}
        for cands in constraining:
            for c in set(cands):
                count[c] = count.get(c, 0) + 1
        needed = len(constraining)
        terminals = []
        for t in count:
            held = 0
            for node in gazetteer.path(t):
                held += count.get(node, 0)
            if held == needed:
                terminals.append(t)
    inner = {a for t in terminals for a in gazetteer.ancestors(t)}
    chains = tuple(sorted({gazetteer.path(t) for t in terminals if t not in inner}))
    if not chains:
        return _completion((), dict.fromkeys(hierarchy), (None,) * len(candidates), True)
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
    linked_ids: list[str | None] = []
    for cands in candidates:
        hits = [c for c in cands if c in on_chains]
        linked_ids.append(hits[0] if len(hits) == 1 else None)
    return _completion(chains, resolved, tuple(linked_ids), False)


# How many of the latest targets a mention is tried against: keeps grouping linear in long inputs.
TARGET_LOOKBACK = 8


class QueryCompletion(NamedTuple):
    """A query's hierarchy mentions grouped into targets, each completed on its own (a named tuple,
    as :class:`Completion` is, built by :func:`_query_completion`).

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


def _query_completion(
    targets: tuple[tuple[tuple[int, ...], Completion], ...],
    resolved: dict[str, str | None],
    ambiguous: tuple[tuple[str, ...], ...],
    linked: tuple[str | None, ...],
    conflict: bool,
    chains: tuple[tuple[str, ...], ...],
) -> QueryCompletion:
    return tuple.__new__(QueryCompletion, (targets, resolved, ambiguous, linked, conflict, chains))  # type: ignore[type-var]


def complete_query(
    gazetteer: Gazetteer,
    levels: Sequence[int],
    candidates: Sequence[tuple[str, ...]],
    complete_group: Callable[[tuple[tuple[str, ...], ...]], Completion] | None = None,
) -> QueryCompletion:
    """Group mentions into targets and complete each (CONTRACTS.md §2, ``targets``).

    Args:
        gazetteer: the gazetteer.
        levels: per mention, its hierarchy level (index into ``domain.hierarchy``).
        candidates: per mention, the entry ids it may name (empty: unknown, constrains nothing).
        complete_group: :func:`complete` of one target's candidates (a memoized one, say); by default
            ``complete`` itself.

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
        return _query_completion((), whole.resolved, (), (), False, ())
    if not whole.conflict:
        return _query_completion(
            ((mentions, whole),), whole.resolved, whole.ambiguous, whole.linked, False, whole.chains
        )
    groups = _group(gazetteer, levels, candidates)
    if len(groups) == 1:
        return _query_completion(((mentions, whole),), whole.resolved, (), whole.linked, True, ())
    complete_group = complete_group or partial(complete, gazetteer)
    targets = tuple((tuple(g), complete_group(tuple([candidates[i] for i in g]))) for g in groups)
    ids: list[set[str | None]] = [set() for _ in mentions]
    for group, completion in targets:
        if not completion.conflict:
            for position, i in enumerate(group):
                ids[i].add(completion.linked[position])
    linked = [found.pop() if len(found) == 1 else None for found in ids]
    return _query_completion(
        targets,
        _shared(gazetteer, [c for _, c in targets]),
        (),
        tuple(linked),
        any(c.conflict for _, c in targets),
        tuple(chain for _, c in targets for chain in c.chains),
    )


# Distinct mention sets remembered per gazetteer: a log repeats a few thousand (菏泽 + 巨野, a bare 城关).
COMPLETION_CACHE_SIZE = 32_768


class CompletionCache:
    """:func:`complete_query` of one gazetteer, memoized in a bounded LRU keyed by the mention set.

    The same levels and candidates always complete alike (the gazetteer does not change under a
    matcher or resolver), and queries repeat them: in logs, and within one query while the matcher
    weighs readings of its mentions. Results are shared between callers: read them, never mutate them.
    """

    def __init__(self, gazetteer: Gazetteer, maxsize: int = COMPLETION_CACHE_SIZE) -> None:
        self.gazetteer = gazetteer
        self.maxsize = maxsize
        self._cached = lru_cache(maxsize=maxsize)(self._complete)
        # one target's completion (巨野 of 巨野和郓城) recurs in many queries that compare or list it
        self._group = lru_cache(maxsize=maxsize)(partial(complete, gazetteer))

    def _complete(self, levels: tuple[int, ...], candidates: tuple[tuple[str, ...], ...]) -> QueryCompletion:
        return complete_query(self.gazetteer, levels, candidates, self._group)

    def __call__(self, levels: Sequence[int], candidates: Sequence[tuple[str, ...]]) -> QueryCompletion:
        return self._cached(tuple(levels), tuple(candidates))

    def __reduce__(self) -> tuple[type[CompletionCache], tuple[Gazetteer, int]]:
        """Pickled as its constructor's arguments: the memo starts empty (setup.py: why not the state)."""
        return (CompletionCache, (self.gazetteer, self.maxsize))


def _group(gazetteer: Gazetteer, levels: Sequence[int], candidates: Sequence[tuple[str, ...]]) -> list[list[int]]:
    return _Grouping(gazetteer, levels, candidates).groups_of_mentions()


class _Grouping:
    """One query's mentions being grouped into targets (the rule: :func:`complete_query`).

    An object rather than closures over each other: compiled, such closures and their shared
    environment form a reference cycle per call, garbage that only the cycle collector frees.
    """

    def __init__(self, gazetteer: Gazetteer, levels: Sequence[int], candidates: Sequence[tuple[str, ...]]) -> None:
        self.gazetteer = gazetteer
        self.levels = levels
        self.candidates = candidates
        self.sets = [frozenset(c) for c in candidates]
        self.groups: list[list[int]] = []
        # per group: its consistent chains so far (None: nothing constrains it yet), updated on every join
        self.chains: list[tuple[tuple[str, ...], ...] | None] = []

    def other_unit(self, g: int, i: int) -> bool:
        """Whether group ``g`` already names another unit of mention ``i``'s level."""
        levels, candidates = self.levels, self.candidates
        level, own = levels[i], self.sets[i]
        for j in self.groups[g][-TARGET_LOOKBACK:]:
            if levels[j] == level and (not own or not candidates[j] or own.isdisjoint(candidates[j])):
                return True
        return False

    def fits(self, g: int, i: int) -> bool:
        known = self.chains[g]
        return known is None or fits_chains(self.gazetteer, known, self.candidates[i])

    def join(self, g: int, i: int) -> None:
        self.groups[g].append(i)
        if self.candidates[i]:
            self.chains[g] = _fitting_chains(self.gazetteer, self.chains[g], self.candidates[i])

    def groups_of_mentions(self) -> list[list[int]]:
        groups, chains, levels, candidates = self.groups, self.chains, self.levels, self.candidates
        pending: list[tuple[int, int]] = []  # fit no target yet: a target started later may take them
        for i in range(len(candidates)):
            first = max(0, len(groups) - TARGET_LOOKBACK)
            home = None
            for g in range(len(groups) - 1, first - 1, -1):
                if not self.other_unit(g, i) and self.fits(g, i):
                    home = g
                    break
            if home is not None:
                self.join(home, i)
            elif not groups or any(self.other_unit(g, i) for g in range(first, len(groups))):
                groups.append([])
                chains.append(None)
                self.join(len(groups) - 1, i)
            else:
                pending.append((i, len(groups)))
        for i, seen in pending:
            nearby = range(max(0, seen - TARGET_LOOKBACK), min(len(groups), seen + TARGET_LOOKBACK))
            home = next((g for g in nearby if self.fits(g, i)), None)
            groups[home if home is not None else seen - 1].append(i)
        for group in groups:
            group.sort()
        own = [list(g) for g in groups]
        for index, group in enumerate(groups):
            top = min(levels[j] for j in own[index])
            members, present = set(group), {levels[j] for j in group}
            for other in own[max(0, index - TARGET_LOOKBACK) : index + TARGET_LOOKBACK + 1]:
                for h in other:
                    if levels[h] < top and h not in members and levels[h] not in present and self.fits(index, h):
                        group.append(h)
                        members.add(h)
                        present.add(levels[h])
                        if candidates[h]:
                            chains[index] = _fitting_chains(self.gazetteer, chains[index], candidates[h])
            group.sort()
        return groups


def fits_chains(gazetteer: Gazetteer, chains: Sequence[tuple[str, ...]], cands: Sequence[str]) -> bool:
    """Whether a mention with ``cands`` fits one of ``chains`` (on it, or below its end); no candidates fit all."""
    if not cands:
        return True
    for path in chains:
        end = path[-1]
        on_path = gazetteer.path_set(end)
        for c in cands:
            if c in on_path or end in gazetteer.path_set(c):
                return True
    return False


def _fitting_chains(
    gazetteer: Gazetteer, known: tuple[tuple[str, ...], ...] | None, cands: tuple[str, ...]
) -> tuple[tuple[str, ...], ...] | None:
    """The deepest chains that fit both the ``known`` chains and one more mention's candidates."""
    if known is None:
        return tuple(gazetteer.path(c) for c in cands)
    found = set()
    for path in known:
        for c in cands:
            if c in gazetteer.path_set(path[-1]):
                found.add(path)
            elif path[-1] in gazetteer.path_set(c):
                found.add(gazetteer.path(c))
    return tuple(found) or known


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
