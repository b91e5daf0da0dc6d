"""Share of Indicator spans that end in a measure word (量, 次数, …) in generated JSON Lines.

DOMAIN.md tags ``<Indicator>投诉</Indicator>个数``; a generator that emits ``投诉量`` as
one Indicator teaches a model the wrong boundary. Names that are indicators of their
own (投诉百万户量) end in 量 legitimately and are counted apart.

    .venv/bin/python -m nerloop generate --out /tmp/gen -n 20000 --seed 0 --reference-date 2026-11-25
    .venv/bin/python bench/indicator_boundaries.py /tmp/gen/*.jsonl
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from nerloop.jsonl import read_json_lines

MEASURE_WORDS = ("次数", "个数", "数量", "总数", "件数", "量")
WHOLE_NAMES = ("百万户量", "百万户投诉量", "百万户意见量")


def count(paths: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in paths:
        for _, record in read_json_lines(path):
            for entity in record["entities"]:
                if entity["type"] != "Indicator":
                    continue
                counts["spans"] += 1
                text = entity["text"]
                if text.endswith(("量", "次数")):
                    counts["ends in 量/次数"] += 1
                    if not text.endswith(WHOLE_NAMES):
                        counts["ends in 量/次数, not a whole name"] += 1
                if text.endswith(MEASURE_WORDS) and not text.endswith(WHOLE_NAMES):
                    counts["ends in any measure word, not a whole name"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="generated JSON Lines files")
    counts = count(parser.parse_args().files)
    total = counts["spans"] or 1
    print(f"Indicator spans: {counts['spans']}")
    for key in ("ends in 量/次数", "ends in 量/次数, not a whole name", "ends in any measure word, not a whole name"):
        print(f"{key}: {counts[key]} ({counts[key] / total:.1%})")


if __name__ == "__main__":
    main()
