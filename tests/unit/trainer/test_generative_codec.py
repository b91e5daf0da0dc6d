"""Prompt and answer ids: the domain instruction, the chat template, the loss mask."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from nerloop.domain import load_domain  # noqa: E402
from nerloop.records import Entity, TaggedQuery  # noqa: E402
from trainer.backends.generative.codec import IGNORE, Codec, add_tag_tokens  # noqa: E402
from trainer.backends.generative.model import tiny_base  # noqa: E402
from trainer.tokenizer import build_char_tokenizer  # noqa: E402

TEXT = "菏泽麒麟所投诉"
RECORD = TaggedQuery(
    TEXT, (Entity("Substation", 2, 5, "麒麟所"),), resolved={"City": "菏泽市", "Company": "巨野县供电公司"}
)


@pytest.fixture(scope="module")
def codec():
    domain = load_domain()
    return Codec(tiny_base(domain, [TEXT, "查询：标注："]).tokenizer, domain, "plain")


def test_loss_is_masked_on_the_prompt_and_the_answer_ends_with_the_end_token(codec):
    ids, labels = codec.example(RECORD, 128)
    prompt = codec.prompt_ids([TEXT])[0]
    assert ids[: len(prompt)] == prompt and set(labels[: len(prompt)]) == {IGNORE}
    answer = codec.tokenizer.convert_ids_to_tokens(labels[len(prompt) :])
    assert answer == ["菏", "泽", "<Substation>", "麒", "麟", "所", "</Substation>", "投", "诉", "<|end|>"]


def test_max_length_bounds_the_answer_not_the_prompt(codec):
    assert codec.example(RECORD, 10) is not None  # 7 characters + 2 tags + end; prompt on top
    assert codec.example(RECORD, 9) is None


def test_instruct_prompt_puts_the_domain_instruction_in_the_chat_template():
    domain = load_domain()
    tokenizer = build_char_tokenizer([TEXT], ["<|end|>"], full=False)
    tokenizer.chat_template = (
        "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}"
    )
    assert len(add_tag_tokens(tokenizer, domain)) == 2 * len(domain.types)
    prompt = Codec(tokenizer, domain, "instruct").prompt(TEXT)
    assert prompt.startswith("<|system|>标出查询中的实体") and prompt.endswith(f"<|user|>{TEXT}\n<|assistant|>")
    assert "Substation（供电所）" in prompt and "不要补写查询中没有的上级名称" in prompt


def test_a_data_restricted_vocabulary_keeps_only_the_given_characters():
    from trainer.tokenizer import SPECIAL_TOKENS, vocabulary

    vocab = vocabulary(["菏泽 ＡＢ"], ["<City>"], full=False)
    assert vocab[: len(SPECIAL_TOKENS) + 1] == [*SPECIAL_TOKENS, "<City>"]
    assert {"菏", "泽", "A", "B"} <= set(vocab) and "麒" not in vocab and " " not in vocab
    assert len(vocab) < 200 < len(vocabulary(["菏泽"]))
