"""Resolver signals: what is uncertain about the answer rather than the model, and their boosts.

A mention that links to nothing, an ambiguous or conflicting chain, a generative output that
did not parse are flags of the resolved record, not scores of the model; they are stored
apart from the strategy scores and added as boosts at selection time (:func:`boosted`), so
one batch can favour new names without retraining anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from nerloop.records import TaggedQuery

SIGNALS = ("unlinked", "ambiguous", "conflict", "unparseable")


def resolver_signals(record: TaggedQuery, hierarchy: Sequence[str], unparseable: bool = False) -> dict[str, bool]:
    """Flags of the resolved answer: a hierarchy mention without a gazetteer link (a new name?),
    candidate chains (ambiguous), a contradiction with the gazetteer (conflict), a failed parse."""
    return {
        "unlinked": any(e.type in hierarchy and e.id is None for e in record.entities),
        "ambiguous": bool(record.ambiguous),
        "conflict": record.conflict,
        "unparseable": unparseable,
    }


DEFAULT_BOOSTS: Mapping[str, float] = {"unlinked": 0.5, "ambiguous": 0.2, "conflict": 0.3, "unparseable": 1.0}


def boosted(score: float, signals: Mapping[str, bool], boosts: Mapping[str, float] = DEFAULT_BOOSTS) -> float:
    """``score`` plus the boost of every signal that is set.

    Selection adds boosts to the rank-normalized score (0..1 within the pool), so one boost
    table fits every strategy whatever its units.
    """
    return score + sum(weight for name, weight in boosts.items() if signals.get(name))
