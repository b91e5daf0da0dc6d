"""The cycle's step records write the same JSON the round row always held, and read it back."""

from __future__ import annotations

import pytest

from active_learning.steps import STEPS, Evaluated, ModelF1, Promoted, Pulled, Pushed, Retrained, Scored

RECORDS = [
    (Pulled(watermark=7, labels=15, new_labels=15), {"watermark": 7, "labels": 15, "new_labels": 15}),
    (
        Retrained(trained=False, reason="3 new human label(s), fewer than min_new_labels=10"),
        {"trained": False, "reason": "3 new human label(s), fewer than min_new_labels=10"},
    ),
    (
        Retrained(trained=True, challenger="v2", base="tiny", finetune="full", human_train=10, gold=5),
        {"trained": True, "challenger": "v2", "base": "tiny", "finetune": "full", "human_train": 10, "gold": 5},
    ),
    (Evaluated(skipped=True), {"skipped": True}),
    (
        Evaluated(
            gold_n=5,
            synthetic_n=20,
            champion_version="v1",
            challenger=ModelF1(None, 0.5),
            champion=ModelF1(0.25, 0.75),
        ),
        {
            "gold_n": 5,
            "synthetic_n": 20,
            "champion_version": "v1",
            "challenger": {"gold_f1": None, "synthetic_f1": 0.5},
            "champion": {"gold_f1": 0.25, "synthetic_f1": 0.75},
        },
    ),
    (Promoted(skipped=True, promoted=False), {"skipped": True, "promoted": False}),
    (Promoted(promoted=True, version="v2"), {"promoted": True, "version": "v2"}),
    (Scored(model_version="v2", scored=120), {"model_version": "v2", "scored": 120}),
    (Pushed(pushed=15, strategy="mnlp"), {"pushed": 15, "strategy": "mnlp"}),
]


@pytest.mark.parametrize(("record", "stored"), RECORDS)
def test_a_step_record_is_stored_with_the_same_keys_in_the_same_order(record, stored):
    assert list(record.to_dict().items()) == list(stored.items())


@pytest.mark.parametrize(("record", "stored"), RECORDS)
def test_a_stored_step_reads_back_as_its_record(record, stored):
    assert type(record).from_dict({**stored, "done": True, "seconds": 1.5}) == record


def test_the_steps_run_in_the_documented_order():
    assert STEPS == ("pull", "retrain", "evaluate", "promote", "score", "push")
