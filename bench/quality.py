"""Benchmark: what a trained tagger adds over the gazetteer matcher (entity F1, held-out recall).

What is measured, and why
-------------------------
On names the gazetteer knows the matcher is near perfect; a model is worth training for the
names the gazetteer lacks. This script generates a data set (``--n`` records, ``--seed``),
trains a tiny tagger on it for ``--steps`` steps, and tags the test split twice: against
``gazetteer_train/`` (the gazetteer without the companies and substations held out for
validation and test) and against the full gazetteer, with the matcher alone, the model alone
and the model's default combination (chosen on validation). It prints entity F1, precision,
recall, resolved accuracy and *held-out recall* (gold mentions of entries missing from
``gazetteer_train/`` found with exact span and type). ``--gazetteer cn`` uses the national
build (38,723 substations, names repeated across the country) instead of the embedded default.

Run from the repository root with the project venv::

    .venv/bin/python bench/quality.py [--gazetteer cn]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_WORK,
    REFERENCE_DATE,
    ensure_national_gazetteer,
    fmt_float,
    machine_facts,
    markdown_table,
)
from _tagger import generated_data  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--gazetteer", default=None, help="gazetteer directory, 'cn' (national build) or the default")
    parser.add_argument("--n", type=int, default=7500, help="generated records (80/10/10 split)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--steps", type=int, default=800, help="training steps (batch 32)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "quality")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import torch

    from gazetteers import load_gazetteer
    from gazetteers.tagging import open_pipeline
    from nerloop.evaluation import evaluate, heldout_recall
    from nerloop.export import read_jsonl
    from trainer.config import TrainConfig
    from trainer.data import DataSpec
    from trainer.train import train

    torch.set_num_threads(args.threads)
    gazetteer_dir = Path(args.gazetteer) if args.gazetteer not in (None, "cn") else None
    label = "embedded default (山东)"
    if args.gazetteer == "cn":
        gazetteer_dir = args.work / "cn"
        ensure_national_gazetteer(gazetteer_dir)
        label = "national build-cn"
    elif gazetteer_dir is not None:
        label = str(gazetteer_dir)
    tag = f"{'cn' if args.gazetteer == 'cn' else 'default'}-{args.n}-{args.seed}"
    data = generated_data(gazetteer_dir, args.n, args.work / f"data-{tag}", seed=args.seed)
    model = args.work / f"model-{tag}-{args.steps}"
    started = time.perf_counter()
    if not (model / "nerloop_model.json").is_file():
        train(
            TrainConfig(base="tiny", max_steps=args.steps, eval_steps=max(args.steps // 4, 1)), [DataSpec(data)], model
        )
    train_seconds = time.perf_counter() - started
    gold = list(read_jsonl(data / "test.jsonl"))
    texts = [r.text for r in gold]
    known = {e.id for e in load_gazetteer(data / "gazetteer_train")}
    rows = []
    for name, directory in (
        ("`gazetteer_train/` (held-out names missing)", data / "gazetteer_train"),
        ("full", gazetteer_dir),
    ):
        gazetteer = load_gazetteer(directory)
        for tagger, pipeline in (
            ("matcher", open_pipeline(None, True, gazetteer)),
            ("model", open_pipeline(model, False, gazetteer, combine="model")),
            ("model, default combination", open_pipeline(model, False, gazetteer)),
        ):
            predicted = [r.record for r in pipeline.tag(texts, REFERENCE_DATE)]
            m = evaluate(gold, predicted, gazetteer.domain.hierarchy)
            recall = heldout_recall(gold, predicted, known) if directory != gazetteer_dir else None
            rows.append(
                [
                    name,
                    f"{tagger} ({pipeline.combine})" if tagger.startswith("model, default") else tagger,
                    fmt_float(m["entity_f1"], 4),
                    fmt_float(m["entity_precision"], 4),
                    fmt_float(m["entity_recall"], 4),
                    fmt_float(m["resolved_accuracy"] or 0.0, 4),
                    "—" if recall is None else fmt_float(recall, 4),
                ]
            )
            name = ""
    print(markdown_table(["what", "value"], machine_facts(None)))
    print()
    print(
        f"gazetteer: {label}; {len(gold)} test records; tiny tagger, {args.steps} steps "
        f"(trained in {train_seconds:,.0f} s{' earlier' if train_seconds < 1 else ''})"
    )
    print()
    print(
        markdown_table(
            [
                "test split tagged against",
                "tagger",
                "entity F1",
                "precision",
                "recall",
                "resolved acc.",
                "held-out recall",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
