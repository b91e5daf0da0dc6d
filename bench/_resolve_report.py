"""The tables of ``bench/resolve.py``: what it measured, printed as Markdown."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
from dataclasses import dataclass, field

from _common import fmt_float, fmt_int, markdown_table, self_peak_rss_mib


@dataclass
class Passes:
    """The best of several passes of one kind: total seconds, every pass's total, latencies and CPU share."""

    best: float = float("inf")
    totals: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    share: float = 0.0

    def add(self, total: float, lat: list[float], share: float) -> None:
        if total < self.best:
            self.best, self.lat, self.share = total, lat, share
        self.totals.append(total)


@dataclass
class Loads:
    """Seconds to load the gazetteer (cold, first with the cache, cached) and to build the matcher."""

    cold: float
    cold_all: list[float]
    first_cached: float
    cache_bytes: int
    cached: float
    cached_all: list[float]
    build: float
    build_all: list[float]


@dataclass
class Figures:
    """Everything one run measured, for :func:`print_report`."""

    args: argparse.Namespace
    facts: list
    counts: dict[str, int]
    forms: int
    built: bool
    build_seconds: float
    queries: list[str]
    source: str
    gen_seconds: float | None
    reference: dt.date
    tagged: list
    loads: Loads
    tag_first: Passes
    tag_again: Passes
    find_first: Passes
    find_again: Passes
    cpca: tuple[str, float, float] | None
    profile: str | None


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _runs(values: list[float]) -> str:
    return " / ".join(fmt_float(v) for v in values)


def print_report(f: Figures) -> None:
    _print_facts(f)
    _print_loads(f)
    _print_queries(f)
    args = f.args
    if f.cpca is not None:
        _print_cpca(f)
    elif not args.no_cpca:
        print("\ncpca is not installed (pip install -e .[bench]): no side-by-side figure.")
    if f.profile is not None:
        print(f"\n### Profile of one first pass of tag (cProfile, top {args.profile_top} by own time)\n")
        print("```\n" + f.profile.rstrip() + "\n```")


def _print_facts(f: Figures) -> None:
    queries, tagged, args = f.queries, f.tagged, f.args
    mentions = sum(len(r.entities) for r in tagged)
    with_any = sum(1 for r in tagged if r.entities)
    linked = sum(1 for r in tagged for e in r.entities if e.id)
    ambiguous = sum(1 for r in tagged if r.ambiguous)

    print("## Resolve benchmark\n")
    print(
        markdown_table(
            ["fact", "value"],
            [
                *f.facts,
                (
                    "gazetteer",
                    f"{args.gazetteer} ({', '.join(f'{k} {fmt_int(v)}' for k, v in f.counts.items())}; "
                    f"{fmt_int(f.forms)} surface forms)",
                ),
                ("gazetteer build", f"built now in {f.build_seconds:.1f} s" if f.built else "reused (already built)"),
                (
                    "queries",
                    f"{fmt_int(len(queries))} from {f.source}"
                    + (f" (generated in {f.gen_seconds:.1f} s)" if f.gen_seconds is not None else ""),
                ),
                ("mean query length", f"{statistics.fmean(len(q) for q in queries):.1f} characters"),
                (
                    "tag output",
                    f"{mentions / len(queries):.2f} mentions/query, {with_any / len(queries):.1%} of queries with "
                    f"≥1 mention, {linked / max(mentions, 1):.1%} of mentions linked, "
                    f"{ambiguous / len(queries):.1%} of queries ambiguous",
                ),
                ("reference date", f.reference.isoformat()),
                ("peak RSS of this process", f"{self_peak_rss_mib():.0f} MiB"),
            ],
        )
    )


def _print_loads(f: Figures) -> None:
    loads = f.loads
    print(f"\n### Load and construction (best of {f.args.repeat}, seconds)\n")
    print(
        markdown_table(
            ["step", "best s", "all runs s"],
            [
                [
                    "load, cold (use_cache=False: parse + validate + index)",
                    fmt_float(loads.cold, 3),
                    _runs(loads.cold_all),
                ],
                [
                    "load, first with cache (miss: parse + validate + write pickle)",
                    fmt_float(loads.first_cached, 3),
                    "1 run",
                ],
                [
                    f"load, cached (pickle hit, {loads.cache_bytes / 1024 / 1024:.1f} MiB)",
                    fmt_float(loads.cached, 3),
                    _runs(loads.cached_all),
                ],
                ["GazetteerMatcher(gazetteer) construction", fmt_float(loads.build, 3), _runs(loads.build_all)],
            ],
        )
    )


def _lat_row(name: str, passes: Passes, count: int) -> list[str]:
    ordered = sorted(passes.lat)
    us = 1e6
    return [
        name,
        fmt_int(count),
        fmt_float(passes.best, 3),
        fmt_int(round(count / passes.best)),
        fmt_float(percentile(ordered, 0.5) * us, 0),
        fmt_float(percentile(ordered, 0.9) * us, 0),
        fmt_float(percentile(ordered, 0.99) * us, 0),
        fmt_float(ordered[-1] * us, 0),
        _runs(passes.totals),
        f"{passes.share:.0%}",
    ]


def _print_queries(f: Figures) -> None:
    count = len(f.queries)
    print(f"\n### Queries on one CPU (best of {f.args.repeat} rounds)\n")
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
                _lat_row("GazetteerMatcher.tag (find + resolve), first pass", f.tag_first, count),
                _lat_row("GazetteerMatcher.tag, repeat pass", f.tag_again, count),
                _lat_row("GazetteerMatcher.find (mentions only), first pass", f.find_first, count),
                _lat_row("GazetteerMatcher.find, repeat pass", f.find_again, count),
            ],
        )
    )
    print(
        f"\nFirst pass: a fresh matcher, every cache empty. Repeat pass: the same queries again, every "
        f"mention set seen before. Latencies: per call, from the best pass. Process pinned to CPU {f.args.cpu}. "
        "CPU share: CPU time / wall time of the best pass; well below 100% means the CPU was shared with other work."
    )


def _print_cpca(f: Figures) -> None:
    version, batch, single = f.cpca
    count = len(f.queries)
    print(f"\n### cpca {version} on the same queries (province, city, district only)\n")
    print(
        markdown_table(
            ["call", "queries/s", "matcher tag first pass / cpca"],
            [
                [
                    "cpca.transform(all queries) (one DataFrame)",
                    fmt_int(round(batch)),
                    f"{count / f.tag_first.best / batch:.2f}×",
                ],
                [
                    "cpca.transform([query]) per query",
                    fmt_int(round(single)),
                    f"{count / f.tag_first.best / single:.2f}×",
                ],
            ],
        )
    )
