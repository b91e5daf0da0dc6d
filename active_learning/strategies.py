"""Uncertainty strategies: plain functions over plain arrays, and a registry around them.

Every score is "higher = more useful to label". The math takes nested tuples of floats
(what :class:`~nerloop.tagging.Prediction` carries) and returns floats, so tests read as
hand-computed tables; inside, the per-token work is vectorized with numpy (no torch), which
keeps ``al score`` close to the speed of tagging. A :class:`Strategy` says which input it needs
(token distributions, emitted log-probabilities, MC-dropout samples, or the whole
prediction); :func:`score_all` computes every strategy a prediction has the input for.

``al score`` scores a batch at a time: :func:`score_batch` pads the batch's token
distributions into one array and runs each strategy's batch form (``Strategy.batch_fn``,
the same math over a batch axis) once, so scoring costs a few numpy calls per batch, not
per query. The per-query functions stay the definition; a property test holds the two
forms equal.

Resolver signals (a mention that links to nothing, an ambiguous or conflicting chain, a
generative output that did not parse) are not uncertainties of the model but of the
answer; they are kept apart as flags and added as boosts at selection time
(:func:`boosted`), so one batch can favour new names without retraining anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from active_learning.errors import StrategyError
from nerloop.records import TaggedQuery
from nerloop.tagging import Prediction

Probs = Sequence[Sequence[float]]  # one distribution over labels per token
_EPS = 1e-12


def _matrix(probs: Probs) -> np.ndarray | None:
    """Tokens × labels as floats, or ``None`` when there is no token or no label."""
    m = np.asarray(probs, dtype=np.float64)
    return m if m.ndim == 2 and m.size else None


def _entropies(m: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) along the last axis; probabilities ≤ 1e-12 count as 0."""
    return -(m * np.log(np.where(m > _EPS, m, 1.0))).sum(axis=-1)  # log 1 = 0 zeroes the tiny ones


def least_confidence(probs: Probs) -> float:
    """1 − probability of the best (greedy) label sequence: ``1 − Π_t max_l p[t, l]``."""
    m = _matrix(probs)
    return 0.0 if m is None else float(1.0 - np.prod(m.max(axis=1)))


def margin(probs: Probs) -> float:
    """1 − the smallest gap between the two most likely labels of any token (0 for no tokens)."""
    m = _matrix(probs)
    if m is None:
        return 0.0
    if m.shape[1] == 1:
        gaps = m[:, 0]
    else:
        top = -np.partition(-m, 1, axis=1)
        gaps = top[:, 0] - top[:, 1]
    return float(1.0 - gaps.min())


def entropy(distribution: Sequence[float]) -> float:
    """Shannon entropy in nats of one distribution."""
    return -sum(p * math.log(p) for p in distribution if p > _EPS)


def token_entropy(probs: Probs) -> float:
    """Mean per-token entropy (nats): spread over all labels, not only the top two."""
    m = _matrix(probs)
    return 0.0 if m is None else float(_entropies(m).mean())


def mnlp(token_logprobs: Sequence[float]) -> float:
    """Maximum normalized log-probability (Shen et al. 2018), as an uncertainty.

    ``−(1/n) Σ_t log p(y_t)`` over the best sequence's tokens: length-normalized so long
    queries are not chosen just for being long.
    """
    return -sum(token_logprobs) / len(token_logprobs) if token_logprobs else 0.0


def g_nll(token_logprobs: Sequence[float]) -> float:
    """Negative log-likelihood of the greedy output (G-NLL, Aichberger et al. 2025): ``−Σ_t log p``."""
    return -sum(token_logprobs)


def best_logprobs(probs: Probs) -> tuple[float, ...]:
    """Log-probability of the best label per token, the tagger's analogue of emitted-token log-probs."""
    m = _matrix(probs)
    if m is None:
        return tuple(0.0 for _ in probs)  # a token without labels: probability 1
    return tuple(np.log(np.maximum(m.max(axis=1), _EPS)).tolist())


def bald(samples: Sequence[Probs]) -> float:
    """BALD from T stochastic passes (MC-dropout), mean over tokens.

    Per token: ``H(mean_t p_t) − mean_t H(p_t)``, the mutual information between the label
    and the weights: high where the passes disagree, not merely where each is unsure
    (Houlsby et al. 2011; Shelmanov et al. 2021 for transformer taggers).

    Args:
        samples: T arrays of the same shape (tokens × labels), one per pass.
    """
    if len(samples) == 0 or len(samples[0]) == 0:  # len, not truth: the passes may be arrays
        return 0.0
    n_tokens = len(samples[0])
    if any(len(s) != n_tokens for s in samples):
        raise StrategyError("BALD samples differ in their number of tokens")
    try:
        passes = np.asarray(samples, dtype=np.float64)  # T × tokens × labels
    except ValueError as exc:
        raise StrategyError(f"BALD samples differ in shape: {exc}") from None
    if passes.ndim != 3 or passes.shape[2] == 0:
        return 0.0
    informative = _entropies(passes.mean(axis=0)) - _entropies(passes).mean(axis=0)
    return max(float(informative.mean()), 0.0)


# Batch forms over padded arrays: probabilities ``P`` (queries × tokens × labels), log-probs
# ``LP`` (queries × tokens), MC passes ``S`` (passes × queries × tokens × labels), and each
# query's token count. Padding rows are one-hot distributions (max 1, top-2 gap 1, entropy 0,
# log-prob 0), neutral for every reduction below, so no mask is needed.


def least_confidence_batch(probs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return 1.0 - np.prod(probs.max(axis=2), axis=1)


def margin_batch(probs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    if probs.shape[2] == 1:
        gaps = probs[:, :, 0]
    else:
        top = -np.partition(-probs, 1, axis=2)
        gaps = top[:, :, 0] - top[:, :, 1]
    return 1.0 - gaps.min(axis=1)


def token_entropy_batch(probs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return np.where(lengths > 0, _entropies(probs).sum(axis=1) / np.maximum(lengths, 1), 0.0)


def mnlp_batch(logprobs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return np.where(lengths > 0, -logprobs.sum(axis=1) / np.maximum(lengths, 1), 0.0)


def g_nll_batch(logprobs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    return -logprobs.sum(axis=1)


def bald_batch(samples: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    informative = _entropies(samples.mean(axis=0)) - _entropies(samples).mean(axis=0)  # queries × tokens
    mean = np.where(lengths > 0, informative.sum(axis=1) / np.maximum(lengths, 1), 0.0)
    return np.maximum(mean, 0.0)


# What a strategy reads from a prediction.
NEEDS = ("probs", "logprobs", "samples", "prediction")


@dataclass(frozen=True)
class Strategy:
    """A named uncertainty function with what it needs.

    Args:
        name: the ``--strategy`` name.
        needs: ``probs`` (token distributions), ``logprobs`` (generative emitted tokens; a
            tagger's best-label log-probs stand in), ``samples`` (MC-dropout passes) or
            ``prediction`` (the whole :class:`Prediction`).
        fn: the function over that input.
        help: one line for ``--help`` and the docs.
        batch_fn: optional, the same function over a padded batch (see :func:`score_batch`);
            strategies without one are scored query by query.
    """

    name: str
    needs: str
    fn: Callable
    help: str
    batch_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.needs not in NEEDS:
            raise StrategyError(f"strategy {self.name!r}: needs must be one of {', '.join(NEEDS)}")

    def score(self, prediction: Prediction, samples: Sequence[Probs] | None = None) -> float | None:
        """The score, or ``None`` when the prediction lacks this strategy's input."""
        if prediction.unparseable and self.needs != "prediction":
            return None
        if self.needs == "probs":
            return None if prediction.token_probs is None else float(self.fn(prediction.token_probs))
        if self.needs == "logprobs":
            logprobs = _logprobs(prediction)
            return None if logprobs is None else float(self.fn(logprobs))
        if self.needs == "samples":
            return None if not samples else float(self.fn(samples))
        return float(self.fn(prediction))


def _logprobs(prediction: Prediction) -> Sequence[float] | None:
    if prediction.token_logprobs is not None:
        return prediction.token_logprobs
    if prediction.token_probs is not None:
        return best_logprobs(prediction.token_probs)
    return None


STRATEGIES: dict[str, Strategy] = {}
RANDOM = "random"  # a baseline handled by selection: no score, a seeded draw


def register_strategy(strategy: Strategy) -> Strategy:
    """Add a strategy; a second one under the same name is an error, never a silent override."""
    if strategy.name in STRATEGIES or strategy.name == RANDOM:
        raise StrategyError(f"a strategy named {strategy.name!r} is already registered")
    STRATEGIES[strategy.name] = strategy
    return strategy


def get_strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise StrategyError(f"unknown strategy {name!r}; choose one of: {', '.join(strategy_names())}") from None


def strategy_names() -> list[str]:
    """Every name ``--strategy`` accepts, ``random`` included."""
    return [RANDOM, *STRATEGIES]


for _strategy in (
    Strategy(
        "least_confidence",
        "probs",
        least_confidence,
        "1 − probability of the greedy label sequence",
        least_confidence_batch,
    ),
    Strategy("margin", "probs", margin, "1 − smallest top-1/top-2 gap over tokens", margin_batch),
    Strategy("token_entropy", "probs", token_entropy, "mean token entropy over all labels", token_entropy_batch),
    Strategy("mnlp", "logprobs", mnlp, "length-normalized negative log-prob of the best sequence", mnlp_batch),
    Strategy("bald", "samples", bald, "mutual information over MC-dropout passes (tagger)", bald_batch),
    Strategy("g_nll", "logprobs", g_nll, "negative log-likelihood of the greedy output (generative)", g_nll_batch),
    Strategy("unparseable", "prediction", lambda p: 1.0 if p.unparseable else 0.0, "generative output failed"),
):
    register_strategy(_strategy)


def score_all(prediction: Prediction, samples: Sequence[Probs] | None = None) -> dict[str, float]:
    """Every registered strategy the prediction has input for (an unparseable output scores 1 everywhere).

    An unparseable generative output has no trustworthy probabilities; it is maximally
    uncertain, so every probability-based strategy ranks it first rather than skipping it.
    """
    scores: dict[str, float] = {}
    if prediction.token_probs is not None:  # one array for every strategy, not one conversion each
        prediction = replace(prediction, token_probs=np.asarray(prediction.token_probs, dtype=np.float64))
    for strategy in STRATEGIES.values():
        value = strategy.score(prediction, samples)
        if value is None and prediction.unparseable:
            value = _unparseable_value(strategy)
        if value is not None:
            scores[strategy.name] = value
    return scores


def _unparseable_value(strategy: Strategy) -> float:
    """What an unparseable output scores: infinite NLL, else the maximum 1."""
    return math.inf if strategy.needs == "logprobs" else 1.0


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
        for strategy in STRATEGIES.values():
            value = vectorized[strategy.name].get(i)
            if value is None:
                value = strategy.score(prediction, per_query[i])
            if value is None and prediction.unparseable:
                value = _unparseable_value(strategy)
            if value is not None:
                scores[strategy.name] = value
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
    best = np.log(np.maximum(probs.max(axis=2), _EPS))  # the tagger's stand-in for emitted log-probs
    own = [i for i, row in enumerate(rows) if predictions[row].token_logprobs is None]
    for strategy in STRATEGIES.values():
        if strategy.batch_fn is None:
            continue
        if strategy.needs == "probs":
            values, targets = strategy.batch_fn(probs, lengths), range(len(rows))
        elif strategy.needs == "logprobs":  # predictions with their own log-probs go one by one
            values, targets = strategy.batch_fn(best, lengths), own
        elif strategy.needs == "samples":
            values, targets = _bald_like(strategy, rows, matrices, n_labels, samples)
        else:
            continue
        for i in targets:
            out[strategy.name][rows[i]] = float(values[i])


def _bald_like(
    strategy: Strategy,
    rows: list[int],
    matrices: list[np.ndarray],
    n_labels: int,
    samples: Sequence[Sequence[Probs] | None],
) -> tuple[np.ndarray, list[int]]:
    """A samples strategy over the rows whose passes are all there and shaped like the prediction."""
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
    assert strategy.batch_fn is not None
    values = strategy.batch_fn(passes, np.array([len(matrices[i]) for i in usable]))
    full = np.zeros(len(rows))
    full[usable] = values
    return full, usable


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
