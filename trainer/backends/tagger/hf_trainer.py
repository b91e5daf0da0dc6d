"""What the tagger needs around the transformers ``Trainer``: arguments, length grouping, progress.

bf16 where the GPU has it, checkpoints, ``--resume``, early stopping and a progress hook,
and ``torchrun``/``accelerate launch`` with no code change: the ``Trainer`` picks the
process group up from the environment.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from transformers import Trainer, TrainerCallback, TrainingArguments
from transformers.trainer_pt_utils import LengthGroupedSampler

from trainer.config import TrainConfig
from trainer.precision import use_bf16
from trainer.progress import Progress, TrainProgress

CHECKPOINTS = "checkpoints"


def training_arguments(
    config: TrainConfig, work_dir: Path, n_train: int, learning_rate: float, metric: str
) -> TrainingArguments:
    """``TrainingArguments`` for transformers 5.x (``eval_strategy``, ``use_cpu``, ratio as float ``warmup_steps``)."""
    steps_per_epoch = max(1, math.ceil(n_train / (config.batch_size * config.gradient_accumulation)))
    total = config.max_steps or math.ceil(steps_per_epoch * config.epochs)
    eval_steps = config.eval_steps or steps_per_epoch
    eval_steps = min(eval_steps, total)
    return TrainingArguments(
        output_dir=str(work_dir / CHECKPOINTS),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=max(64, config.batch_size),
        gradient_accumulation_steps=config.gradient_accumulation,
        learning_rate=learning_rate,
        num_train_epochs=config.epochs,
        max_steps=total,
        warmup_steps=0.06,
        weight_decay=0.01,
        eval_strategy="steps",
        eval_steps=eval_steps,
        save_strategy="steps",
        save_steps=eval_steps,
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=True,
        logging_steps=max(1, min(50, eval_steps // 2 or 1)),
        seed=config.seed,
        data_seed=config.seed,
        bf16=use_bf16(config.bf16),
        use_cpu=not torch.cuda.is_available(),
        report_to=[],
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        save_only_model=False,
        ddp_find_unused_parameters=False,
    )


class LengthGroupedTrainer(Trainer):
    """Batches of similar length (queries are short; padding to the longest of a random batch wastes most FLOPs).

    ``group_by_length`` left ``TrainingArguments`` in transformers 5.x; the sampler is set here
    for any version, from the lengths the dataset already knows.
    """

    def _get_train_sampler(self, *args, **kwargs):
        dataset = self.train_dataset
        return LengthGroupedSampler(
            self.args.train_batch_size * self.args.gradient_accumulation_steps,
            dataset=dataset,
            lengths=dataset.lengths(),
        )


class ProgressCallback(TrainerCallback):
    """Forwards step counts, losses and validation scores to a plain function (the CLI's progress bar)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def on_step_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.progress(TrainProgress(state.global_step, state.max_steps, epoch=state.epoch))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            self.progress(logged_event(logs, state.global_step, state.max_steps, state.epoch))


def logged_event(logs: dict, step: int, total_steps: int | None = None, epoch: float | None = None) -> TrainProgress:
    """A ``Trainer`` log line (or ``log_history`` entry) as a :class:`TrainProgress`."""
    return TrainProgress(step, total_steps, epoch, loss=logs.get("loss"), eval_f1=logs.get("eval_entity_f1"))


def last_checkpoint(work_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    directory = work_dir / CHECKPOINTS
    return get_last_checkpoint(str(directory)) if directory.is_dir() else None
