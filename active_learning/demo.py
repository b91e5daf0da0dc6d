"""``nerloop demo``: the whole loop on the embedded defaults, in a few minutes on a laptop CPU.

generate (training grammar) → train a tiny tagger → ingest the shipped sample log plus a
held-out labelled pool (simulation grammar, the "annotators' answers") → score → push the
most useful batch to simulated annotators (or to a real Label Studio) → pull their labels →
retrain → evaluate the old and new model on a held-out test set written like logs, and on
the synthetic test split. Both rounds are real ``nerloop cycle`` rounds in a SQLite store in
the demo directory, so ``nerloop model list --db ...`` and friends work on the result.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from active_learning.annotators import SimulatedAnnotators
from active_learning.batch import normalize_query, text_hash
from active_learning.config import CycleConfig, SimulationConfig
from active_learning.cycle import CycleReport, entity_f1, run_cycle, synthetic_test
from active_learning.deps import CycleDeps, TrainRequest
from active_learning.select import item_to_dict, select_batch
from active_learning.simulate import SIMULATION_GRAMMAR, generate_splits
from gazetteers.model import Gazetteer
from nerloop.export import read_jsonl
from nerloop.store.engine import session_scope
from nerloop.store.models import QueryLog
from nerloop.store.registry import champion, promote, register_model
from nerloop.store.urls import store_name
from trainer.data import DataSpec
from trainer.model_dir import read_manifest

SAMPLE_LOG = Path(__file__).parent / "data" / "sample_log.txt"
Ingest = Callable[[Engine, Path], Any]


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of the demo (the defaults take a few minutes on 2 cores).

    Args:
        out_dir: everything goes here (data, models, store, batch files, report).
        n: synthetic training queries generated.
        labelled_pool: held-out queries with gold labels the simulated annotators answer from.
        test_size: held-out test queries written like logs (simulation grammar).
        batch_size: queries pushed to annotators.
        strategy: the selection strategy.
        train_steps: optimizer steps per training (0: the trainer's epochs).
        label_studio_url: push to this Label Studio (token in ``NERLOOP_LS_TOKEN``) and stop
            after the push instead of simulating the annotators.
        project: the Label Studio project.
        reference_date: relative dates refer to it.
    """

    out_dir: Path
    n: int = 3000
    labelled_pool: int = 600
    test_size: int = 300
    batch_size: int = 80
    strategy: str = "mnlp"
    train_steps: int = 300
    label_studio_url: str = ""
    project: str = "nerloop-demo"
    reference_date: dt.date = dt.date(2026, 11, 25)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["out_dir"] = str(self.out_dir)
        out["reference_date"] = self.reference_date.isoformat()
        return out


def _train_split(n: int) -> tuple[int, int, int]:
    """80/10/10, as ``nerloop generate`` does by default."""
    validation = test = n // 10
    return n - validation - test, validation, test


def _generate(gazetteer: Gazetteer, config: DemoConfig) -> tuple[Path, Path]:
    data, heldout = config.out_dir / "data", config.out_dir / "heldout"
    generate_splits(gazetteer, None, data, _train_split(config.n), 0, config.reference_date)
    generate_splits(
        gazetteer,
        SIMULATION_GRAMMAR,
        heldout,
        (config.labelled_pool, 0, config.test_size),
        1,
        config.reference_date,
        SimulationConfig().typo_rate,
    )
    # logs are stored normalized (width folding, spaces); keep the gold whose text ingest leaves as is
    pool = [r for r in read_jsonl(heldout / "train.jsonl") if normalize_query(r.text) == r.text]
    (heldout / "pool.jsonl").write_text("".join(r.to_json() + "\n" for r in pool), "utf-8")
    (heldout / "pool.txt").write_text("".join(r.text + "\n" for r in pool), "utf-8")
    return data, heldout


def run_demo(
    engine: Engine,
    gazetteer: Gazetteer,
    config: DemoConfig,
    deps: CycleDeps,
    ingest: Ingest,
    progress: Callable[[str], None] = lambda _message: None,
) -> dict[str, Any]:
    """Run the demo; returns the report (also written to ``out_dir/report.json``)."""
    out = config.out_dir
    hierarchy = gazetteer.domain.hierarchy
    progress("generating synthetic training data and a held-out labelled pool")
    data, heldout = _generate(gazetteer, config)
    models = out / "models"
    first = _first_model(engine, deps, DataSpec(data), models / "demo-v1", config.train_steps, progress)
    progress("ingesting the sample log and the labelled pool's texts")
    ingest(engine, SAMPLE_LOG)
    ingest(engine, heldout / "pool.txt")

    gold = {text_hash(r.text): r for r in read_jsonl(heldout / "pool.jsonl")}
    annotators = SimulatedAnnotators(gold, project=config.project)
    simulated = not config.label_studio_url
    log_sources, pool_sources = _sources(engine, gold)
    if simulated:
        deps = CycleDeps(pull=annotators.pull, push=annotators.push, train=deps.train, open_pipeline=deps.open_pipeline)
    # simulated annotators can answer only the labelled pool; a real Label Studio gets the sample log
    cycle_config = _cycle_config(config, data, models, pool_sources if simulated else log_sources)

    def one_round() -> CycleReport:
        return run_cycle(
            engine,
            cycle_config,
            deps,
            hierarchy=hierarchy,
            reference=config.reference_date,
            after_step=lambda name, figures: progress(f"  {name} done ({figures['seconds']:.1f} s)"),
        )

    progress("round 1: score the pool with the first model and push the most useful batch")
    report: dict[str, Any] = {"config": config.to_dict(), "rounds": [one_round().to_dict()]}
    if simulated:
        report["sample_log_batch"] = _sample_log_batch(engine, config, hierarchy, log_sources, out)
        progress("round 2: annotators answer, retrain, evaluate, promote, score, push the next batch")
        round2 = one_round()
        report["rounds"].append(round2.to_dict())
        report["before_after"] = _before_after(
            deps,
            first,
            round2.figures.get("challenger"),
            models,
            heldout,
            cycle_config,
            hierarchy,
            config.reference_date,
        )
    report["paths"] = {
        "store": store_name(engine),
        "synthetic_data": str(data),
        "heldout_labelled": str(heldout),
        "sample_log": str(SAMPLE_LOG),
        "models": str(models),
        "report": str(out / "report.json"),
    }
    if simulated:
        report["paths"]["sample_log_batch"] = str(out / "sample_log_batch.jsonl")
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), "utf-8")
    return report


def _first_model(
    engine: Engine, deps: CycleDeps, data: DataSpec, first: Path, steps: int, progress: Callable[[str], None]
) -> Path:
    """Train the first model into ``first`` (unless a finished one is there), register it, make it champion."""
    if not (first / "nerloop_model.json").is_file():
        progress("training the first model")
        shutil.rmtree(first, ignore_errors=True)
        deps.train(TrainRequest((data,), first, "tiny", "full", steps))
    manifest = read_manifest(first)
    register_model(
        engine, version=manifest.version, backend=manifest.backend, path=str(first), metrics=manifest.metrics
    )
    if champion(engine) is None:
        promote(engine, manifest.version)
    return first


def _cycle_config(config: DemoConfig, data: Path, models: Path, sources: list[str]) -> CycleConfig:
    """The ``nerloop cycle`` settings of both demo rounds: a full retrain after any new label."""
    return CycleConfig(
        synthetic=str(data),
        min_new_labels=1,
        finetune="full",
        base="tiny",
        train_steps=config.train_steps,
        strategy=config.strategy,
        batch_size=config.batch_size,
        models_dir=str(models),
        label_studio_url=config.label_studio_url,
        project=config.project,
        sources=tuple(sources),
    )


def _sources(engine: Engine, gold: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The ``QueryLog.source`` values of the sample log and of the labelled pool, as ingest recorded them.

    A source is the pool's when nearly all its queries have gold; a few sample-log lines may
    also occur in the pool (你好 is written the same everywhere).
    """
    with session_scope(engine) as session:
        rows = session.execute(select(QueryLog.text_hash, QueryLog.source)).all()
    total: Counter[str] = Counter(source for _, source in rows)
    known: Counter[str] = Counter(source for hashed, source in rows if hashed in gold)
    pool = sorted(s for s in total if known[s] >= 0.9 * total[s])
    return sorted(set(total) - set(pool)), pool


def _sample_log_batch(
    engine: Engine, config: DemoConfig, hierarchy: tuple[str, ...], sources: list[str], out: Path
) -> list[dict[str, Any]]:
    """What the first model would ask annotators about from the sample log (written, not annotated)."""
    items = select_batch(engine, config.strategy, config.batch_size, hierarchy=hierarchy, sources=sources or None)
    rows = [item_to_dict(i) for i in items]
    (out / "sample_log_batch.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8"
    )
    return rows


def _before_after(
    deps: CycleDeps,
    first: Path,
    challenger: str | None,
    models: Path,
    heldout: Path,
    cycle_config: CycleConfig,
    hierarchy: tuple[str, ...],
    reference: dt.date,
) -> dict[str, Any]:
    """Entity F1 of the first model and the retrained one on log-like held-out queries and the synthetic test."""
    logs_test = list(read_jsonl(heldout / "test.jsonl"))
    synthetic = synthetic_test(cycle_config)
    rows = {}
    retrained = [
        p
        for p in models.glob("cycle-*")
        if (p / "nerloop_model.json").is_file() and challenger and read_manifest(p).version == challenger
    ]
    for label, path in (("before", first), ("after", retrained[0] if retrained else None)):
        if path is None:
            continue
        pipeline, _ = deps.open_pipeline(path)
        rows[label] = {
            "model": read_manifest(path).version,
            "heldout_logs_f1": entity_f1(pipeline, logs_test, hierarchy, reference),
            "synthetic_test_f1": entity_f1(pipeline, synthetic, hierarchy, reference),
        }
    return rows
