"""The matcher's output on a few thousand national queries equals the output saved before the speed work.

The saved file (``tests/fixtures/golden/matcher_national.jsonl.gz``) holds, per query, the record
and a digest of each entity's link and of the segmentation's explanation (``--explain``), as
``GazetteerMatcher.tag`` wrote them at commit cb9dd7a (before issue 16's caches and fast paths). Regenerate it only for a deliberate change
of behaviour: ``.venv/bin/python tests/unit/gazetteers/test_matcher_golden.py``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REFERENCE = dt.date(2026, 11, 25)
GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden" / "matcher_national.jsonl.gz"


def outputs(matcher, texts: list[str]) -> list[dict]:
    found = []
    for text in texts:
        resolution = matcher.tag(text, REFERENCE)
        explained = [resolution.explanation(), resolution.segmentation.explain()]
        digest = hashlib.sha256(json.dumps(explained, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
        found.append({"record": resolution.record.to_dict(), "explain": digest[:16]})
    return found


def national_matcher(out: Path):
    from gazetteers import load_gazetteer
    from gazetteers.build_cn import build_cn
    from gazetteers.default import default_directory
    from gazetteers.matcher import GazetteerMatcher

    build_cn(out)
    shutil.copyfile(default_directory() / "indicators.csv", out / "indicators.csv")
    return GazetteerMatcher(load_gazetteer(out))


def read_golden() -> list[dict]:
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream]


def test_matcher_output_equals_the_saved_output(tmp_path_factory: pytest.TempPathFactory):
    golden = read_golden()
    matcher = national_matcher(tmp_path_factory.mktemp("cn"))
    texts = [g["record"]["text"] for g in golden]
    # twice: the second pass answers from the caches, which must not change anything either
    for _ in range(2):
        found = outputs(matcher, texts)
        mismatched = [t for t, f, g in zip(texts, found, golden) if f != g]
        assert not mismatched, f"{len(mismatched)} of {len(texts)} differ, e.g. {mismatched[:5]}"


def _write_golden(queries: Path, work: Path) -> None:
    texts = [line for line in queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = outputs(national_matcher(work), texts)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(GOLDEN, "wt", encoding="utf-8", compresslevel=9) as stream:
        for item in found:
            stream.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")


if __name__ == "__main__":  # regenerate: QUERIES_FILE WORK_DIR
    _write_golden(Path(sys.argv[1]), Path(sys.argv[2]))
