"""Benchmark: ``nerloop tag --engine ray`` with 1 and 2 local workers against ``nerloop tag`` in one process.

Each run is the CLI in a child process (Ray start-up, actor start-up with one gazetteer load per
actor, tagging, writing) over the same queries, wall clock, best of ``--repeat``; the outputs are
compared byte for byte. The matcher alone is used by default (``--model`` for a tagger).
Needs ``pip install -e .[scale]``.

    .venv/bin/python bench/ray_tag.py --queries FILE
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_GAZETTEER, ensure_national_gazetteer, fmt_int, machine_facts, markdown_table  # noqa: E402


def run(argv: list[str]) -> tuple[float, bytes]:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=True, env=env)
    return time.perf_counter() - started, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=Path, required=True, help="one query per line")
    parser.add_argument("--gazetteer", type=Path, default=DEFAULT_GAZETTEER, help="built from MCA codes if missing")
    parser.add_argument("--model", type=Path, default=None, help="tagger model directory (default: --matcher)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    ensure_national_gazetteer(args.gazetteer)
    n = sum(1 for line in args.queries.read_text("utf-8").splitlines() if line.strip())
    base = [
        sys.executable,
        "-m",
        "nerloop",
        "tag",
        "--reference-date",
        "2026-11-25",
        "--gazetteer",
        str(args.gazetteer),
    ]
    base += ["--model", str(args.model)] if args.model else ["--matcher"]
    runs = {
        "tag (one process)": base + [str(args.queries)],
        "tag --engine ray, 1 worker": base + ["--engine", "ray", "--ray-workers", "1", str(args.queries)],
        "tag --engine ray, 2 workers": base + ["--engine", "ray", "--ray-workers", "2", str(args.queries)],
    }
    rows, outputs = [], {}
    for name, argv in runs.items():
        best = float("inf")
        for _ in range(args.repeat):
            seconds, out = run(argv)
            best = min(best, seconds)
        outputs[name] = out
        rows.append([name, fmt_int(n), f"{best:.1f}", fmt_int(round(n / best))])
    same = len(set(outputs.values())) == 1
    print("## tag --engine ray\n")
    print(markdown_table(["fact", "value"], machine_facts(None)))
    print()
    print(markdown_table(["run", "queries", "best s (wall, whole command)", "queries/s"], rows))
    print(f"\noutputs byte-identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
