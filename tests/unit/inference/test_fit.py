"""Choosing the combination: the gazetteer it is fitted against, and the scores it weighs."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from gazetteers import load_gazetteer
from generator.config import GeneratorConfig
from generator.grammar import load_grammar
from generator.pipeline import generate_dataset
from inference.fit import Score, _key, score, source_gazetteer
from nerloop.records import Entity, TaggedQuery
from trainer.data import DataSpec


def test_calibration_uses_the_gazetteer_the_data_came_from_while_it_is_unchanged(mini_dir: Path, tmp_path: Path):
    gazetteer_dir = tmp_path / "gaz"
    shutil.copytree(mini_dir, gazetteer_dir)
    gazetteer = load_gazetteer(gazetteer_dir, use_cache=False)
    config = GeneratorConfig(n=60, seed=1, reference_date=dt.date(2026, 11, 25))
    data = tmp_path / "data"
    generate_dataset(gazetteer, load_grammar(None, gazetteer.domain), data, config, gazetteer_dir=gazetteer_dir)
    found = source_gazetteer([DataSpec(data)])
    assert found is not None and found.fingerprint == gazetteer.fingerprint
    substations = gazetteer_dir / "substations.csv"
    substations.write_text(substations.read_text("utf-8") + "新增供电所,山东省/菏泽市/巨野县供电公司\n", "utf-8")
    assert source_gazetteer([DataSpec(data)]) is None  # edited since: not guessed at
    assert source_gazetteer([DataSpec(tmp_path / "gold.jsonl")]) is None


def test_score_counts_false_mentions_per_100_entity_free_queries() -> None:
    gold = [TaggedQuery("巨野投诉", (Entity("Company", 0, 2, "巨野"),)), TaggedQuery("你好"), TaggedQuery("谢谢")]
    predicted = [[Entity("Company", 0, 2, "巨野")], [Entity("City", 0, 1, "你")], []]
    result = score(gold, predicted, [True, True, True])
    assert result.false_per_100 == 50.0 and result.known_f1 == result.f1 == 2 / 3


def test_the_choice_puts_the_known_names_floor_then_the_precision_floor_before_f1() -> None:
    floor = 0.95
    recall_hungry = Score(f1=0.97, known_f1=0.96, false_per_100=6.0)
    precise = Score(f1=0.96, known_f1=0.96, false_per_100=1.0)
    closer = Score(f1=0.955, known_f1=0.96, false_per_100=2.0)
    below_matcher = Score(f1=0.99, known_f1=0.94, false_per_100=0.0)
    ranked = sorted([recall_hungry, precise, closer, below_matcher], key=lambda s: _key(s, floor), reverse=True)
    assert ranked == [precise, closer, recall_hungry, below_matcher]
