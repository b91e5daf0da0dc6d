"""A cycle round in progress: its row in the store, its finished steps, the models it opened.

:func:`open_round` continues the round left running by an interrupted cycle, or starts one;
the steps themselves (:mod:`active_learning.cycle`) read the records of the steps before them
through :meth:`Round.get` and open models through :meth:`Round.pipeline`, which opens each
model directory once per round.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from active_learning.config import CycleConfig
from active_learning.deps import CycleDeps
from active_learning.score import ScoringPipeline, StochasticTagger
from active_learning.steps import STEP_TYPES, S, Step
from nerloop.store.engine import session_scope
from nerloop.store.models import CycleRound
from nerloop.store.registry import ModelInfo, champion, promote


@dataclass
class Round:
    """One round in progress: the finished steps' records, and the models it has opened.

    Each model directory is opened at most once per round (:meth:`pipeline`): the champion
    evaluated against the challenger is the one that scores the pool, and a promoted
    challenger scores with the pipeline it was evaluated with.
    """

    engine: Engine
    config: CycleConfig
    deps: CycleDeps
    hierarchy: Sequence[str]
    reference: dt.date
    round_id: int
    done: dict[str, Step] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    _champion: ModelInfo | None = None
    _pipelines: dict[Path, tuple[ScoringPipeline, StochasticTagger | None]] = field(default_factory=dict)

    @property
    def models_dir(self) -> Path:
        return Path(self.config.models_dir)

    @property
    def work_dir(self) -> Path:
        return self.models_dir / "rounds" / str(self.round_id)

    @property
    def challenger_dir(self) -> Path:
        return self.models_dir / f"cycle-{self.round_id}"

    def get(self, kind: type[S]) -> S:
        """The record of a finished step (every step reads only steps before it)."""
        step = self.done[kind.name]
        assert isinstance(step, kind)
        return step

    def record(self, step: Step, seconds: float) -> None:
        self.done[step.name] = step
        self.seconds[step.name] = seconds

    @property
    def steps(self) -> dict[str, dict[str, Any]]:
        """The finished steps as the round row stores them: each record's figures, ``done`` and ``seconds``."""
        return {
            name: {**step.to_dict(), "done": True, "seconds": self.seconds.get(name, 0.0)}
            for name, step in self.done.items()
        }

    def save(self, **figures: Any) -> None:
        with session_scope(self.engine) as session:
            row = session.get(CycleRound, self.round_id)
            row.steps = json.loads(json.dumps(self.steps))  # a new object, so the JSON column is written
            if figures:
                row.figures = {**(row.figures or {}), **figures}

    def planned_batch(self) -> list[dict[str, Any]] | None:
        with session_scope(self.engine) as session:
            return (session.get(CycleRound, self.round_id).figures or {}).get("batch")

    def champion(self) -> ModelInfo | None:
        """The registry's champion, read once and again only after a promotion."""
        if self._champion is None:
            self._champion = champion(self.engine)
        return self._champion

    def promote_challenger(self, version: str) -> None:
        """Make ``version`` the champion; :meth:`champion` reads the registry again."""
        promote(self.engine, version)
        self._champion = None

    def pipeline(self, model_dir: Path) -> tuple[ScoringPipeline, StochasticTagger | None]:
        """The scoring pipeline of a model directory, opened on first use and kept for the round."""
        key = model_dir.resolve()
        if key not in self._pipelines:
            self._pipelines[key] = self.deps.open_pipeline(model_dir)
        return self._pipelines[key]

    def keep_pipeline(self, model_dir: Path) -> None:
        """Close every other opened model (the challenger that lost, the champion that was replaced)."""
        key = model_dir.resolve()
        self._pipelines = {k: v for k, v in self._pipelines.items() if k == key}


def open_round(
    engine: Engine, config: CycleConfig, deps: CycleDeps, hierarchy: Sequence[str], reference: dt.date
) -> tuple[Round, bool]:
    """The round an interrupted cycle left running, with its finished steps (and ``True``), or a new one."""
    with session_scope(engine) as session:
        row = session.scalars(
            select(CycleRound).where(CycleRound.status == "running").order_by(CycleRound.id.desc())
        ).first()
        resumed = row is not None
        if row is None:
            row = CycleRound(status="running", steps={}, figures={"config": config.to_dict()})
            session.add(row)
            session.flush()
        state = Round(engine, config, deps, hierarchy, reference, row.id)
        stored = dict(row.steps or {})
    for kind in STEP_TYPES:
        data = stored.get(kind.name)
        if data and data.get("done"):
            state.record(kind.from_dict(data), data.get("seconds", 0.0))
    return state, resumed
