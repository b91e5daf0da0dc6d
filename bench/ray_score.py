"""Benchmark: ``nerloop al score --engine ray`` with 1 and 2 local workers against ``al score`` in one process.

Each run is the CLI in a child process (Ray start-up, actor start-up with one gazetteer and model
load per actor, scoring, the store writes) over a fresh copy of the same log pool, wall clock,
best of ``--repeat``, interleaved so that a shared host's drifting load is spread over all runs;
the stored rows of every run are compared with the single-process run's. A tiny tagger is trained
(or reused) from generated data. Needs ``pip install -e .[scale]``.

    .venv/bin/python bench/ray_score.py --n 5000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_WORK, REFERENCE_DATE, fmt_int, machine_facts, markdown_table  # noqa: E402
from _tagger import generated_data, quick_model  # noqa: E402

ROWS = "SELECT q.text, p.model_version, p.record, p.uncertainty, p.scores, p.signals FROM predictions p JOIN query_logs q ON q.id = p.query_log_id ORDER BY q.id"  # noqa: E501


def _pool(work: Path, n: int) -> tuple[Path, Path]:
    """A tiny tagger and a store holding ``n`` generated queries (``nerloop logs ingest``)."""
    from nerloop.export import read_jsonl

    data = generated_data(None, n * 10 // 8 + 10, work / "data")
    model = work / "model"
    if not (model / "nerloop_model.json").is_file():
        quick_model(data, model, "tiny", 60)
    texts = list(dict.fromkeys(r.text for r in read_jsonl(data / "train.jsonl")))[:n]
    (work / "queries.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    pool = work / "pool.db"
    pool.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "nerloop", "logs", "ingest", str(work / "queries.txt"), "--db", f"sqlite:///{pool}"]
    subprocess.run(argv, check=True, capture_output=True)
    return model, pool


def _run(argv: list[str], pool: Path, store: Path) -> tuple[float, list[tuple]]:
    for stale in (store, store.with_name(store.name + "-wal"), store.with_name(store.name + "-shm")):
        stale.unlink(missing_ok=True)
    with sqlite3.connect(pool) as source, sqlite3.connect(store) as target:  # WAL included, unlike a file copy
        source.backup(target)
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    started = time.perf_counter()
    done = subprocess.run([*argv, "--db", f"sqlite:///{store}"], capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode()[-3000:]}")
    with sqlite3.connect(store) as db:
        return seconds, db.execute(ROWS).fetchall()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="queries in the pool")
    parser.add_argument("--mc-samples", type=int, default=0, help="MC-dropout passes (BALD) in every run")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "ray_score")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    model, pool = _pool(args.work, args.n)
    base = [sys.executable, "-m", "nerloop", "al", "score", "--model", str(model)]
    base += ["--reference-date", REFERENCE_DATE.isoformat(), "--mc-samples", str(args.mc_samples)]
    runs = {
        "al score (one process)": base,
        "al score --engine ray, 1 worker": base + ["--engine", "ray", "--ray-workers", "1"],
        "al score --engine ray, 2 workers": base + ["--engine", "ray", "--ray-workers", "2"],
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    stored: dict[str, list[tuple]] = {}
    for _ in range(args.repeat):
        for k, (name, argv) in enumerate(runs.items()):
            seconds, stored[name] = _run(argv, pool, args.work / f"store-{k}.db")
            times[name].append(seconds)
    n = len(stored["al score (one process)"])  # the pool as stored: ingest folds exact duplicates
    rows = [[name, fmt_int(n), f"{min(t):.1f}", fmt_int(round(n / min(t)))] for name, t in times.items()]
    same = all(rows_ == stored["al score (one process)"] for rows_ in stored.values())
    print(f"## al score --engine ray (tiny tagger, --mc-samples {args.mc_samples})\n")
    print(markdown_table(["fact", "value"], machine_facts(None)))
    print()
    print(markdown_table(["run", "queries", "best s (wall, whole command)", "queries/s"], rows))
    print(f"\nstored rows identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
