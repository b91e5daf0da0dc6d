"""nerloop cycle: a full round, a round killed at every step and resumed, two cycles at once.

The trainer is a tiny real PyTorch tagger (tests/al_standins.py) and the annotators are the
simulated ones answering from a gold-labelled pool written by the simulation grammar.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import torch
from al_standins import TinyTrainer
from sqlalchemy import func, select

from active_learning.annotators import SimulatedAnnotators
from active_learning.batch import text_hash
from active_learning.config import CycleConfig, SelectConfig
from active_learning.cycle import STEPS, parse_duration, run_cycle
from active_learning.deps import CycleDeps, TrainRequest
from active_learning.errors import CycleError, CycleLocked, InputError
from active_learning.lock import exclusive_lock
from generator.config import GeneratorConfig
from generator.grammar import load_grammar
from generator.pipeline import generate_dataset
from nerloop.export import read_jsonl
from nerloop.records import TaggedQuery
from nerloop.store import open_store
from nerloop.store.engine import session_scope
from nerloop.store.models import CycleRound, GoldLabel, LabelTask, ModelVersion, QueryLog
from nerloop.store.registry import list_models, promote, register_model
from trainer.data import DataSpec

REFERENCE = dt.date(2026, 11, 25)
SIM_GRAMMAR = Path(__file__).parents[2] / "active_learning" / "data" / "simulation_grammar.yaml"
STEPS_PER_TRAIN = 40


class Killed(Exception):
    """Stands for the process dying at this point."""


class StandIns:
    """Tiny-tagger trainer and pipeline, simulated annotators; counts calls, can be told to die."""

    def __init__(self, mini, pool: list[TaggedQuery]) -> None:
        self.mini = mini
        self.trainer = TinyTrainer(mini, STEPS_PER_TRAIN)
        self.annotators = SimulatedAnnotators({text_hash(r.text): r for r in pool})
        self.kill_inside: str | None = None
        self.opened: list[Path] = []

    def _maybe_die(self, where: str) -> None:
        if self.kill_inside == where:
            self.kill_inside = None
            raise Killed(where)

    def pull(self, engine) -> None:
        self.annotators.pull(engine)
        self._maybe_die("pull")

    def push(self, engine, items) -> None:
        self.annotators.push(engine, items)
        self._maybe_die("push")

    def train(self, request: TrainRequest) -> None:
        self.trainer.train(request)
        self._maybe_die("train")

    @property
    def trainings(self) -> int:
        return self.trainer.trainings

    def open_pipeline(self, path: Path):
        self.opened.append(path)
        return self.trainer.open_pipeline(path)

    def deps(self) -> CycleDeps:
        return CycleDeps(pull=self.pull, push=self.push, train=self.train, open_pipeline=self.open_pipeline)


@pytest.fixture(scope="module")
def data(tmp_path_factory, request):
    """Synthetic training data (default grammar) and a labelled pool (simulation grammar), mini gazetteer."""
    from gazetteers import load_gazetteer

    torch.set_num_threads(1)
    mini = load_gazetteer(Path(__file__).parents[1] / "fixtures" / "mini", use_cache=False)
    root = tmp_path_factory.mktemp("cycle-data")
    generate_dataset(
        mini,
        load_grammar(None, mini.domain),
        root / "synthetic",
        GeneratorConfig(n=200, seed=3, reference_date=REFERENCE),
    )
    generate_dataset(
        mini,
        load_grammar(SIM_GRAMMAR, mini.domain),
        root / "pool",
        GeneratorConfig(n=120, seed=4, reference_date=REFERENCE, split_ratios=(1, 0, 0), typo_rate=0.1),
    )
    pool = list(read_jsonl(root / "pool" / "train.jsonl"))
    stand = StandIns(mini, pool)
    champion_dir = root / "champion"
    stand.train(TrainRequest((DataSpec(root / "synthetic"),), champion_dir, "tiny", "full", STEPS_PER_TRAIN))
    return {"mini": mini, "root": root, "pool": pool, "champion": champion_dir}


def _setup(tmp_path: Path, data) -> tuple:
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    models = tmp_path / "models"
    shutil.copytree(data["champion"], models / "v0")
    register_model(engine, version="v0", backend="tagger", path=str(models / "v0"))
    promote(engine, "v0")
    with session_scope(engine) as session:
        session.add_all(QueryLog(text=r.text, text_hash=text_hash(r.text), source="pool") for r in data["pool"])
    config = CycleConfig(
        synthetic=str(data["root"] / "synthetic"),
        min_new_labels=10,
        batch_size=15,
        models_dir=str(models),
        strategy="least_confidence",
        finetune="full",
        gold_fraction=0.3,
        tolerance=1.0,
        select=SelectConfig(per_shape_cap=3),
    )
    return engine, config, StandIns(data["mini"], data["pool"])


def _cycle(engine, config, stand, **kwargs):
    return run_cycle(engine, config, stand.deps(), hierarchy=stand.mini.domain.hierarchy, reference=REFERENCE, **kwargs)


def _state(engine) -> dict:
    with session_scope(engine) as session:
        tasks = session.scalars(select(LabelTask.text_hash).order_by(LabelTask.id)).all()
        return {
            "rounds": session.scalars(select(CycleRound.status).order_by(CycleRound.id)).all(),
            "tasks": tasks,
            "labels": session.scalar(select(func.count()).select_from(GoldLabel)),
            "label_hashes": session.scalar(select(func.count(func.distinct(GoldLabel.text_hash)))),
            "models": session.scalars(select(ModelVersion.version).order_by(ModelVersion.id)).all(),
        }


@pytest.fixture(scope="module")
def reference_run(data, tmp_path_factory):
    """Two uninterrupted rounds: the figures every interrupted run must end up with."""
    engine, config, stand = _setup(tmp_path_factory.mktemp("reference"), data)
    first = _cycle(engine, config, stand)
    second = _cycle(engine, config, stand)
    return first, second, _state(engine)


def test_a_round_pulls_retrains_evaluates_promotes_scores_and_pushes(reference_run):
    first, second, state = reference_run
    assert first.figures["new_labels"] == 0 and first.steps["retrain"]["trained"] is False
    assert first.figures["pushed"] == 15 and first.figures["scored"] == 120
    assert second.figures["new_labels"] == 15 and second.steps["retrain"]["trained"] is True
    assert second.steps["retrain"]["human_train"] + second.steps["retrain"]["gold"] == 15
    evaluation = second.steps["evaluate"]
    assert 0 <= evaluation["challenger"]["synthetic_f1"] <= 1 and evaluation["synthetic_n"] > 0
    assert second.figures["promoted"] is True  # tolerance 1.0: never worse by more than everything
    assert second.figures["scored"] == 120  # the new champion scores the whole pool afresh
    assert state["rounds"] == ["done", "done"] and state["models"] == ["v0", "tiny-cycle-2"]
    assert len(state["tasks"]) == len(set(state["tasks"])) == 30
    assert state["labels"] == state["label_hashes"] == 15
    assert set(second.figures["seconds"]) == set(STEPS)


KILL_POINTS = [("after", step) for step in STEPS] + [("inside", w) for w in ("pull", "train", "push")]


@pytest.mark.parametrize(("when", "where"), KILL_POINTS, ids=[f"{w}-{s}" for w, s in KILL_POINTS])
def test_a_cycle_killed_at_any_point_resumes_and_duplicates_nothing(data, tmp_path, reference_run, when, where):
    engine, config, stand = _setup(tmp_path, data)
    _cycle(engine, config, stand)

    def die_after(step, _figures):
        if when == "after" and step == where:
            raise Killed(step)

    stand.kill_inside = where if when == "inside" else None
    with pytest.raises(Killed):
        _cycle(engine, config, stand, after_step=die_after)
    assert _state(engine)["rounds"] == ["done", "running"]
    resumed = _cycle(engine, config, stand)
    assert resumed.resumed is True
    assert _state(engine) == reference_run[2]
    assert resumed.figures["challenger"] == reference_run[1].figures["challenger"]
    assert stand.trainings == 1  # a finished model directory is never trained again


def test_a_round_opens_each_model_once(data, tmp_path):
    engine, config, stand = _setup(tmp_path, data)
    _cycle(engine, config, stand)
    assert [p.name for p in stand.opened] == ["v0"]  # no retrain: the champion scores
    stand.opened.clear()
    second = _cycle(engine, config, stand)
    assert second.figures["promoted"] is True
    # evaluate opens challenger and champion; the promoted challenger scores with the pipeline it was evaluated with
    assert [p.name for p in stand.opened] == ["cycle-2", "v0"]


def test_two_cycles_at_once_one_exits_with_a_clear_message(data, tmp_path):
    engine, config, stand = _setup(tmp_path, data)
    with exclusive_lock(Path(config.models_dir) / ".cycle.lock"):
        with pytest.raises(CycleLocked, match="another nerloop cycle is running .* exits without changes"):
            _cycle(engine, config, stand)
    assert _state(engine)["rounds"] == []
    assert _cycle(engine, config, stand).figures["pushed"] == 15  # the lock is free again


def test_no_champion_is_a_clear_error(data, tmp_path):
    engine, config, stand = _setup(tmp_path, data)
    with session_scope(engine) as session:
        session.scalar(select(ModelVersion)).status = "retired"
    with pytest.raises(CycleError, match="no champion"):
        _cycle(engine, config, stand)
    assert [m.status for m in list_models(engine)] == ["retired"]


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("15", 15)])
def test_durations_for_every(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5m", "0"])
def test_bad_durations_are_refused(text):
    with pytest.raises(InputError, match="not a duration"):
        parse_duration(text)
