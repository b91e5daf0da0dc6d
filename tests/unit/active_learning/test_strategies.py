"""Uncertainty strategies on hand-computed arrays, one table per input kind."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from active_learning.errors import StrategyError
from active_learning.strategies import (
    STRATEGIES,
    Needs,
    Strategy,
    bald,
    boosted,
    g_nll,
    least_confidence,
    margin,
    mnlp,
    needs_of,
    register_strategy,
    resolver_signals,
    score_all,
    score_batch,
    strategy,
    strategy_names,
    token_entropy,
)
from nerloop.records import Entity, TaggedQuery
from nerloop.tagging import Prediction

LN2 = math.log(2)

PROB_CASES = [
    # (function, token distributions, expected)
    (least_confidence, [[1.0, 0.0], [1.0, 0.0]], 0.0),
    (least_confidence, [[0.5, 0.5], [0.8, 0.2]], 1 - 0.5 * 0.8),
    (least_confidence, [[0.9, 0.05, 0.05]], 0.1),
    (least_confidence, [], 0.0),
    (margin, [[0.6, 0.4], [0.9, 0.1]], 1 - 0.2),
    (margin, [[0.5, 0.3, 0.2]], 1 - 0.2),
    (margin, [[1.0, 0.0]], 0.0),
    (margin, [], 0.0),
    (token_entropy, [[0.5, 0.5], [1.0, 0.0]], LN2 / 2),
    (token_entropy, [[0.25, 0.25, 0.25, 0.25]], math.log(4)),
    (token_entropy, [], 0.0),
]


@pytest.mark.parametrize(("fn", "probs", "expected"), PROB_CASES)
def test_probability_strategies_match_hand_computed_values(fn, probs, expected):
    assert fn(probs) == pytest.approx(expected)


LOGPROB_CASES = [
    (mnlp, [math.log(0.5), math.log(0.5)], LN2),
    (mnlp, [math.log(0.5), 0.0, 0.0, 0.0], LN2 / 4),
    (mnlp, [], 0.0),
    (g_nll, [math.log(0.5), math.log(0.5)], 2 * LN2),
    (g_nll, [0.0], 0.0),
]


@pytest.mark.parametrize(("fn", "logprobs", "expected"), LOGPROB_CASES)
def test_logprob_strategies_match_hand_computed_values(fn, logprobs, expected):
    assert fn(logprobs) == pytest.approx(expected)


def test_mnlp_does_not_prefer_a_query_for_being_long():
    short = [math.log(0.6)] * 3
    long = [math.log(0.6)] * 30
    assert mnlp(short) == pytest.approx(mnlp(long))
    assert g_nll(long) > g_nll(short)


BALD_CASES = [
    # two passes that agree: no mutual information however unsure each pass is
    ([[[0.5, 0.5]], [[0.5, 0.5]]], 0.0),
    # two confident passes that disagree: H(mean) = ln 2, mean H = 0
    ([[[1.0, 0.0]], [[0.0, 1.0]]], LN2),
    # second token agrees, so the mean over tokens halves it
    ([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]]], LN2 / 2),
    ([], 0.0),
]


@pytest.mark.parametrize(("samples", "expected"), BALD_CASES)
def test_bald_is_the_mutual_information_of_the_passes(samples, expected):
    assert bald(samples) == pytest.approx(expected)


def test_bald_rejects_passes_of_different_lengths():
    with pytest.raises(StrategyError, match="number of tokens"):
        bald([[[1.0, 0.0]], [[1.0, 0.0], [0.5, 0.5]]])


def test_score_all_uses_each_input_a_prediction_has():
    tagger = Prediction(entities=(), token_probs=((0.5, 0.5), (1.0, 0.0)))
    scores = score_all(tagger, samples=[[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]]])
    assert scores["least_confidence"] == pytest.approx(0.5)
    assert scores["mnlp"] == pytest.approx(LN2 / 2)  # the tagger's best-label log-probs stand in
    assert scores["bald"] == pytest.approx(LN2 / 2)
    assert scores["unparseable"] == 0.0

    generative = Prediction(entities=(), token_logprobs=(math.log(0.5), 0.0))
    scores = score_all(generative)
    assert scores["g_nll"] == pytest.approx(LN2)
    assert "least_confidence" not in scores and "bald" not in scores

    matcher = Prediction(entities=())
    assert set(score_all(matcher)) == {"unparseable"}


def test_an_unparseable_output_ranks_first_for_every_strategy_it_has():
    broken = Prediction(entities=(), token_logprobs=(0.0,), unparseable=True)
    scores = score_all(broken)
    assert scores["unparseable"] == 1.0
    assert scores["g_nll"] == math.inf and scores["mnlp"] == math.inf


def test_registering_a_duplicate_name_is_refused():
    with pytest.raises(StrategyError, match="already registered"):
        register_strategy(Strategy("margin", "probs", margin, "again"))
    with pytest.raises(StrategyError, match="already registered"):
        register_strategy(Strategy("random", "probs", margin, "shadowing the baseline"))
    assert STRATEGIES["margin"].fn is margin


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            TaggedQuery(
                "菏泽新开所投诉", (Entity("City", 0, 2, "菏泽", "山东省/菏泽市"), Entity("Substation", 2, 5, "新开所"))
            ),
            {"unlinked": True, "ambiguous": False, "conflict": False, "unparseable": False},
        ),
        (
            TaggedQuery("龙山投诉", (Entity("Substation", 0, 2, "龙山"),), ambiguous=(("a",), ("b",))),
            {"unlinked": True, "ambiguous": True, "conflict": False, "unparseable": False},
        ),
        (
            TaggedQuery("𠀀本月投诉", (Entity("Date", 1, 3, "本月"), Entity("Indicator", 3, 5, "投诉"))),
            {"unlinked": False, "ambiguous": False, "conflict": False, "unparseable": False},
        ),
        (
            TaggedQuery("x", conflict=True),
            {"unlinked": False, "ambiguous": False, "conflict": True, "unparseable": False},
        ),
    ],
)
def test_resolver_signals_flag_new_names_ambiguity_and_conflict(record, expected):
    record.check_spans()
    assert resolver_signals(record, ("Province", "City", "Company", "Substation")) == expected


def test_boosts_add_only_for_signals_that_are_set():
    assert boosted(0.25, {"unlinked": True, "conflict": False}, {"unlinked": 0.5, "conflict": 0.3}) == 0.75
    assert boosted(0.25, {}, {"unlinked": 0.5}) == 0.25


def _distributions(draw, n_tokens: int, n_labels: int) -> list[list[float]]:
    rows = []
    for _ in range(n_tokens):
        weights = draw(st.lists(st.floats(0.0, 1.0), min_size=n_labels, max_size=n_labels))
        total = sum(weights)
        rows.append([w / total for w in weights] if total > 0 else [1.0] + [0.0] * (n_labels - 1))
    return rows


@st.composite
def _batches(draw):
    """A batch as al score sees it: tagger predictions of mixed lengths (some empty), a matcher's,
    a generative one, an unparseable one; with MC passes for some."""
    n_labels = draw(st.integers(1, 4))
    predictions, samples = [], []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["tagger", "tagger", "tagger", "matcher", "generative", "broken"]))
        if kind == "tagger":
            n_tokens = draw(st.integers(0, 5))
            predictions.append(Prediction((), token_probs=np.array(_distributions(draw, n_tokens, n_labels))))
            passes = [_distributions(draw, n_tokens, n_labels) for _ in range(2)] if draw(st.booleans()) else None
            samples.append(passes)
        elif kind == "generative":
            logprobs = draw(st.lists(st.floats(-5.0, 0.0), max_size=4))
            predictions.append(Prediction((), token_logprobs=tuple(logprobs)))
            samples.append(None)
        elif kind == "broken":
            predictions.append(Prediction((), token_logprobs=(0.0,), unparseable=True))
            samples.append(None)
        else:
            predictions.append(Prediction(()))
            samples.append(None)
    return predictions, samples


@settings(max_examples=300, deadline=None)
@given(_batches())
def test_batch_scoring_equals_query_by_query_scoring(batch):
    predictions, samples = batch
    batched = score_batch(predictions, samples)
    for prediction, passes, scores in zip(predictions, samples, batched):
        expected = score_all(prediction, passes)
        assert list(scores) == list(expected)  # same strategies, same order
        for name, value in expected.items():
            assert scores[name] == pytest.approx(value, abs=1e-9), name


def test_batch_scoring_without_samples_leaves_bald_out():
    prediction = Prediction((), token_probs=np.array([[0.5, 0.5]]))
    assert "bald" not in score_batch([prediction])[0]
    assert score_batch([]) == []


@settings(max_examples=100, deadline=None)
@given(_batches())
def test_batch_scoring_of_float32_arrays_agrees_to_float32_precision(batch):
    """The tagger hands over float32 arrays; the batch form scores them in float32."""
    predictions, samples = batch
    narrow = [
        replace(p, token_probs=np.asarray(p.token_probs, dtype=np.float32)) if p.token_probs is not None else p
        for p in predictions
    ]
    for prediction, scores in zip(predictions, score_batch(narrow, samples)):
        for name, value in score_all(prediction).items():
            if name in scores:
                assert scores[name] == pytest.approx(value, rel=1e-4, abs=1e-5), name


NEEDS_TABLE = [
    # (strategy, what it reads from a prediction)
    ("least_confidence", Needs.TOKEN_PROBS),
    ("margin", Needs.TOKEN_PROBS),
    ("token_entropy", Needs.TOKEN_PROBS),
    ("mnlp", Needs.LOGPROBS),
    ("bald", Needs.MC_SAMPLES),
    ("g_nll", Needs.LOGPROBS),
    ("unparseable", Needs.PREDICTION),
    ("random", None),
]


@pytest.mark.parametrize(("name", "needs"), NEEDS_TABLE)
def test_the_registry_says_what_each_strategy_needs(name, needs):
    assert needs_of(name) is needs


def test_the_table_covers_every_registered_strategy():
    assert [name for name, _ in NEEDS_TABLE] == [*STRATEGIES, "random"]
    assert strategy_names() == ["random", *STRATEGIES]


def test_an_unknown_strategy_lists_the_known_ones():
    with pytest.raises(StrategyError, match="unknown strategy 'nope'; choose one of: random, least_confidence, margin"):
        needs_of("nope")


def test_the_decorator_registers_a_plain_function_and_refuses_a_second_one():
    @strategy("test_constant", Needs.TOKEN_PROBS, help="always 0.5")
    def constant(probs):
        return 0.5

    try:
        assert constant([[1.0]]) == 0.5  # the function stays a plain function
        assert STRATEGIES["test_constant"].fn is constant and needs_of("test_constant") is Needs.TOKEN_PROBS
        assert score_all(Prediction((), token_probs=((1.0, 0.0),)))["test_constant"] == 0.5
        with pytest.raises(StrategyError, match="already registered"):
            strategy("test_constant", Needs.LOGPROBS, help="again")(mnlp)
    finally:
        del STRATEGIES["test_constant"]


def test_needs_must_be_one_the_registry_knows():
    with pytest.raises(StrategyError, match="needs must be one of probs, logprobs, samples, prediction"):
        Strategy("odd", "gradients", margin, "no such input")
