"""Benchmark: queries/s of the gazetteer matcher (find + resolve) on one CPU, and gazetteer load times.

What is measured, and why
-------------------------
``GazetteerMatcher.tag`` is the model-free tagger: it is the baseline every model is compared
with, the Label Studio pre-annotator, and the resolver inside it runs after every model too.
Its per-query cost decides how fast logs can be pre-annotated and evaluations run. Loading
the gazetteer is paid by every CLI call and every worker start, so it is measured as well.

All on the national gazetteer (built once from MCA codes into ``--gazetteer``: 33 provinces,
333 cities, 2,845 companies, 38,723 substations), in this process pinned to one CPU with
``os.sched_setaffinity``:

* load, cold: ``load_gazetteer(dir, use_cache=False)`` — decode, parse and validate the CSVs,
  build the index; best of ``--repeat``;
* load, cached: ``load_gazetteer(dir)`` once the pickle cache exists (``NERLOOP_CACHE`` points
  into ``--work``); best of ``--repeat``;
* matcher construction: ``GazetteerMatcher(gazetteer)`` (Aho-Corasick automaton over every
  surface form, plus its Resolver and Linker); best of ``--repeat``;
* ``matcher.tag(text, 2026-11-25)`` over every query, best of ``--repeat`` passes: queries/s,
  and per-query latency percentiles of the best pass; ``matcher.find`` alone (the mention
  search without linking and completion) is measured the same way, so the resolver's share shows.

Queries: ``--queries FILE`` (JSONL with a ``text`` field, or one query per line), or else
``--n-queries`` generated with ``generate_dataset`` on the national gazetteer with split ratios
0/0/1 — i.e. drawn exactly like a test split (held-out companies and substations, all
templates including the unseen ones, typos and full-width noise) — seed 0, reference 2026-11-25.

Run from the repository root with the project venv::

    .venv/bin/python bench/resolve.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_GAZETTEER,
    DEFAULT_WORK,
    REFERENCE_DATE,
    default_cpu,
    ensure_national_gazetteer,
    fmt_float,
    fmt_int,
    machine_facts,
    markdown_table,
    pin,
    self_peak_rss_mib,
)


def best_of(repeat: int, make: Callable[[], object]) -> tuple[float, list[float], object]:
    """Best wall time of ``repeat`` calls; the last result is returned (and kept alive only then)."""
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        t = time.perf_counter()
        result = make()
        times.append(time.perf_counter() - t)
    return min(times), times, result


def read_queries(path: Path) -> list[str]:
    queries = []
    with path.open(encoding="utf-8-sig") as stream:
        for line in stream:
            line = line.strip()
            if not line:
                continue
            if line.startswith("{"):
                try:
                    queries.append(json.loads(line)["text"])
                    continue
                except (ValueError, KeyError, TypeError):
                    pass
            queries.append(line)
    return queries


def generated_queries(gazetteer, count: int, work: Path) -> tuple[list[str], float]:
    """``count`` queries drawn like a test split (split ratios 0/0/1)."""
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from generator.pipeline import generate_dataset

    grammar = load_grammar(None, gazetteer.domain)
    out = Path(tempfile.mkdtemp(prefix="resolve-queries-", dir=work))
    try:
        config = GeneratorConfig(n=count, seed=0, reference_date=REFERENCE_DATE, split_ratios=(0.0, 0.0, 1.0))
        t = time.perf_counter()
        generate_dataset(gazetteer, grammar, out, config)
        seconds = time.perf_counter() - t
        return read_queries(out / "test.jsonl"), seconds
    finally:
        shutil.rmtree(out, ignore_errors=True)


def time_queries(
    fn: Callable[[str], object], queries: list[str], repeat: int
) -> tuple[float, list[float], list[float], float]:
    """Best total seconds over ``repeat`` passes, all pass totals, the best pass's per-query times and CPU share."""
    totals: list[float] = []
    best_lat: list[float] = []
    best_share = 0.0
    clock = time.perf_counter
    for _ in range(repeat):
        gc.collect()
        lat = [0.0] * len(queries)
        cpu = time.process_time()
        start = clock()
        for i, q in enumerate(queries):
            t = clock()
            fn(q)
            lat[i] = clock() - t
        total = clock() - start
        if not totals or total < min(totals):
            best_lat = lat
            best_share = (time.process_time() - cpu) / total
        totals.append(total)
    return min(totals), totals, best_lat, best_share


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (top of bench/resolve.py) for what each figure means.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--gazetteer",
        type=Path,
        default=DEFAULT_GAZETTEER,
        help="national gazetteer directory; built there from MCA codes if missing",
    )
    parser.add_argument("--queries", type=Path, default=None, help="JSONL (text field) or one query per line")
    parser.add_argument("--n-queries", type=int, default=20_000, help="queries to generate when --queries is not given")
    parser.add_argument("--limit", type=int, default=None, help="use at most this many queries")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every timing; the best is reported")
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="scratch directory (pickle cache, generated queries)"
    )
    parser.add_argument("--cpu", type=int, default=default_cpu(), help="CPU this process is pinned to")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.n_queries < 1:
        parser.error("--repeat and --n-queries must be >= 1")
    if args.cpu not in os.sched_getaffinity(0):
        parser.error(f"--cpu {args.cpu} is not available (allowed: {sorted(os.sched_getaffinity(0))})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    facts = machine_facts(args.cpu)
    pin(args.cpu)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    cache = args.work / "nerloop-cache-resolve"
    os.environ["NERLOOP_CACHE"] = str(cache)  # before the loader reads it; a private cache, started empty
    shutil.rmtree(cache, ignore_errors=True)
    built, build_seconds = ensure_national_gazetteer(args.gazetteer)

    from gazetteers.loader import load_gazetteer
    from gazetteers.matcher import GazetteerMatcher

    print("[resolve] cold loads …", file=sys.stderr, flush=True)
    cold, cold_all, _ = best_of(args.repeat, lambda: load_gazetteer(args.gazetteer, use_cache=False))
    t = time.perf_counter()
    load_gazetteer(args.gazetteer)  # cache miss: parse + validate + write the pickle
    first_cached = time.perf_counter() - t
    cache_bytes = sum(p.stat().st_size for p in cache.glob("*.pickle"))
    print("[resolve] cached loads …", file=sys.stderr, flush=True)
    cached, cached_all, gazetteer = best_of(args.repeat, lambda: load_gazetteer(args.gazetteer))
    counts = {name: len(gazetteer.entries(name)) for name in gazetteer.domain.types}
    forms = sum(len(gazetteer.surfaces(name)) for name in gazetteer.domain.types)

    print("[resolve] matcher construction …", file=sys.stderr, flush=True)
    build, build_all, matcher = best_of(args.repeat, lambda: GazetteerMatcher(gazetteer))

    if args.queries:
        queries, source, gen_seconds = read_queries(args.queries), str(args.queries), None
    else:
        print(f"[resolve] generating {fmt_int(args.n_queries)} test-split queries …", file=sys.stderr, flush=True)
        queries, gen_seconds = generated_queries(gazetteer, args.n_queries, args.work)
        source = f"generate_dataset, split ratios 0/0/1 (a test split), n={fmt_int(args.n_queries)}, seed 0"
    if args.limit:
        queries = queries[: args.limit]
    if not queries:
        print("no queries", file=sys.stderr)
        return 2

    reference: dt.date = REFERENCE_DATE
    print(f"[resolve] tag × {args.repeat} passes over {fmt_int(len(queries))} queries …", file=sys.stderr, flush=True)
    tag_best, tag_all, tag_lat, tag_share = time_queries(lambda q: matcher.tag(q, reference), queries, args.repeat)
    print(f"[resolve] find × {args.repeat} passes …", file=sys.stderr, flush=True)
    find_best, find_all, find_lat, find_share = time_queries(matcher.find, queries, args.repeat)

    tagged = [matcher.tag(q, reference).record for q in queries]
    mentions = sum(len(r.entities) for r in tagged)
    with_any = sum(1 for r in tagged if r.entities)
    linked = sum(1 for r in tagged for e in r.entities if e.id)
    ambiguous = sum(1 for r in tagged if r.ambiguous)

    print("## Resolve benchmark\n")
    print(
        markdown_table(
            ["fact", "value"],
            [
                *facts,
                (
                    "gazetteer",
                    f"{args.gazetteer} ({', '.join(f'{k} {fmt_int(v)}' for k, v in counts.items())}; "
                    f"{fmt_int(forms)} surface forms)",
                ),
                ("gazetteer build", f"built now in {build_seconds:.1f} s" if built else "reused (already built)"),
                (
                    "queries",
                    f"{fmt_int(len(queries))} from {source}"
                    + (f" (generated in {gen_seconds:.1f} s)" if gen_seconds is not None else ""),
                ),
                ("mean query length", f"{statistics.fmean(len(q) for q in queries):.1f} characters"),
                (
                    "tag output",
                    f"{mentions / len(queries):.2f} mentions/query, {with_any / len(queries):.1%} of queries with "
                    f"≥1 mention, {linked / max(mentions, 1):.1%} of mentions linked, "
                    f"{ambiguous / len(queries):.1%} of queries ambiguous",
                ),
                ("reference date", reference.isoformat()),
                ("peak RSS of this process", f"{self_peak_rss_mib():.0f} MiB"),
            ],
        )
    )

    def runs(values: list[float]) -> str:
        return " / ".join(fmt_float(v) for v in values)

    print(f"\n### Load and construction (best of {args.repeat}, seconds)\n")
    print(
        markdown_table(
            ["step", "best s", "all runs s"],
            [
                ["load, cold (use_cache=False: parse + validate + index)", fmt_float(cold, 3), runs(cold_all)],
                ["load, first with cache (miss: parse + validate + write pickle)", fmt_float(first_cached, 3), "1 run"],
                [
                    f"load, cached (pickle hit, {cache_bytes / 1024 / 1024:.1f} MiB)",
                    fmt_float(cached, 3),
                    runs(cached_all),
                ],
                ["GazetteerMatcher(gazetteer) construction", fmt_float(build, 3), runs(build_all)],
            ],
        )
    )

    def lat_row(name: str, best: float, totals: list[float], lat: list[float], share: float) -> list[str]:
        ordered = sorted(lat)
        us = 1e6
        return [
            name,
            fmt_int(len(queries)),
            fmt_float(best, 3),
            fmt_int(round(len(queries) / best)),
            fmt_float(percentile(ordered, 0.5) * us, 0),
            fmt_float(percentile(ordered, 0.9) * us, 0),
            fmt_float(percentile(ordered, 0.99) * us, 0),
            fmt_float(ordered[-1] * us, 0),
            runs(totals),
            f"{share:.0%}",
        ]

    print(f"\n### Queries on one CPU (best of {args.repeat} passes)\n")
    print(
        markdown_table(
            [
                "call",
                "queries",
                "best s",
                "queries/s",
                "p50 µs",
                "p90 µs",
                "p99 µs",
                "max µs",
                "all passes s",
                "CPU share",
            ],
            [
                lat_row("GazetteerMatcher.tag (find + resolve)", tag_best, tag_all, tag_lat, tag_share),
                lat_row("GazetteerMatcher.find (mentions only)", find_best, find_all, find_lat, find_share),
            ],
        )
    )
    print(
        f"\nlatencies: per call, from the best pass. Process pinned to CPU {args.cpu}. CPU share: CPU time / wall "
        "time of the best pass; well below 100% means the CPU was shared with other work."
    )
    shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
