from __future__ import annotations

import pytest

from nerloop.convert.errors import OverlapError, XmlParseError
from nerloop.convert.xml import record_to_xml, xml_to_entities
from nerloop.records import Entity, TaggedQuery

DOMAIN_EXAMPLE_XML = (
    "<Province>山东省</Province><City>菏泽</City><Company>巨野县供电公司</Company>"
    "<Substation>麒麟供电所</Substation><Indicator>意见</Indicator>个数"
)


def spans(entities) -> list[tuple[str, int, int, str]]:
    return [(e.type, e.start, e.end, e.text) for e in entities]


def unmentioned(record: TaggedQuery, hierarchy) -> dict[str, str]:
    mentioned = {e.type for e in record.entities}
    return {t: record.resolved[t] for t in hierarchy if record.resolved.get(t) and t not in mentioned}


def test_domain_example_completes_parents_before_deeper_mentions(example, domain):
    assert record_to_xml(example, domain) == DOMAIN_EXAMPLE_XML


def test_domain_example_parses_back_into_mentions_and_completions(example, domain):
    entities, completions = xml_to_entities(DOMAIN_EXAMPLE_XML, example.text, domain)
    assert spans(entities) == spans(example.entities)
    assert completions == {"Province": "山东省", "Company": "巨野县供电公司"}


def test_samples_round_trip(records, domain):
    for record in records:
        xml = record_to_xml(record, domain)
        entities, completions = xml_to_entities(xml, record.text, domain)
        assert spans(entities) == spans(record.entities)
        assert completions == unmentioned(record, domain.hierarchy)


def test_markup_characters_in_the_text_are_escaped(domain):
    record = TaggedQuery("<City>&amp;</City>投诉", (Entity("Indicator", 18, 20, "投诉"),))
    xml = record_to_xml(record, domain)
    assert xml == "&lt;City&gt;&amp;amp;&lt;/City&gt;<Indicator>投诉</Indicator>"
    assert spans(xml_to_entities(xml, record.text, domain)[0]) == spans(record.entities)


def test_ambiguous_substation_completes_only_the_shared_province(domain):
    record = TaggedQuery(
        "龙山供电所停电",
        (Entity("Substation", 0, 5, "龙山供电所"), Entity("Indicator", 5, 7, "停电")),
        {"Province": "山东省", "City": None, "Company": None, "Substation": None},
    )
    assert record_to_xml(record, domain) == (
        "<Province>山东省</Province><Substation>龙山供电所</Substation><Indicator>停电</Indicator>"
    )


def test_completion_without_deeper_mention_goes_first(domain):
    record = TaggedQuery("全省投诉", (Entity("Indicator", 2, 4, "投诉"),), {"Province": "山东省"})
    xml = record_to_xml(record, domain)
    assert xml == "<Province>山东省</Province>全省<Indicator>投诉</Indicator>"
    assert xml_to_entities(xml, record.text, domain) == ((Entity("Indicator", 2, 4, "投诉"),), {"Province": "山东省"})


def test_completion_equal_to_the_following_text_is_still_a_completion(domain):
    # Read greedily, <Company>城关</Company> would swallow the 城关 of 城关所.
    record = TaggedQuery(
        "城关所投诉", (Entity("Substation", 0, 3, "城关所"), Entity("Indicator", 3, 5, "投诉")), {"Company": "城关"}
    )
    xml = record_to_xml(record, domain)
    assert xml == "<Company>城关</Company><Substation>城关所</Substation><Indicator>投诉</Indicator>"
    entities, completions = xml_to_entities(xml, record.text, domain)
    assert spans(entities) == spans(record.entities)
    assert completions == {"Company": "城关"}


def test_overlapping_mentions_are_refused(domain):
    record = TaggedQuery(
        "巨野县供电公司", (Entity("Company", 0, 7, "巨野县供电公司"), Entity("Company", 0, 3, "巨野县"))
    )
    with pytest.raises(OverlapError):
        record_to_xml(record, domain)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("<City>菏泽<City>麒麟所投诉", "inside"),
        ("<City>菏泽", "never closed"),
        ("<City>菏<Company>泽</Company></City>", "inside"),
        ("<City>菏泽</Company>麒麟所投诉", "does not close"),
        ("</City>菏泽麒麟所投诉", "does not close"),
        ("<Town>菏泽</Town>麒麟所投诉", "unknown tag"),
        ("<City></City>菏泽麒麟所投诉", "empty"),
        ("<City>菏泽</City>麒麟投诉", "does not match"),
        ("<City>菏泽</City>麒麟所投诉数量", "does not match"),
        ("<City>菏泽</City>麒麟所<Indicator>意见</Indicator>", "does not continue"),
        ("<Province>山东</Province><Province>山东省</Province><City>菏泽</City>麒麟所投诉", "twice"),
    ],
)
def test_bad_model_output_raises_a_value_error(domain, xml, message):
    with pytest.raises(XmlParseError, match=message) as info:
        xml_to_entities(xml, "菏泽麒麟所投诉", domain)
    assert isinstance(info.value, ValueError)


def test_output_that_stops_early_names_the_missing_text(domain):
    with pytest.raises(XmlParseError, match="goes on with '投诉'"):
        xml_to_entities("<City>菏泽</City>麒麟所", "菏泽麒麟所投诉", domain)
