"""Compile inference/data/devset/queries.tsv into dev.jsonl and test.jsonl.

Run after editing the queries (needs ``nerloop[cn]`` for the national build)::

    .venv/bin/python scripts/build_devset.py           # write dev.jsonl, test.jsonl
    .venv/bin/python scripts/build_devset.py --check   # exit 1 if they are out of date

Gold chains are resolved against the full national build (with the default indicators), not
the reduced one: the gold knows what a removed name is; the tagger under test does not.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path


def national_gazetteer(work: Path):
    from gazetteers import load_gazetteer
    from gazetteers.build_cn import build_cn
    from gazetteers.default import default_directory

    build_cn(work)
    shutil.copyfile(default_directory() / "indicators.csv", work / "indicators.csv")
    return load_gazetteer(work, use_cache=False)


def compiled_lines(gazetteer) -> dict[str, str]:
    """The JSONL text of every split, compiled from the shipped queries."""
    from inference.devset import DEVSET_DIR, QUERIES_FILE, compile_devset, read_queries, removed_ids

    missing = [i for i in removed_ids() if i not in gazetteer]
    if missing:
        raise SystemExit(f"removed.txt: ids not in the national build: {', '.join(missing)}")
    queries = read_queries(DEVSET_DIR / QUERIES_FILE, gazetteer.domain.types)
    splits = compile_devset(queries, gazetteer)
    for split, records in splits.items():
        counts = Counter(r.extra["category"] for r in records)
        print(f"{split}: {len(records)} queries ({', '.join(f'{c} {n}' for c, n in sorted(counts.items()))})")
    return {split: "".join(r.to_json() + "\n" for r in records) for split, records in splits.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the shipped files are up to date")
    args = parser.parse_args(argv)
    from inference.devset import devset_path

    with tempfile.TemporaryDirectory() as tmp:
        lines = compiled_lines(national_gazetteer(Path(tmp) / "cn"))
    stale = [
        s for s, text in lines.items() if not devset_path(s).is_file() or devset_path(s).read_text("utf-8") != text
    ]
    if args.check:
        if stale:
            print(f"out of date: {', '.join(stale)}; run scripts/build_devset.py", file=sys.stderr)
            return 1
        return 0
    for split, text in lines.items():
        devset_path(split).write_text(text, "utf-8")
    print(f"wrote {', '.join(str(devset_path(s)) for s in lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
