"""The copy constraint as batched tensor masks: one automaton per batch, no Python per row or step.

Each row of a batch may only copy the next token of its query's copy plan, open a tag when
none is open (at a character boundary, text left), close the open tag at a boundary after at
least one copied token, end only when the whole plan is copied and no tag is open, and write
padding once it has ended. The plans, boundaries and the vocabulary's tag tables are tensors
built once per batch; the state (position, open type, where it opened, ended) is four ``[B]``
tensors on the model's device, advanced from the last emitted tokens by tensor ops. The
allowed set is ``types + 4`` candidate columns per row with a boolean each, and the scores
are kept by one ``gather`` and ``scatter`` of those columns into a fresh row of -inf: no
``[B, V]`` mask, no host sync, a few dozen small kernels per step. The per-row Python state
machine it replaces (kept as the test oracle) synced and looped per row at every step.

A grammar library (xgrammar, outlines) does not fit: the grammar is a different copy of each
query, so it would be compiled per query, and the tag-at-character-boundary rule is over
token ids, not text.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from trainer.backends.generative.codec import Codec
from trainer.backends.generative.markup import CopyPlan


class CopyConstraint:
    """A transformers logits processor that masks every token a row's copy automaton forbids.

    Args:
        plans: the copy plan of each row's query.
        codec: tag ids, the end-of-sequence and padding ids.
        prompt_length: the (left-padded) prompt length; later tokens are the answer.
    """

    def __init__(self, plans: Sequence[CopyPlan], codec: Codec, prompt_length: int) -> None:
        rows, width = len(plans), max((len(p.ids) for p in plans), default=0)
        self.plan_ids = torch.zeros((rows, width + 1), dtype=torch.long)
        self.boundary = torch.zeros((rows, width + 1), dtype=torch.bool)
        for row, plan in enumerate(plans):  # once per batch, before the first step
            self.plan_ids[row, : len(plan.ids)] = torch.tensor(plan.ids, dtype=torch.long)
            self.boundary[row, : len(plan.ids) + 1] = torch.tensor([plan.boundary(i) for i in range(len(plan.ids) + 1)])
        self.lengths = torch.tensor([len(p.ids) for p in plans], dtype=torch.long)
        names = list(codec.domain.type_names)
        self.opens = torch.tensor([codec.tag_ids[f"<{n}>"] for n in names], dtype=torch.long)
        self.closes = torch.tensor([codec.tag_ids[f"</{n}>"] for n in names], dtype=torch.long)
        self.eos_id, self.pad_id = codec.eos_id, codec.pad_id
        self.largest = max([*codec.tag_ids.values(), codec.eos_id, codec.pad_id])
        self.prompt_length = prompt_length
        self.seen = 0
        self._device: torch.device | None = None

    def _start(self, vocab: int, device: torch.device) -> None:
        """Move the automaton to the scores' device and size the tag tables to their vocabulary."""
        size = max(vocab, self.largest + 1)
        self.tag_type = torch.full((size,), -1, dtype=torch.long)
        self.tag_type[self.opens] = torch.arange(len(self.opens))
        self.tag_type[self.closes] = torch.arange(len(self.closes))
        self.is_close = torch.zeros(size, dtype=torch.bool)
        self.is_close[self.closes] = True
        for name in ("plan_ids", "boundary", "lengths", "opens", "closes", "tag_type", "is_close"):
            setattr(self, name, getattr(self, name).to(device))
        rows = self.lengths.shape[0]
        self.pos = torch.zeros(rows, dtype=torch.long, device=device)
        self.open = torch.full((rows,), -1, dtype=torch.long, device=device)
        self.open_at = torch.zeros(rows, dtype=torch.long, device=device)
        self.done = torch.zeros(rows, dtype=torch.bool, device=device)
        ends = torch.tensor([self.eos_id, self.pad_id], device=device)
        self.constant = torch.cat([ends, self.opens]).expand(rows, -1)  # the candidates every row has
        self._device = device

    def advance(self, tokens: torch.Tensor) -> None:
        """Take each row's last emitted token: end, copy one position, close or open a tag."""
        live = ~self.done
        eos = tokens == self.eos_id
        kind = self.tag_type[tokens]
        tag = live & ~eos & (kind >= 0)
        closing = tag & self.is_close[tokens]
        opening = tag & ~closing
        self.open_at = torch.where(opening, self.pos, self.open_at)
        self.open = torch.where(opening, kind, torch.where(closing, -1, self.open))
        self.pos = self.pos + (live & ~eos & (kind < 0)).long()
        self.done = self.done | (live & eos)

    def columns(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each row's candidate columns ``[B, types + 4]`` and which of them it may emit next.

        The candidates are the next plan token, the open tag's close, the end, the padding,
        then every opening tag; a candidate whose rule does not apply is not allowed.
        """
        live, pos, closed = ~self.done, self.pos, self.open < 0
        text_left = live & (pos < self.lengths)
        at_boundary = self.boundary.gather(1, pos[:, None])[:, 0]
        copy = self.plan_ids.gather(1, pos[:, None])
        close = self.closes[self.open.clamp(min=0)][:, None]
        rules = torch.stack(
            [
                text_left,
                live & at_boundary & ~closed & (pos > self.open_at),
                live & (pos == self.lengths) & closed,
                ~live,
            ],
            dim=1,
        )
        opens = (text_left & at_boundary & closed)[:, None].expand(-1, self.opens.shape[0])
        return torch.cat([copy, close, self.constant], dim=1), torch.cat([rules, opens], dim=1)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        """The scores, every column the automaton forbids at -inf.

        A new tensor: generate keeps the ``scores`` it passed as the raw logits.
        """
        if self._device is None:
            self._start(scores.shape[-1], scores.device)
        generated = input_ids.shape[1] - self.prompt_length
        if generated > self.seen:  # one step of generate's own loop, not one per row
            self.advance(input_ids[:, -1].to(self._device))
            self.seen = generated
        columns, allowed = self.columns()
        # a candidate that is not allowed rewrites the row's first allowed column with its own
        # score (or, in a row with none, column 0 with -inf): one scatter, no [B, V] mask
        first = allowed.long().argmax(dim=1, keepdim=True)
        any_allowed = allowed.gather(1, first)
        fallback = torch.where(any_allowed, columns.gather(1, first), 0)
        index = torch.where(allowed, columns, fallback)
        kept = torch.where(allowed | any_allowed, scores.gather(1, index), float("-inf"))
        return torch.full_like(scores, float("-inf")).scatter_(1, index, kept)
