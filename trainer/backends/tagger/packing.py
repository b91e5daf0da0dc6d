"""Sequence packing for inference: several short queries share one row, with attention kept within each.

A server's micro-batch holds whatever queries arrived together, of mixed lengths; padded to
the longest, a batch of nine spends about 40 % of the encoder's work on padding (``nerloop
tag`` sorts by length first, so it pays almost none). Packed, the queries are laid end to end
into rows as wide as the longest one (first fit, longest first), each query's positions start
at 0 and a block-diagonal mask keeps its attention inside itself, so every real token sees
exactly what it would see alone: the same logits up to float rounding (tests compare the
decoded output with the padded path).

Only encoders with absolute position embeddings can be packed this way (BERT and its Chinese
variants); others (relative positions, rotary models with their own masks) keep padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

PACKABLE_TYPES = frozenset({"bert"})
MIN_SAVING = 0.85
"""Pack only when the packed rows hold at most this share of the padded tokens."""


@dataclass(frozen=True)
class Packing:
    """Where each sequence sits: ``row[i]``, starting at column ``offset[i]``, in ``rows`` rows of ``width``."""

    rows: int
    width: int
    row: np.ndarray
    offset: np.ndarray


def pack(lengths: Sequence[int]) -> Packing:
    """First-fit-decreasing packing of sequences into rows as wide as the longest one."""
    width = max(lengths, default=0)
    row = np.zeros(len(lengths), dtype=np.int64)
    offset = np.zeros(len(lengths), dtype=np.int64)
    free: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        size = lengths[i]
        for r, room in enumerate(free):
            if room >= size:
                row[i], offset[i] = r, width - room
                free[r] -= size
                break
        else:
            row[i], offset[i] = len(free), 0
            free.append(width - size)
    return Packing(len(free), width, row, offset)


def worth_packing(packing: Packing, n: int) -> bool:
    """Whether the packed rows save enough padding to be worth the block mask."""
    return packing.rows * packing.width <= MIN_SAVING * n * packing.width


def can_pack(model) -> bool:
    """Whether ``model`` (a Hugging Face encoder, possibly wrapped by peft) takes packed rows correctly."""
    config = getattr(model, "config", None)
    return (
        config is not None
        and getattr(config, "model_type", None) in PACKABLE_TYPES
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and getattr(config, "_attn_implementation", "eager") in ("sdpa", "eager")
    )


def block_mask(segments: np.ndarray, additive_dtype: torch.dtype | None) -> torch.Tensor:
    """The ``(rows, 1, width, width)`` mask letting each token attend only to its own segment.

    ``segments`` numbers the sequences of each row from 1, padding 0 (padding attends to padding,
    so no row of the mask is empty). Boolean for SDPA; additive (0 or the dtype's minimum) for
    eager attention, which adds the mask to its scores.
    """
    seg = torch.from_numpy(segments)
    allowed = (seg[:, :, None] == seg[:, None, :])[:, None]
    if additive_dtype is None:
        return allowed
    mask = torch.zeros(allowed.shape, dtype=additive_dtype)
    return mask.masked_fill_(~allowed, torch.finfo(additive_dtype).min)
