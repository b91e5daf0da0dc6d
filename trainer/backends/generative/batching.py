"""Examples to batches: length-grouped order, dynamic padding, per-example weights.

Queries are short (10–40 tokens plus the prompt), so padding and per-step overhead, not
FLOPs, limit throughput (../shared/STACK.md): batches are cut from length-sorted windows
and padded to their own longest example only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from trainer.backends.generative.codec import IGNORE

WINDOW = 50  # batches per length-sorted window: order stays random, padding stays small


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]
    weight: float


def length_grouped(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Indices in batches of similar length; windows and batches both shuffled by ``rng``."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * WINDOW
    batches: list[list[int]] = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lengths.__getitem__)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(examples: Sequence[Example], pad_id: int, width: int | None = None) -> dict[str, torch.Tensor]:
    """Right-padded tensors; ``width`` pads to a fixed length (the padded baseline in bench/)."""
    width = width or max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, ex in enumerate(examples):
        n = len(ex.input_ids)
        ids[row, :n] = torch.tensor(ex.input_ids)
        labels[row, :n] = torch.tensor(ex.labels)
        mask[row, :n] = 1
    weights = torch.tensor([e.weight for e in examples], dtype=torch.float)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels, "weights": weights}


def weighted_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean answer-token cross-entropy per example, averaged with the examples' weights."""
    shifted = logits[:, :-1].float()
    target = labels[:, 1:]
    per_token = torch.nn.functional.cross_entropy(
        shifted.reshape(-1, shifted.shape[-1]), target.reshape(-1), ignore_index=IGNORE, reduction="none"
    ).view(target.shape)
    counted = (target != IGNORE).sum(1).clamp(min=1)
    per_example = per_token.sum(1) / counted
    return (per_example * weights).sum() / weights.sum()
