"""The resolver: mentions from anywhere meet the gazetteer at resolve time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazetteers import load_gazetteer
from gazetteers.config import ResolverConfig
from gazetteers.resolver import Resolver
from nerloop.records import DateRange, Entity

REFERENCE = dt.date(2026, 11, 25)
QILIN = "山东省/菏泽市/巨野县供电公司/麒麟供电所"
QILIN_RESOLVED = {"Province": "山东省", "City": "菏泽市", "Company": "巨野县供电公司", "Substation": "麒麟供电所"}
LONGSHAN_CAO = "山东省/菏泽市/曹县供电公司/龙山供电所"
LONGSHAN_JINAN = "山东省/济南市/长清区供电公司/龙山供电所"
NO_CHAIN = dict.fromkeys(QILIN_RESOLVED)

MINI = load_gazetteer(Path(__file__).parents[2] / "fixtures" / "mini", use_cache=False)
DEFAULT = load_gazetteer(None, use_cache=False)


@pytest.fixture
def resolve(mini, mentions):
    resolver = Resolver(mini)

    def run(text: str, *typed: tuple[str, str], reference: dt.date = REFERENCE):
        return resolver.resolve(text, mentions(text, *typed), reference)

    return run


@pytest.mark.parametrize(
    "surface",
    ["麒麟供店所", "麒麟所", "麒麟镇供电所", "麒麟\u3000供电所", "麒\uf9f3所", "麒麟 所"],
)
def test_typos_and_variants_of_a_substation_link_to_it(resolve, surface):
    resolution = resolve(f"请问{surface}投诉", ("Substation", surface))
    assert resolution.record.entities[0].id == QILIN
    assert resolution.record.entities[0].text == surface
    assert resolution.record.resolved == QILIN_RESOLVED


def test_company_written_as_supply_centre_links_through_normalization(resolve):
    resolution = resolve("巨野县供电中心投诉", ("Company", "巨野县供电中心"))
    assert resolution.record.entities[0].id == "山东省/菏泽市/巨野县供电公司"
    assert resolution.record.resolved == {**QILIN_RESOLVED, "Substation": None}
    assert resolution.links[0].method == "normalized"


def test_typo_is_linked_fuzzily_and_explained(resolve):
    resolution = resolve("麒麟供店所投诉", ("Substation", "麒麟供店所"), ("Indicator", "投诉"))
    explanation = resolution.explanation()
    assert [(row["text"], row["method"], row["id"]) for row in explanation] == [
        ("麒麟供店所", "fuzzy", QILIN),
        ("投诉", "exact", "Indicator:投诉"),
    ]


@pytest.mark.parametrize(("city", "expected"), [("菏泽", LONGSHAN_CAO), ("济南", LONGSHAN_JINAN)])
def test_fuzzy_link_is_restricted_by_the_other_mentions(resolve, city, expected):
    resolution = resolve(f"{city}龙山供店所投诉", ("City", city), ("Substation", "龙山供店所"))
    record = resolution.record
    assert resolution.links[1].method == "fuzzy"
    assert record.entities[1].id == expected
    assert record.ambiguous == ()
    assert record.resolved["Substation"] == "龙山供电所"
    assert record.resolved["City"] == f"{city}市"


def test_fuzzy_link_without_other_mentions_stays_ambiguous(resolve):
    record = resolve("龙山供店所投诉", ("Substation", "龙山供店所")).record
    assert {chain[-1] for chain in record.ambiguous} == {LONGSHAN_CAO, LONGSHAN_JINAN}
    assert record.entities[0].id is None


def test_fuzzy_link_outside_the_scope_of_other_mentions_is_dropped(resolve):
    # 枣庄 has no 龙山: the typo must not be pulled to another city's 龙山.
    resolution = resolve("枣庄龙山供店所", ("City", "枣庄"), ("Substation", "龙山供店所"))
    assert resolution.links[1].candidates == ()
    assert resolution.record.resolved == {**NO_CHAIN, "Province": "山东省", "City": "枣庄市"}
    assert resolution.record.conflict is False


def test_fuzzy_never_fires_for_two_character_mentions(mini, mentions):
    resolver = Resolver(mini, ResolverConfig(fuzzy_threshold=40))
    text = "菏泽麒林投诉"
    resolution = resolver.resolve(text, mentions(text, ("City", "菏泽"), ("Substation", "麒林")), REFERENCE)
    assert resolution.links[1].method == "none"
    assert resolution.record.entities[1].id is None
    assert resolution.record.resolved == {**NO_CHAIN, "Province": "山东省", "City": "菏泽市"}


def test_unknown_substation_stays_a_mention_without_id(resolve):
    resolution = resolve("曹县新建供电所投诉", ("Company", "曹县"), ("Substation", "新建供电所"))
    record = resolution.record
    assert [(e.type, e.text, e.id) for e in record.entities] == [
        ("Company", "曹县", "山东省/菏泽市/曹县供电公司"),
        ("Substation", "新建供电所", None),
    ]
    assert record.resolved == {**QILIN_RESOLVED, "Company": "曹县供电公司", "Substation": None}
    assert record.conflict is False
    assert resolution.links[1].method == "none"


def test_entities_are_sorted_and_keep_their_spans(mini):
    text = "投诉菏泽麒麟"
    entities = [Entity("Substation", 4, 6, "麒麟"), Entity("Indicator", 0, 2, "投诉"), Entity("City", 2, 4, "菏泽")]
    record = Resolver(mini).resolve(text, entities, REFERENCE).record
    assert [(e.type, e.start, e.end, e.text) for e in record.entities] == [
        ("Indicator", 0, 2, "投诉"),
        ("City", 2, 4, "菏泽"),
        ("Substation", 4, 6, "麒麟"),
    ]
    record.check_spans()


def test_unknown_entity_type_is_kept_and_ignored(resolve):
    record = resolve("张三麒麟投诉", ("Person", "张三"), ("Substation", "麒麟")).record
    assert [(e.type, e.id) for e in record.entities] == [("Person", None), ("Substation", QILIN)]
    assert record.resolved == QILIN_RESOLVED


@pytest.mark.parametrize(
    ("surface", "expected"),
    [
        ("本月", DateRange(dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
        ("上季度", DateRange(dt.date(2026, 7, 1), dt.date(2026, 9, 30))),
        ("２０２４年５月", DateRange(dt.date(2024, 5, 1), dt.date(2024, 5, 31))),
        ("某天", None),
    ],
)
def test_date_mention_is_normalized_against_the_reference(resolve, surface, expected):
    record = resolve(f"{surface}麒麟投诉", ("Date", surface), ("Substation", "麒麟")).record
    assert record.date == expected
    assert record.entities[0].id is None
    assert record.resolved == QILIN_RESOLVED


def test_first_normalizable_date_mention_wins(resolve):
    record = resolve("某天上月投诉", ("Date", "某天"), ("Date", "上月")).record
    assert record.date == DateRange(dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_gazetteer_update_resolves_a_new_substation_without_retraining(mini_copy, mini, mentions):
    text = "新建供电所投诉"
    entities = mentions(text, ("Substation", "新建供电所"))
    before = Resolver(mini).resolve(text, entities, REFERENCE).record
    assert before.entities[0].id is None
    assert before.resolved == NO_CHAIN

    with (mini_copy / "substations.csv").open("a", encoding="utf-8") as stream:
        stream.write("新建供电所,曹县供电公司,新建镇\n")
    after = Resolver(load_gazetteer(mini_copy, use_cache=False)).resolve(text, entities, REFERENCE).record
    assert after.entities[0].id == "山东省/菏泽市/曹县供电公司/新建供电所"
    assert after.resolved == {**QILIN_RESOLVED, "Company": "曹县供电公司", "Substation": "新建供电所"}


# --------------------------------------------------------------------------- properties

FILLERS = ("请问", "帮我查一下", "的", "是多少", " ", "，", "个数", "情况", "排名")
DATES = ("本月", "上季度", "2024年5月", "今天", "上半年")
CONFUSABLE = "店电所县镇区市城关龙山麒麟中东"
cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def _pools(gazetteer):
    hierarchy = gazetteer.domain.hierarchy
    entries = [e for t in (*hierarchy, "Indicator") for e in gazetteer.entries(t)]
    shared = [
        e for t in hierarchy for names in [gazetteer.shared_names(t)] for e in gazetteer.entries(t) if e.name in names
    ]
    types = (*hierarchy, "Indicator", "Date")
    return entries, shared, types


POOLS = {"mini": (MINI, *_pools(MINI)), "default": (DEFAULT, *_pools(DEFAULT))}
RESOLVERS = {name: Resolver(pool[0]) for name, pool in POOLS.items()}


@st.composite
def surface_of(draw, entry):
    surface = draw(st.sampled_from(entry.surfaces))
    if draw(st.integers(0, 3)) == 0:  # a typo
        i = draw(st.integers(0, len(surface) - 1))
        surface = surface[:i] + draw(st.one_of(st.sampled_from(CONFUSABLE), cjk)) + surface[i + 1 :]
    return surface


@st.composite
def queries(draw, name):
    """Text plus entities built from gazetteer forms (sometimes a whole chain), typos, dates and filler."""
    gazetteer, entries, shared, types = POOLS[name]
    text, entities = "", []

    def add(piece, type_name=None):
        nonlocal text
        if type_name is not None:
            entities.append(Entity(type_name, len(text), len(text) + len(piece), piece))
        text += piece

    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(("mention", "mention", "chain", "filler", "date")))
        if kind == "filler":
            add(draw(st.one_of(st.sampled_from(FILLERS), st.text(cjk, min_size=1, max_size=3))))
        elif kind == "date":
            add(draw(st.sampled_from(DATES)), "Date")
        else:
            entry = draw(st.sampled_from(shared if draw(st.integers(0, 2)) == 0 else entries))
            chain = [entry]
            if kind == "chain":
                ancestors = [gazetteer.get(i) for i in gazetteer.ancestors(entry.id)]
                chain = [a for a in ancestors if draw(st.booleans())] + [entry]
            for member in chain:
                wrong_type = draw(st.integers(0, 5)) == 0
                add(draw(surface_of(member)), draw(st.sampled_from(types)) if wrong_type else member.type)
    return text, entities


@pytest.mark.parametrize("name", ["mini", "default"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_resolver_output_is_never_inconsistent_with_the_gazetteer(name, data, consistent):
    text, entities = data.draw(queries(name))
    resolution = RESOLVERS[name].resolve(text, entities, REFERENCE)
    consistent(POOLS[name][0], resolution)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_resolver_without_fuzzy_is_consistent_too(data, consistent):
    text, entities = data.draw(queries("mini"))
    resolution = Resolver(MINI, ResolverConfig(fuzzy=False)).resolve(text, entities, REFERENCE)
    consistent(MINI, resolution)
    assert all(link.method in ("exact", "normalized", "none") for link in resolution.links)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_record_is_the_resolutions_record_and_resolve_keeps_the_segmentation_given(data):
    """``record()`` (what generation calls) builds what ``resolve().record`` builds, on a fresh resolver and a warm one."""
    text, entities = data.draw(queries("default"))
    fresh, warm = Resolver(DEFAULT), RESOLVERS["default"]
    resolution = fresh.resolve(text, entities, REFERENCE, {"template": "t"}, segmentation="how it was read")
    assert resolution.segmentation == "how it was read"
    assert fresh.record(text, entities, REFERENCE, {"template": "t"}) == resolution.record
    assert warm.record(text, entities, REFERENCE, {"template": "t"}) == resolution.record
    assert (
        Resolver(DEFAULT).record(text, entities, REFERENCE)
        == Resolver(DEFAULT).resolve(text, entities, REFERENCE).record
    )
