from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

from nerloop.convert.bio import record_to_bio
from nerloop.evaluation import EvaluationMismatch, evaluate
from nerloop.records import DateRange, Entity, TaggedQuery, Target

HIERARCHY = ("Province", "City", "Company", "Substation")
CHAIN = {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"}
NOV = DateRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
CHAIN_A = ("山东省/济南市/章丘区供电公司/龙山供电所",)
CHAIN_B = ("山东省/日照市/莒县供电公司/龙山供电所",)


def q(text: str, *spans: tuple[str, int, int], **fields) -> TaggedQuery:
    return TaggedQuery(text, tuple(Entity(t, s, e, text[s:e]) for t, s, e in spans), **fields)


def test_hand_computed_scores():
    gold = [
        q("菏泽麒麟所投诉", ("City", 0, 2), ("Substation", 2, 5), ("Indicator", 5, 7), resolved=dict(CHAIN), date=NOV),
        q("投诉多少"),
    ]
    pred = [
        q(
            "菏泽麒麟所投诉",
            ("City", 0, 2),
            ("Substation", 2, 4),
            ("Indicator", 5, 7),
            resolved={**CHAIN, "Company": None},
            date=NOV,
        ),
        q("投诉多少", ("Indicator", 0, 2), resolved={"Province": None}),
    ]
    result = evaluate(gold, pred, HIERARCHY)
    json.dumps(result)
    assert result["n"] == 2
    assert result["entity_precision"] == pytest.approx(2 / 4)
    assert result["entity_recall"] == pytest.approx(2 / 3)
    assert result["entity_f1"] == pytest.approx(4 / 7)
    assert result["per_type"] == {
        "City": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
        "Indicator": {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1},
        "Substation": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
    }
    assert result["resolved_accuracy"] == 0.5  # a missing key counts as null
    assert (result["date_accuracy"], result["n_dated"]) == (1.0, 1)
    assert (result["ambiguity_accuracy"], result["n_ambiguous"]) == (None, 0)


def test_nothing_predicted_and_nothing_gold_scores_zero_not_nan():
    result = evaluate([q("你好")], [q("你好")], HIERARCHY)
    assert (result["entity_precision"], result["entity_recall"], result["entity_f1"]) == (0.0, 0.0, 0.0)
    assert result["per_type"] == {}
    assert result["resolved_accuracy"] == 1.0
    assert result["date_accuracy"] is None


def test_empty_input_has_no_accuracies():
    result = evaluate([], [], HIERARCHY)
    assert result["n"] == 0 and result["resolved_accuracy"] is None


def test_ambiguity_compares_candidate_sets_on_records_where_either_side_has_them():
    gold = [
        q("龙山所投诉", ambiguous=(CHAIN_A, CHAIN_B)),
        q("龙山所停电", ambiguous=(CHAIN_A, CHAIN_B)),
        q("章丘龙山所投诉"),
        q("菏泽投诉"),
    ]
    pred = [
        q("龙山所投诉", ambiguous=(CHAIN_B, CHAIN_A)),  # order does not matter
        q("龙山所停电"),  # guessed one chain instead of saying ambiguous
        q("章丘龙山所投诉", ambiguous=(CHAIN_A, CHAIN_B)),  # ambiguous where it is not
        q("菏泽投诉"),
    ]
    result = evaluate(gold, pred, HIERARCHY)
    assert (result["ambiguity_accuracy"], result["n_ambiguous"]) == (pytest.approx(1 / 3), 3)


def test_date_accuracy_counts_a_missed_and_an_invented_date():
    other = DateRange(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    gold = [q("本月投诉", date=NOV), q("上月投诉", date=other), q("投诉", date=None), q("停电")]
    pred = [q("本月投诉", date=NOV), q("上月投诉", date=None), q("投诉", date=NOV), q("停电")]
    result = evaluate(gold, pred, HIERARCHY)
    assert (result["date_accuracy"], result["n_dated"]) == (pytest.approx(1 / 3), 3)


def test_resolved_accuracy_needs_every_level_equal():
    gold = [q("a", resolved=dict(CHAIN)), q("b", resolved=dict(CHAIN))]
    pred = [q("a", resolved=dict(CHAIN)), q("b", resolved={**CHAIN, "Substation": "崮山供电所"})]
    assert evaluate(gold, pred, HIERARCHY)["resolved_accuracy"] == 0.5


@pytest.mark.parametrize(
    ("gold", "pred", "message"),
    [([q("a")], [], "1 gold records but 0"), ([q("a"), q("b")], [q("a"), q("c")], "record 1")],
)
def test_misaligned_inputs_raise(gold, pred, message):
    with pytest.raises(EvaluationMismatch, match=message) as info:
        evaluate(gold, pred, HIERARCHY)
    assert isinstance(info.value, ValueError)


TYPES = ["City", "Company", "Substation", "Indicator", "Date"]


def _non_overlapping(spans: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    kept: list[tuple[str, int, int]] = []
    for t, s, e in spans:
        if all(e <= ks or s >= ke for _, ks, ke in kept):
            kept.append((t, s, e))
    return sorted(kept, key=lambda x: x[1])


def _random_pair(rng: random.Random) -> tuple[TaggedQuery, TaggedQuery]:
    text = "".join(rng.choice("菏泽麒麟所投诉巨野县𠀀 ") for _ in range(rng.randint(1, 20)))

    def random_span() -> tuple[str, int, int]:
        s = rng.randrange(len(text))
        return rng.choice(TYPES), s, rng.randint(s + 1, min(len(text), s + 5))

    gold = _non_overlapping([random_span() for _ in range(rng.randint(0, 4))])
    pred = []
    for t, s, e in gold:
        roll = rng.random()
        if roll < 0.5:
            pred.append((t, s, e))
        elif roll < 0.65:
            pred.append((rng.choice(TYPES), s, e))
        elif roll < 0.8:
            pred.append((t, s, max(s + 1, min(len(text), e + rng.choice([-1, 1])))))
    pred = _non_overlapping(pred + [random_span() for _ in range(rng.randint(0, 2))])
    return q(text, *gold), q(text, *pred)


def test_agrees_with_seqeval_on_random_records():
    rng = random.Random(20260101)
    pairs = [_random_pair(rng) for _ in range(300)]
    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    y_true, y_pred = [record_to_bio(r) for r in gold], [record_to_bio(r) for r in pred]
    result = evaluate(gold, pred, HIERARCHY)
    assert result["entity_precision"] == pytest.approx(precision_score(y_true, y_pred), abs=1e-9)
    assert result["entity_recall"] == pytest.approx(recall_score(y_true, y_pred), abs=1e-9)
    assert result["entity_f1"] == pytest.approx(f1_score(y_true, y_pred), abs=1e-9)
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    per_type = {k: v for k, v in report.items() if not k.endswith(" avg")}
    assert set(result["per_type"]) == set(per_type)
    for name, ours in result["per_type"].items():
        theirs = per_type[name]
        assert ours["precision"] == pytest.approx(theirs["precision"], abs=1e-9)
        assert ours["recall"] == pytest.approx(theirs["recall"], abs=1e-9)
        assert ours["f1"] == pytest.approx(theirs["f1-score"], abs=1e-9)
        assert ours["support"] == theirs["support"]


def _compare(**pred_fields) -> TaggedQuery:
    return q("巨野和郓城投诉", ("Company", 0, 2), ("Company", 3, 5), ("Indicator", 5, 7), **pred_fields)


JUYE = {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": None}
YUNCHENG = {**JUYE, "Company": "郓城县供电公司"}
SHARED = {**JUYE, "Company": None}


def test_targets_are_scored_whole_and_multi_unit_queries_apart():
    two = (Target((0,), JUYE), Target((1,), YUNCHENG))
    gold = [_compare(resolved=SHARED, targets=two), q("菏泽投诉", ("City", 0, 2), resolved=dict(CHAIN))]
    right = evaluate(gold, [_compare(resolved=SHARED, targets=two), gold[1]], HIERARCHY)
    # the old record has no 'targets': one target over its hierarchy mentions, from the top-level fields
    assert (right["target_accuracy"], right["n_targeted"]) == (1.0, 2)
    assert (right["multi_target_accuracy"], right["n_multi_target"]) == (1.0, 1)
    merged = _compare(resolved=SHARED, targets=(Target((0, 1), SHARED, conflict=True),))
    wrong = evaluate(gold, [merged, gold[1]], HIERARCHY)
    assert (wrong["target_accuracy"], wrong["multi_target_accuracy"]) == (0.5, 0.0)
    assert wrong["resolved_accuracy"] == 1.0  # the top level alone cannot tell a comparison from a conflict


def test_records_without_hierarchy_mentions_have_no_target_to_score():
    metrics = evaluate([q("投诉多少")], [q("投诉多少")], HIERARCHY)
    assert (metrics["target_accuracy"], metrics["n_targeted"], metrics["multi_target_accuracy"]) == (None, 0, None)


def test_heldout_recall_counts_exact_finds_of_names_the_gazetteer_lacks():
    from nerloop.evaluation import heldout_recall
    from nerloop.records import Entity, TaggedQuery

    gold = TaggedQuery(
        "新所和旧所投诉",
        (Entity("Substation", 0, 2, "新所", "A/新"), Entity("Substation", 3, 5, "旧所", "A/旧")),
    )
    found_new = TaggedQuery(gold.text, (Entity("Substation", 0, 2, "新所"),))
    found_wrong_span = TaggedQuery(gold.text, (Entity("Substation", 0, 1, "新"),))
    assert heldout_recall([gold], [found_new], known={"A/旧"}) == 1.0
    assert heldout_recall([gold], [found_wrong_span], known={"A/旧"}) == 0.0
    assert heldout_recall([gold], [found_new], known={"A/旧", "A/新"}) is None
