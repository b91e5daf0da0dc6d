"""Benchmark: training throughput of the tagger (samples/s, tokens/s, peak memory).

What is measured, and why
-------------------------
``nerloop train`` on generated data is the step every retraining cycle repeats. This script
runs :func:`trainer.train.train` for ``--steps`` optimizer steps (validation only at the end)
on ``--n`` generated records, at each batch size of ``--batch-sizes``, and reports samples/s
and real (unpadded) tokens/s over the whole run including the Trainer's start-up, plus peak
RSS (and peak GPU memory on ``--device cuda``). ``--size tiny`` is the CPU default (hidden
128, 2 layers, character tokenizer); ``--size base`` a BERT-base-sized config for GPUs.
``--threads`` sets ``torch.set_num_threads`` (default 1, pinned to ``--cpu``).

Run from the repository root with the project venv::

    .venv/bin/python bench/train.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_WORK,
    default_cpu,
    fmt_float,
    fmt_int,
    machine_facts,
    markdown_table,
    pin,
    self_peak_rss_mib,  # noqa: E402
)
from _tagger import generated_data  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--gazetteer", type=Path, default=None, help="gazetteer directory; default: the embedded one")
    parser.add_argument("--size", choices=["tiny", "base"], default="tiny")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--n", type=int, default=5000, help="generated records")
    parser.add_argument("--steps", type=int, default=100, help="optimizer steps per run")
    parser.add_argument("--batch-sizes", default="32,64", help="comma-separated")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: pinned to --cpu)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--cpu", type=int, default=default_cpu())
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    facts = machine_facts(args.cpu if args.threads == 1 else None)
    if args.threads == 1:
        pin(args.cpu)
    import shutil

    import torch

    from nerloop.export import read_jsonl
    from trainer.config import TrainConfig
    from trainer.data import DataSpec
    from trainer.train import train

    torch.set_num_threads(args.threads)
    work = args.work.resolve() / "train"
    data = generated_data(args.gazetteer, args.n, work / "data")
    chars = sum(len(r.text) + 2 for r in read_jsonl(data / "train.jsonl"))
    n_train = sum(1 for _ in read_jsonl(data / "train.jsonl"))
    rows = []
    for batch in (int(b) for b in args.batch_sizes.split(",")):
        out = work / f"model-{args.size}-{batch}"
        shutil.rmtree(out, ignore_errors=True)
        config = TrainConfig(
            base="tiny" if args.size == "tiny" else f"tiny:{args.size}",
            max_steps=args.steps,
            batch_size=batch,
            eval_steps=args.steps,
            early_stopping_patience=0,
        )
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        timings: dict[str, float] = {}

        def progress(event: dict, timings=timings) -> None:
            if event.get("step") == 1 and "first" not in timings:
                timings["first"] = time.perf_counter()
            if event.get("step") == args.steps and "last" not in timings:
                timings["last"] = time.perf_counter()

        started = time.perf_counter()
        train(config, [DataSpec(data)], out, progress=progress)
        total = time.perf_counter() - started
        samples = args.steps * batch
        steady = timings.get("last", 0) - timings.get("first", 0)
        steady_rate = (args.steps - 1) * batch / steady if steady > 0 else float("nan")
        gpu = f"{torch.cuda.max_memory_allocated() / 2**20:,.0f}" if torch.cuda.is_available() else "—"
        rows.append(
            (
                batch,
                args.steps,
                fmt_float(samples / total, 1),
                fmt_float(steady_rate, 1),
                fmt_int(round(steady_rate * chars / n_train)) if steady > 0 else "—",
                fmt_float(self_peak_rss_mib(), 0),
                gpu,
            )
        )
        print(f"[train] batch {batch}: {steady_rate:,.1f} samples/s", file=sys.stderr)
    print(f"# nerloop bench/train.py — {args.size} tagger, device {args.device}, {args.threads} thread(s)\n")
    print(markdown_table(["fact", "value"], facts + [("records", fmt_int(n_train))]))
    print()
    header = [
        "batch",
        "steps",
        "samples/s (whole run)",
        "samples/s (steps only)",
        "tokens/s",
        "peak RSS MiB",
        "peak GPU MiB",
    ]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
