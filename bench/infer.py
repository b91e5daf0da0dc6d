"""Benchmark: queries/s of ``nerloop tag --model`` end to end (tokenize → model → decode → resolve).

What is measured, and why
-------------------------
``al score`` tags whole query logs and a server answers one query at a time, so the cost
per query of the full tagging pipeline decides both. This script opens a tagger model
directory through ``inference.pipeline.open_pipeline`` (exactly what ``tag --model`` does),
and times ``pipeline.tag(queries, reference)`` over ``--n-queries`` generated test-split
queries for every batch size in ``--batch-sizes``:

* with one thread (``torch.set_num_threads(1)``, process pinned to ``--cpu``), and
* with all cores (``torch.set_num_threads(os.cpu_count())``, unpinned),

best of ``--repeat`` rounds that run each measured call once in turn (interleaved: the host's
speed drifts, and a ratio of passes taken minutes apart measured the drift), reporting queries/s
end to end (the "model a batch ahead" column: whether the pipeline predicts the next batch in a thread while it combines and resolves
this one; by default only on a GPU, ``--overlap on`` forces it); the model alone
(``tagger.predict``, no combination, resolver or record) on the same batches ``tag`` gives it
(input order, ``batch`` at a time), and the ratio of the two: how close tagging is to
model-bound (best against best, and each round's own ratio, whose spread shows the noise); and
the model alone over all queries at once (sorted by length before batching, so less padding): what length-sorting across batches would add; and end to end
with each record rendered as the JSON line ``tag`` prints (``inference.render.render_line``:
the inline XML and the line), against the model alone on the same batches: the whole of what
``tag --model`` does per query but reading input and writing stdout. ``--stages`` adds, for the
one-thread runs, the µs per query of each stage (model, the matcher's find, the combination, the
resolver, the output line): where the time after the model goes. ``--model`` defaults to a tagger trained for a
few steps on generated data (``--size tiny``: hidden 128, 2 layers; ``--size base``: a
BERT-base-sized config); weights do not change the cost. ``--device cuda`` runs the model
on a GPU. ``--combine`` picks the model/matcher combination (default: the model's own).

Run from the repository root with the project venv::

    .venv/bin/python bench/infer.py
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_WORK,
    REFERENCE_DATE,
    default_cpu,
    fmt_float,
    fmt_int,
    machine_facts,
    markdown_table,
    pin,
    self_peak_rss_mib,
)
from _tagger import generated_data, quick_model  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=None, help="tagger model directory; default: a quick one")
    parser.add_argument("--gazetteer", type=Path, default=None, help="gazetteer directory; default: the embedded one")
    parser.add_argument("--size", choices=["tiny", "base"], default="tiny", help="config of the quick model")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--n-queries", type=int, default=5000, help="queries to tag per pass")
    parser.add_argument("--batch-sizes", default="1,16,64,256", help="comma-separated")
    parser.add_argument("--combine", default=None, help="model, matcher, union or matcher-first")
    parser.add_argument("--repeat", type=int, default=3, help="passes per figure; the best is reported")
    parser.add_argument(
        "--token-probs",
        action="store_true",
        help="keep per-token label distributions, as al score does (tag does not; before 2026-12-07 this bench always did)",
    )
    parser.add_argument(
        "--overlap",
        choices=["auto", "on", "off"],
        default="auto",
        help="the model a batch ahead in a thread: auto (the pipeline decides), on or off",
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also print where each query's time goes after the model, stage by stage (one thread)",
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch directory")
    parser.add_argument("--cpu", type=int, default=default_cpu(), help="CPU the one-thread runs are pinned to")
    return parser.parse_args(argv)


def interleaved_rates(calls: dict, queries: list[str], repeat: int) -> tuple[dict[str, float], list[float]]:
    """queries/s of each of ``calls``, best of ``repeat`` rounds that run every call once, in turn.

    Interleaved rather than one call's passes after the other's: this host's speed drifts by tens of
    percent within minutes, and a ratio of two figures taken minutes apart measured the drift. Also
    returned: each round's ratio of the first call to the second (their spread is the noise).
    """
    best = dict.fromkeys(calls, float("inf"))
    ratios = []
    for _ in range(repeat):
        seconds = {}
        for name, fn in calls.items():
            gc.collect()
            started = time.perf_counter()
            fn(queries)
            seconds[name] = time.perf_counter() - started
            best[name] = min(best[name], seconds[name])
        first, second = list(seconds.values())[:2]
        ratios.append(second / first)
    return {name: len(queries) / s for name, s in best.items()}, ratios


def measure_row(pipeline, domain, queries: list[str], batch: int, repeat: int, threads: int) -> tuple:
    """One row of the report: ``batch`` at a time, every measured call interleaved ``repeat`` times."""
    from inference.render import render_line

    rates, ratios = interleaved_rates(
        {
            "end to end": lambda q: pipeline.tag(q, REFERENCE_DATE),
            "same batches": lambda q: [pipeline.tagger.predict(q[i : i + batch]) for i in range(0, len(q), batch)],
            "sorted": pipeline.tagger.predict,
            # what tag prints: each record with its inline XML, as one JSON line
            "lines": lambda q: [render_line(r, domain) for r in pipeline.tag(q, REFERENCE_DATE)],
        },
        queries,
        repeat,
    )
    end_to_end, same_batches, model_only, lines = rates.values()
    return (
        threads,
        "yes" if pipeline.overlapping() else "no",
        batch,
        fmt_int(round(end_to_end)),
        fmt_int(round(same_batches)),
        f"{end_to_end / same_batches:.2f}",
        f"{min(ratios):.2f}–{max(ratios):.2f}",
        fmt_int(round(model_only)),
        fmt_int(round(lines)),
        f"{lines / same_batches:.2f}",
    )


STAGES = ("model", "matcher find", "combination", "resolve", "output line")


def stage_times(pipeline, domain, queries: list[str], batch: int, repeat: int) -> dict[str, float]:
    """µs per query of each stage of ``tag --model``, best of ``repeat`` passes (each stage its own best).

    The stages of ``TaggingPipeline.tag_stream`` and ``render_line`` taken apart, ``batch`` at a
    time: the model (``tagger.predict``, its lexicon features' scan included), the matcher's
    ``find`` on the scan the model left (the combination's other input), the combination, the
    resolver with the query's uncertainty, and the JSON line. Where the end-to-end ratio falls
    short, this says which stage to look at.
    """
    from inference.render import render_line

    best = dict.fromkeys(STAGES, float("inf"))
    clock = time.perf_counter
    for _ in range(repeat):
        spent = dict.fromkeys(STAGES, 0.0)
        gc.collect()
        for i in range(0, len(queries), batch):
            texts = queries[i : i + batch]
            started = clock()
            predictions = pipeline.tagger.predict(texts)
            spent["model"] += clock() - started
            started = clock()
            mentions = pipeline.matcher_mentions(texts)
            spent["matcher find"] += clock() - started
            started = clock()
            combined = pipeline.merge(predictions, mentions)
            spent["combination"] += clock() - started
            started = clock()
            resolved = [
                pipeline._resolved(text, REFERENCE_DATE, prediction, decisions)[0]
                for text, (prediction, decisions) in zip(texts, combined)
            ]
            spent["resolve"] += clock() - started
            started = clock()
            for resolution in resolved:
                render_line(resolution, domain)
            spent["output line"] += clock() - started
        for name, seconds in spent.items():
            best[name] = min(best[name], seconds / len(queries) * 1e6)
    return best


def stage_row(batch: int, best: dict[str, float]) -> tuple:
    model = best["model"]
    after = sum(best[name] for name in STAGES[1:-1])
    return (
        batch,
        *(fmt_float(best[name], 1) for name in STAGES),
        fmt_float(after, 1),
        f"{model / (model + after):.3f}",
        f"{model / (model + after + best['output line']):.3f}",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    facts = machine_facts(args.cpu)
    import torch

    from gazetteers import load_gazetteer
    from inference.pipeline import open_pipeline
    from nerloop.export import read_jsonl
    from nerloop.heap import settle_after_loading

    work = args.work.resolve() / "infer"
    work.mkdir(parents=True, exist_ok=True)
    data = generated_data(args.gazetteer, max(args.n_queries * 10 // 8, 1000), work / "data")
    model = args.model or quick_model(data, work / f"model-{args.size}", args.size, steps=5)
    queries = [r.text for r in read_jsonl(data / "test.jsonl")] + [r.text for r in read_jsonl(data / "train.jsonl")]
    queries = queries[: args.n_queries]
    gazetteer = load_gazetteer(args.gazetteer)
    domain = gazetteer.domain
    pipeline = open_pipeline(model, False, gazetteer, combine=args.combine, device=args.device)
    # tag opens the model without per-token distributions; al score keeps them (--token-probs)
    pipeline.tagger.token_probs = args.token_probs
    pipeline.overlap = {"auto": None, "on": True, "off": False}[args.overlap]
    settle_after_loading()  # as tag does after loading: collections no longer walk the gazetteer's objects
    rows, stage_rows = [], []
    all_cores = os.cpu_count() or 1
    affinity = os.sched_getaffinity(0)
    for threads in (1, all_cores):
        if threads == 1:
            pin(args.cpu)
        else:
            os.sched_setaffinity(0, affinity)
        torch.set_num_threads(threads)
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            pipeline.batch_size = batch
            pipeline.tagger.batch_size = batch
            rows.append(measure_row(pipeline, domain, queries, batch, args.repeat, threads))
            if args.stages and threads == 1:
                stage_rows.append(stage_row(batch, stage_times(pipeline, domain, queries, batch, args.repeat)))
            print(f"[infer] threads {threads} batch {batch}: {rows[-1][3]} queries/s", file=sys.stderr)
    print(
        f"# nerloop bench/infer.py — {args.size} tagger, device {args.device}, combine {pipeline.combine}, "
        f"token probabilities {'kept' if args.token_probs else 'off (as tag)'}\n"
    )
    print(markdown_table(["fact", "value"], facts + [("model", str(model)), ("queries", fmt_int(len(queries)))]))
    print()
    header = [
        "threads",
        "model a batch ahead",
        "batch",
        "queries/s end to end",
        "model only, same batches",
        "end to end / model only",
        "the same, each round",
        "model only, all sorted by length",
        "queries/s end to end with the output lines",
        "the same / model only",
    ]
    print(markdown_table(header, rows))
    if stage_rows:
        print("\nWhere each query's time goes, one thread, µs per query (best pass of each stage):\n")
        stage_header = [
            "batch",
            *STAGES,
            "after the model (find, combination, resolve)",
            "model / (model + after)",
            "the same with the output line",
        ]
        print(markdown_table(stage_header, stage_rows))
    print(f"\npeak RSS: {fmt_float(self_peak_rss_mib(), 0)} MiB")
    if args.device.startswith("cuda"):
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
