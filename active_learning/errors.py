"""Exceptions of the active-learning package; the CLI maps them to one-line messages."""

from __future__ import annotations

from nerloop.errors import InputError, NerloopError, Problem

__all__ = ["CycleError", "CycleLocked", "InputError", "Problem", "SelectionError", "SimulationError", "StrategyError"]


class StrategyError(NerloopError):
    """An unknown or duplicate strategy, or input that does not fit it."""


class SelectionError(NerloopError):
    """Nothing to select from (no scored pool, no model), or a strategy the pool has no scores for."""


class CycleError(NerloopError):
    """A cycle step that cannot run (no champion to start from, a missing dependency)."""


class CycleLocked(CycleError):
    """Another cycle holds the lock; this one exits without touching anything."""


class SimulationError(NerloopError):
    """A simulation set-up that cannot produce a curve (pool too small, unknown strategy)."""
