"""``nerloop al score --engine ray`` stores the single-process rows, byte for byte, on a local Ray instance.

One pool of generated queries is ingested once and the store copied, so both engines see the
same query ids. Each engine scores it in two runs with a tiny trained tagger: the first with
BALD's MC-dropout passes and ``--limit`` (a whole number of batches, as if interrupted), the
second without them, which must score only what is left. Every stored column must be identical.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from serve_support import tiny_model

pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[scale]'")

N = 2_000
BATCH = 128
REF = "2026-11-25"


def _run(*argv: str) -> str:
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}  # the test's cache too
    done = subprocess.run([sys.executable, "-m", "nerloop", *argv], capture_output=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return done.stdout.decode()


def _pool(out: Path) -> Path:
    """A store holding ``N`` generated queries (``nerloop logs ingest``)."""
    from gazetteers import load_gazetteer
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from generator.pipeline import generate_dataset

    gazetteer = load_gazetteer(None)
    config = GeneratorConfig(n=N, seed=11, reference_date=dt.date.fromisoformat(REF), split_ratios=(0.0, 0.0, 1.0))
    generate_dataset(gazetteer, load_grammar(None, gazetteer.domain), out / "data", config)
    texts = [json.loads(line)["text"] for line in (out / "data" / "test.jsonl").read_text("utf-8").splitlines()]
    (out / "queries.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    store = out / "pool.db"
    _run("logs", "ingest", str(out / "queries.txt"), "--db", f"sqlite:///{store}")
    return store


def _rows(store: Path) -> list[tuple]:
    """Every stored prediction as the store holds it (JSON text, not parsed), in pool order."""
    with sqlite3.connect(store) as db:
        return db.execute(
            "SELECT q.id, q.text, p.model_version, p.record, p.uncertainty, p.scores, p.signals "
            "FROM predictions p JOIN query_logs q ON q.id = p.query_log_id ORDER BY q.id"
        ).fetchall()


def test_al_score_on_ray_stores_the_rows_of_one_process_bald_included(tmp_path: Path, tmp_path_factory):
    model = tiny_model(tmp_path_factory.getbasetemp())
    pool = _pool(tmp_path)
    local, on_ray = tmp_path / "local.db", tmp_path / "ray.db"
    for copy in (local, on_ray):
        with sqlite3.connect(pool) as source, sqlite3.connect(copy) as target:  # WAL included, unlike a file copy
            source.backup(target)
    score = ["al", "score", "--model", str(model.path), "--reference-date", REF, "--batch-size", str(BATCH)]
    bald = ["--mc-samples", "2", "--limit", str(4 * BATCH)]  # BALD on the first 4 batches: MC passes are slow
    ray = ["--engine", "ray", "--ray-workers", "2"]

    for store, engine in ((local, []), (on_ray, ray)):
        db = ["--db", f"sqlite:///{store}"]
        assert f"scored {4 * BATCH} queries" in _run(*score, *engine, *bald, *db)  # as if stopped after 4 batches
        assert f"scored {N - 4 * BATCH} queries" in _run(*score, *engine, *db)  # the rerun scores only the rest

    expected, got = _rows(local), _rows(on_ray)
    assert len(expected) == N and {row[2] for row in expected} == {model.version}
    assert ["bald" in json.loads(row[5]) for row in expected] == [True] * 4 * BATCH + [False] * (N - 4 * BATCH)
    assert got == expected
