"""Benchmark: lines/s and peak memory of ``nerloop logs ingest`` on a generated 1M-line log.

What is measured, and why
-------------------------
Real assistant logs run to millions of lines; ingest must stay near-linear (exact duplicates
by the store's hash index, near duplicates over a bounded window) and flat in memory
(streamed reading, batched inserts). The log is synthetic: ``--n-queries`` distinct queries
(random fillers around a fixed stem set, so near duplicates occur) repeated and shuffled up to
``--lines`` lines, with about 1% blank lines, written as plain UTF-8 text into ``--work``.

Measured in this process pinned to one CPU, into a fresh SQLite store each pass: wall time of
``ingest_logs`` (lines/s), rows added, near duplicates marked, and the peak RSS of the process.
A second pass over the same file measures re-ingest (everything is an exact duplicate).

Run from the repository root with the project venv::

    .venv/bin/python bench/ingest.py [--lines 1000000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_WORK,
    default_cpu,
    fmt_int,
    machine_facts,
    markdown_table,
    pin,
    self_peak_rss_mib,
)

STEMS = ["{}巨野县供电公司{}投诉个数", "本月{}麒麟供电所{}意见量", "{}济南长清区{}停电次数是多少", "上季度{}的{}满意度"]
FILLER = "菏泽济南青岛淄博枣庄东营烟台潍坊济宁泰安威海日照临沂德州聊城滨州城关龙山崮山麒麟太平"


def write_log(path: Path, lines: int, distinct: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = []
    for _ in range(distinct):
        stem = rng.choice(STEMS)
        fill = ["".join(rng.choices(FILLER, k=rng.randint(2, 6))) for _ in range(2)]
        pool.append(stem.format(*fill) + rng.choice(["", "？", " 谢谢", "呢"]))
    with path.open("w", encoding="utf-8") as out:
        for _ in range(lines):
            out.write("\n" if rng.random() < 0.01 else rng.choice(pool) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--n-queries", type=int, default=400_000, help="distinct queries in the log")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK / "ingest")
    parser.add_argument("--cpu", type=int, default=default_cpu())
    args = parser.parse_args()
    pin(args.cpu)

    from active_learning.ingest import IngestConfig, ingest_logs
    from nerloop.store import open_store

    args.work.mkdir(parents=True, exist_ok=True)
    log = args.work / "queries.log"
    write_log(log, args.lines, args.n_queries, seed=0)
    db = args.work / "ingest.db"
    for stale in args.work.glob("ingest.db*"):
        stale.unlink()
    engine = open_store(f"sqlite:///{db}")
    rows = []
    for label in ("first ingest", "re-ingest"):
        start = time.perf_counter()
        report = ingest_logs(engine, [log], IngestConfig())
        seconds = time.perf_counter() - start
        rows.append(
            [
                label,
                fmt_int(report.lines),
                fmt_int(report.added),
                fmt_int(report.near_duplicates),
                f"{seconds:.1f}",
                fmt_int(int(report.lines / seconds)),
            ]
        )
    print(markdown_table(["machine", ""], machine_facts(args.cpu)))
    print()
    print(markdown_table(["pass", "lines", "added", "near duplicates", "seconds", "lines/s"], rows))
    print(f"\npeak RSS: {self_peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
