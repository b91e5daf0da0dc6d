"""One progress event for every backend: the tagger's ``Trainer`` logs and the generative loop's history."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("transformers")

from trainer.backends.generative.loop import history_events  # noqa: E402
from trainer.backends.tagger.hf_trainer import ProgressCallback, logged_event  # noqa: E402
from trainer.progress import TrainProgress  # noqa: E402


def test_the_tagger_reports_steps_losses_and_validation_f1_as_train_progress() -> None:
    events: list[TrainProgress] = []
    callback = ProgressCallback(events.append)
    state = SimpleNamespace(is_world_process_zero=True, global_step=20, max_steps=40, epoch=0.5)
    callback.on_step_end(None, state, None)
    callback.on_log(None, state, None, logs={"loss": 1.25, "learning_rate": 1e-3})
    callback.on_log(None, state, None, logs={"eval_entity_f1": 0.5, "eval_loss": 0.9})
    assert events == [
        TrainProgress(20, 40, 0.5),
        TrainProgress(20, 40, 0.5, loss=1.25),
        TrainProgress(20, 40, 0.5, eval_f1=0.5),
    ]


def test_other_ranks_report_nothing() -> None:
    events: list[TrainProgress] = []
    state = SimpleNamespace(is_world_process_zero=False, global_step=1, max_steps=2, epoch=0.0)
    ProgressCallback(events.append).on_step_end(None, state, None)
    assert events == []


def test_both_histories_become_the_same_events_for_the_curves() -> None:
    tagger = [logged_event(e, e["step"]) for e in [{"step": 10, "loss": 2.0}, {"step": 20, "eval_entity_f1": 0.4}]]
    generative = history_events([{"step": 10, "loss": 2.0}, {"step": 20, "entity_f1": 0.4}])
    assert tagger == generative == [TrainProgress(10, loss=2.0), TrainProgress(20, eval_f1=0.4)]
