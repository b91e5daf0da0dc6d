"""The one progress event every backend reports while it trains (the CLI draws its bar from it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainProgress:
    """Where a training run is.

    Args:
        step: optimizer steps done.
        total_steps: the steps the run will take (``None`` while unknown).
        epoch: passes over the training data so far (fractional), when the backend counts them.
        loss: the training loss just logged, or ``None``.
        eval_f1: the validation entity F1 just measured, or ``None``.
    """

    step: int
    total_steps: int | None = None
    epoch: float | None = None
    loss: float | None = None
    eval_f1: float | None = None


Progress = Callable[[TrainProgress], None]
