"""Shared helpers for the resolver and matcher tests: mentions by surface, and the chain invariants."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolution
from nerloop.records import Entity


def spans(text: str, *typed: tuple[str, str]) -> list[Entity]:
    """Entities for ``(type, surface)`` pairs, each found left to right after the previous one."""
    entities, pos = [], 0
    for type_name, surface in typed:
        start = text.index(surface, pos)
        pos = start + len(surface)
        entities.append(Entity(type_name, start, pos, surface))
    return entities


def check_consistent(gazetteer: Gazetteer, resolution: Resolution) -> None:
    """Assert that a resolved record never claims more than the gazetteer and its mentions allow.

    Per target (CONTRACTS.md §2): checked against the gazetteer directly (paths walked, every
    entry considered), not against ``complete``. A single target equals the top-level fields;
    with several, mentions of one level naming different units sit in different targets, the
    top level holds only what every target shares, and ``conflict`` is any target's.
    """
    record = resolution.record
    record.check_spans()
    hierarchy = gazetteer.domain.hierarchy
    assert set(record.resolved) == set(hierarchy)
    links = dict(enumerate(resolution.links))
    mentions = [i for i, e in enumerate(record.entities) if e.type in hierarchy]
    for i in mentions:
        assert all(gazetteer.get(c).type == record.entities[i].type for c in links[i].candidates)
        assert record.entities[i].id is None or record.entities[i].id in links[i].candidates
    targets = record.targets
    assert targets is not None
    assert sorted({i for t in targets for i in t.mentions}) == mentions
    if len(targets) <= 1:
        if targets:
            only = targets[0]
            assert (only.resolved, only.ambiguous, only.conflict) == (
                record.resolved,
                record.ambiguous,
                record.conflict,
            )
        _check_target(gazetteer, record, links, mentions, record.resolved, record.ambiguous, record.conflict)
        return
    for target in targets:
        _check_target(gazetteer, record, links, target.mentions, target.resolved, target.ambiguous, target.conflict)
    assert record.ambiguous == ()
    assert record.conflict == any(t.conflict for t in targets)
    for level in hierarchy:
        values = {t.resolved[level] for t in targets}
        assert record.resolved[level] is None or values == {record.resolved[level]}
    for a in range(len(targets)):
        for b in range(a + 1, len(targets)):
            assert set(targets[a].mentions) != set(targets[b].mentions)


def _check_target(gazetteer, record, links, indexes, resolved, ambiguous, conflict) -> None:
    hierarchy = gazetteer.domain.hierarchy
    mentions = [(record.entities[i], links[i]) for i in indexes]
    constraints = [set(link.candidates) for _, link in mentions if link.candidates]
    fitting = [
        e.id
        for t in hierarchy
        for e in gazetteer.entries(t)
        if constraints and all(set(gazetteer.path(e.id)) & c for c in constraints)
    ]
    assert conflict == (bool(constraints) and not fitting)
    if conflict:
        assert all(v is None for v in resolved.values())
        assert ambiguous == ()
        # a mention shared with a consistent target may carry that target's link
        assert all(e.id is None for e, _ in mentions if len(record.targets) == 1)
        return

    terminals = set(fitting) & set().union(*constraints)
    expected = {gazetteer.path(t) for t in terminals if not any(t in gazetteer.ancestors(o) for o in terminals)}
    chains = [tuple(chain) for chain in ambiguous]
    assert set(chains) == (expected if len(expected) > 1 else set())
    if chains:
        assert len(chains) >= 2 and len(set(chains)) == len(chains)
    else:
        if not expected:
            assert not constraints
            assert all(v is None for v in resolved.values())
            return
        chains = list(expected)
        assert resolved == gazetteer.chain_names(chains[0][-1])

    for chain in chains:
        assert chain == gazetteer.path(chain[-1])
        assert all(c & set(chain) for c in constraints)
        assert all(e.id in chain for e, _ in mentions if e.id is not None)
        assert not any(chain[-1] in gazetteer.ancestors(other[-1]) for other in chains)
    assert {chain[-1] for chain in chains} <= set(fitting)

    by_level: dict[str, str] = {}
    for level in hierarchy:
        at_level = {next((i for i in chain if gazetteer.get(i).type == level), None) for chain in chains}
        if len(at_level) == 1 and (only := next(iter(at_level))) is not None:
            assert resolved[level] == gazetteer.get(only).name
            by_level[level] = only
        else:
            assert resolved[level] is None, f"{level} filled although the candidate chains differ there"
    for entry_id in by_level.values():
        for ancestor in gazetteer.ancestors(entry_id):
            assert resolved[gazetteer.get(ancestor).type] == gazetteer.get(ancestor).name


@pytest.fixture(scope="session")
def consistent() -> Callable[[Gazetteer, Resolution], None]:
    """:func:`check_consistent`, as a fixture so that property tests in several files share it."""
    return check_consistent


@pytest.fixture(scope="session")
def mentions() -> Callable[..., list[Entity]]:
    """:func:`spans`, as a fixture."""
    return spans
