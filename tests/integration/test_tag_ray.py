"""``nerloop tag --engine ray`` writes the single-process records, byte for byte, on a local Ray instance."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[scale]'")


def _queries(out: Path, n: int) -> Path:
    from gazetteers import load_gazetteer
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from generator.pipeline import generate_dataset

    gazetteer = load_gazetteer(None)
    config = GeneratorConfig(n=n, seed=3, reference_date=dt.date(2026, 11, 25), split_ratios=(0.0, 0.0, 1.0))
    generate_dataset(gazetteer, load_grammar(None, gazetteer.domain), out / "data", config)
    texts = [json.loads(line)["text"] for line in (out / "data" / "test.jsonl").read_text("utf-8").splitlines()]
    path = out / "queries.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return path


def _tag(queries: Path, *flags: str) -> bytes:
    argv = [sys.executable, "-m", "nerloop", "tag", "--matcher", "--reference-date", "2026-11-25", *flags, str(queries)]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(argv, capture_output=True, timeout=300, check=False, env=env)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


def test_tag_on_ray_equals_tag_in_one_process_on_10000_queries(tmp_path: Path):
    queries = _queries(tmp_path, 10_000)
    local = _tag(queries)
    on_ray = _tag(queries, "--engine", "ray", "--ray-workers", "2")
    assert local.count(b"\n") == 10_000
    assert on_ray == local
