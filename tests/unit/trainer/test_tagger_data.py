"""Labels move from characters to tokens by offsets; the weighted loss counts examples by their weight."""

from __future__ import annotations

import pytest
import torch

from nerloop.records import Entity, TaggedQuery
from trainer.backends.tagger.data import IGNORE, encode, token_labels
from trainer.backends.tagger.labels import Decoder, tag_labels
from trainer.backends.tagger.model import LexiconTokenClassifier, build_config_model


@pytest.fixture(scope="module")
def tokenizer():
    from trainer.tokenizer import build_char_tokenizer

    return build_char_tokenizer(["㈱菏泽𠀀"])


def test_labels_follow_offsets_through_nfkc_expansion_and_non_bmp_characters(tokenizer) -> None:
    text = "㈱菏泽𠀀投诉"
    record = TaggedQuery(text, (Entity("City", 1, 3, "菏泽"), Entity("Indicator", 4, 6, "投诉")))
    record.check_spans()
    (enc,) = encode(tokenizer, [text], 32)
    labels = tag_labels(["City", "Indicator"], "BIOES")
    ids = token_labels(enc, record, {label: i for i, label in enumerate(labels)}, "BIOES")
    assert len(enc.kept) == len(text)  # ㈱ → ( 株 ) is three tokens, one scored
    assert ids[0] == IGNORE and ids[-1] == IGNORE
    kept = [labels[ids[i]] for i in enc.kept]
    assert kept == ["O", "B-City", "E-City", "O", "B-Indicator", "E-Indicator"]
    decoder = Decoder(labels, "BIOES")
    spans = decoder.spans([ids[i] for i in enc.kept])
    starts, ends = enc.offsets[enc.kept, 0], enc.offsets[enc.kept, 1]
    assert [(t, int(starts[a]), int(ends[b - 1])) for t, a, b in spans] == [("City", 1, 3), ("Indicator", 4, 6)]


def test_weighted_loss_counts_each_example_by_its_weight() -> None:
    torch.manual_seed(0)
    network = LexiconTokenClassifier(build_config_model(50, ["O", "B-X", "I-X"]), 4).eval()  # no dropout
    ids = torch.randint(5, 50, (2, 6))
    labels = torch.randint(0, 3, (2, 6))
    lexicon = torch.zeros(2, 6, 4)
    only_first = network(ids, None, lexicon, labels, torch.tensor([1.0, 0.0]))["loss"]
    first_alone = network(ids[:1], None, lexicon[:1], labels[:1], torch.tensor([1.0]))["loss"]
    assert torch.allclose(only_first, first_alone, atol=1e-5)
    doubled = network(ids, None, lexicon, labels, torch.tensor([2.0, 2.0]))["loss"]
    assert torch.allclose(doubled, network(ids, None, lexicon, labels, torch.ones(2))["loss"], atol=1e-5)


def test_untrained_characters_share_the_unk_embedding_and_hidden_mentions_show_unk(tokenizer) -> None:
    from trainer.backends.tagger.data import Example, TaggerDataset
    from trainer.backends.tagger.lexicon import Lexicon  # noqa: F401  (the dataset works without a lexicon too)
    from trainer.backends.tagger.model import untrained_rows_to_unk

    (enc,) = encode(tokenizer, ["菏泽投诉"], 16)
    example = Example(enc, [IGNORE] * len(enc.input_ids), 1.0, [], [(0, 2)])
    dataset = TaggerDataset([example], None, dropout=1.0, seed=0, unk_id=tokenizer.unk_token_id, unk_rate=1.0)
    ids = dataset[0]["input_ids"]
    assert ids[1:3] == [tokenizer.unk_token_id] * 2 and ids[3:5] == enc.input_ids[3:5]
    network = LexiconTokenClassifier(build_config_model(len(tokenizer), ["O"]), 0)
    changed = untrained_rows_to_unk(network, dataset.token_ids(), tokenizer.unk_token_id)
    weight = network.model.get_input_embeddings().weight
    unseen = tokenizer.convert_tokens_to_ids("凤")
    assert changed == len(tokenizer) - len(dataset.token_ids() | {tokenizer.unk_token_id})
    assert torch.equal(weight[unseen], weight[tokenizer.unk_token_id])
    assert not torch.equal(weight[enc.input_ids[1]], weight[tokenizer.unk_token_id])
