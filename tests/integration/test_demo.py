"""nerloop demo on a tiny size, with the tiny real trainer and plain-line ingest as stand-ins."""

from __future__ import annotations

import datetime as dt
import json

import torch
from al_standins import TinyTrainer, ingest_lines
from sqlalchemy import func, select

from active_learning.demo import SAMPLE_LOG, DemoConfig, run_demo
from active_learning.deps import CycleDeps
from nerloop.store import open_store
from nerloop.store.engine import session_scope
from nerloop.store.models import GoldLabel, LabelTask, QueryLog
from nerloop.store.registry import list_models


def test_demo_runs_the_loop_and_reports_before_after_and_paths(mini, tmp_path):
    torch.set_num_threads(1)
    trainer = TinyTrainer(mini, steps=30)
    deps = CycleDeps(
        pull=lambda e: None, push=lambda e, i: None, train=trainer.train, open_pipeline=trainer.open_pipeline
    )
    engine = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    config = DemoConfig(
        out_dir=tmp_path / "demo",
        n=200,
        labelled_pool=60,
        test_size=40,
        batch_size=20,
        train_steps=30,
        reference_date=dt.date(2026, 11, 25),
    )
    messages: list[str] = []
    report = run_demo(engine, mini, config, deps, ingest_lines, progress=messages.append)

    log_lines = {line.strip() for line in SAMPLE_LOG.read_text("utf-8").splitlines() if line.strip()}
    assert len(log_lines) >= 200
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(QueryLog)) >= len(log_lines)
        pushed = session.scalars(select(LabelTask.status)).all()
        labels = session.scalar(select(func.count()).select_from(GoldLabel))
    first, second = (r["figures"] for r in report["rounds"])
    assert first["pushed"] == 20 and first["new_labels"] == 0
    # simulated annotators get the labelled pool; the sample log's batch is written for a look
    assert second["new_labels"] == labels == pushed.count("annotated") == 20 and len(pushed) == 40
    assert len(report["sample_log_batch"]) == 20
    assert {row["text"] for row in report["sample_log_batch"]} <= log_lines
    assert second["challenger"] == "tiny-cycle-2"
    assert set(report["before_after"]) == {"before", "after"}
    assert all(0 <= v["heldout_logs_f1"] <= 1 for v in report["before_after"].values())
    assert [m.version for m in list_models(engine)] == ["tiny-demo-v1", "tiny-cycle-2"]
    saved = json.loads((tmp_path / "demo" / "report.json").read_text("utf-8"))
    assert saved["paths"]["models"].endswith("models") and trainer.trainings == 2
    assert any("round 2" in m for m in messages)
