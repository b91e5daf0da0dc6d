"""The one tagging interface: texts in, mentions with scores and token probabilities out.

The gazetteer matcher, the token-classification tagger and the generative model all
implement :class:`Tagger`; the resolver runs after any of them, so completion always
comes from the gazetteer and never from a model. This module sits at the bottom of the
package graph (no torch, no gazetteer) so that ``gazetteers`` and ``generator`` import
it without the ML stack, and so that ``al score`` and a tagging server can use any
tagger through the same calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from nerloop.frozen import fast_init
from nerloop.records import Entity


@fast_init
@dataclass(frozen=True, eq=False)
class Prediction:
    """What a tagger found in one text, before the gazetteer links it.

    Args:
        entities: mentions with code-point spans and a ``score`` in 0..1, no ids (linking
            is the resolver's job).
        token_probs: per input position (one row per token the model saw, in text order),
            the probability distribution over the model's labels; ``None`` for taggers
            without one (the matcher). Uncertainty strategies (least confidence, margin,
            entropy, MNLP) read this. The model taggers give a read-only numpy array (a
            view of their batch output, no per-token Python floats); nested tuples also do.
        token_logprobs: log-probabilities of the tokens a generative model emitted
            (from raw logits, not renormalized by constrained decoding); ``None`` otherwise.
        unparseable: a generative output failed validation (tags stripped ≠ input, unknown
            tag, broken nesting); ``entities`` is then empty and the query is maximally
            uncertain.
        uncertainty: the tagger's own query-level uncertainty in 0..1, if it has one.
        char_entity_probs: per character of the text, the model's probability that it is part
            of some mention (1 − P(O)); what the calibrated combination weighs a gazetteer match
            against. ``None`` for taggers without token marginals.
    """

    entities: tuple[Entity, ...]
    token_probs: Sequence[Sequence[float]] | None = None
    token_logprobs: tuple[float, ...] | None = None
    unparseable: bool = False
    uncertainty: float | None = None
    char_entity_probs: Sequence[float] | None = None

    __hash__ = None  # type: ignore[assignment]  # token_probs may be an array: equal, but not hashable

    def __eq__(self, other: object) -> bool:
        """Field by field, the token distributions by value whether tuples or an array."""
        if not isinstance(other, Prediction):
            return NotImplemented
        return (
            self.entities == other.entities
            and _rows(self.token_probs) == _rows(other.token_probs)
            and self.token_logprobs == other.token_logprobs
            and self.unparseable == other.unparseable
            and self.uncertainty == other.uncertainty
        )


def _rows(probs: Sequence[Sequence[float]] | None) -> tuple[tuple[float, ...], ...] | None:
    if probs is None:
        return None
    rows = probs.tolist() if hasattr(probs, "tolist") else probs  # a numpy array, without importing numpy
    return tuple(tuple(float(p) for p in row) for row in rows)


@runtime_checkable
class Tagger(Protocol):
    """Finds mentions. ``version`` goes into every record's ``model`` field."""

    version: str

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order; batching is the tagger's business."""
        ...
