"""Span confidence calibration: a model's raw span score turned into the chance that the span is right.

The tagger scores a span by the lowest probability of its decoded labels (token marginals).
That number ranks spans well but is over-confident on text unlike its training data, so
thresholds on it mean nothing. Platt scaling (a logistic fit of correctness on the raw
score's logit, on a realistic development set) maps it to a probability, so a threshold
is a precision a user can read. Pure numpy; the reliability table shows the fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

_EPS = 1e-4


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


@dataclass(frozen=True)
class PlattCalibration:
    """``p = sigmoid(slope · logit(raw) + intercept + offset[evidence])``; the identity is slope 1, intercept 0.

    The per-evidence offsets let what the gazetteer says about a span (a known alias, an
    organisation suffix, nothing) move its confidence: a raw 0.9 on a span nothing backs is
    worth less than a raw 0.9 on a known form, and the development set says how much.
    """

    slope: float = 1.0
    intercept: float = 0.0
    n: int = 0
    offsets: dict[str, float] = field(default_factory=dict)

    def __call__(self, raw: float, evidence: str | None = None) -> float:
        p = min(max(raw, _EPS), 1 - _EPS)
        z = self.slope * math.log(p / (1 - p)) + self.intercept + self.offsets.get(evidence or "", 0.0)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PlattCalibration:
        offsets = {str(k): float(v) for k, v in (data.get("offsets") or {}).items()}
        return cls(float(data["slope"]), float(data["intercept"]), int(data.get("n", 0)), offsets)


def fit_platt(
    raw: Sequence[float],
    correct: Sequence[bool],
    evidence: Sequence[str] | None = None,
    l2: float = 1e-2,
    steps: int = 50,
) -> PlattCalibration:
    """Logistic regression of ``correct`` on ``logit(raw)`` (and one offset per ``evidence`` kind) by
    Newton's method, regularised towards the identity (offsets towards 0, more strongly: rare
    kinds should not swing on a handful of spans).

    Too few spans, or spans all right (or all wrong), leave nothing to fit: the identity is
    returned, so an untrained fit never moves a score.
    """
    x, y = _logit(np.asarray(raw, dtype=np.float64)), np.asarray(correct, dtype=np.float64)
    if len(x) < 10 or y.min() == y.max():
        return PlattCalibration(n=len(x))
    kinds = sorted(set(evidence)) if evidence is not None else []
    columns = [x, np.ones_like(x)] + [np.asarray([e == k for e in evidence], dtype=np.float64) for k in kinds]
    design = np.stack(columns, axis=1)
    prior = np.zeros(design.shape[1])
    prior[0] = 1.0
    penalty = np.full(design.shape[1], max(l2, 1.0))
    penalty[:2] = l2

    def loss(w: np.ndarray) -> float:
        z = design @ w
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(penalty * (w - prior) ** 2))

    w = prior.copy()
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -30, 30)))
        gradient = design.T @ (p - y) + penalty * (w - prior)
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        size, current = 1.0, loss(w)
        while loss(w - size * step) > current and size > 1e-6:  # damped Newton: saturated starts overshoot
            size /= 2
        w = w - size * step
        if np.abs(size * step).max() < 1e-8:
            break
    offsets = {k: round(float(v), 6) for k, v in zip(kinds, w[2:])}
    return PlattCalibration(float(w[0]), float(w[1]), len(x), offsets)


def reliability(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> tuple[list[dict], float]:
    """Per confidence bin: count, mean confidence, accuracy; and the expected calibration error."""
    conf, hits = np.asarray(confidence, dtype=np.float64), np.asarray(correct, dtype=np.float64)
    rows, ece = [], 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    for i in range(bins):
        inside = (conf >= edges[i]) & ((conf < edges[i + 1]) if i < bins - 1 else (conf <= 1.0))
        n = int(inside.sum())
        if not n:
            continue
        mean, accuracy = float(conf[inside].mean()), float(hits[inside].mean())
        rows.append({"bin": f"{edges[i]:.1f}–{edges[i + 1]:.1f}", "n": n, "confidence": mean, "accuracy": accuracy})
        ece += n / len(conf) * abs(mean - accuracy)
    return rows, ece
