"""Shared by bench/train.py and bench/infer.py: generated data and a tagger model directory to measure.

Nothing here is imported by the package itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from _common import REFERENCE_DATE


def generated_data(gazetteer_dir: Path | None, n: int, out: Path, seed: int = 0) -> Path:
    """A ``nerloop generate`` output directory with ``n`` records (reused when one of that size and seed exists)."""
    import json

    manifest = out / "manifest.json"
    if manifest.is_file():
        config = json.loads(manifest.read_text("utf-8")).get("config", {})
        if (config.get("n"), config.get("seed")) == (n, seed):
            return out
        shutil.rmtree(out)
    from gazetteers import load_gazetteer
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from generator.pipeline import generate_dataset

    gazetteer = load_gazetteer(gazetteer_dir)
    config = GeneratorConfig(n=n, seed=seed, reference_date=REFERENCE_DATE)
    generate_dataset(gazetteer, load_grammar(None, gazetteer.domain), out, config, gazetteer_dir=gazetteer_dir)
    return out


def quick_model(data: Path, out: Path, size: str, steps: int) -> Path:
    """A tagger trained for ``steps`` steps (weights barely matter for speed); ``size`` tiny or base."""
    from trainer.config import TrainConfig
    from trainer.data import DataSpec
    from trainer.train import train

    shutil.rmtree(out, ignore_errors=True)
    config = TrainConfig(base="tiny" if size == "tiny" else f"tiny:{size}", max_steps=steps, early_stopping_patience=0)
    train(config, [DataSpec(data)], out)
    return out


def default_model(data: Path, out: Path) -> Path:
    """A tiny tagger trained as ``nerloop train --data DATA`` trains it: its defaults, early stopping and
    the calibrated combination with the gazetteer (what a user tags and serves with)."""
    from inference.fit import train_calibrated
    from trainer.config import TrainConfig
    from trainer.data import DataSpec

    shutil.rmtree(out, ignore_errors=True)
    train_calibrated(TrainConfig(), [DataSpec(data)], out)
    return out
