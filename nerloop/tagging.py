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

from nerloop.records import Entity


@dataclass(frozen=True)
class Prediction:
    """What a tagger found in one text, before the gazetteer links it.

    Args:
        entities: mentions with code-point spans and a ``score`` in 0..1, no ids (linking
            is the resolver's job).
        token_probs: per input position (one row per token the model saw, in text order),
            the probability distribution over the model's labels; ``None`` for taggers
            without one (the matcher). Uncertainty strategies (least confidence, margin,
            entropy, MNLP) read this.
        token_logprobs: log-probabilities of the tokens a generative model emitted
            (from raw logits, not renormalized by constrained decoding); ``None`` otherwise.
        unparseable: a generative output failed validation (tags stripped ≠ input, unknown
            tag, broken nesting); ``entities`` is then empty and the query is maximally
            uncertain.
        uncertainty: the tagger's own query-level uncertainty in 0..1, if it has one.
    """

    entities: tuple[Entity, ...]
    token_probs: tuple[tuple[float, ...], ...] | None = None
    token_logprobs: tuple[float, ...] | None = None
    unparseable: bool = False
    uncertainty: float | None = None


@runtime_checkable
class Tagger(Protocol):
    """Finds mentions. ``version`` goes into every record's ``model`` field."""

    version: str

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order; batching is the tagger's business."""
        ...
