"""Records → token ids, token labels and lexicon features, aligned by ``offset_mapping``.

Labels are given per character (Chinese has no words) and moved onto tokens by their
offsets: a token is labelled at the character it starts on, and only the first token
starting on a character is scored (NFKC may expand ``㈱`` into three tokens with the same
offsets). Decoding maps token spans back to code-point spans the same way.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from nerloop.records import TaggedQuery
from trainer.backends.tagger.labels import span_tags
from trainer.backends.tagger.lexicon import Lexicon, Match, drop_mentions

IGNORE = -100


@dataclass
class Encoded:
    """One text as the model sees it.

    Attributes:
        input_ids: token ids with the special tokens.
        offsets: ``(tokens, 2)`` code-point offsets (``0, 0`` for special tokens).
        kept: indexes of the scored tokens (the first non-special token per start character).
        char_index: per token, the character whose lexicon features it reads (``n_chars``: none).
        n_chars: length of the text.
    """

    input_ids: list[int]
    offsets: np.ndarray
    kept: np.ndarray
    char_index: np.ndarray
    n_chars: int


def encode(tokenizer, texts: Sequence[str], max_length: int) -> list[Encoded]:
    """Tokenize a batch (one Rust call) and work out which tokens carry labels.

    The offsets of the whole batch are read into one array and the scored tokens found with
    batch numpy calls; each text then gets its views (per text, numpy's fixed cost per call
    outweighed the work).
    """
    batch = tokenizer(
        list(texts),
        return_offsets_mapping=True,
        truncation=True,
        max_length=max_length,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    ids, offsets = batch["input_ids"], batch["offset_mapping"]
    sizes = np.fromiter(map(len, ids), np.int64, len(ids))
    total = int(sizes.sum())
    flat = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(offsets)), np.int64, 2 * total)
    offs = flat.reshape(-1, 2)
    first_token = np.zeros(total, dtype=bool)
    first_token[(np.cumsum(sizes) - sizes)[sizes > 0]] = True
    valid = offs[:, 1] > offs[:, 0]
    first = valid.copy()
    # a token that starts where the one before it (in the same text) started carries no label of its own
    first[1:] &= ~(valid[:-1] & (offs[1:, 0] == offs[:-1, 0]) & ~first_token[1:])
    n_chars = np.fromiter(map(len, texts), np.int64, len(texts))
    char_index = np.where(valid, offs[:, 0], np.repeat(n_chars, sizes))
    out = []
    at = 0
    for k, text in enumerate(texts):
        end = at + int(sizes[k])
        out.append(Encoded(ids[k], offs[at:end], np.nonzero(first[at:end])[0], char_index[at:end], len(text)))
        at = end
    return out


def token_labels(enc: Encoded, record: TaggedQuery, label_ids: dict[str, int], scheme: str) -> list[int]:
    """Per token: the label id of its tag, or ``IGNORE`` for special and repeated tokens."""
    starts = enc.offsets[enc.kept, 0]
    spans = []
    for entity in record.entities:
        inside = np.nonzero((starts >= entity.start) & (starts < entity.end))[0]
        if len(inside):
            spans.append((entity.type, int(inside[0]), int(inside[-1]) + 1))
    tags = span_tags(len(enc.kept), spans, scheme)
    labels = [IGNORE] * len(enc.input_ids)
    for position, tag in zip(enc.kept, tags):
        labels[int(position)] = label_ids[tag]
    return labels


@dataclass
class Example:
    enc: Encoded
    labels: list[int]
    weight: float
    matches: list[Match]
    mentions: list[tuple[int, int]]


class TaggerDataset(torch.utils.data.Dataset):
    """Encoded examples; in training, each gold mention's lexicon features are hidden with ``dropout``.

    Hiding a mention's matches makes it look like a name the gazetteer lacks while the rest
    of the query keeps its features: the situation the model must handle at test time. A
    hidden mention's characters are also replaced by ``[UNK]`` with ``unk_rate``: names the
    gazetteer lacks are often made of characters training never showed, whose embeddings are
    set to ``[UNK]``'s (:func:`trainer.backends.tagger.model.untrained_rows_to_unk`).
    """

    def __init__(
        self,
        examples: list[Example],
        lexicon: Lexicon | None,
        dropout: float = 0.0,
        seed: int = 0,
        *,
        unk_id: int | None = None,
        unk_rate: float = 0.25,
    ) -> None:
        self.examples = examples
        self.lexicon = lexicon
        self.dropout = dropout
        self.rng = random.Random(seed)
        self.unk_id = unk_id
        self.unk_rate = unk_rate if unk_id is not None else 0.0

    def __len__(self) -> int:
        return len(self.examples)

    def lengths(self) -> list[int]:
        return [len(e.enc.input_ids) for e in self.examples]

    def __getitem__(self, index: int) -> dict:
        example = self.examples[index]
        enc = example.enc
        hidden = [m for m in example.mentions if self.rng.random() < self.dropout] if self.dropout > 0 else []
        input_ids = enc.input_ids
        if hidden and self.unk_rate > 0:
            input_ids = list(input_ids)
            for position, (start, end) in enumerate(enc.offsets.tolist()):
                if end > start and any(s <= start < e for s, e in hidden) and self.rng.random() < self.unk_rate:
                    input_ids[position] = self.unk_id
        item = {"input_ids": input_ids, "labels": example.labels, "weights": example.weight}
        if self.lexicon is not None:
            matches = drop_mentions(example.matches, hidden) if hidden else example.matches
            item["lexicon"] = self.lexicon.char_features(enc.n_chars, matches)[enc.char_index]
        return item

    def token_ids(self) -> set[int]:
        """Every token id the examples contain (what training can move)."""
        return {i for e in self.examples for i in e.enc.input_ids}


def build_examples(
    records: Sequence[tuple[TaggedQuery, float]],
    tokenizer,
    lexicon: Lexicon | None,
    label_ids: dict[str, int],
    scheme: str,
    max_length: int,
) -> list[Example]:
    examples = []
    step = 1024
    for i in range(0, len(records), step):
        chunk = records[i : i + step]
        for (record, weight), enc in zip(chunk, encode(tokenizer, [r.text for r, _ in chunk], max_length)):
            matches = lexicon.matches(record.text) if lexicon is not None else []
            mentions = [(e.start, e.end) for e in record.entities]
            examples.append(Example(enc, token_labels(enc, record, label_ids, scheme), weight, matches, mentions))
    return examples


class Collator:
    """Dynamic padding: each batch is padded to its own longest example."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, items: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(item["input_ids"]) for item in items)
        n = len(items)
        input_ids = torch.full((n, width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((n, width), dtype=torch.long)
        labels = torch.full((n, width), IGNORE, dtype=torch.long)
        for row, item in enumerate(items):
            length = len(item["input_ids"])
            input_ids[row, :length] = torch.tensor(item["input_ids"])
            attention[row, :length] = 1
            labels[row, :length] = torch.tensor(item["labels"])
        batch = {
            "input_ids": input_ids,
            "attention_mask": attention,
            "labels": labels,
            "weights": torch.tensor([float(item["weights"]) for item in items]),
        }
        if "lexicon" in items[0]:
            features = np.zeros((n, width, items[0]["lexicon"].shape[1]), dtype=np.float32)
            for row, item in enumerate(items):
                features[row, : len(item["lexicon"])] = item["lexicon"]
            batch["lexicon"] = torch.from_numpy(features)
        return batch
