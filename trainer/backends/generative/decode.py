"""Batched greedy decoding with validation, copy-constrained by default.

Constrained decoding lets the model only copy the next token of the query's copy plan,
open a tag when none is open (at a character boundary), close the open tag after at least
one copied token, and end only when the whole query is copied and no tag is open: every
output is then valid by construction (:mod:`trainer.backends.generative.constraint`: batched
tensor masks, no Python per row or step). The raw path (``constrained=False``) generates freely
and every output is validated; one that fails is reported as unparseable, never raised.
Log-probabilities always come from the raw logits (``output_logits=True``), not from the
scores the constraint renormalized (../shared/STACK.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from nerloop.tagging import Prediction
from trainer.backends.generative.codec import Codec
from trainer.backends.generative.constraint import CopyConstraint
from trainer.backends.generative.markup import CopyPlan, read_answer


def _uncertainty(logprobs: Sequence[float]) -> float:
    """Length-normalized G-NLL as 0..1: one minus the geometric mean token probability."""
    return 1.0 - math.exp(sum(logprobs) / len(logprobs)) if logprobs else 1.0


def _prediction(answer: list[int], logprobs: list[float], plan: CopyPlan, codec: Codec, text: str) -> Prediction:
    entities = read_answer(answer, plan, codec.tags, text)
    if entities is None:
        return Prediction(entities=(), token_logprobs=tuple(logprobs), unparseable=True, uncertainty=1.0)
    scored, position = [], 0
    tag_logprobs = [lp for token, lp in zip(answer, logprobs) if token in codec.tags]
    for ent in entities:  # each entity owns one open and one close tag, in order
        opened, closed = tag_logprobs[position], tag_logprobs[position + 1]
        scored.append(ent._replace(score=math.exp(opened + closed)))
        position += 2
    return Prediction(tuple(scored), token_logprobs=tuple(logprobs), uncertainty=_uncertainty(logprobs))


@torch.no_grad()
def generate(
    model, codec: Codec, texts: Sequence[str], *, constrained: bool = True, batch_size: int = 32, device=None
) -> list[Prediction]:
    """One validated prediction per text, batched with left padding, in order."""
    from transformers import GenerationConfig, LogitsProcessorList

    device = device or next(model.parameters()).device
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
    results: dict[int, Prediction] = {}
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = [texts[i] for i in rows]
        plans = [codec.plan(t) for t in batch]
        prompts = codec.prompt_ids(batch)
        width = max(len(p) for p in prompts)
        ids = torch.full((len(batch), width), codec.pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, prompt in enumerate(prompts):
            ids[row, width - len(prompt) :] = torch.tensor(prompt)
            mask[row, width - len(prompt) :] = 1
        budget = max(len(p.ids) for p in plans) + 2 * max(len(p.ids) for p in plans) + 1
        processors = LogitsProcessorList([CopyConstraint(plans, codec, width)] if constrained else [])
        config = GenerationConfig(
            max_new_tokens=budget,
            do_sample=False,
            num_beams=1,
            pad_token_id=codec.pad_id,
            eos_token_id=codec.eos_id,
            output_logits=True,
            return_dict_in_generate=True,
        )
        result = model.generate(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            generation_config=config,
            logits_processor=processors,
        )
        answer_ids = result.sequences[:, width:]
        chosen = torch.stack(
            [
                step.float().log_softmax(-1).gather(-1, answer_ids[:, k, None])[:, 0]
                for k, step in enumerate(result.logits)
            ],
            dim=1,
        ).cpu()
        answer_ids = answer_ids.cpu()
        for row, index in enumerate(rows):
            tokens = answer_ids[row].tolist()
            length = tokens.index(codec.eos_id) if codec.eos_id in tokens else len(tokens)
            logprobs = chosen[row, : min(length + 1, chosen.shape[1])].tolist()
            results[index] = _prediction(tokens[:length], logprobs, plans[row], codec, batch[row])
    return [results[i] for i in range(len(texts))]
