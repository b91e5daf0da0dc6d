"""The uncertainty math: pure functions over plain arrays, no registry, no store.

Every score is "higher = more useful to label". The per-query functions take nested tuples of
floats (what :class:`~nerloop.tagging.Prediction` carries) and return floats, so tests read as
hand-computed tables; inside, the per-token work is vectorized with numpy (no torch).

Each has a batch form (``*_batch``), the same math over a padded batch axis, which
:func:`~active_learning.strategies.score_batch` runs once per batch; the per-query functions
stay the definition, and a property test holds the two forms equal. Which input each
function reads, and under which ``--strategy`` name, is the registry's business
(:mod:`active_learning.strategies`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from active_learning.errors import StrategyError

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


def best_logprobs_batch(probs: np.ndarray) -> np.ndarray:
    """:func:`best_logprobs` over a padded batch: queries × tokens (padding rows give 0)."""
    return np.log(np.maximum(probs.max(axis=2), _EPS))
