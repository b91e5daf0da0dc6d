"""Benchmark: how fast ``generate_dataset`` writes training data, against Chatette and Chatito on the same material.

What is measured, and why
-------------------------
Training sets at scale (10^5–10^6 queries) are regenerated whenever the gazetteer or the
grammar changes, so generation throughput and memory decide whether that loop stays cheap.

nerloop: for each size (``--n-small`` sizes first, then ``--n``) a fresh child process, pinned
to one CPU with ``os.sched_setaffinity``, loads the national gazetteer (33 provinces, 333
cities, 2,845 companies, 38,723 substations, built once from MCA codes into ``--gazetteer``)
through the pickle cache, then calls ``generate_dataset`` with the default grammar, seed 0,
reference date 2026-11-25, JSONL only, into a temporary directory. Reported:

* gazetteer load time (cached; the first, cold load that writes the cache is shown apart);
* setup: a separate ``n=1`` call in the same child (matcher build, literal check, split plan,
  faker distractor pools) — the fixed cost inside every ``generate_dataset`` call;
* generation seconds = wall time of the measured ``generate_dataset`` call (setup included),
  samples/s = n / that; also n / (generation − setup), the steady-state rate;
* attempts and duplicates skipped (samples rejected because their text was already written);
* output size on disk (sum of file sizes of train/validation/test JSONL + manifest);
* peak RSS of the child (its own ``ru_maxrss`` via ``wait4`` — the per-child form of
  ``getrusage(RUSAGE_CHILDREN)``), which includes the loaded gazetteer; RSS right after the
  load is shown too, so the generator's own share is visible.

Chatette and Chatito run on the same grammar and gazetteer (``bench/_chatette.py`` and
``bench/_chatito.py`` say how each is translated and what it does not do; what they share, the
pinned run and its figures, is ``bench/_competitors.py``); the report is written by
``bench/_generate_report.py``. Chatito needs Node.js and npm; each tool that cannot be installed
is reported as not run, and the nerloop figures stand.

``--profile K`` runs each nerloop child under cProfile and prints its K most expensive functions
(own time, then cumulative), so a change that claims speed shows where the time went.

Run from the repository root with the project venv::

    .venv/bin/python bench/generate.py --n 200000 --chatette-n 10000 100000 --chatito-n 10000 100000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chatette import add_chatette_args, chatette_competitor  # noqa: E402
from _chatito import add_chatito_args, chatito_competitor  # noqa: E402
from _common import (  # noqa: E402
    DEFAULT_GAZETTEER,
    DEFAULT_WORK,
    REFERENCE_DATE,
    ChildResult,
    default_cpu,
    dir_bytes,
    ensure_national_gazetteer,
    fmt_int,
    machine_facts,
    run_pinned_child,
    self_peak_rss_mib,
)
from _competitors import date_words  # noqa: E402
from _generate_report import print_report  # noqa: E402

# ---------------------------------------------------------------- child: one nerloop run


def child_main(spec_file: str) -> None:
    """Runs inside the pinned child: load the gazetteer, probe setup, generate, write a JSON result."""
    spec = json.loads(Path(spec_file).read_text("utf-8"))
    started = time.perf_counter()
    import datetime as dt

    from gazetteers.loader import load_gazetteer
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from generator.pipeline import generate_dataset
    from nerloop.heap import settle_after_loading

    import_seconds = time.perf_counter() - started

    t = time.perf_counter()
    gazetteer = load_gazetteer(spec["gazetteer"])
    load_seconds = time.perf_counter() - t
    rss_after_load = self_peak_rss_mib()
    grammar = load_grammar(None, gazetteer.domain)
    reference = dt.date.fromisoformat(spec["reference"])
    settle_after_loading()  # as `nerloop generate` does after loading: the gazetteer stays out of collections

    setup_seconds = None
    if spec["setup_probe"]:
        probe_dir = Path(spec["out_dir"] + ".probe")
        t = time.perf_counter()
        generate_dataset(
            gazetteer, grammar, probe_dir, GeneratorConfig(n=1, seed=spec["seed"], reference_date=reference)
        )
        setup_seconds = time.perf_counter() - t
        shutil.rmtree(probe_dir, ignore_errors=True)

    config = GeneratorConfig(n=spec["n"], seed=spec["seed"], reference_date=reference)
    # (samples written, seconds since the call started) at every tenth of the run: does the rate hold up?
    chunk = max(1000, spec["n"] // 10)
    marks: list[tuple[int, float]] = []
    written = 0

    def progress(_split: str, k: int) -> None:
        nonlocal written
        before, written = written, written + k
        if written // chunk > before // chunk:
            marks.append((written, time.perf_counter() - t))

    profiler = cProfile.Profile() if spec.get("profile") else None
    cpu = time.process_time()
    t = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    summary = generate_dataset(gazetteer, grammar, Path(spec["out_dir"]), config, progress=progress)
    if profiler is not None:
        profiler.disable()
    generation_seconds = time.perf_counter() - t
    generation_cpu = time.process_time() - cpu

    result = {
        "import_seconds": import_seconds,
        "load_seconds": load_seconds,
        "rss_after_load_mib": rss_after_load,
        "setup_seconds": setup_seconds,
        "generation_seconds": generation_seconds,
        "generation_cpu_seconds": generation_cpu,
        "counts": summary.counts,
        "attempts": summary.attempts,
        "duplicates": summary.duplicates,
        "output_bytes": dir_bytes(Path(spec["out_dir"])),
        "peak_rss_self_mib": self_peak_rss_mib(),
        "warnings": summary.warnings,
        "marks": marks,
        "profile": profile_summary(profiler, spec["profile"]) if profiler is not None else "",
    }
    Path(spec["result"]).write_text(json.dumps(result), "utf-8")


def profile_summary(profiler: cProfile.Profile, top: int) -> str:
    """The ``top`` functions by own time, then by cumulative time, as pstats prints them."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ---------------------------------------------------------------- parent: nerloop runs


@dataclass
class NerloopRun:
    n: int
    child: ChildResult
    result: dict | None
    log: Path


def run_nerloop(n: int, args: argparse.Namespace, env: dict[str, str]) -> NerloopRun:
    """One child per run (best of ``--repeat`` by generation time)."""
    best: NerloopRun | None = None
    for attempt in range(args.repeat):
        run_dir = Path(tempfile.mkdtemp(prefix=f"nerloop-n{n}-", dir=args.work))
        spec = {
            "gazetteer": str(args.gazetteer),
            "n": n,
            "seed": 0,
            "reference": REFERENCE_DATE.isoformat(),
            "out_dir": str(run_dir / "out"),
            "result": str(run_dir / "result.json"),
            "setup_probe": not args.no_setup_probe,
            "profile": args.profile,
        }
        (run_dir / "spec.json").write_text(json.dumps(spec), "utf-8")
        log = args.work / "logs" / f"nerloop-n{n}-{attempt + 1}.log"
        print(
            f"[nerloop] n={fmt_int(n)} run {attempt + 1}/{args.repeat} on CPU {args.cpu} …", file=sys.stderr, flush=True
        )
        child = run_pinned_child(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(run_dir / "spec.json")],
            args.cpu,
            args.timeout,
            log,
            env,
        )
        result_file = run_dir / "result.json"
        result = json.loads(result_file.read_text("utf-8")) if child.returncode == 0 and result_file.is_file() else None
        if result is None:
            print(
                f"[nerloop] n={fmt_int(n)} failed (exit {child.returncode}, timed out: {child.timed_out}); see {log}",
                file=sys.stderr,
            )
        else:
            print(f"[nerloop] n={fmt_int(n)}: {result['generation_seconds']:.1f} s", file=sys.stderr, flush=True)
        if args.keep:
            print(f"[nerloop] output kept in {run_dir}", file=sys.stderr)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        run = NerloopRun(n, child, result, log)
        if best is None or (
            result and (best.result is None or result["generation_seconds"] < best.result["generation_seconds"])
        ):
            best = run
    assert best is not None
    return best


# ---------------------------------------------------------------- Chatette
# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring (top of bench/generate.py) for what each figure means.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="samples of the main nerloop run (0: skip it)")
    parser.add_argument(
        "--n-small",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="extra, smaller nerloop runs done first (quick checks), e.g. --n-small 10000 100000",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per nerloop size; the best generation time is reported"
    )
    parser.add_argument(
        "--gazetteer",
        type=Path,
        default=DEFAULT_GAZETTEER,
        help="national gazetteer directory; built there from MCA codes if missing",
    )
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="scratch directory (outputs, logs, caches, venv)"
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="NERLOOP_CACHE for the runs (default: WORK/nerloop-cache)"
    )
    parser.add_argument("--cpu", type=int, default=default_cpu(), help="CPU every measured child is pinned to")
    parser.add_argument("--timeout", type=float, default=900, help="seconds after which a nerloop child is killed")
    parser.add_argument("--no-setup-probe", action="store_true", help="skip the n=1 run that measures fixed setup cost")
    parser.add_argument("--keep", action="store_true", help="keep generated outputs and templates under WORK")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="K",
        help="run each nerloop child under cProfile and print its K costliest functions (rates then include "
        "the profiler's overhead)",
    )
    add_chatette_args(parser)
    add_chatito_args(parser)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n < 0 or any(n < 1 for n in args.n_small) or args.repeat < 1:
        parser.error("--n must be >= 0, --n-small sizes >= 1, --repeat >= 1")
    if args.cpu not in os.sched_getaffinity(0):
        parser.error(f"--cpu {args.cpu} is not available (allowed: {sorted(os.sched_getaffinity(0))})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args.child)
        return 0
    facts = machine_facts(args.cpu)
    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    args.gazetteer = args.gazetteer.resolve()
    cache = (args.cache or args.work / "nerloop-cache").resolve()
    env = {**os.environ, "NERLOOP_CACHE": str(cache)}
    os.environ["NERLOOP_CACHE"] = str(cache)

    built, build_seconds = ensure_national_gazetteer(args.gazetteer)
    from gazetteers.loader import load_gazetteer

    before = {p: p.stat().st_mtime_ns for p in cache.glob("*.pickle")} if cache.is_dir() else {}
    t = time.perf_counter()
    gazetteer = load_gazetteer(args.gazetteer)  # writes the pickle cache the children read
    first_load = time.perf_counter() - t
    after = {p: p.stat().st_mtime_ns for p in cache.glob("*.pickle")} if cache.is_dir() else {}
    first_load_kind = "cache miss: parse + validate + write pickle" if after != before else "pickle cache hit"
    counts = {name: len(gazetteer.entries(name)) for name in gazetteer.domain.types}

    sizes = [*args.n_small, *([args.n] if args.n else [])]
    nerloop_runs = [run_nerloop(n, args, env) for n in sizes]

    from gazetteers.matcher import GazetteerMatcher
    from generator.grammar import load_grammar
    from generator.pipeline import build_distractors

    grammar = load_grammar(None, gazetteer.domain)
    pools = build_distractors(grammar, GazetteerMatcher(gazetteer), 0)
    dates = date_words(args.chatette_dates)
    competitors = [
        chatette_competitor(args, gazetteer, grammar, pools, dates),
        chatito_competitor(args, gazetteer, grammar, pools, dates),
    ]
    print_report(
        args,
        facts,
        counts,
        built,
        build_seconds,
        (first_load, first_load_kind),
        nerloop_runs,
        competitors,
    )
    return 0 if all(r.result for r in nerloop_runs) else 1


if __name__ == "__main__":
    sys.exit(main())
