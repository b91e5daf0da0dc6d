"""Slow trainer checks: the reduced-gazetteer measurement (model + gazetteer beat the matcher on names the
gazetteer lacks) and two-process data-parallel training with ``torchrun`` on CPU (gloo).

Figures of the measurement are printed (``pytest -s``) and recorded in docs/training.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REF = dt.date(2026, 11, 25)
pytestmark = pytest.mark.slow


def _generate(out: Path, n: int, seed: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nerloop", "generate", "--out", str(out), "-n", str(n), "--seed", str(seed)]
        + ["--reference-date", REF.isoformat(), "--db", f"sqlite:///{out.parent / 'gen.db'}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def test_model_with_reduced_gazetteer_beats_matcher_and_finds_most_heldout_names(tmp_path: Path) -> None:
    import torch

    from gazetteers import load_gazetteer
    from inference.pipeline import open_pipeline
    from nerloop.evaluation import evaluate, heldout_recall
    from nerloop.export import read_jsonl
    from trainer.config import TrainConfig
    from trainer.data import DataSpec
    from trainer.train import train

    torch.set_num_threads(2)
    data = tmp_path / "data"
    _generate(data, 7500, 7)
    model = tmp_path / "model"
    train(TrainConfig(base="tiny", max_steps=800, eval_steps=200), [DataSpec(data)], model)
    gold = list(read_jsonl(data / "test.jsonl"))
    texts = [r.text for r in gold]
    results = {}
    for name, directory in (("reduced", data / "gazetteer_train"), ("full", None)):
        gazetteer = load_gazetteer(directory)
        known = set(e.id for e in load_gazetteer(data / "gazetteer_train"))
        for label, pipeline in (
            ("matcher", open_pipeline(None, True, gazetteer)),
            ("model", open_pipeline(model, False, gazetteer, combine="model")),
            ("default", open_pipeline(model, False, gazetteer)),
        ):
            predicted = [r.record for r in pipeline.tag(texts, REF)]
            metrics = evaluate(gold, predicted, gazetteer.domain.hierarchy)
            results[(name, label)] = {
                "entity_f1": round(metrics["entity_f1"], 4),
                "resolved_accuracy": round(metrics["resolved_accuracy"] or 0, 4),
                "heldout_recall": round(heldout_recall(gold, predicted, known), 4),
                "combine": pipeline.combine,
            }
    print(json.dumps({f"{k[0]}/{k[1]}": v for k, v in results.items()}, ensure_ascii=False, indent=1))
    reduced_matcher, reduced_default = results[("reduced", "matcher")], results[("reduced", "default")]
    assert reduced_default["entity_f1"] > reduced_matcher["entity_f1"]
    assert reduced_default["heldout_recall"] > 0.5 > reduced_matcher["heldout_recall"]
    assert results[("full", "default")]["entity_f1"] >= results[("full", "matcher")]["entity_f1"]


@pytest.mark.skipif(
    shutil.which("torchrun") is None and not Path(sys.executable).with_name("torchrun").exists(), reason="no torchrun"
)
def test_torchrun_two_cpu_processes_train_one_model(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _generate(data, 1000, 5)
    out = tmp_path / "ddp"
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    with socket.socket() as probe:  # a free port: parallel test runs must not collide
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    env = {
        **os.environ,
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
        "NERLOOP_DB": f"sqlite:///{tmp_path / 's.db'}",
    }
    done = subprocess.run(
        [torchrun, "--nproc_per_node", "2", "--master_port", port, "-m", "nerloop", "train"]
        + ["--data", str(data), "--out", str(out), "--max-steps", "4", "--batch-size", "8", "--patience", "0"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((out / "nerloop_model.json").read_text("utf-8"))
    n_train = sum(1 for _ in (data / "train.jsonl").open(encoding="utf-8"))
    # two processes each take a batch per step: the epoch counter moves twice as fast as with one
    assert manifest["metrics"]["epoch"] == pytest.approx(4 * 8 * 2 / n_train, rel=0.05)
