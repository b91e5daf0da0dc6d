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

    Checked against the gazetteer directly (paths walked, every entry considered), not
    against ``complete``: chains are real paths that fit every linked mention, a level is
    filled exactly where all candidate chains share one entry, ancestors of a filled level
    are the filled levels above it, and ``conflict`` is set exactly when no entry fits.
    """
    record = resolution.record
    record.check_spans()
    hierarchy = gazetteer.domain.hierarchy
    resolved = record.resolved
    assert set(resolved) == set(hierarchy)
    mentions = [(e, link) for e, link in zip(record.entities, resolution.links) if e.type in hierarchy]
    constraints = [set(link.candidates) for _, link in mentions if link.candidates]
    for entity, link in mentions:
        assert all(gazetteer.get(c).type == entity.type for c in link.candidates)
        assert entity.id is None or entity.id in link.candidates

    fitting = [
        e.id
        for t in hierarchy
        for e in gazetteer.entries(t)
        if constraints and all(set(gazetteer.path(e.id)) & c for c in constraints)
    ]
    assert record.conflict == (bool(constraints) and not fitting)
    if record.conflict:
        assert all(v is None for v in resolved.values())
        assert record.ambiguous == ()
        assert all(e.id is None for e, _ in mentions)
        return

    terminals = set(fitting) & set().union(*constraints)
    expected = {gazetteer.path(t) for t in terminals if not any(t in gazetteer.ancestors(o) for o in terminals)}
    chains = [tuple(chain) for chain in record.ambiguous]
    assert set(chains) == (expected if len(expected) > 1 else set())
    if chains:
        assert len(chains) >= 2 and len(set(chains)) == len(chains)
    else:
        linked = [e.id for e, _ in mentions if e.id is not None]
        if not linked:
            assert not constraints
            assert all(v is None for v in resolved.values())
            return
        chains = [gazetteer.path(max(linked, key=lambda i: len(gazetteer.path(i))))]
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
