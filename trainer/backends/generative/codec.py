"""Prompt and answer ids of the generative model: what it reads and what it must write.

The prompt is built from the domain (types, Chinese labels, descriptions, examples) and,
when the tokenizer has a chat template, wrapped in it. A ``plain`` prompt (the query and an
answer marker only) is the default for the ``tiny`` base: a random model cannot read an
instruction, and four hundred instruction tokens per example would dominate CPU training.
The answer is the query's copy plan with tag tokens (see :mod:`trainer.backends.generative.markup`),
then the end-of-sequence token; the loss is masked on the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nerloop.convert.alpaca import type_lines
from nerloop.domain import Domain
from nerloop.records import TaggedQuery
from trainer.backends.generative.markup import CopyPlan, answer_ids, copy_plan, tag_strings

END_TOKEN = "<|end|>"
IGNORE = -100


def instruction(domain: Domain) -> str:
    """The task as the model reads it: copy the query, tag the mentions, add nothing."""
    return "\n".join(
        [
            "标出查询中的实体：原样抄写查询，用以类型命名的 XML 标签包住查询里出现的每个实体，"
            "例如 <Type>原文</Type>；不要改动、增加或删除原文的任何字符，不要补写查询中没有的上级名称。",
            "实体类型：",
            *type_lines(domain),
        ]
    )


def _has_chat_template(tokenizer) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


@dataclass
class Codec:
    """Turns queries and records into ids for one tokenizer and domain, and back.

    Args:
        tokenizer: the model's tokenizer, with one added token per tag.
        domain: the entity types (tag names).
        style: ``plain`` or ``instruct``.
    """

    tokenizer: object
    domain: Domain
    style: str = "plain"
    tag_ids: dict[str, int] = field(init=False)
    tags: dict[int, tuple[str, bool]] = field(init=False)
    eos_id: int = field(init=False)
    pad_id: int = field(init=False)
    _chars: dict[str, tuple[int, ...]] = field(init=False, default_factory=dict)
    _instruction: str = field(init=False)

    def __post_init__(self) -> None:
        tok = self.tokenizer
        vocab = tok.get_vocab()
        missing = [t for t in tag_strings(self.domain.type_names) if t not in vocab]
        if missing:
            raise ValueError(f"tokenizer lacks tag tokens {missing}; add them with add_tag_tokens")
        self.tag_ids = {t: vocab[t] for t in tag_strings(self.domain.type_names)}
        self.tags = {i: (t.strip("</>"), t.startswith("</")) for t, i in self.tag_ids.items()}
        self.eos_id = vocab[END_TOKEN] if END_TOKEN in vocab else tok.eos_token_id
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else self.eos_id
        self._instruction = instruction(self.domain)

    def plan(self, text: str) -> CopyPlan:
        return copy_plan(text, self._encode_char)

    def _encode_char(self, ch: str) -> tuple[int, ...]:
        ids = self._chars.get(ch)
        if ids is None:
            ids = self._chars[ch] = tuple(self.tokenizer(ch, add_special_tokens=False)["input_ids"])
        return ids

    def prompt(self, text: str) -> str:
        if self.style == "instruct" and _has_chat_template(self.tokenizer):
            messages = [{"role": "system", "content": self._instruction}, {"role": "user", "content": text}]
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        head = f"{self._instruction}\n" if self.style == "instruct" else ""
        return f"{head}查询：{text}\n标注："

    def prompt_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer([self.prompt(t) for t in texts], add_special_tokens=False)["input_ids"]

    def example(self, record: TaggedQuery, max_length: int) -> tuple[list[int], list[int]] | None:
        """Input ids and labels (prompt masked), or ``None`` when the answer is over ``max_length``.

        ``max_length`` bounds the answer (the tagged copy of the query), not the prompt: the
        instruction is a fixed cost on top, and cutting an answer would teach a broken copy.
        """
        answer = [*answer_ids(record, self.plan(record.text), self.tag_ids), self.eos_id]
        if len(answer) > max_length:
            return None
        prompt = self.prompt_ids([record.text])[0]
        return prompt + answer, [IGNORE] * len(prompt) + answer


def add_tag_tokens(tokenizer, domain: Domain) -> list[int]:
    """Add the domain's tag tokens (whole, never split) and return the ids that are new."""
    before = len(tokenizer)
    wanted = [t for t in tag_strings(domain.type_names) if t not in tokenizer.get_vocab()]
    if wanted:
        tokenizer.add_tokens(wanted, special_tokens=True)
    return list(range(before, len(tokenizer)))
