"""Decoding: constrained output is always a valid copy; raw output is validated, never raised."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nerloop.domain import load_domain  # noqa: E402
from trainer.backends.generative.codec import Codec  # noqa: E402
from trainer.backends.generative.decode import _prediction, generate  # noqa: E402
from trainer.backends.generative.model import tiny_base  # noqa: E402

torch.set_num_threads(1)
ALPHABET = "菏泽巨野麒麟所投诉本月供电公司 2024年5月AB𠀀"


@pytest.fixture(scope="module")
def random_model():
    """An untrained tiny model: whatever it prefers, constrained decoding must stay valid."""
    domain = load_domain()
    torch.manual_seed(0)
    base = tiny_base(domain, [ALPHABET])
    return base.model.eval(), Codec(base.tokenizer, domain, "plain")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=ALPHABET + "☃", min_size=1, max_size=12), min_size=1, max_size=4))
def test_constrained_output_copies_the_input_exactly(random_model, texts):
    model, codec = random_model
    for text, pred in zip(texts, generate(model, codec, texts, batch_size=3)):
        assert not pred.unparseable
        for ent in pred.entities:
            assert text[ent.start : ent.end] == ent.text and 0.0 <= ent.score <= 1.0
        assert 0.0 <= pred.uncertainty <= 1.0 and pred.token_logprobs


def test_constrained_decoding_covers_a_character_outside_the_bmp(random_model):
    model, codec = random_model
    (pred,) = generate(model, codec, ["𠀀菏泽巨野麒麟所投诉"])
    assert not pred.unparseable
    assert all(e.text == "𠀀菏泽巨野麒麟所投诉"[e.start : e.end] for e in pred.entities)


def test_raw_output_of_a_random_model_is_reported_not_raised(random_model):
    model, codec = random_model
    texts = ["菏泽巨野麒麟所投诉", "本月投诉"]
    preds = generate(model, codec, texts, constrained=False)
    for text, pred in zip(texts, preds):
        assert pred.token_logprobs is not None
        if pred.unparseable:
            assert pred.entities == () and pred.uncertainty == 1.0
        assert all(text[e.start : e.end] == e.text for e in pred.entities)
    assert any(p.unparseable for p in preds)


@pytest.mark.parametrize(
    "answer",
    [
        lambda c, p: [c.tag_ids["<City>"], *p.ids[:2], c.tag_ids["<Company>"], *p.ids[2:]],  # nested, unclosed
        lambda c, p: [*p.ids[:-1]],  # text cut short
        lambda c, p: [*p.ids, p.ids[0]],  # text added
        lambda c, p: [c.tag_ids["</City>"], *p.ids],  # stray close
    ],
)
def test_bad_raw_answers_are_unparseable_with_full_uncertainty(random_model, answer):
    _, codec = random_model
    plan = codec.plan("菏泽巨野")
    ids = answer(codec, plan)
    pred = _prediction(ids, [-0.1] * len(ids), plan, codec, "菏泽巨野")
    assert pred.unparseable and pred.entities == () and pred.uncertainty == 1.0


def test_entity_score_comes_from_its_tag_tokens(random_model):
    _, codec = random_model
    plan = codec.plan("菏泽巨野")
    ids = [codec.tag_ids["<City>"], *plan.ids[:2], codec.tag_ids["</City>"], *plan.ids[2:]]
    logprobs = [-0.5, -3.0, -3.0, -0.25, -3.0, -3.0]
    (ent,) = _prediction(ids, logprobs, plan, codec, "菏泽巨野").entities
    assert ent.text == "菏泽" and ent.score == pytest.approx(2.718281828**-0.75)
