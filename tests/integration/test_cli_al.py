"""CLI: nerloop model list|promote|rollback, al select --out, al score and cycle errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from active_learning.batch import text_hash
from active_learning.lock import exclusive_lock
from active_learning.score import score_pool
from active_learning.select import item_from_dict
from gazetteers.matcher import GazetteerMatcher
from gazetteers.resolver import Resolver
from gazetteers.tagging import MatcherTagger
from inference.pipeline import TaggingPipeline
from nerloop.cli.app import app
from nerloop.store import open_store
from nerloop.store.engine import session_scope
from nerloop.store.models import QueryLog
from nerloop.store.registry import register_model

runner = CliRunner()


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_model_list_promote_and_rollback(db):
    engine = open_store(db)
    for version in ("v1", "v2"):
        register_model(engine, version=version, backend="tagger", path=f"/m/{version}", metrics={"entity_f1": 0.5})
    assert runner.invoke(app, ["model", "promote", "v1", "--db", db]).exit_code == 0
    result = runner.invoke(app, ["model", "promote", "v2", "--db", db])
    assert result.exit_code == 0 and "v2 is now the tagger champion" in result.output
    listed = runner.invoke(app, ["model", "list", "--json", "--db", db])
    assert [json.loads(line)["status"] for line in listed.output.splitlines()] == ["retired", "champion"]
    result = runner.invoke(app, ["model", "rollback", "--db", db])
    assert result.exit_code == 0 and "v1 is the tagger champion again" in result.output
    table = runner.invoke(app, ["model", "list", "--db", db])
    assert "v1" in table.output and "0.500" in table.output


def test_model_errors_are_one_line(db):
    result = runner.invoke(app, ["model", "promote", "nope", "--db", db])
    assert result.exit_code == 1 and result.output.strip().splitlines() == [
        "error: no model version 'nope' in the store; see nerloop model list"
    ]
    result = runner.invoke(app, ["model", "rollback", "--db", db])
    assert result.exit_code == 1 and "no champion to roll back from" in result.output


def test_al_select_writes_batch_items_that_read_back(db, mini, mini_dir, tmp_path):
    engine = open_store(db)
    texts = ["本月崮山供电所投诉个数", "龙山所意见多不多", "𠀀七贤所上月投诉", "你好"]
    with session_scope(engine) as session:
        session.add_all(QueryLog(text=t, text_hash=text_hash(t), source="log") for t in texts)
    pipeline = TaggingPipeline(MatcherTagger(GazetteerMatcher(mini)), Resolver(mini))
    score_pool(
        engine, pipeline, model_version="matcher", reference=dt.date(2026, 11, 25), hierarchy=mini.domain.hierarchy
    )
    out = tmp_path / "batch.jsonl"
    result = runner.invoke(
        app,
        [
            "al",
            "select",
            "--strategy",
            "random",
            "--top",
            "3",
            "--out",
            str(out),
            "--db",
            db,
            "--gazetteer",
            str(mini_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    items = [item_from_dict(json.loads(line)) for line in out.read_text("utf-8").splitlines()]
    assert len(items) == 3 and all(i.model_version == "matcher" and i.strategy == "random" for i in items)
    assert {i.text_hash for i in items} <= {text_hash(t) for t in texts}
    bad = runner.invoke(app, ["al", "select", "--strategy", "nope", "--db", db])
    assert bad.exit_code == 1 and "unknown strategy 'nope'" in bad.output


def test_al_score_without_a_champion_says_what_to_do(db):
    result = runner.invoke(app, ["al", "score", "--db", db])
    assert result.exit_code == 1 and "no champion model" in result.output


def test_a_second_cycle_exits_with_a_clear_message(db, tmp_path, mini_dir):
    models = tmp_path / "models"
    with exclusive_lock(models / ".cycle.lock"):
        result = runner.invoke(app, ["cycle", "--models-dir", str(models), "--db", db, "--gazetteer", str(mini_dir)])
    assert result.exit_code == 1
    assert "another nerloop cycle is running" in result.output and "exits without changes" in result.output


def test_cycle_refuses_a_bad_duration(db):
    result = runner.invoke(app, ["cycle", "--every", "soon", "--db", db])
    assert result.exit_code == 2 and "'soon' is not a duration" in result.output
