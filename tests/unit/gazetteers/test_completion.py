"""Hierarchy completion: a level is filled only where the gazetteer makes it unique."""

from __future__ import annotations

import datetime as dt

import pytest

from gazetteers.completion import complete
from gazetteers.resolver import Resolver

REFERENCE = dt.date(2026, 11, 25)
NO_CHAIN = {"Province": None, "City": None, "Company": None, "Substation": None}
HEZE = "山东省/菏泽市"
JUYE = "山东省/菏泽市/巨野县供电公司"
CAOXIAN = "山东省/菏泽市/曹县供电公司"
CHANGQING = "山东省/济南市/长清区供电公司"
QILIN = f"{JUYE}/麒麟供电所"
QILIN_CHAIN = ("山东省", HEZE, JUYE, QILIN)
QILIN_RESOLVED = {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"}
LONGSHAN_CHAINS = (
    ("山东省", "山东省/济南市", CHANGQING, f"{CHANGQING}/龙山供电所"),
    ("山东省", HEZE, CAOXIAN, f"{CAOXIAN}/龙山供电所"),
)
CHENGGUAN_CHAINS = (  # sorted, as the record lists them
    ("山东省", HEZE, JUYE, f"{JUYE}/城关供电所"),
    ("山东省", HEZE, CAOXIAN, f"{CAOXIAN}/城关供电所"),
)


@pytest.fixture
def resolve(mini, mentions):
    resolver = Resolver(mini)

    def run(text: str, *typed: tuple[str, str]):
        return resolver.resolve(text, mentions(text, *typed), REFERENCE).record

    return run


@pytest.mark.parametrize("surface", ["麒麟", "麒麟所", "麒麟供电所", "麒麟镇", "麒麟镇供电所"])
def test_unique_substation_alone_completes_full_chain(resolve, surface):
    record = resolve(f"{surface}投诉数量", ("Substation", surface))
    assert record.resolved == QILIN_RESOLVED
    assert record.entities[0].id == QILIN
    assert record.ambiguous == ()
    assert record.conflict is False


@pytest.mark.parametrize(
    ("text", "city", "chain"),
    [("菏泽龙山投诉", "菏泽", LONGSHAN_CHAINS[1]), ("济南龙山投诉", "济南", LONGSHAN_CHAINS[0])],
)
def test_city_disambiguates_shared_substation_name(resolve, text, city, chain):
    record = resolve(text, ("City", city), ("Substation", "龙山"))
    assert record.ambiguous == ()
    assert record.conflict is False
    assert [e.id for e in record.entities] == [chain[1], chain[3]]
    assert record.resolved == {
        "Province": "山东省",
        "City": chain[1].split("/")[-1],
        "Company": chain[2].split("/")[-1],
        "Substation": "龙山供电所",
    }


def test_company_disambiguates_substation_shared_within_one_city(resolve):
    record = resolve("巨野城关意见", ("Company", "巨野"), ("Substation", "城关"))
    assert record.resolved == {**QILIN_RESOLVED, "Substation": "城关供电所"}
    assert record.entities[1].id == f"{JUYE}/城关供电所"


def test_completion_stops_at_ambiguous_substation(resolve):
    record = resolve("龙山投诉", ("Substation", "龙山"))
    assert record.resolved == {**NO_CHAIN, "Province": "山东省"}
    assert record.ambiguous == LONGSHAN_CHAINS
    assert record.to_dict()["ambiguous"] == [list(chain) for chain in LONGSHAN_CHAINS]
    assert record.entities[0].id is None
    assert record.conflict is False


def test_completion_keeps_the_city_two_candidate_substations_share(resolve):
    record = resolve("城关投诉", ("Substation", "城关"))
    assert record.resolved == {"Province": "山东省", "City": "菏泽市", "Company": None, "Substation": None}
    assert record.ambiguous == CHENGGUAN_CHAINS
    assert record.entities[0].id is None


def test_city_mention_keeps_its_id_while_substation_stays_ambiguous(resolve):
    record = resolve("菏泽城关投诉", ("City", "菏泽"), ("Substation", "城关"))
    assert [e.id for e in record.entities] == [HEZE, None]
    assert record.ambiguous == CHENGGUAN_CHAINS
    assert record.resolved["Company"] is None


def test_shared_company_name_leaves_the_city_open(resolve):
    record = resolve("市中区投诉", ("Company", "市中区"))
    assert record.resolved == {**NO_CHAIN, "Province": "山东省"}
    assert len(record.ambiguous) == 2
    settled = resolve("市中区七贤投诉", ("Company", "市中区"), ("Substation", "七贤"))
    assert settled.resolved["City"] == "济南市"
    assert settled.entities[0].id == "山东省/济南市/市中区供电公司"


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("枣庄麒麟投诉", (("City", "枣庄"), ("Substation", "麒麟"))),
        ("济南巨野投诉", (("City", "济南"), ("Company", "巨野"))),
        ("长清区城关投诉", (("Company", "长清区"), ("Substation", "城关"))),
        ("北京麒麟投诉", (("Province", "北京"), ("Substation", "麒麟"))),
    ],
)
def test_substation_under_the_wrong_parent_is_a_conflict_with_no_chain(resolve, text, typed):
    record = resolve(text, *typed)
    assert record.conflict is True
    assert record.resolved == NO_CHAIN
    assert record.ambiguous == ()
    assert all(e.id is None for e in record.entities)


def test_two_cities_are_two_targets_not_a_conflict(resolve):
    record = resolve("济南枣庄投诉", ("City", "济南"), ("City", "枣庄"))
    assert record.conflict is False
    assert [t.mentions for t in record.targets] == [(0,), (1,)]
    assert [t.resolved["City"] for t in record.targets] == ["济南市", "枣庄市"]
    assert record.resolved == {**NO_CHAIN, "Province": "山东省"}
    assert [e.id for e in record.entities] == ["山东省/济南市", "山东省/枣庄市"]


def test_query_without_entities_has_no_hierarchy(resolve):
    record = resolve("请问一下这个怎么查")
    assert record.entities == ()
    assert record.resolved == NO_CHAIN
    assert record.ambiguous == ()
    assert record.conflict is False
    assert record.date is None


def test_flat_mentions_alone_complete_nothing(resolve):
    record = resolve("投诉量是多少", ("Indicator", "投诉量"))
    assert record.resolved == NO_CHAIN
    assert record.conflict is False
    assert record.entities[0].id == "Indicator:投诉"


def test_municipality_company_completes_without_a_city(resolve):
    record = resolve("东城投诉", ("Company", "东城"))
    assert record.resolved == {"Province": "北京市", "City": None, "Company": "东城区供电公司", "Substation": None}
    assert record.entities[0].id == "北京市/东城区供电公司"
    assert record.ambiguous == ()


def test_municipality_substation_completes_past_the_missing_city(resolve):
    record = resolve("北京东华门街道投诉", ("Province", "北京"), ("Substation", "东华门街道"))
    assert record.resolved == {
        "Province": "北京市",
        "City": None,
        "Company": "东城区供电公司",
        "Substation": "东华门供电所",
    }
    assert [e.id for e in record.entities] == ["北京市", "北京市/东城区供电公司/东华门供电所"]


def test_unknown_substation_is_kept_and_constrains_nothing(resolve):
    alone = resolve("新建供电所投诉", ("Substation", "新建供电所"))
    assert [(e.type, e.text, e.id) for e in alone.entities] == [("Substation", "新建供电所", None)]
    assert alone.resolved == NO_CHAIN
    assert alone.conflict is False
    with_city = resolve("菏泽新建供电所投诉", ("City", "菏泽"), ("Substation", "新建供电所"))
    assert with_city.resolved == {**NO_CHAIN, "Province": "山东省", "City": "菏泽市"}
    assert with_city.conflict is False
    assert [e.id for e in with_city.entities] == [HEZE, None]


def test_complete_keeps_only_the_deepest_chain(mini):
    completion = complete(mini, [("山东省",), (HEZE,), (QILIN,)])
    assert completion.chains == (QILIN_CHAIN,)
    assert completion.linked == ("山东省", HEZE, QILIN)
    assert completion.ambiguous == ()


def test_complete_without_candidates_is_empty_not_a_conflict(mini):
    completion = complete(mini, [(), ()])
    assert completion.chains == ()
    assert completion.resolved == NO_CHAIN
    assert completion.linked == (None, None)
    assert completion.conflict is False


def test_complete_fills_only_levels_where_all_chains_share_one_entry(mini):
    # Two entries named 龙山供电所: same name, different ids, so Substation stays open.
    completion = complete(mini, [tuple(chain[-1] for chain in LONGSHAN_CHAINS)])
    assert completion.resolved == {**NO_CHAIN, "Province": "山东省"}
    assert completion.linked == (None,)


def test_completion_cache_answers_like_complete_query_and_stays_bounded(mini):
    from gazetteers.completion import CompletionCache, complete_query

    cache = CompletionCache(mini, maxsize=2)
    asked = [
        ([1, 3], [(HEZE,), mini.lookup("龙山", "Substation")]),
        ([3], [mini.lookup("龙山", "Substation")]),
        ([2, 3], [(JUYE,), (QILIN,)]),
        ([1, 3], [(HEZE,), mini.lookup("龙山", "Substation")]),
    ]
    for levels, candidates in asked:
        assert cache(levels, candidates) == complete_query(mini, levels, candidates)
    assert cache._cached.cache_info().currsize == 2
