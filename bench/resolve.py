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
* ``matcher.tag(text, 2026-11-25)`` over every query: each of ``--repeat`` rounds builds a fresh
  matcher and empties the date caches (untimed), then times a *first pass* (every cache empty: the
  completions, chain checks, links and date parses of this query set are computed as they come)
  and a *repeat pass* over the same queries (every mention set seen before: what the bounded LRU
  caches give a log that repeats itself). Queries/s of the best round of each, and per-query latency
  percentiles; ``matcher.find`` alone (the mention search without linking and completion) is
  measured the same way, so the resolver's share shows;
* ``--profile``: a cProfile summary of one more first pass (top functions by own time), printed
  after the tables, so a change can be checked against where the time goes;
* cpca (an optional bench dependency: ``pip install -e .[bench]``), side by side on the same
  queries where it is installed: ``cpca.transform`` over the whole list at once (its intended use)
  and one query per call. cpca parses addresses to three levels (province, city, district) and
  knows no townships, companies, dates or indicators, so it does less per query than the matcher.

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
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_GAZETTEER,
    DEFAULT_WORK,
    REFERENCE_DATE,
    REPO,
    default_cpu,
    ensure_national_gazetteer,
    fmt_int,
    machine_facts,
    pin,
)
from _resolve_report import Figures, Loads, Passes, print_report  # noqa: E402


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


def time_pass(fn: Callable[[str], object], queries: list[str]) -> tuple[float, list[float], float]:
    """Seconds for one pass over ``queries``, the per-query times and the CPU share of the pass."""
    clock = time.perf_counter
    lat = [0.0] * len(queries)
    gc.collect()
    cpu = time.process_time()
    start = clock()
    for i, q in enumerate(queries):
        t = clock()
        fn(q)
        lat[i] = clock() - t
    total = clock() - start
    return total, lat, (time.process_time() - cpu) / total


def fresh_matcher(gazetteer):
    """A new matcher with every cache empty, the module-level date caches included."""
    import nerloop.dates as dates
    from gazetteers.matcher import GazetteerMatcher

    getattr(dates, "clear_caches", dates.normalize_date.cache_clear)()
    return GazetteerMatcher(gazetteer)


def time_rounds(gazetteer, call: Callable[[object, str], object], queries: list[str], repeat: int, freeze: bool = True):
    """``repeat`` rounds of a first pass (fresh matcher, empty caches) and a repeat pass over the same queries.

    ``freeze``: the heap is settled first as the CLI settles it after loading (:mod:`nerloop.heap`: the
    gazetteer and the new matcher out of the collector's reach, young collections rarer).
    """
    from nerloop.heap import settled_heap

    first, again = Passes(), Passes()
    for _ in range(repeat):
        matcher = fresh_matcher(gazetteer)
        gc.collect()
        with settled_heap() if freeze else nullcontext():
            first.add(*time_pass(lambda q, m=matcher: call(m, q), queries))
            again.add(*time_pass(lambda q, m=matcher: call(m, q), queries))
    return first, again


def profile_pass(gazetteer, queries: list[str], reference: dt.date, top: int) -> str:
    """cProfile of one first pass of ``tag``: the ``top`` functions by own time, paths shortened."""
    import cProfile
    import io
    import pstats

    from nerloop.heap import settled_heap

    matcher = fresh_matcher(gazetteer)
    profiler = cProfile.Profile()
    with settled_heap():  # as the timed passes: full collections would land on whichever call ran
        profiler.enable()
        for q in queries:
            matcher.tag(q, reference)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    text = out.getvalue().replace(str(REPO) + "/", "").replace(sys.prefix + "/", "")
    return text[text.index("   ncalls") :] if "   ncalls" in text else text


def cpca_figures(queries: list[str], repeat: int) -> tuple[str, float, float] | None:
    """cpca's queries/s on the same queries, batch and one per call; ``None`` where cpca is not installed.

    cpca 0.5.5 still imports ``pkg_resources.resource_stream``, which setuptools 81+ no longer
    ships; where it is missing, the same function is provided from ``importlib.resources``.
    """
    import importlib.metadata
    import importlib.resources
    import types

    try:
        version = importlib.metadata.version("cpca")
    except importlib.metadata.PackageNotFoundError:
        return None
    try:
        import pkg_resources  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pkg_resources")
        shim.resource_stream = lambda package, name: importlib.resources.files(package).joinpath(name).open("rb")
        sys.modules["pkg_resources"] = shim
    import cpca

    cpca.transform(queries[:10])  # loads its tables
    batch = min(_timed(lambda: cpca.transform(queries)) for _ in range(repeat))
    some = queries[: min(len(queries), 2000)]
    single = min(_timed(lambda: [cpca.transform([q]) for q in some]) for _ in range(repeat))
    return version, len(queries) / batch, len(some) / single


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


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
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of one first pass of tag")
    parser.add_argument("--profile-top", type=int, default=25, help="functions in the --profile summary")
    parser.add_argument("--no-cpca", action="store_true", help="skip cpca even where it is installed")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave the collector at its defaults; by default the loaded gazetteer is frozen and young collections "
        "are rarer (nerloop.heap.settle_after_loading), as tag, al score and serve do after loading",
    )
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
    loads, gazetteer, matcher = measure_loads(args, cache)
    counts = {name: len(gazetteer.entries(name)) for name in gazetteer.domain.types}
    forms = sum(len(gazetteer.surfaces(name)) for name in gazetteer.domain.types)

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
    print(f"[resolve] tag × {args.repeat} rounds over {fmt_int(len(queries))} queries …", file=sys.stderr, flush=True)
    freeze = not args.no_freeze
    facts.append(
        (
            "heap settled before the passes (nerloop.heap: gazetteer frozen, young collections every 20,000 allocations), as tag does",
            "yes" if freeze else "no",
        )
    )
    tag_first, tag_again = time_rounds(gazetteer, lambda m, q: m.tag(q, reference), queries, args.repeat, freeze)
    print(f"[resolve] find × {args.repeat} rounds …", file=sys.stderr, flush=True)
    find_first, find_again = time_rounds(gazetteer, lambda m, q: m.find(q), queries, args.repeat, freeze)
    cpca = None
    if not args.no_cpca:
        print("[resolve] cpca …", file=sys.stderr, flush=True)
        cpca = cpca_figures(queries, args.repeat)
    profile = profile_pass(gazetteer, queries, reference, args.profile_top) if args.profile else None

    tagged = [matcher.tag(q, reference).record for q in queries]
    print_report(
        Figures(
            args,
            facts,
            counts,
            forms,
            built,
            build_seconds,
            queries,
            source,
            gen_seconds,
            reference,
            tagged,
            loads,
            tag_first,
            tag_again,
            find_first,
            find_again,
            cpca,
            profile,
        )
    )
    shutil.rmtree(cache, ignore_errors=True)
    return 0


def measure_loads(args: argparse.Namespace, cache: Path):
    """Gazetteer loads (cold, first with the cache, cached) and matcher construction; the last of each is kept."""
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

    print("[resolve] matcher construction …", file=sys.stderr, flush=True)
    build, build_all, matcher = best_of(args.repeat, lambda: GazetteerMatcher(gazetteer))
    loads = Loads(cold, cold_all, first_cached, cache_bytes, cached, cached_all, build, build_all)
    return loads, gazetteer, matcher


if __name__ == "__main__":
    sys.exit(main())
