"""Uncertainty strategies: a registry of named functions, each declaring the input it needs.

The math lives in :mod:`active_learning.uncertainty` as plain functions; a registry entry
(:func:`strategy`) gives one a ``--strategy`` name, a help line, its batch form and what it
reads from a prediction (:class:`Needs`). Callers ask the registry (:func:`needs_of`) whether
a strategy needs MC-dropout passes or generative log-probabilities instead of comparing
names; :func:`score_all` computes every strategy a prediction has the input for.

``al score`` scores a batch at a time: :func:`score_batch` pads the batch's token
distributions into one array and runs each strategy's batch form once, so scoring costs a few
numpy calls per batch, not per query.

Resolver signals (:mod:`active_learning.signals`) are flags of the answer, not scores of the
model; they are re-exported here for the callers that read both.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, TypeVar

import numpy as np

from active_learning.errors import StrategyError
from active_learning.signals import DEFAULT_BOOSTS, SIGNALS, boosted, resolver_signals
from active_learning.uncertainty import (
    Probs,
    bald,
    bald_batch,
    best_logprobs,
    best_logprobs_batch,
    entropy,
    g_nll,
    g_nll_batch,
    least_confidence,
    least_confidence_batch,
    margin,
    margin_batch,
    mnlp,
    mnlp_batch,
    token_entropy,
    token_entropy_batch,
)
from nerloop.tagging import Prediction

__all__ = [
    "DEFAULT_BOOSTS",
    "RANDOM",
    "SIGNALS",
    "STRATEGIES",
    "Needs",
    "Probs",
    "Strategy",
    "bald",
    "best_logprobs",
    "boosted",
    "entropy",
    "g_nll",
    "get_strategy",
    "least_confidence",
    "margin",
    "mnlp",
    "needs_of",
    "register_strategy",
    "resolver_signals",
    "score_all",
    "score_batch",
    "strategy",
    "strategy_names",
    "token_entropy",
]

F = TypeVar("F", bound=Callable[..., float])


class Needs(str, Enum):
    """What a strategy reads from a prediction (the values are the names stored before this enum)."""

    TOKEN_PROBS = "probs"
    """Token distributions over labels (taggers)."""
    LOGPROBS = "logprobs"
    """Log-probabilities of the emitted tokens (generative); a tagger's best-label log-probs stand in."""
    MC_SAMPLES = "samples"
    """MC-dropout passes: ``al score --mc-samples N`` must run them."""
    PREDICTION = "prediction"
    """The whole :class:`~nerloop.tagging.Prediction`."""


@dataclass(frozen=True)
class Strategy:
    """A named uncertainty function with what it needs.

    Args:
        name: the ``--strategy`` name.
        needs: the input ``fn`` takes (a :class:`Needs`, or its value).
        fn: the function over that input.
        help: one line for ``--help`` and the docs.
        batch_fn: optional, the same function over a padded batch (see :func:`score_batch`);
            strategies without one are scored query by query.
    """

    name: str
    needs: Needs
    fn: Callable
    help: str
    batch_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "needs", Needs(self.needs))
        except ValueError:
            known = ", ".join(n.value for n in Needs)
            raise StrategyError(f"strategy {self.name!r}: needs must be one of {known}") from None

    def score(self, prediction: Prediction, samples: Sequence[Probs] | None = None) -> float | None:
        """The score, or ``None`` when the prediction lacks this strategy's input."""
        if prediction.unparseable and self.needs is not Needs.PREDICTION:
            return None
        value = _INPUTS[self.needs](prediction, samples)
        return None if value is None else float(self.fn(value))

    @property
    def unparseable_value(self) -> float:
        """What an unparseable output scores: infinite NLL for log-prob strategies, else the maximum 1."""
        return math.inf if self.needs is Needs.LOGPROBS else 1.0


def _logprobs(prediction: Prediction) -> Sequence[float] | None:
    if prediction.token_logprobs is not None:
        return prediction.token_logprobs
    if prediction.token_probs is not None:
        return best_logprobs(prediction.token_probs)
    return None


_INPUTS: dict[Needs, Callable[[Prediction, Sequence[Probs] | None], Any]] = {
    Needs.TOKEN_PROBS: lambda prediction, _samples: prediction.token_probs,
    Needs.LOGPROBS: lambda prediction, _samples: _logprobs(prediction),
    Needs.MC_SAMPLES: lambda _prediction, samples: samples if samples else None,
    Needs.PREDICTION: lambda prediction, _samples: prediction,
}

STRATEGIES: dict[str, Strategy] = {}
RANDOM = "random"  # a baseline handled by selection: no score, a seeded draw


def register_strategy(entry: Strategy) -> Strategy:
    """Add a strategy; a second one under the same name is an error, never a silent override."""
    if entry.name in STRATEGIES or entry.name == RANDOM:
        raise StrategyError(f"a strategy named {entry.name!r} is already registered")
    STRATEGIES[entry.name] = entry
    return entry


def strategy(
    name: str, needs: Needs, *, help: str, batch: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
) -> Callable[[F], F]:
    """Register the decorated function as strategy ``name``; the function itself stays as it is.

    Args:
        needs: what the function takes from a prediction.
        help: one line for ``--help`` and the docs.
        batch: the same function over a padded batch, if it has one.
    """

    def register(fn: F) -> F:
        register_strategy(Strategy(name, needs, fn, help, batch))
        return fn

    return register


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise StrategyError(f"unknown strategy {name!r}; choose one of: {', '.join(strategy_names())}") from None


def needs_of(name: str) -> Needs | None:
    """What strategy ``name`` needs (``None`` for ``random``, which needs no score); unknown names raise."""
    return None if name == RANDOM else get_strategy(name).needs


def strategy_names() -> list[str]:
    """Every name ``--strategy`` accepts, ``random`` included."""
    return [RANDOM, *STRATEGIES]


# The math of :mod:`active_learning.uncertainty`, registered in ``--help`` order.
for _name, _needs, _fn, _batch, _help in (
    (
        "least_confidence",
        Needs.TOKEN_PROBS,
        least_confidence,
        least_confidence_batch,
        "1 − probability of the greedy label sequence",
    ),
    ("margin", Needs.TOKEN_PROBS, margin, margin_batch, "1 − smallest top-1/top-2 gap over tokens"),
    ("token_entropy", Needs.TOKEN_PROBS, token_entropy, token_entropy_batch, "mean token entropy over all labels"),
    ("mnlp", Needs.LOGPROBS, mnlp, mnlp_batch, "length-normalized negative log-prob of the best sequence"),
    ("bald", Needs.MC_SAMPLES, bald, bald_batch, "mutual information over MC-dropout passes (tagger)"),
    ("g_nll", Needs.LOGPROBS, g_nll, g_nll_batch, "negative log-likelihood of the greedy output (generative)"),
):
    strategy(_name, _needs, help=_help, batch=_batch)(_fn)


@strategy("unparseable", Needs.PREDICTION, help="generative output failed")
def unparseable(prediction: Prediction) -> float:
    """1 for a generative output that did not parse, else 0."""
    return 1.0 if prediction.unparseable else 0.0


def score_all(prediction: Prediction, samples: Sequence[Probs] | None = None) -> dict[str, float]:
    """Every registered strategy the prediction has input for (an unparseable output scores 1 everywhere).

    An unparseable generative output has no trustworthy probabilities; it is maximally
    uncertain, so every probability-based strategy ranks it first rather than skipping it.
    """
    scores: dict[str, float] = {}
    if prediction.token_probs is not None:  # one array for every strategy, not one conversion each
        prediction = replace(prediction, token_probs=np.asarray(prediction.token_probs, dtype=np.float64))
    for entry in STRATEGIES.values():
        value = entry.score(prediction, samples)
        if value is None and prediction.unparseable:
            value = entry.unparseable_value
        if value is not None:
            scores[entry.name] = value
    return scores


def score_batch(
    predictions: Sequence[Prediction], samples: Sequence[Sequence[Probs] | None] | None = None
) -> list[dict[str, float]]:
    """:func:`score_all` for every prediction of a batch, vectorized where the inputs allow.

    Predictions with token distributions (the tagger's) are padded into one array per label
    count and every strategy with a ``batch_fn`` runs once over it; the rest (the matcher's,
    the generative model's log-probs, unparseable outputs, strategies without a batch form)
    go through :meth:`Strategy.score` one by one, with the same results.

    Args:
        samples: per prediction, its MC-dropout passes (``None`` for none), or ``None`` for the batch.
    """
    per_query = samples if samples is not None else [None] * len(predictions)
    arrays: list[np.ndarray | None] = [
        None if p.unparseable or p.token_probs is None else _floats(p.token_probs) for p in predictions
    ]
    vectorized: dict[str, dict[int, float]] = {name: {} for name in STRATEGIES}
    groups: dict[int, list[int]] = {}
    for i, m in enumerate(arrays):
        if m is not None and m.ndim == 2 and m.shape[1] > 0:
            groups.setdefault(m.shape[1], []).append(i)
    for n_labels, rows in groups.items():
        _score_group(rows, [arrays[i] for i in rows], n_labels, predictions, per_query, vectorized)  # type: ignore[misc]
    out: list[dict[str, float]] = []
    for i, prediction in enumerate(predictions):
        scores: dict[str, float] = {}
        for entry in STRATEGIES.values():
            value = vectorized[entry.name].get(i)
            if value is None:
                value = entry.score(prediction, per_query[i])
            if value is None and prediction.unparseable:
                value = entry.unparseable_value
            if value is not None:
                scores[entry.name] = value
        out.append(scores)
    return out


def _floats(probs: Probs) -> np.ndarray:
    """The tagger's float32 array as it is (half the work of float64), anything else as float64."""
    if isinstance(probs, np.ndarray) and probs.dtype == np.float32:
        return probs
    return np.asarray(probs, dtype=np.float64)


def _padded(matrices: Sequence[np.ndarray], n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Queries × tokens × labels with one-hot padding rows (in the inputs' precision), and token counts."""
    lengths = np.fromiter((len(m) for m in matrices), dtype=np.int64, count=len(matrices))
    dtype = np.result_type(*matrices) if matrices else np.float64
    padded = np.zeros((len(matrices), max(1, int(lengths.max(initial=0))), n_labels), dtype=dtype)
    padded[:, :, 0] = 1.0
    for row, m in enumerate(matrices):
        padded[row, : len(m)] = m
    return padded, lengths


def _score_group(
    rows: list[int],
    matrices: list[np.ndarray],
    n_labels: int,
    predictions: Sequence[Prediction],
    samples: Sequence[Sequence[Probs] | None],
    out: dict[str, dict[int, float]],
) -> None:
    """Batch-form scores of the queries ``rows`` (all with ``n_labels`` labels) into ``out``."""
    probs, lengths = _padded(matrices, n_labels)
    best = best_logprobs_batch(probs)  # the tagger's stand-in for emitted log-probs
    own = [i for i, row in enumerate(rows) if predictions[row].token_logprobs is None]
    for entry in STRATEGIES.values():
        if entry.batch_fn is None:
            continue
        if entry.needs is Needs.TOKEN_PROBS:
            values, targets = entry.batch_fn(probs, lengths), range(len(rows))
        elif entry.needs is Needs.LOGPROBS:  # predictions with their own log-probs go one by one
            values, targets = entry.batch_fn(best, lengths), own
        elif entry.needs is Needs.MC_SAMPLES:
            values, targets = _passes_batch(entry, rows, matrices, n_labels, samples)
        else:
            continue
        for i in targets:
            out[entry.name][rows[i]] = float(values[i])


def _passes_batch(
    entry: Strategy,
    rows: list[int],
    matrices: list[np.ndarray],
    n_labels: int,
    samples: Sequence[Sequence[Probs] | None],
) -> tuple[np.ndarray, list[int]]:
    """An MC-samples strategy over the rows whose passes are all there and shaped like the prediction."""
    usable = []
    for i, row in enumerate(rows):
        passes = samples[row]
        if passes and all(np.shape(p) == matrices[i].shape for p in passes):
            usable.append(i)
    if not usable:
        return np.zeros(0), []
    n_passes = {len(samples[rows[i]]) for i in usable}
    if len(n_passes) != 1:  # mixed pass counts: leave them to the per-query form
        return np.zeros(0), []
    # every pass of a query has the query's shape, so the padded passes share one width
    passes = np.stack(
        [_padded([_floats(samples[rows[i]][t]) for i in usable], n_labels)[0] for t in range(n_passes.pop())]
    )
    assert entry.batch_fn is not None
    values = entry.batch_fn(passes, np.array([len(matrices[i]) for i in usable]))
    full = np.zeros(len(rows))
    full[usable] = values
    return full, usable
