"""Packed inference: queries laid end to end in rows give what each gives alone, padded."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trainer.backends.tagger.labels import tag_labels
from trainer.backends.tagger.lexicon import Lexicon
from trainer.backends.tagger.model import LexiconTokenClassifier, TaggerSpec, build_config_model
from trainer.backends.tagger.packing import block_mask, can_pack, pack, worth_packing
from trainer.backends.tagger.tagging import TokenTagger
from trainer.tokenizer import build_char_tokenizer

QUERIES = [
    "本月菏泽巨野县供电公司麒麟供电所投诉个数",
    "你好",
    "😀𠀀菏泽麒麟供电所投诉",
    "上个月济南市中区供电公司停电次数是多少呢请帮我查一下谢谢",
    "对比巨野和郓城的投诉",
    "意见",
    "2024年5月山东省的投诉百万户量",
    "菏泽",
    "城关供电所上季度意见工单数量排名前五的供电所有哪些",
]


@given(st.lists(st.integers(1, 60), min_size=1, max_size=40))
def test_packing_places_every_sequence_once_inside_its_row_without_overlap(lengths: list[int]) -> None:
    packing = pack(lengths)
    assert packing.width == max(lengths) and 1 <= packing.rows <= len(lengths)
    used = np.zeros((packing.rows, packing.width), dtype=int)
    for size, row, at in zip(lengths, packing.row, packing.offset):
        assert 0 <= at and at + size <= packing.width
        used[row, at : at + size] += 1
    assert used.max() == 1 and used.sum() == sum(lengths)


def test_packing_is_used_only_where_it_saves_work() -> None:
    assert not worth_packing(pack([20, 20, 20]), 3)
    assert worth_packing(pack([40, 10, 10, 10, 12, 8]), 6)


def test_the_mask_keeps_attention_inside_each_query_and_padding_on_itself() -> None:
    segments = np.array([[1, 1, 2, 0]])
    allowed = block_mask(segments, None)[0, 0].numpy()
    assert allowed.tolist() == [
        [True, True, False, False],
        [True, True, False, False],
        [False, False, True, False],
        [False, False, False, True],
    ]
    additive = block_mask(segments, __import__("torch").float32)[0, 0].numpy()
    assert (additive[allowed] == 0).all() and (additive[~allowed] < -1e30).all()


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_packed_predictions_equal_padded_ones(mini, attention: str) -> None:
    import torch

    torch.manual_seed(0)
    labels = tag_labels(sorted(mini.domain.types), "BIOES")
    tokenizer = build_char_tokenizer(QUERIES)
    model = build_config_model(len(tokenizer), list(labels))
    model.config._attn_implementation = attention
    types = tuple(sorted(mini.domain.types))
    lexicon = Lexicon(mini, types)
    network = LexiconTokenClassifier(model, lexicon.n_features).eval()
    spec = TaggerSpec(tuple(labels), "BIOES", types, 128)
    tagger = TokenTagger(network, tokenizer, spec, "test", lexicon, precision="fp32")
    assert can_pack(model)
    rng = random.Random(3)
    batches = [rng.sample(QUERIES, rng.randint(2, len(QUERIES))) for _ in range(12)]
    packed = [tagger._predict_batch(batch) for batch in batches]
    tagger._packable = False
    padded = [tagger._predict_batch(batch) for batch in batches]  # the lean forward where it applies (sdpa)
    tagger._lean = None
    through_model = [tagger._predict_batch(batch) for batch in batches]  # the model's own forward, padded
    assert any(worth_packing(pack([len(t) + 2 for t in b]), len(b)) for b in batches)
    for one, other, third in zip(packed, padded, through_model):
        for a, b, c in zip(one, other, third):
            assert a.entities == b.entities == c.entities and a.uncertainty == b.uncertainty == c.uncertainty
            np.testing.assert_allclose(a.token_probs, b.token_probs, atol=1e-5)
            np.testing.assert_allclose(b.token_probs, c.token_probs, atol=1e-6)


def test_the_lean_forward_gives_the_models_own_logits_and_only_where_it_is_that_model(mini) -> None:
    import torch

    from trainer.backends.tagger.lean import LeanBert

    torch.manual_seed(1)
    labels = tag_labels(sorted(mini.domain.types), "BIOES")
    model = build_config_model(200, list(labels)).eval()
    lean = LeanBert.of(model)
    assert lean is not None
    segments = np.array([[1, 1, 1, 2, 2, 0], [3, 3, 3, 3, 0, 0]])
    positions = torch.tensor([[0, 1, 2, 0, 1, 0], [0, 1, 2, 3, 0, 0]])
    mask = block_mask(segments, None)
    embeds = model.get_input_embeddings()(torch.randint(0, 200, (2, 6)))
    with torch.inference_mode():
        expected = model(inputs_embeds=embeds, attention_mask=mask, position_ids=positions).logits
        assert torch.equal(lean(embeds, mask, positions), expected)
        # padded rows, one query each: the block mask is the padding mask, to the bit on every real token
        padded = np.array([[1, 1, 1, 1, 0, 0], [2, 2, 2, 2, 2, 2]])
        real = torch.from_numpy(padded > 0)
        own = model(inputs_embeds=embeds, attention_mask=torch.from_numpy((padded > 0).astype(np.int64))).logits
        lean_padded = lean(embeds, block_mask(padded, None), torch.arange(6).expand(2, 6))
        assert torch.equal(lean_padded[real], own[real])
    model.config._attn_implementation = "eager"
    assert LeanBert.of(model) is None
    model.config._attn_implementation = "sdpa"
    model.bert.encoder.layer[0].attention.self.query = torch.nn.Sequential(
        model.bert.encoder.layer[0].attention.self.query
    )
    assert LeanBert.of(model) is None  # something in place of a plain linear map: the model's own forward
