"""``nerloop cycle``: pull → retrain → evaluate → promote → score → push, resumable at every step.

A round is one :class:`~nerloop.store.models.CycleRound` row. Each step runs only if the
row does not mark it done, makes its side effects idempotent, and then records itself with
its figures in one transaction. A cycle killed anywhere therefore resumes on the next run at
the first step not recorded, and re-running a step adds nothing twice:

- **pull** stores annotations keyed by (source, annotation id) and records a *watermark*
  (the highest gold-label id) that fixes which labels this round trains and evaluates on.
- **retrain** (only with at least ``min_new_labels`` labels past the last retrain's
  watermark) trains into ``models_dir/cycle-<round>``; the trainer writes that directory
  atomically, so an existing model directory means "trained" and is only registered
  (registration is an upsert: never a second model version).
- **evaluate** scores challenger and champion on the frozen gold set (texts chosen by
  hash, :func:`~active_learning.config.is_frozen_gold`, never trained on) and on the
  synthetic test split; **promote** promotes the challenger only if it is not worse on
  either (within ``tolerance``), else marks it rejected.
- **score** tags what the champion has not scored yet; **push** saves the selected batch in
  the round row *before* pushing it, so a rerun pushes the same batch, never a second one.

Each step returns its typed record (:mod:`active_learning.steps`), which the round row stores
as JSON; the round's state (:mod:`active_learning.rounds`) opens each model directory once, so
the champion evaluated against the challenger is the pipeline that scores the pool. A file
lock in ``models_dir`` keeps two cycles from running at once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from active_learning.config import CycleConfig, is_frozen_gold
from active_learning.deps import CycleDeps, TrainRequest
from active_learning.errors import CycleError, InputError, Problem
from active_learning.lock import exclusive_lock
from active_learning.rounds import Round, open_round
from active_learning.score import ScoringPipeline, score_pool
from active_learning.select import item_from_dict, item_to_dict, select_batch
from active_learning.steps import (
    STEPS,
    Evaluated,
    ModelF1,
    Promoted,
    Pulled,
    Pushed,
    Retrained,
    Scored,
    Step,
)
from active_learning.strategies import STRATEGIES, Needs
from nerloop.atomic import atomic_write_text
from nerloop.evaluation import evaluate
from nerloop.export import read_jsonl
from nerloop.records import TaggedQuery
from nerloop.store.engine import session_scope
from nerloop.store.models import CycleRound, GoldLabel
from nerloop.store.registry import register_model, reject
from trainer.data import DataSpec
from trainer.model_dir import is_model_dir, read_manifest

LOCK_FILE = ".cycle.lock"
MC_PASSES = 8  # MC-dropout passes when the cycle's strategy reads them


@dataclass(frozen=True)
class CycleReport:
    """What a round did: its id, whether it resumed an interrupted one, each step's figures."""

    round_id: int
    resumed: bool
    steps: dict[str, dict[str, Any]]
    figures: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round_id, "resumed": self.resumed, "figures": self.figures, "steps": self.steps}


def run_cycle(
    engine: Engine,
    config: CycleConfig,
    deps: CycleDeps,
    *,
    hierarchy: Sequence[str],
    reference: dt.date,
    after_step: Callable[[str, dict[str, Any]], None] | None = None,
) -> CycleReport:
    """Run (or resume) one round under the cycle lock; raises :class:`CycleLocked` if another holds it.

    Args:
        after_step: called after each step is recorded, with its name and figures (progress
            output; tests inject failures here to kill a cycle between steps).
    """
    with exclusive_lock(Path(config.models_dir) / LOCK_FILE):
        state, resumed = open_round(engine, config, deps, hierarchy, reference)
        for name, run in _STEP_FUNCTIONS:
            if name in state.done:
                continue
            started = time.perf_counter()
            state.record(run(state), round(time.perf_counter() - started, 3))
            state.save()
            if after_step is not None:
                after_step(name, state.steps[name])
        summary = _summary(state)
        with session_scope(engine) as session:
            row = session.get(CycleRound, state.round_id)
            row.status = "done"
            row.finished_at = dt.datetime.now(dt.timezone.utc)
            row.figures = {**(row.figures or {}), **summary}
        return CycleReport(state.round_id, resumed, state.steps, summary)


def _last_trained_watermark(state: Round) -> int:
    with session_scope(state.engine) as session:
        for row in session.scalars(
            select(CycleRound).where(CycleRound.id < state.round_id).order_by(CycleRound.id.desc())
        ):
            steps = row.steps or {}
            if steps.get("retrain") and Retrained.from_dict(steps["retrain"]).trained:
                return int(Pulled.from_dict(steps["pull"]).watermark)
    return 0


def human_labels(engine: Engine, upto_id: int, after_id: int = 0) -> dict[str, TaggedQuery]:
    """The latest gold record per text hash among labels with ``after_id < id <= upto_id``."""
    latest: dict[str, TaggedQuery] = {}
    with session_scope(engine) as session:
        rows = session.execute(
            select(GoldLabel.text_hash, GoldLabel.record)
            .where(GoldLabel.id > after_id, GoldLabel.id <= upto_id)
            .order_by(GoldLabel.id)
        )
        for hashed, record in rows:
            latest[hashed] = TaggedQuery.from_dict(record)
    return latest


def _pull(state: Round) -> Pulled:
    state.deps.pull(state.engine)
    with session_scope(state.engine) as session:
        watermark = session.scalar(select(func.max(GoldLabel.id))) or 0
    new = len(human_labels(state.engine, watermark, _last_trained_watermark(state)))
    return Pulled(watermark=watermark, labels=len(human_labels(state.engine, watermark)), new_labels=new)


def _split_gold(state: Round) -> tuple[list[TaggedQuery], list[TaggedQuery]]:
    """(train, frozen gold) among the labels up to this round's watermark."""
    labels = human_labels(state.engine, state.get(Pulled).watermark)
    fraction = state.config.gold_fraction
    train = [r for h, r in labels.items() if not is_frozen_gold(h, fraction)]
    gold = [r for h, r in labels.items() if is_frozen_gold(h, fraction)]
    return train, gold


def _write_jsonl(path: Path, records: Sequence[TaggedQuery]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "".join(r.to_json() + "\n" for r in records))


def synthetic_spec(config: CycleConfig) -> DataSpec:
    """The cycle's synthetic training data (``synthetic: DIR_OR_JSONL[:WEIGHT]``) as a data spec."""
    return DataSpec.parse(config.synthetic)


def _retrain(state: Round) -> Retrained:
    config = state.config
    new = state.get(Pulled).new_labels
    if new < config.min_new_labels:
        return Retrained(
            trained=False, reason=f"{new} new human label(s), fewer than min_new_labels={config.min_new_labels}"
        )
    current = state.champion()
    if current is None:
        raise CycleError("no champion model to retrain from; train one and run nerloop model promote VERSION")
    if not config.synthetic:
        raise CycleError("the cycle config names no synthetic training data (synthetic: DIR_OR_JSONL)")
    train, gold = _split_gold(state)
    human = state.work_dir / "human.jsonl"
    _write_jsonl(human, train)
    _write_jsonl(state.work_dir / "gold.jsonl", gold)
    out_dir = state.challenger_dir
    base = current.path if config.finetune == "lora" else config.base
    if not is_model_dir(out_dir):
        synthetic = synthetic_spec(config)
        specs = (synthetic, DataSpec(human, float(config.human_weight))) if train else (synthetic,)
        state.deps.train(TrainRequest(specs, out_dir, base, config.finetune, config.train_steps))
    manifest = read_manifest(out_dir)
    register_model(
        state.engine,
        version=manifest.version,
        backend=manifest.backend,
        path=str(out_dir),
        parent_version=current.version,
        metrics=manifest.metrics,
        data_fingerprint=manifest.data_fingerprint,
        gazetteer_fingerprint=manifest.gazetteer_fingerprint,
    )
    return Retrained(
        trained=True,
        challenger=manifest.version,
        base=base,
        finetune=config.finetune,
        human_train=len(train),
        gold=len(gold),
    )


def entity_f1(
    pipeline: ScoringPipeline, records: Sequence[TaggedQuery], hierarchy: Sequence[str], reference: dt.date
) -> float | None:
    """Entity F1 of a pipeline on gold records (``None`` for no records), tagged in chunks."""
    if not records:
        return None
    predicted: list[TaggedQuery] = []
    for i in range(0, len(records), 256):
        chunk = [r.text for r in records[i : i + 256]]
        predicted += [resolution.record for resolution, _ in pipeline.tag_with_predictions(chunk, reference)]
    return evaluate(records, predicted, hierarchy)["entity_f1"]


def synthetic_test(config: CycleConfig) -> list[TaggedQuery]:
    """``synthetic_test``, else the ``test.jsonl`` beside the synthetic data (a generate directory or a file in one)."""
    if config.synthetic_test:
        path = Path(config.synthetic_test)
    else:
        data = synthetic_spec(config).path
        path = (data if data.is_dir() else data.parent) / "test.jsonl"
    return list(read_jsonl(path)) if path.is_file() else []


def _evaluate(state: Round) -> Evaluated:
    if not state.get(Retrained).trained:
        return Evaluated(skipped=True)
    _, gold = _split_gold(state)
    synthetic = synthetic_test(state.config)
    current = state.champion()
    assert current is not None  # retrain refused to run without one
    f1: dict[str, ModelF1] = {}
    for role, path in (("challenger", state.challenger_dir), ("champion", Path(current.path))):
        pipeline, _ = state.pipeline(path)
        f1[role] = ModelF1(
            gold_f1=entity_f1(pipeline, gold, state.hierarchy, state.reference),
            synthetic_f1=entity_f1(pipeline, synthetic, state.hierarchy, state.reference),
        )
    return Evaluated(
        gold_n=len(gold),
        synthetic_n=len(synthetic),
        champion_version=current.version,
        challenger=f1["challenger"],
        champion=f1["champion"],
    )


def not_worse(challenger: float | None, incumbent: float | None, tolerance: float) -> bool:
    """A missing figure (no gold yet) does not block; otherwise the challenger may lose at most ``tolerance``."""
    return challenger is None or incumbent is None or challenger >= incumbent - tolerance


def _promote(state: Round) -> Promoted:
    evaluation = state.get(Evaluated)
    if evaluation.skipped:
        return Promoted(skipped=True, promoted=False)
    version = state.get(Retrained).challenger
    challenger, incumbent = evaluation.challenger, evaluation.champion
    assert version is not None and challenger is not None and incumbent is not None
    tolerance = state.config.tolerance
    ok = not_worse(challenger.gold_f1, incumbent.gold_f1, tolerance) and not_worse(
        challenger.synthetic_f1, incumbent.synthetic_f1, tolerance
    )
    if ok:
        state.promote_challenger(version)
    else:
        reject(state.engine, version)
    return Promoted(promoted=ok, version=version)


def _mc_passes(strategy: str) -> int:
    """MC-dropout passes to score with: only for a strategy that reads them (an unknown name fails at push)."""
    entry = STRATEGIES.get(strategy)
    return MC_PASSES if entry is not None and entry.needs is Needs.MC_SAMPLES else 0


def _score(state: Round) -> Scored:
    current = state.champion()
    if current is None:
        raise CycleError("no champion model to score with; run nerloop model promote VERSION")
    state.keep_pipeline(Path(current.path))  # the model that lost is not needed again this round
    pipeline, sampler = state.pipeline(Path(current.path))
    report = score_pool(
        state.engine,
        pipeline,
        model_version=current.version,
        reference=state.reference,
        hierarchy=state.hierarchy,
        sampler=sampler,
        mc_samples=_mc_passes(state.config.strategy),
    )
    return Scored(model_version=current.version, scored=report.scored)


def _push(state: Round) -> Pushed:
    planned = state.planned_batch()
    if planned is None:
        items = select_batch(
            state.engine,
            state.config.strategy,
            state.config.batch_size,
            hierarchy=state.hierarchy,
            model_version=state.get(Scored).model_version,
            config=state.config.select,
            sources=state.config.sources or None,
        )
        planned = [item_to_dict(i) for i in items]
        state.save(batch=planned)  # before pushing: a rerun pushes this batch again, never another
    state.deps.push(state.engine, [item_from_dict(d) for d in planned])
    return Pushed(pushed=len(planned), strategy=state.config.strategy)


def _summary(state: Round) -> dict[str, Any]:
    evaluation = state.get(Evaluated).to_dict()
    return {
        "labels": state.get(Pulled).labels,
        "new_labels": state.get(Pulled).new_labels,
        "challenger": state.get(Retrained).challenger,
        "challenger_f1": evaluation.get("challenger"),
        "champion_f1": evaluation.get("champion"),
        "promoted": state.get(Promoted).promoted,
        "scored": state.get(Scored).scored,
        "pushed": state.get(Pushed).pushed,
        "seconds": {name: state.seconds[name] for name in STEPS},
    }


_STEP_FUNCTIONS: tuple[tuple[str, Callable[[Round], Step]], ...] = (
    (Pulled.name, _pull),
    (Retrained.name, _retrain),
    (Evaluated.name, _evaluate),
    (Promoted.name, _promote),
    (Scored.name, _score),
    (Pushed.name, _push),
)
assert tuple(name for name, _ in _STEP_FUNCTIONS) == STEPS


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``1d`` (or plain seconds) → seconds, for ``cycle --every``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    try:
        seconds = float(value[:-1]) * units[value[-1]] if value and value[-1] in units else float(value)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        message = f"--every {text!r} is not a duration; write e.g. 30m, 2h or 1d"
        raise InputError(Problem("--every", 0, message), summary=message)
    return seconds
