"""al simulate on a tiny configuration: curves JSON + PNG and label-efficiency ratios, with a tiny real tagger."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import torch
from al_standins import TinyLearner

from active_learning.config import SimulationConfig
from active_learning.simulate import prepare_data, simulate, write_results

REFERENCE = dt.date(2026, 11, 25)


def test_simulate_writes_curves_and_ratios_for_every_strategy(mini, tmp_path):
    torch.set_num_threads(1)
    config = SimulationConfig(
        strategies=("mnlp", "bald"),
        seeds=2,
        rounds=2,
        batch_size=8,
        pool_size=40,
        test_size=30,
        warm_size=120,
        mc_samples=3,
    )
    data = prepare_data(mini, config, tmp_path / "data", REFERENCE)
    assert (len(data.pool), len(data.test)) == (40, 30)
    assert not {r.text for r in data.pool} & {r.text for r in data.warm_train}
    learner = TinyLearner(mini.domain.type_names, steps=30)
    events = []
    result = simulate(data, learner, mini, config, REFERENCE, progress=events.append)
    assert learner.fits == 2 * (1 + 3 * 2)  # per seed: one warm start shared by all, one fit per round
    assert len(events) == 2 * 3 * 2

    json_path, png_path = write_results(result, tmp_path / "out")
    saved = json.loads(json_path.read_text("utf-8"))
    assert set(saved["curves"]) == {"random", "mnlp", "bald"}
    for curve in saved["curves"].values():
        assert [p[0] for p in curve["mean"]] == [0, 8, 16]
        assert all(0 <= p[1] <= 1 for p in curve["mean"])
        # every strategy starts from the same warm start of a seed
        assert {s: c[0][1] for s, c in curve["seeds"].items()} == {
            s: c[0][1] for s, c in saved["curves"]["random"]["seeds"].items()
        }
    assert saved["label_efficiency"]["random"]["per_seed"] in ([1.0, 1.0], [None, None], [1.0, None], [None, 1.0])
    assert all(len(v["per_seed"]) == 2 for v in saved["label_efficiency"].values())
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png_path.stat().st_size > 10_000


def test_routine_share_draws_that_part_of_pool_and_test_from_the_training_grammar(mini, tmp_path):
    config = SimulationConfig(
        seeds=1, rounds=1, batch_size=8, pool_size=40, test_size=20, warm_size=60, routine_share=0.25
    )
    data = prepare_data(mini, config, tmp_path / "mixed", REFERENCE)
    assert (len(data.pool), len(data.test)) == (40, 20)
    assert sum(r.extra["template"].startswith("sim_") for r in data.pool) == 30
    assert sum(r.extra["template"].startswith("sim_") for r in data.test) == 15
    assert not {r.text for r in data.pool} & {r.text for r in data.test}
    # interleaved: the routine part is not a block at the end
    assert not all(r.extra["template"].startswith("sim_") for r in data.pool[:30])

    tail_only = prepare_data(mini, replace(config, routine_share=0.0), tmp_path / "tail", REFERENCE)
    assert all(r.extra["template"].startswith("sim_") for r in [*tail_only.pool, *tail_only.test])


def test_trainer_learner_tags_with_the_gazetteer_it_trained_with(mini, tmp_path):
    from active_learning.simulate import TrainerLearner
    from nerloop.records import Entity, TaggedQuery

    torch.set_num_threads(1)
    records = [
        TaggedQuery(f"{city}{indicator}", (Entity("City", 0, 3, city), Entity("Indicator", 3, 5, indicator)))
        for city in ("济南市", "枣庄市")
        for indicator in ("投诉", "意见")
    ]
    learner = TrainerLearner(mini.domain, mini, tmp_path, steps=2)
    tagger = learner.fit([(r, 1.0) for r in records], records[:2], seed=1)
    assert tagger.lexicon is not None  # lexicon features at inference, as in training
    assert len(tagger.predict(["济南市投诉"])) == 1
