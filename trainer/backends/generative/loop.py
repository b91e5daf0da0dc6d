"""The generative training loop: length-grouped batches, validation by generation, checkpoints, resume.

accelerate gives bf16 autocast, gradient accumulation and multi-GPU (``accelerate launch``
or ``torchrun``) with no code change; each process takes every n-th length-grouped batch.
Validation generates (constrained) on the evaluation queries and scores exact entity spans;
the best weights by entity F1 are kept, and training stops after ``early_stopping_patience``
validations without improvement. A checkpoint (optimizer, scheduler, RNG, progress, best
weights) is written at every validation, so ``resume`` continues where a run stopped.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from nerloop.atomic import atomic_write_text
from nerloop.evaluation import prf
from nerloop.records import TaggedQuery
from trainer.backends.generative.batching import Example, collate, length_grouped, weighted_loss
from trainer.backends.generative.codec import Codec
from trainer.backends.generative.decode import generate
from trainer.progress import Progress, TrainProgress


def entity_f1(gold: Sequence[TaggedQuery], predicted: Sequence[Sequence]) -> float:
    """Micro F1 over exact (type, start, end) spans (:func:`nerloop.evaluation.prf`: 0 when both sides are empty)."""
    tp = n_gold = n_pred = 0
    for record, entities in zip(gold, predicted):
        g = {(e.type, e.start, e.end) for e in record.entities}
        p = {(e.type, e.start, e.end) for e in entities}
        tp, n_gold, n_pred = tp + len(g & p), n_gold + len(g), n_pred + len(p)
    return prf(tp, n_pred, n_gold)[2]


def history_events(history: Sequence[dict]) -> list[TrainProgress]:
    """The loop's ``history`` (as saved in ``metrics.json``) as progress events, for the curves."""
    return [TrainProgress(h["step"], loss=h.get("loss"), eval_f1=h.get("entity_f1")) for h in history]


def trainable_state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.named_parameters() if v.requires_grad}


@dataclass
class Loop:
    """One training run's moving parts and its progress (``state``, saved as ``progress.json``).

    Args:
        accelerator: the prepared ``Accelerator``; ``model``, ``optimizer`` and ``scheduler``
            went through its ``prepare``.
        examples: the encoded training examples (this process takes every n-th batch).
        batch_size, seed, patience: from the training config.
        total: optimizer steps of the whole run; ``per_epoch``: batches per epoch and process.
        eval_every: validation every N steps (and at the end).
        eval_set: validation records (empty: no validation, no early stopping).
        checkpoints: where checkpoints go.
        progress: the caller's progress function (main process only).
    """

    accelerator: Any
    model: Any
    optimizer: Any
    scheduler: Any
    codec: Codec
    examples: list[Example]
    batch_size: int
    seed: int
    patience: int
    total: int
    per_epoch: int
    eval_every: int
    eval_set: list[TaggedQuery]
    checkpoints: Path
    progress: Progress | None = None
    state: dict = field(
        default_factory=lambda: {"step": 0, "epoch": 0, "batch": 0, "best_f1": -1.0, "bad_evals": 0, "history": []}
    )
    best: dict[str, torch.Tensor] | None = None
    seen: int = 0

    def resume(self) -> None:
        """Continue from the last checkpoint, when there is one."""
        if not (self.checkpoints / "progress.json").is_file():
            return
        self.accelerator.load_state(str(self.checkpoints / "state"))
        self.state = json.loads((self.checkpoints / "progress.json").read_text("utf-8"))
        if (self.checkpoints / "best.pt").is_file():
            self.best = torch.load(self.checkpoints / "best.pt")

    def run(self) -> float:
        """Train until ``total`` steps or patience runs out; returns the seconds it took."""
        started = time.perf_counter()
        world, rank = self.accelerator.num_processes, self.accelerator.process_index
        lengths = [len(e.input_ids) for e in self.examples]
        self.model.train()
        stop = self.state["step"] >= self.total
        while not stop:
            rng = random.Random(self.seed * 1_000_003 + self.state["epoch"])
            mine = length_grouped(lengths, self.batch_size, rng)[rank::world][: self.per_epoch]
            for index in range(self.state["batch"], len(mine)):
                stop = self._step(mine[index], index)
                if stop:
                    break
            else:
                self.state["epoch"], self.state["batch"] = self.state["epoch"] + 1, 0
        return time.perf_counter() - started

    def _step(self, batch_indices: list[int], index: int) -> bool:
        """One batch (an optimizer step when gradients sync); True when training should stop."""
        accelerator, state = self.accelerator, self.state
        batch = collate([self.examples[i] for i in batch_indices], self.codec.pad_id)
        weights = batch.pop("weights").to(accelerator.device)
        labels = batch.pop("labels").to(accelerator.device)
        with accelerator.accumulate(self.model):
            logits = self.model(**{k: v.to(accelerator.device) for k, v in batch.items()}).logits
            loss = weighted_loss(logits, labels, weights)
            accelerator.backward(loss)
            if accelerator.sync_gradients:
                accelerator.clip_grad_norm_(self.model.parameters(), 1.0)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad()
        self.seen += len(batch_indices)
        state["batch"] = index + 1
        if not accelerator.sync_gradients:
            return False
        state["step"] += 1
        if state["step"] % 10 == 0 or state["step"] == self.total:
            state["history"].append({"step": state["step"], "loss": loss.item()})
            if self.progress and accelerator.is_main_process:
                self.progress(TrainProgress(state["step"], self.total, state["epoch"], loss=loss.item()))
        done = state["step"] >= self.total
        if state["step"] % self.eval_every == 0 or done:
            return self._evaluate_and_checkpoint() or done
        return False

    def _evaluate_and_checkpoint(self) -> bool:
        """Validate on the main process, keep the best weights, checkpoint; True when patience ran out."""
        from accelerate.utils import broadcast_object_list

        accelerator, state = self.accelerator, self.state
        entry: dict = {"step": state["step"]}
        if self.eval_set and accelerator.is_main_process:
            unwrapped = accelerator.unwrap_model(self.model)
            with accelerator.autocast():
                preds = generate(unwrapped, self.codec, [r.text for r in self.eval_set], batch_size=64)
            unwrapped.train()
            entry["entity_f1"] = f1 = entity_f1(self.eval_set, [p.entities for p in preds])
            if f1 > state["best_f1"]:
                state["best_f1"], state["bad_evals"], self.best = f1, 0, trainable_state(unwrapped)
            else:
                state["bad_evals"] += 1
            if self.progress:
                self.progress(TrainProgress(state["step"], self.total, state["epoch"], eval_f1=f1))
        state["history"].append(entry)
        verdict = [bool(self.patience and state["bad_evals"] >= self.patience)]
        broadcast_object_list(verdict)  # every process stops at the same step
        accelerator.save_state(str(self.checkpoints / "state"))
        if accelerator.is_main_process:
            if self.best is not None:
                torch.save(self.best, self.checkpoints / "best.pt")
            atomic_write_text(self.checkpoints / "progress.json", json.dumps(state))  # --resume reads it
        return verdict[0]
