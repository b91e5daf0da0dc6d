"""Exceptions of the trainer: each says what is wrong and what to pass instead."""

from __future__ import annotations

from nerloop.errors import InputError, NerloopError, Problem

__all__ = ["BaseModelError", "InputError", "ModelDirError", "Problem", "TrainingError"]


class ModelDirError(NerloopError):
    """A model directory that is missing, incomplete or from an incompatible version."""


class BaseModelError(NerloopError):
    """A ``--base`` that cannot be loaded (not found locally, hub unreachable, wrong architecture)."""


class TrainingError(NerloopError):
    """A training run that failed after it started (nothing is left half-written in ``--out``)."""
