"""The calibrated combination: what the gazetteer knows for sure stays, what nothing backs needs confidence."""

from __future__ import annotations

import numpy as np
import pytest

from gazetteers.matcher import GazetteerMatcher
from inference.calibration import PlattCalibration, fit_platt, reliability
from inference.combine import Thresholds, combine_calibrated
from inference.evidence import CONTEXT, FULL_NAME, NONE, SUFFIX, WEAK_SHORT_FORM, EvidenceFinder
from nerloop.records import Entity


@pytest.fixture
def evidence(mini) -> EvidenceFinder:
    return EvidenceFinder(GazetteerMatcher(mini))


def _ent(text: str, type_name: str, part: str, score: float | None = None, nth: int = 0) -> Entity:
    start = text.index(part) if nth == 0 else text.index(part, text.index(part) + 1)
    return Entity(type_name, start, start + len(part), part, score=score)


def test_evidence_kinds(evidence: EvidenceFinder) -> None:
    text = "巨野县供电公司青禾供电所刷新一下"
    assert evidence.of(_ent(text, "Company", "巨野县供电公司")).kind == FULL_NAME
    assert evidence.of(_ent(text, "Company", "巨野县供电公司")).protected
    assert evidence.of(_ent(text, "Substation", "青禾供电所")).kind == SUFFIX
    assert evidence.of(_ent(text, "Substation", "刷新")).kind == NONE
    assert not evidence.of(_ent(text, "Substation", "刷新")).supported


@pytest.mark.parametrize("phrase", ["下属各供电所", "排名前五的供电所", "各供电所"])
def test_a_suffix_after_words_that_end_no_name_is_no_support(evidence: EvidenceFinder, phrase: str) -> None:
    text = f"寿光市供电公司{phrase}停电排名"
    span = _ent(text, "Substation", phrase[-4:] if phrase.startswith("各") else phrase[2:])
    assert evidence.of(span).kind == NONE, span.text


def test_unsupported_model_span_needs_the_high_threshold(evidence: EvidenceFinder) -> None:
    text = "你好赵建国今天在吗"
    junk = _ent(text, "Substation", "建国", score=0.7)
    kept, decisions = combine_calibrated([junk], [], None, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.0))
    assert kept == [] and decisions[0].reason == "below the threshold" and decisions[0].threshold == 0.9
    kept, _ = combine_calibrated([junk._replace(score=0.95)], [], None, evidence, PlattCalibration(), Thresholds())
    assert [e.text for e in kept] == ["建国"]


def test_unknown_name_with_suffix_is_kept_at_the_supported_threshold(evidence: EvidenceFinder) -> None:
    text = "菏泽青禾供电所投诉"
    span = _ent(text, "Substation", "青禾供电所", score=0.6)
    kept, decisions = combine_calibrated([span], [], None, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.0))
    assert [e.text for e in kept] == ["青禾供电所"] and decisions[0].evidence == SUFFIX


def test_full_name_is_never_lost_to_the_model(evidence: EvidenceFinder) -> None:
    text = "巨野县供电公司投诉"
    match = _ent(text, "Company", "巨野县供电公司", score=1.0)
    probs = np.zeros(len(text), dtype=np.float32)  # the model sees nothing at all
    kept, decisions = combine_calibrated([], [match], probs, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.9))
    assert kept == [match] and decisions[0].reason == "protected gazetteer match"


def test_weak_short_form_is_vetoed_when_the_model_reads_no_mention(evidence: EvidenceFinder, mini) -> None:
    matcher = GazetteerMatcher(mini)
    weak = next(f for f in matcher.weak_forms("Substation"))
    text = f"王{weak}的电话"
    match = _ent(text, "Substation", weak, score=1.0)
    assert evidence.of(match).kind == WEAK_SHORT_FORM
    low = np.full(len(text), 0.02, dtype=np.float32)
    kept, decisions = combine_calibrated([], [match], low, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.2))
    assert kept == [] and decisions[0].reason == "the model reads no mention here" and decisions[0].entity_prob < 0.2
    high = np.full(len(text), 0.9, dtype=np.float32)
    kept, _ = combine_calibrated([], [match], high, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.2))
    assert kept == [match]


def test_longer_model_span_around_a_gazetteer_form_replaces_it(evidence: EvidenceFinder) -> None:
    text = "金龙山供电所投诉"
    inner = _ent(text, "Substation", "龙山供电所", score=1.0)
    outer = _ent(text, "Substation", "金龙山供电所", score=0.8)
    kept, decisions = combine_calibrated([outer], [inner], None, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0))
    assert [e.text for e in kept] == ["金龙山供电所"]
    assert any(d.reason == "inside a longer model span" and not d.kept for d in decisions)


def test_agreement_keeps_one_span_with_the_better_score(evidence: EvidenceFinder) -> None:
    text = "巨野县投诉"
    model = _ent(text, "Company", "巨野县", score=0.7)
    match = _ent(text, "Company", "巨野县", score=1.0)
    kept, decisions = combine_calibrated([model], [match], None, evidence, PlattCalibration(), Thresholds())
    assert len(kept) == 1 and kept[0].score == 1.0 and decisions[0].source == "both"


def test_platt_fit_moves_overconfident_scores_down() -> None:
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.9, 1.0, 400)
    correct = rng.uniform(size=400) < 0.6  # right only 60 % of the time whatever the raw score says
    fit = fit_platt(raw.tolist(), correct.tolist())
    calibrated = [fit(r) for r in raw]
    _, ece_raw = reliability(raw.tolist(), correct.tolist())
    _, ece_fit = reliability(calibrated, correct.tolist())
    assert ece_fit < ece_raw and abs(float(np.mean(calibrated)) - 0.6) < 0.05


def test_platt_fit_without_both_outcomes_is_the_identity() -> None:
    fit = fit_platt([0.3, 0.9] * 10, [True] * 20)
    assert (fit.slope, fit.intercept) == (1.0, 0.0) and abs(fit(0.3) - 0.3) < 1e-9


def test_a_span_where_a_unit_goes_is_supported_by_its_neighbours(evidence: EvidenceFinder) -> None:
    text = "巨野县青禾投诉"
    company, indicator = _ent(text, "Company", "巨野县", 1.0), _ent(text, "Indicator", "投诉", 1.0)
    span = _ent(text, "Substation", "青禾", score=0.6)
    assert evidence.of(span).kind == NONE
    assert evidence.in_context(span, [company, indicator]).kind == CONTEXT
    assert not evidence.in_context(span, [company]).supported and not evidence.in_context(span, [indicator]).supported
    gap = "巨野县青禾口投诉"  # 青禾 does not reach the indicator: no unit fills the gap
    assert not evidence.in_context(_ent(gap, "Substation", "青禾"), [company, _ent(gap, "Indicator", "投诉")]).supported
    lone = "你好赵建国今天在吗"
    assert not evidence.in_context(_ent(lone, "Substation", "建国", 0.6), []).supported
    kept, decisions = combine_calibrated(
        [span], [company, indicator], None, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.0)
    )
    assert "青禾" in [e.text for e in kept]
    assert next(d for d in decisions if d.entity.text == "青禾").evidence == CONTEXT


def test_platt_offsets_separate_what_the_gazetteer_backs_from_what_nothing_backs() -> None:
    rng = np.random.default_rng(1)
    raw = rng.uniform(0.8, 1.0, 600)
    kinds = [SUFFIX if i % 2 else NONE for i in range(600)]
    correct = [rng.uniform() < (0.9 if k == SUFFIX else 0.3) for k in kinds]
    fit = fit_platt(raw.tolist(), correct, kinds)
    assert fit(0.9, SUFFIX) > 0.8 and fit(0.9, NONE) < 0.45
    again = PlattCalibration.from_dict(fit.to_dict())
    assert again(0.9, NONE) == fit(0.9, NONE)


def test_without_an_indicator_or_date_only_full_names_stay_when_the_anchor_is_asked(evidence: EvidenceFinder) -> None:
    chat = "菏泽烧饼和济南市的把子肉哪个好吃"
    matched = [_ent(chat, "City", "菏泽"), _ent(chat, "City", "济南市")]
    thresholds = Thresholds(0.5, 0.9, 0.0, anchor=True)
    kept, decisions = combine_calibrated([], matched, None, evidence, PlattCalibration(), thresholds)
    assert [e.text for e in kept] == ["济南市"]  # a full name is never lost
    assert [(d.entity.text, d.reason) for d in decisions if not d.kept] == [
        ("菏泽", "no indicator or date in the query")
    ]
    kept, _ = combine_calibrated([], matched, None, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.0))
    assert [e.text for e in kept] == ["菏泽", "济南市"]

    query = "菏泽投诉"
    matched = [_ent(query, "City", "菏泽"), _ent(query, "Indicator", "投诉")]
    kept, _ = combine_calibrated([], matched, None, evidence, PlattCalibration(), thresholds)
    assert [e.text for e in kept] == ["菏泽", "投诉"]


def test_a_date_span_the_date_grammar_cannot_read_has_no_support(evidence: EvidenceFinder) -> None:
    text = "SELECT * FROM orders LIMIT 10;"
    assert evidence.of(_ent(text, "Date", "10;")).kind == NONE
    assert evidence.of(_ent("本月菏泽投诉", "Date", "本月")).protected


def test_only_an_indicator_or_date_the_gazetteer_knows_anchors_a_query(evidence: EvidenceFinder) -> None:
    text = "菏泽老乡会在哪里举办"
    invented = _ent(text, "Indicator", "举办", score=0.99)
    kept, _ = combine_calibrated(
        [invented], [_ent(text, "City", "菏泽")], None, evidence, PlattCalibration(), Thresholds(0.5, 0.9, 0.0, True)
    )
    assert kept == []


def test_agreeing_spans_take_the_shortcut_and_decide_as_the_general_path(evidence: EvidenceFinder, mini) -> None:
    """Where the model cuts the text as the matcher does, the shortcut decides as the span-by-span path."""
    import random

    import inference.combine as combine

    matcher = GazetteerMatcher(mini)
    types = sorted(mini.domain.types)
    forms = sorted({f for t in types for f in mini.surfaces(t)}) + ["本月", "的", "上季度", "你好"]
    rng = random.Random(3)
    calibration = PlattCalibration(0.7, 0.2, 10, {FULL_NAME: 1.0, NONE: -1.0})
    checked = 0
    for _ in range(300):
        text = "".join(rng.choice(forms) for _ in range(rng.randint(1, 5)))
        found = matcher.find(text)
        model = [e._replace(type=rng.choice(types), score=round(rng.random(), 4)) for e in found]
        probs = np.asarray([rng.random() for _ in text], dtype=np.float32)
        thresholds = Thresholds(rng.random(), rng.random(), rng.choice([0.0, 0.3]), rng.random() < 0.5)
        assert combine._same_spans(model, found)
        fast = combine_calibrated(model, found, probs, evidence, calibration, thresholds)
        original = combine._same_spans
        combine._same_spans = lambda *_: False
        try:
            general = combine_calibrated(model, found, probs, evidence, calibration, thresholds)
        finally:
            combine._same_spans = original
        assert fast == general, text
        checked += bool(found)
    assert checked > 200


def test_spans_that_overlap_or_differ_are_not_taken_for_agreement() -> None:
    from inference.combine import _same_spans

    a, b, c = Entity("City", 0, 2, "菏泽"), Entity("Company", 2, 4, "巨野"), Entity("Company", 1, 4, "泽巨野")
    assert _same_spans([a, b], [a, b]) and _same_spans([], [])
    assert not _same_spans([a], [a, b]) and not _same_spans([a, c], [a, c]) and not _same_spans([a, b], [a, c])


def test_decisions_built_in_c_are_the_named_tuples() -> None:
    """_decided is Decision(...) without the named tuple's Python __new__: same fields, same defaults."""
    from inference.combine import Decision, _decided

    entity = Entity("City", 2, 4, "菏泽", None, 0.9)
    full = ("both", True, "model and gazetteer agree", "full name", 0.91, 0.8, 0.5)
    assert _decided(entity, *full) == Decision(entity, *full)
    assert type(_decided(entity, *full)) is Decision
    short = _decided(entity, "matcher", False, "gazetteer match", "short form")
    assert short == Decision(entity, "matcher", False, "gazetteer match", "short form")
    assert short.confidence is short.entity_prob is short.threshold is None
