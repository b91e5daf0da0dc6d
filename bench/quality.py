"""Benchmark: the default model against the gazetteer matcher on realistic queries, as a user gets it.

What is measured, and why
-------------------------
The README's by-hand loop over the national build with some names removed: build the national
gazetteer, drop the entries in ``inference/data/devset/removed.txt`` (so real names the
gazetteer lacks occur), ``generate -n N`` over the reduced gazetteer, ``train`` with no flags
(which early-stops and calibrates on the shipped development split), and tag the hand-written
development *test* split against the reduced gazetteer. For each tagger it prints entity F1,
precision, recall, F1 on queries whose names are all known, unknown-name recall (gold
organisation mentions the reduced gazetteer cannot link, found with exact span and type),
resolved accuracy, false mentions per 100 entity-free queries and inconsistent chains
(a conflict where the gold has none). ``--sizes`` repeats the loop per data volume (the curve
the README uses to say how much to generate), with the training time on ``--threads`` cores;
the calibration's reliability table comes from the largest model.

Run from the repository root with the project venv::

    .venv/bin/python bench/quality.py [--sizes 5000,10000,20000,40000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_GAZETTEER,
    DEFAULT_WORK,
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
    parser.add_argument("--sizes", default="20000", help="comma-separated `generate -n` volumes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training and tagging")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "quality")
    return parser.parse_args(argv)


def reduced_gazetteer(work: Path) -> Path:
    """The national build without the development set's removed entries (built once)."""
    from gazetteers import load_gazetteer
    from gazetteers.writer import drop_entries
    from inference.devset import removed_ids

    ensure_national_gazetteer(DEFAULT_GAZETTEER)
    out = work / "cn_reduced"
    if not (out / "substations.csv").is_file():
        drop_entries(load_gazetteer(DEFAULT_GAZETTEER), out, removed_ids(), source="removed.txt")
    return out


def measure(records, gold, gazetteer) -> dict:
    """The figures of one tagger's records against the gold test split."""
    from inference.fit import known_records, score
    from nerloop.evaluation import evaluate

    hierarchy = set(gazetteer.domain.hierarchy)
    metrics = evaluate(gold, records, gazetteer.domain.hierarchy)
    found = score(gold, [r.entities for r in records], known_records(gold, gazetteer))
    hits = total = 0
    for g, p in zip(gold, records):
        spans = {(e.type, e.start, e.end) for e in p.entities}
        for e in g.entities:
            if e.type in hierarchy and (e.id is None or e.id not in gazetteer):
                total += 1
                hits += (e.type, e.start, e.end) in spans
    inconsistent = sum(p.conflict and not g.conflict for g, p in zip(gold, records))
    return {
        "f1": metrics["entity_f1"],
        "precision": metrics["entity_precision"],
        "recall": metrics["entity_recall"],
        "known_f1": found.known_f1,
        "unknown_recall": hits / total if total else float("nan"),
        "resolved": metrics["resolved_accuracy"],
        "false_per_100": found.false_per_100,
        "inconsistent": inconsistent,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import torch

    from gazetteers import load_gazetteer
    from inference.devset import REFERENCE_DATE, load_devset
    from inference.fit import CALIBRATION_FILE, train_calibrated
    from inference.pipeline import open_pipeline
    from trainer.config import TrainConfig
    from trainer.data import DataSpec

    torch.set_num_threads(args.threads)
    args.work.mkdir(parents=True, exist_ok=True)
    reduced_dir = reduced_gazetteer(args.work)
    gazetteer = load_gazetteer(reduced_dir)
    gold = load_devset("test")
    texts = [r.text for r in gold]
    n_free = sum(not r.entities for r in gold)
    print("# nerloop bench/quality.py — default model vs matcher, development test split\n")
    print(markdown_table(["fact", "value"], machine_facts(None)))
    print(
        f"\ntest split: {len(gold)} queries ({n_free} entity-free), reference date {REFERENCE_DATE}; gazetteer: "
        "the national build minus the development set's removed entries (inference/data/devset/removed.txt)\n"
    )
    header = ["data", "tagger", "entity F1", "P", "R", "known-names F1", "unknown recall", "resolved",
              "false /100 free", "inconsistent", "train s"]  # fmt: skip
    rows = []
    matcher = measure(
        [r.record for r in open_pipeline(None, True, gazetteer).tag(texts, REFERENCE_DATE)], gold, gazetteer
    )
    rows.append(["—", "matcher", *_cells(matcher), "—"])
    last_model = None
    for n in [int(x) for x in args.sizes.split(",") if x.strip()]:
        data = generated_data(reduced_dir, n, args.work / f"data-{n}", seed=args.seed)
        model = args.work / f"model-{n}"
        shutil.rmtree(model, ignore_errors=True)
        started = time.perf_counter()
        manifest = train_calibrated(TrainConfig(), [DataSpec(data)], model)
        seconds = time.perf_counter() - started
        pipeline = open_pipeline(model, False, gazetteer)
        default = measure([r.record for r in pipeline.tag(texts, REFERENCE_DATE)], gold, gazetteer)
        rows.append([f"{n:,}", f"**model** (default: {manifest.combine})", *_cells(default), f"{seconds:.0f}"])
        alone = open_pipeline(model, False, gazetteer, combine="model")
        rows.append(
            [
                f"{n:,}",
                "model alone",
                *_cells(measure([r.record for r in alone.tag(texts, REFERENCE_DATE)], gold, gazetteer)),
                "",
            ]
        )
        last_model = model
    print(markdown_table(header, rows))
    if last_model is not None:
        fit = json.loads((last_model / CALIBRATION_FILE).read_text("utf-8"))
        print(f"\nCalibration of the last model ({fit['fitted_on']}, {fit['n_records']} queries): thresholds "
              f"{fit['thresholds']}, Platt slope {fit['calibration']['slope']:.3f} intercept "
              f"{fit['calibration']['intercept']:.3f}; ECE raw {fit['reliability']['raw_ece']} → calibrated "
              f"{fit['reliability']['calibrated_ece']}\n")  # fmt: skip
        for kind in ("raw", "calibrated"):
            table = [
                [b["bin"], b["n"], fmt_float(b["confidence"], 3), fmt_float(b["accuracy"], 3)]
                for b in fit["reliability"][kind]
            ]
            print(f"Reliability ({kind} span confidence, development split):\n")
            print(markdown_table(["bin", "spans", "mean confidence", "accuracy"], table) + "\n")


def _cells(m: dict) -> list[str]:
    return [fmt_float(m["f1"], 4), fmt_float(m["precision"], 4), fmt_float(m["recall"], 4), fmt_float(m["known_f1"], 4),
            fmt_float(m["unknown_recall"], 3), fmt_float(m["resolved"], 4), fmt_float(m["false_per_100"], 1),
            str(m["inconsistent"])]  # fmt: skip


if __name__ == "__main__":
    main()
