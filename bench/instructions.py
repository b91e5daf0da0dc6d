"""Benchmark: instructions (callgrind) of the matcher's first pass and of generation's writing loop.

On a shared host the timed benches swing by 20-35 % between runs, more than most single changes
gain. The number of instructions a run executes does not depend on the neighbours: this bench
counts them with valgrind's callgrind, inside the one call that matters, on the compiled build.

* ``matcher``: ``GazetteerMatcher.tag`` over ``--n-queries`` generated national test-split
  queries, a fresh matcher, the heap settled as ``tag`` settles it (counted inside ``tag`` only:
  loading and construction are left out).
* ``generate``: ``generate_dataset``'s writing loop (``write_splits``) for ``--n-samples``
  samples, with ``PYTHONHASHSEED=0`` so that two builds do the same work.

Instruction counts leave out memory stalls (the cycle collector's walks are mostly that), so
they are the figure to compare two commits by, not a throughput. Needs valgrind and the compiled
build (``scripts/build-compiled.sh``, then ``PYTHONPATH=build/compiled``): the pure build's
functions have no symbol to count inside.

    PYTHONPATH=build/compiled python bench/instructions.py --what matcher generate
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_GAZETTEER, DEFAULT_WORK, git_head, markdown_table  # noqa: E402

# The compiled function each measurement counts inside (mypyc's names for the Python entry points).
SYMBOLS = {"matcher": "CPyPy_matcher___GazetteerMatcher___tag", "generate": "CPyPy_write___write_splits"}

MATCHER_CHILD = """
import datetime as dt, gc, json, sys
from gazetteers.loader import load_gazetteer
from gazetteers.matcher import GazetteerMatcher
from nerloop.heap import settled_heap
gazetteer = load_gazetteer(sys.argv[1])
queries = json.load(open(sys.argv[2], encoding="utf-8"))
matcher = GazetteerMatcher(gazetteer)
gc.collect()
with settled_heap():
    for q in queries:
        matcher.tag(q, dt.date(2026, 11, 25))
"""

GENERATE_CHILD = """
import datetime as dt, sys
from pathlib import Path
from gazetteers.loader import load_gazetteer
from generator.config import GeneratorConfig
from generator.grammar import load_grammar
from generator.pipeline import generate_dataset
from nerloop.heap import settle_after_loading
gazetteer = load_gazetteer(sys.argv[1])
grammar = load_grammar(None, gazetteer.domain)
settle_after_loading()
config = GeneratorConfig(n=int(sys.argv[2]), seed=0, reference_date=dt.date(2026, 11, 25))
generate_dataset(gazetteer, grammar, Path(sys.argv[3]), config)
"""


def compiled() -> bool:
    import gazetteers.matcher

    return not (gazetteers.matcher.__file__ or "").endswith(".py")


def count(symbol: str, child: str, args: list[str], work: Path, cache: Path) -> int:
    """Instructions executed inside ``symbol`` while ``child`` runs under callgrind."""
    script = work / "child.py"
    script.write_text(child, "utf-8")
    out = work / "callgrind.out"
    env = {**os.environ, "PYTHONHASHSEED": "0", "NERLOOP_CACHE": str(cache)}
    command = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--collect-atstart=no",
        f"--toggle-collect={symbol}", sys.executable, str(script), *args,
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    found = re.findall(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or not found:
        sys.exit(f"callgrind run failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    if int(found[-1]) == 0:
        sys.exit(f"callgrind counted nothing inside {symbol}: is the compiled build on PYTHONPATH?")
    return int(found[-1])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--what", nargs="+", choices=sorted(SYMBOLS), default=sorted(SYMBOLS), help="what to count")
    parser.add_argument("--gazetteer", type=Path, default=DEFAULT_GAZETTEER, help="national gazetteer directory")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="scratch directory (default: %(default)s)")
    parser.add_argument("--n-queries", type=int, default=20_000, help="matcher: generated queries (default: 20000)")
    parser.add_argument("--n-samples", type=int, default=30_000, help="generate: samples (default: 30000)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    if not compiled():
        sys.exit("the compiled build is not on the path: scripts/build-compiled.sh, then PYTHONPATH=build/compiled")
    from gazetteers.loader import load_gazetteer

    cache = args.work / "nerloop-cache"
    os.environ["NERLOOP_CACHE"] = str(cache)
    gazetteer = load_gazetteer(args.gazetteer)  # writes the pickle cache the children read
    rows = []
    with tempfile.TemporaryDirectory(prefix="instructions-", dir=args.work) as scratch:
        work = Path(scratch)
        for what in args.what:
            if what == "matcher":
                from resolve import generated_queries

                queries, _ = generated_queries(gazetteer, args.n_queries, work)
                (work / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
                n, unit = len(queries), "queries"
                found = count(
                    SYMBOLS[what], MATCHER_CHILD, [str(args.gazetteer), str(work / "queries.json")], work, cache
                )
            else:
                n, unit = args.n_samples, "samples"
                child_args = [str(args.gazetteer), str(n), str(work / "out")]
                found = count(SYMBOLS[what], GENERATE_CHILD, child_args, work, cache)
            rows.append([what, f"{n:,} {unit}", SYMBOLS[what], f"{found:,}", f"{found / n:,.0f}"])
    print(f"## Instructions (callgrind), nerloop {git_head()}\n")
    print(markdown_table(["run", "size", "counted inside", "instructions", "per query or sample"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
