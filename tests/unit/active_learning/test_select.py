"""Batch diversity: near-duplicates, per-entry and per-shape caps, boosts, the random baseline."""

from __future__ import annotations

from active_learning.batch import text_hash
from active_learning.config import SelectConfig
from active_learning.select import Candidate, diverse_top_k, rank_scores, shape
from nerloop.records import Entity, TaggedQuery

HIERARCHY = ("Province", "City", "Company", "Substation")
NO_SIGNALS = {"unlinked": False, "ambiguous": False, "conflict": False, "unparseable": False}


def cand(text: str, score: float, entities=(), **signals) -> Candidate:
    record = TaggedQuery(text, tuple(entities))
    record.check_spans()
    return Candidate(None, text_hash(text), record, score, {**NO_SIGNALS, **signals}, "v1")


def sub(text: str, start: int, name: str, entry: str | None) -> Entity:
    return Entity("Substation", start, start + len(name), name, entry)


def test_shape_replaces_mentions_by_types_and_folds_digits():
    record = TaggedQuery(
        "𠀀本月崮山所 投诉12个",
        (Entity("Date", 1, 3, "本月"), Entity("Substation", 3, 6, "崮山所"), Entity("Indicator", 7, 9, "投诉")),
    )
    record.check_spans()
    assert shape(record) == "𠀀<Date><Substation><Indicator>0个"


def test_near_duplicates_never_share_a_batch():
    pool = [cand("崮山供电所本月投诉个数", 0.9), cand("崮山供电所本月投诉个数？", 0.8), cand("龙山所意见多不多", 0.1)]
    chosen = [c.record.text for c, _ in diverse_top_k(pool, 3, SelectConfig(), HIERARCHY, "mnlp")]
    assert chosen == ["崮山供电所本月投诉个数", "龙山所意见多不多"]


def test_a_busy_entry_is_capped_per_batch():
    entry = "山东省/济南市/长清区供电公司/崮山供电所"
    pool = [
        cand(f"{prefix}崮山所{suffix}", 1.0 - i / 10, [sub(f"{prefix}崮山所{suffix}", len(prefix), "崮山所", entry)])
        for i, (prefix, suffix) in enumerate(
            [("", "停了吗"), ("帮我查", "意见"), ("上报", "指标排名"), ("看看", "情况")]
        )
    ]
    pool.append(cand("龙山所怎么样", 0.05, [sub("龙山所怎么样", 0, "龙山所", "other")]))
    config = SelectConfig(per_entry_cap=2, per_shape_cap=10, near_duplicate=99)
    chosen = diverse_top_k(pool, 10, config, HIERARCHY, "mnlp")
    texts = [c.record.text for c, _ in chosen]
    assert texts == ["崮山所停了吗", "帮我查崮山所意见", "龙山所怎么样"]


def test_a_template_shape_is_capped_per_batch():
    pool = [
        cand(t, 1.0 - i / 10, [sub(t, 0, t[:3], f"id{i}")])
        for i, t in enumerate(["崮山所在哪", "龙山所在哪", "七贤所在哪", "光明所有啥指标"])
    ]
    config = SelectConfig(per_shape_cap=2, near_duplicate=99)
    texts = [c.record.text for c, _ in diverse_top_k(pool, 10, config, HIERARCHY, "mnlp")]
    assert texts == ["崮山所在哪", "龙山所在哪", "光明所有啥指标"]


def test_signals_boost_a_less_uncertain_query_above_a_more_uncertain_one():
    pool = [cand("崮山所意见", 0.9), cand("新开所投诉", 0.5, unlinked=True), cand("你好", 0.1)]
    config = SelectConfig(boosts={"unlinked": 0.6})
    texts = [c.record.text for c, _ in diverse_top_k(pool, 2, config, HIERARCHY, "mnlp")]
    assert texts == ["新开所投诉", "崮山所意见"]


def test_rank_scores_make_infinite_and_tied_scores_comparable():
    pool = [cand("a", float("inf")), cand("b", 2.0), cand("c", 2.0), cand("d", 0.0)]
    values = rank_scores(
        [c.score for c in pool], [c.signals for c in pool], [c.text_hash for c in pool], SelectConfig(boosts={}), "mnlp"
    )
    assert values == [1.0, 1 / 3, 1 / 3, 0.0]


def test_random_ignores_scores_and_depends_only_on_the_seed():
    pool = [cand(f"查询{i}号台区的电量指标", float(i)) for i in range(40)]
    config = SelectConfig(near_duplicate=100)
    first = [c.text_hash for c, _ in diverse_top_k(pool, 5, config, HIERARCHY, "random", seed=1)]
    again = [c.text_hash for c, _ in diverse_top_k(pool, 5, config, HIERARCHY, "random", seed=1)]
    other = [c.text_hash for c, _ in diverse_top_k(pool, 5, config, HIERARCHY, "random", seed=2)]
    by_score = [c.text_hash for c, _ in diverse_top_k(pool, 5, config, HIERARCHY, "mnlp")]
    assert first == again and first != other and first != by_score
