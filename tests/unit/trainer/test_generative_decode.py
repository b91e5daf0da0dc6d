"""Decoding: constrained output is always a valid copy; raw output is validated, never raised.

``ReferenceConstraint`` is the per-row Python state machine the tensor ``CopyConstraint``
replaced, kept here only as the oracle: the tensor masks must allow exactly its tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nerloop.domain import load_domain  # noqa: E402
from trainer.backends.generative import decode  # noqa: E402
from trainer.backends.generative.codec import Codec  # noqa: E402
from trainer.backends.generative.constraint import CopyConstraint  # noqa: E402
from trainer.backends.generative.decode import _prediction, generate  # noqa: E402
from trainer.backends.generative.markup import CopyPlan  # noqa: E402
from trainer.backends.generative.model import tiny_base  # noqa: E402

torch.set_num_threads(1)
ALPHABET = "菏泽巨野麒麟所投诉本月供电公司 2024年5月AB𠀀"


class ReferenceConstraint:
    """The oracle: the former logits processor, one Python state machine per batch row."""

    def __init__(self, plans: Sequence[CopyPlan], codec, prompt_length: int) -> None:
        self.plans = list(plans)
        self.codec = codec
        self.prompt_length = prompt_length
        self.opens = {name: codec.tag_ids[f"<{name}>"] for name in codec.domain.type_names}
        self.pos = [0] * len(plans)
        self.open: list[str | None] = [None] * len(plans)
        self.open_at = [0] * len(plans)
        self.done = [False] * len(plans)
        self.seen = 0

    def _advance(self, row: int, token: int) -> None:
        if self.done[row]:
            return
        tag = self.codec.tags.get(token)
        if token == self.codec.eos_id:
            self.done[row] = True
        elif tag is None:
            self.pos[row] += 1
        elif tag[1]:
            self.open[row] = None
        else:
            self.open[row], self.open_at[row] = tag[0], self.pos[row]

    def allowed(self, row: int) -> list[int]:
        if self.done[row]:
            return [self.codec.pad_id]
        plan, pos, open_type = self.plans[row], self.pos[row], self.open[row]
        out = [plan.ids[pos]] if pos < len(plan.ids) else []
        if plan.boundary(pos):
            if open_type is None and pos < len(plan.ids):
                out += self.opens.values()
            elif open_type is not None and pos > self.open_at[row]:
                out.append(self.codec.tag_ids[f"</{open_type}>"])
        if pos == len(plan.ids) and open_type is None:
            out.append(self.codec.eos_id)
        return out

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        generated = input_ids.shape[1] - self.prompt_length
        if generated > self.seen:
            for row, token in enumerate(input_ids[:, -1].tolist()):
                self._advance(row, token)
            self.seen = generated
        rows: list[int] = []
        cols: list[int] = []
        for row in range(scores.shape[0]):
            allowed = self.allowed(row)
            rows += [row] * len(allowed)
            cols += allowed
        mask = torch.full_like(scores, float("-inf"))
        mask[rows, cols] = 0.0
        return scores + mask


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


TYPES = ("City", "Company", "Date")
VOCAB = 24  # plan ids 0..9, tags 12..17, end 20, padding 21 (or the end id)


def fake_codec(pad_is_eos: bool) -> SimpleNamespace:
    tag_ids = {t: 12 + i for i, t in enumerate(f"{o}{n}>" for n in TYPES for o in ("<", "</"))}
    tags = {i: (t.strip("</>"), t.startswith("</")) for t, i in tag_ids.items()}
    domain = SimpleNamespace(type_names=TYPES)
    return SimpleNamespace(tag_ids=tag_ids, tags=tags, eos_id=20, pad_id=20 if pad_is_eos else 21, domain=domain)


# a plan: per query character, how many ids render it (0: a dropped character such as a space)
plans = st.lists(st.lists(st.integers(0, 9), min_size=0, max_size=3), min_size=0, max_size=7).map(
    lambda chars: CopyPlan(tuple(t for ids in chars for t in ids), tuple(c for c, ids in enumerate(chars) for _ in ids))
)


@settings(max_examples=300, deadline=None)
@given(st.lists(plans, min_size=1, max_size=5), st.booleans(), st.booleans(), st.data())
def test_tensor_masks_allow_exactly_what_the_reference_allows(batch, pad_is_eos, free, data):
    """At every step and in every row of a ragged batch.

    ``free`` also feeds tokens no rule allows (a wrong copy, a stray tag, an early end), short of
    copying past the plan's end, where the reference itself is undefined.
    """
    codec, prompt = fake_codec(pad_is_eos), 3
    tensor, oracle = CopyConstraint(batch, codec, prompt), ReferenceConstraint(batch, codec, prompt)
    ids = torch.zeros((len(batch), prompt), dtype=torch.long)
    for _ in range(3 * max(len(p.ids) for p in batch) + 4):
        scores = torch.randn(len(batch), VOCAB)
        got, want = tensor(ids, scores.clone()), oracle(ids, scores.clone())
        assert torch.equal(got, want)
        step = []
        for row in range(len(batch)):
            allowed = sorted(oracle.allowed(row))
            assert set(torch.isfinite(got[row]).nonzero()[:, 0].tolist()) == set(allowed)
            anything = range(VOCAB) if oracle.pos[row] < len(batch[row].ids) else [*codec.tags, codec.eos_id]
            step.append(data.draw(st.sampled_from(sorted({*allowed, *anything}) if free else allowed)))
        ids = torch.cat([ids, torch.tensor(step)[:, None]], dim=1)
    if not free:
        assert all(oracle.done)


def test_generate_output_is_unchanged_by_the_tensor_constraint(random_model, monkeypatch):
    model, codec = random_model
    texts = ["𠀀菏泽巨野麒麟所投诉", "本月投诉", " 2024年5月AB", "菏", "供电公司 本月"]
    tensor = generate(model, codec, texts, batch_size=4)
    monkeypatch.setattr(decode, "CopyConstraint", ReferenceConstraint)
    assert generate(model, codec, texts, batch_size=4) == tensor
    assert not any(p.unparseable for p in tensor)
