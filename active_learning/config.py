"""Settings of selection, the retrain cycle and the simulation; loaded from YAML or flags.

One dataclass per component, validated on construction and written beside what it
produced (the cycle stores its config in every round's figures, the simulation in its
curves JSON), so a result always says how it was made.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from active_learning.errors import InputError, Problem
from active_learning.signals import DEFAULT_BOOSTS
from nerloop.hashing import stable_int


def _bad(source: str, message: str) -> InputError:
    return InputError(Problem(source, 0, message), summary=message)


@dataclass(frozen=True)
class SelectConfig:
    """How a batch is made diverse.

    Args:
        near_duplicate: rapidfuzz ``ratio`` (0–100) at or above which two queries count as
            near-duplicates; a batch holds at most one of them.
        per_entry_cap: at most this many queries per linked gazetteer entry (a busy substation
            must not fill a batch).
        per_shape_cap: at most this many queries per template-like shape (the text with its
            mentions replaced by their types and digits folded).
        boosts: added to the rank-normalized score (0..1) per resolver signal that is set.
    """

    near_duplicate: float = 90.0
    per_entry_cap: int = 3
    per_shape_cap: int = 4
    boosts: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BOOSTS))

    def __post_init__(self) -> None:
        if not 0 < self.near_duplicate <= 100:
            raise _bad("<select options>", f"near_duplicate must be within (0, 100], not {self.near_duplicate}")
        if self.per_entry_cap < 1 or self.per_shape_cap < 1:
            raise _bad("<select options>", "per-entry and per-shape caps must be at least 1")


@dataclass(frozen=True)
class CycleConfig:
    """One ``nerloop cycle``: when to retrain, how, what to compare, what to push.

    Args:
        synthetic: generated training data (a ``generate`` output dir or JSONL), weight 1.
        synthetic_test: the synthetic test split the challenger must not get worse on.
        human_weight: weight of human labels relative to synthetic ones (``PATH:WEIGHT``).
        min_new_labels: retrain only when at least this many human labels arrived since the
            last retrain.
        finetune: ``lora`` (adapter on the champion) or ``full`` (retrain from ``base``).
        base: the base for a full retrain (``tiny``, a path, a hub id).
        train_steps: optimizer steps per retrain (0: the trainer's epochs).
        gold_fraction: share of human-labelled texts, chosen by text hash, frozen as the gold
            evaluation set and never trained on (:func:`is_frozen_gold`).
        tolerance: the challenger is promoted when its gold entity F1 is at least the
            champion's minus this (and the same on the synthetic test split).
        strategy, batch_size: what ``select`` pushes after each round.
        models_dir: where challengers are trained (``cycle-<round>`` each).
        label_studio_url, project: where tasks go (token from ``NERLOOP_LS_TOKEN``); empty
            url with ``export_dir`` set: air-gapped files instead.
        export_dir: air-gapped annotation: batches are written to ``export_dir/outbox/batch-*.json``
            (import them into any Label Studio) and every JSON export dropped into
            ``export_dir/inbox/`` is pulled.
        reference_date: YYYY-MM-DD relative dates refer to; empty: today.
        sources: select only queries logged from these sources (``QueryLog.source``); empty: all.
    """

    synthetic: str = ""
    synthetic_test: str = ""
    human_weight: float = 3.0
    min_new_labels: int = 50
    finetune: str = "lora"
    base: str = "tiny"
    train_steps: int = 0
    gold_fraction: float = 0.2
    tolerance: float = 0.0
    strategy: str = "mnlp"
    batch_size: int = 50
    models_dir: str = "models"
    label_studio_url: str = ""
    project: str = "nerloop"
    export_dir: str = ""
    reference_date: str = ""
    sources: tuple[str, ...] = ()
    select: SelectConfig = field(default_factory=SelectConfig)

    def __post_init__(self) -> None:
        if self.finetune not in ("lora", "full"):
            raise _bad("<cycle config>", f"finetune must be lora or full, not {self.finetune!r}")
        if not 0 < self.gold_fraction < 1:
            raise _bad("<cycle config>", f"gold_fraction must be within (0, 1), not {self.gold_fraction}")
        if self.human_weight <= 0 or self.min_new_labels < 1 or self.batch_size < 1:
            raise _bad("<cycle config>", "human_weight must be positive, min_new_labels and batch_size at least 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SimulationConfig:
    """Size of ``nerloop al simulate``; the defaults run in about 16 minutes on 2 cores.

    Args:
        strategies: strategies compared with ``random`` (always run).
        seeds: how many seeds; each has its own warm start, pool order and training seed.
        rounds: annotation rounds after the warm start.
        batch_size: queries "annotated" per round.
        pool_size: gold-labelled queries written by the simulation grammar (annotators' pool).
        test_size: held-out queries of the same grammar the curves are measured on.
        warm_size: synthetic training queries (default grammar) of the warm start.
        train_steps: optimizer steps per (re)training.
        human_weight: weight of "annotated" queries relative to synthetic ones.
        mc_samples: MC-dropout passes for ``bald``.
        typo_rate: typos in the simulation pool's organisation names (log-like noise).
        routine_share: share of the pool and of its test set written by the *training* grammar
            (new draws): real logs are mostly the routine shapes the generator already covers,
            with a long tail it does not; 0 makes the whole pool the long tail.
    """

    strategies: tuple[str, ...] = ("mnlp", "bald", "least_confidence")
    seeds: int = 3
    rounds: int = 6
    batch_size: int = 25
    pool_size: int = 1500
    test_size: int = 800
    warm_size: int = 1000
    train_steps: int = 150
    human_weight: float = 3.0
    mc_samples: int = 8
    typo_rate: float = 0.08
    routine_share: float = 0.5
    select: SelectConfig = field(default_factory=SelectConfig)

    def __post_init__(self) -> None:
        if not 0 <= self.routine_share < 1:
            raise _bad("<simulate options>", f"routine_share must be within [0, 1), not {self.routine_share}")
        if min(self.seeds, self.rounds, self.batch_size, self.pool_size, self.test_size, self.warm_size) < 1:
            raise _bad("<simulate options>", "seeds, rounds and all sizes must be at least 1")
        if self.rounds * self.batch_size > self.pool_size:
            raise _bad(
                "<simulate options>",
                f"{self.rounds} rounds of {self.batch_size} need a pool of at least "
                f"{self.rounds * self.batch_size}, not {self.pool_size}",
            )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["strategies"] = list(self.strategies)
        return out


def is_frozen_gold(text_hash: str, fraction: float) -> bool:
    """Whether a human-labelled text belongs to the frozen gold evaluation set.

    Decided by the text hash alone, so a text never moves between training and evaluation
    as labels accumulate, and the cycle, ``al pull`` and any report agree without a table.
    """
    return stable_int("gold:" + text_hash, 32, algorithm="sha256") / 0xFFFFFFFF < fraction


def load_cycle_config(path: Path | None, **overrides: Any) -> CycleConfig:
    """A :class:`CycleConfig` from YAML (``select:`` as a nested mapping) with flag overrides on top."""
    data: dict[str, Any] = {}
    source = str(path) if path else "<flags>"
    if path is not None:
        try:
            data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise _bad(source, f"cannot read cycle config: {exc}") from exc
        if not isinstance(data, dict):
            raise _bad(source, "a cycle config is a mapping of settings")
    data.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(CycleConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _bad(source, f"unknown cycle setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    select = data.pop("select", None)
    try:
        if isinstance(select, dict):
            data["select"] = SelectConfig(**select)
        return CycleConfig(**data)
    except TypeError as exc:
        raise _bad(source, f"bad cycle setting: {exc}") from exc
