"""Benchmark: ``nerloop al score`` against plain ``tag --model`` on the same queries.

What is measured, and why
-------------------------
Scoring a log pool must run at the speed of tagging: the issue's bar is "``al score`` runs at the
speed of ``tag --model``". This script generates ``--n`` queries, stores them as a log pool in a
fresh SQLite store, trains (or reuses) a tiny tagger, then times (1) what ``nerloop tag --model``
does with them (tagging without token probabilities, the XML form, one JSON line each, written
to memory instead of stdout), (2) the tagging pipeline with token probabilities (what scoring
tags with) and (3) :func:`active_learning.score.score_pool` over the pool — tagging, every
uncertainty strategy, resolver signals and the store writes — without and with BALD
(``--mc-samples`` MC-dropout passes). One torch thread, best of ``--repeat``.

Run from the repository root with the project venv::

    .venv/bin/python bench/score.py
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
    default_cpu,
    fmt_int,
    machine_facts,
    markdown_table,
    pin,
)
from _tagger import generated_data, quick_model  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5000, help="queries in the pool")
    parser.add_argument("--mc-samples", type=int, default=4, help="MC-dropout passes for the BALD run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "score")
    parser.add_argument("--cpu", type=int, default=default_cpu())
    return parser.parse_args(argv)


def _pool(engine, texts: list[str]) -> None:
    from active_learning.batch import text_hash
    from nerloop.store import QueryLog, run_in_transaction

    def write(session) -> None:
        session.add_all(QueryLog(text=t, text_hash=text_hash(t), source="bench") for t in dict.fromkeys(texts))

    run_in_transaction(engine, write)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    pin(args.cpu)
    import torch

    from active_learning.deps import open_scoring_pipeline
    from active_learning.score import score_pool
    from gazetteers import load_gazetteer
    from inference.pipeline import open_pipeline
    from nerloop.export import read_jsonl
    from nerloop.heap import settle_after_loading
    from nerloop.store import open_store

    torch.set_num_threads(1)
    data = generated_data(None, args.n * 10 // 8 + 10, args.work / "data")
    model = args.work / "model"
    if not (model / "nerloop_model.json").is_file():
        quick_model(data, model, "tiny", 60)
    texts = list(dict.fromkeys(r.text for r in read_jsonl(data / "train.jsonl")))[: args.n]
    gazetteer = load_gazetteer(None)
    pipeline, sampler = open_scoring_pipeline(model, gazetteer)
    hierarchy = gazetteer.domain.hierarchy
    command = open_pipeline(model, False, gazetteer)  # what `nerloop tag --model` opens: no token probs
    settle_after_loading()  # as both commands do once the gazetteer is loaded

    def score_run(mc: int, attempt: int) -> float:
        store = args.work / f"store-{mc}-{attempt}.db"
        store.unlink(missing_ok=True)
        engine = open_store(f"sqlite:///{store}")
        _pool(engine, texts)
        try:
            return _timed(
                lambda: score_pool(
                    engine,
                    pipeline,
                    model_version=pipeline.version,
                    reference=REFERENCE_DATE,
                    hierarchy=hierarchy,
                    sampler=sampler if mc else None,
                    mc_samples=mc,
                )
            )
        finally:
            engine.dispose()

    runs = {
        "tag --model (tag, XML, JSON lines)": lambda attempt: _timed(
            lambda: _tag_command(command, texts, gazetteer.domain)
        ),
        "tagging with token probabilities": lambda attempt: _timed(lambda: pipeline.tag(texts, REFERENCE_DATE)),
        "al score (all strategies + store)": lambda attempt: score_run(0, attempt),
        f"al score + BALD ({args.mc_samples} passes)": lambda attempt: score_run(args.mc_samples, attempt),
    }
    # Interleaved, best of --repeat: on a shared host the load drifts, and running one kind after
    # the other would hand that drift to whichever ran in the quieter minute.
    times: dict[str, list[float]] = {label: [] for label in runs}
    for attempt in range(args.repeat):
        for label, run in runs.items():
            times[label].append(run(attempt))
    rows = [[label, fmt_int(len(texts)), fmt_int(round(len(texts) / min(t)))] for label, t in times.items()]
    tag_rate, score_rate = (len(texts) / min(times[label]) for label in list(runs)[0:3:2])
    rows.append(["al score / tag --model", "", f"{score_rate / tag_rate:.2f}"])
    print(markdown_table(["what", "value"], machine_facts(args.cpu)))
    print()
    print(markdown_table(["run (one thread, tiny tagger)", "queries", "queries/s"], rows))


def _tag_command(pipeline, texts: list[str], domain) -> None:
    """``nerloop tag --model``'s own batch loop (its batches, XML form and JSON lines), stdout kept in memory."""
    import contextlib
    import io

    from nerloop.cli.tag import BATCH, _print_batch

    with contextlib.redirect_stdout(io.StringIO()):
        for i in range(0, len(texts), BATCH):
            _print_batch(pipeline, texts[i : i + BATCH], REFERENCE_DATE, domain, False)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
