"""al score and al select over a real store, with the matcher and a tiny real PyTorch tagger."""

from __future__ import annotations

import datetime as dt

import pytest
import torch
from al_standins import TinyTagger, bio_labels
from sqlalchemy import func, select

from active_learning.batch import text_hash
from active_learning.errors import SelectionError
from active_learning.score import score_pool
from active_learning.select import select_batch
from gazetteers.matcher import GazetteerMatcher
from gazetteers.resolver import Resolver
from gazetteers.tagging import MatcherTagger
from inference.pipeline import TaggingPipeline
from nerloop.store import open_store
from nerloop.store.engine import session_scope
from nerloop.store.models import GoldLabel, LabelTask, QueryLog, StoredPrediction

REFERENCE = dt.date(2026, 11, 25)
LOGS = [
    "本月崮山供电所投诉个数",
    "本月崮山供电所投诉个数？",
    "龙山所意见多不多",
    "菏泽新开所投诉",
    "𠀀七贤所上月投诉",
    "你好",
    "济南长清区供电公司意见排名",
    "枣庄市中区光明路所投诉百万户量",
]


@pytest.fixture
def engine(store_url):
    """A fresh store (SQLite file or a throw-away PostgreSQL database) holding the log pool."""
    torch.set_num_threads(1)
    engine = open_store(store_url)
    with session_scope(engine) as session:
        session.add_all(QueryLog(text=t, text_hash=text_hash(t), source="test") for t in LOGS)
    yield engine
    engine.dispose()


def _count(engine, table) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_score_stores_every_query_once_and_a_rerun_adds_nothing(engine, mini):
    pipeline = TaggingPipeline(MatcherTagger(GazetteerMatcher(mini)), Resolver(mini))
    seen: list[int] = []
    report = score_pool(
        engine,
        pipeline,
        model_version="matcher",
        reference=REFERENCE,
        hierarchy=mini.domain.hierarchy,
        batch_size=3,
        progress=seen.append,
    )
    assert (report.scored, report.batches, seen) == (len(LOGS), 3, [3, 3, 2])
    again = score_pool(engine, pipeline, model_version="matcher", reference=REFERENCE, hierarchy=mini.domain.hierarchy)
    assert again.scored == 0 and _count(engine, StoredPrediction) == len(LOGS)
    with session_scope(engine) as session:
        rows = {r.record["text"]: r for r in session.scalars(select(StoredPrediction))}
    assert rows["菏泽新开所投诉"].signals["unlinked"] is False  # the matcher does not find 新开所 at all
    assert rows["𠀀七贤所上月投诉"].record["entities"][0]["text"] == "七贤所"
    assert set(rows["你好"].scores) == {"unparseable"}  # a matcher has no probabilities


def test_select_from_a_tagger_pool_is_diverse_and_skips_pushed_and_labelled(engine, mini):
    labels = bio_labels(mini.domain.type_names)
    tagger = TinyTagger(labels, "tiny-v1", seed=0)  # untrained weights: real, if poor, probabilities
    pipeline = TaggingPipeline(tagger, Resolver(mini))
    score_pool(
        engine,
        pipeline,
        model_version="tiny-v1",
        reference=REFERENCE,
        hierarchy=mini.domain.hierarchy,
        sampler=tagger,
        mc_samples=4,
        limit=len(LOGS),
    )
    with session_scope(engine) as session:
        scores = [r.scores for r in session.scalars(select(StoredPrediction))]
        session.add(LabelTask(text_hash=text_hash("你好"), project="p"))
        session.add(
            GoldLabel(
                text_hash=text_hash("龙山所意见多不多"),
                record={"text": "龙山所意见多不多"},
                source="s",
                annotation_id="1",
            )
        )
    assert all({"least_confidence", "margin", "token_entropy", "mnlp", "bald"} <= set(s) for s in scores)
    assert all(s["bald"] > 0 for s in scores)  # dropout passes disagree on an untrained net

    batch = select_batch(engine, "bald", 10, hierarchy=mini.domain.hierarchy)
    texts = [item.record.text for item in batch]
    assert "你好" not in texts and "龙山所意见多不多" not in texts
    assert not {"本月崮山供电所投诉个数", "本月崮山供电所投诉个数？"} <= set(texts)  # near-duplicates
    assert len(texts) == len(LOGS) - 3
    assert [i.uncertainty for i in batch] == sorted((i.uncertainty for i in batch), reverse=True)
    assert all(i.model_version == "tiny-v1" and i.strategy == "bald" for i in batch)
    assert all(i.record.extra["uncertainty"] == i.uncertainty for i in batch)


def test_select_asks_for_scoring_first_and_names_missing_strategies(engine, mini):
    with pytest.raises(SelectionError, match="al score first"):
        select_batch(engine, "mnlp", 5, hierarchy=mini.domain.hierarchy)
    pipeline = TaggingPipeline(MatcherTagger(GazetteerMatcher(mini)), Resolver(mini))
    score_pool(engine, pipeline, model_version="matcher", reference=REFERENCE, hierarchy=mini.domain.hierarchy)
    with pytest.raises(SelectionError, match="no 'mnlp' scores"):
        select_batch(engine, "mnlp", 5, hierarchy=mini.domain.hierarchy)
    assert len(select_batch(engine, "random", 3, hierarchy=mini.domain.hierarchy)) == 3


def test_bald_without_mc_passes_says_how_to_score_them(engine, mini):
    labels = bio_labels(mini.domain.type_names)
    tagger = TinyTagger(labels, "tiny-v1", seed=0)
    pipeline = TaggingPipeline(tagger, Resolver(mini))
    score_pool(engine, pipeline, model_version="tiny-v1", reference=REFERENCE, hierarchy=mini.domain.hierarchy)
    with pytest.raises(SelectionError, match="--mc-samples 8"):
        select_batch(engine, "bald", 5, hierarchy=mini.domain.hierarchy)
    assert select_batch(engine, "mnlp", 5, hierarchy=mini.domain.hierarchy)  # the one pass scored the rest
