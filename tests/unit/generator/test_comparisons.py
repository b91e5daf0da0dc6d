"""Comparison templates (a second unit per ``_2`` slot, a third per ``_3``) and lookalike hard negatives."""

from __future__ import annotations

import pytest

from gazetteers.matcher import GazetteerMatcher
from generator.distractors import lookalikes
from generator.errors import GrammarError
from generator.grammar import OTHER_SLOT, THIRD_SLOT, parse_grammar
from nerloop.domain import load_domain

DOMAIN = load_domain()


def grammar(yaml_text: str):
    return parse_grammar(yaml_text, DOMAIN, "test.yaml")


def draw(sampler, n: int):
    return [sampler.sample(sampler.grammar.templates[i % len(sampler.grammar.templates)]) for i in range(n)]


def test_second_unit_slots_compile_to_their_own_kind():
    g = grammar('templates:\n  - {id: t, text: "对比{{company}}和{{company_2.short}}的{{indicator}}"}\n')
    (template,) = g.templates
    assert template.other_slot_types == frozenset({"Company"})
    assert (OTHER_SLOT, "Company", "short", 1.0) in template.ops
    with pytest.raises(GrammarError, match="only hierarchy slots"):
        grammar('templates:\n  - {id: t, text: "{{indicator_2}}"}\n')


def test_comparisons_name_two_sibling_units_as_two_targets(default_gazetteer, make_sampler):
    g = grammar('templates:\n  - {id: t, text: "{{city}}{{company.full}}和{{company_2.full}}哪个{{indicator}}多"}\n')
    records = draw(make_sampler(default_gazetteer, g), 200)
    two = [r for r in records if len(r.targets) == 2]
    assert len(two) > 150  # a city with one company has no sibling to compare
    for record in two:
        city, first, second, _ = record.entities
        assert first.id != second.id
        assert [t.mentions for t in record.targets] == [(0, 1), (0, 2)]  # the city belongs to both
        assert record.conflict is False and record.ambiguous == ()
        assert record.resolved["City"] == default_gazetteer.get(city.id).name and record.resolved["Company"] is None


def test_lists_of_three_name_three_different_units_as_three_targets(default_gazetteer, make_sampler):
    text = "{{company.full}}{{substation.full}}、{{substation_2.full}}、{{substation_3.full}}的{{indicator}}"
    g = grammar(f'templates:\n  - {{id: t, text: "{text}"}}\n')
    (template,) = g.templates
    assert (
        template.third_slot_types == frozenset({"Substation"})
        and (THIRD_SLOT, "Substation", "full", 1.0) in template.ops
    )
    records = draw(make_sampler(default_gazetteer, g), 200)
    three = [r for r in records if len(r.targets) == 3]
    assert len(three) > 150  # a company with fewer than three substations cannot list three siblings
    for record in three:
        units = [e for e in record.entities if e.type == "Substation"]
        assert len({e.id for e in units}) == 3 and record.conflict is False
        assert all(record.text[e.start : e.end] == e.text for e in record.entities)


def test_lookalikes_are_written_as_text_and_labelled_as_no_entity(default_gazetteer, make_sampler):
    g = grammar('distractors: {lookalike: 50}\ntemplates:\n  - {id: t, text: "{{lookalike}}的{{indicator}}"}\n')
    sampler = make_sampler(default_gazetteer, g)
    matcher = GazetteerMatcher(default_gazetteer)
    seen = set()
    for record in draw(sampler, 100):
        (indicator,) = record.entities
        lookalike = record.text[: indicator.start - 1]
        weak, other = matcher.forms_in(lookalike)
        assert weak and other == 0, lookalike  # holds a short form, and nothing a person would label
        assert indicator.type == "Indicator" and record.targets == ()
        seen.add(lookalike)
    assert len(seen) > 20


def test_lookalike_pool_mixes_brands_people_and_word_pairs(default_gazetteer):
    matcher = GazetteerMatcher(default_gazetteer)
    pool = lookalikes(300, 0, matcher.forms_in, ("麒麟", "城关"))
    assert "长城汽车" in pool or "平安保险" in pool
    assert any(len(item) == 3 and item[1:] in ("麒麟", "城关") for item in pool)  # 王麒麟
    assert any(item == "刷新一次" or (len(item) == 4 and item[:2] in ("刷新", "明天")) for item in pool)
    assert lookalikes(300, 0, matcher.forms_in, ("麒麟",)) == lookalikes(300, 0, matcher.forms_in, ("麒麟",))
