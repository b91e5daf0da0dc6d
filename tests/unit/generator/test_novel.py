"""Invented names: unknown to the gazetteer, shaped like real ones, labelled without a link."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from gazetteers.matcher import GazetteerMatcher
from generator.config import GeneratorConfig
from generator.grammar import load_grammar
from generator.novel import NEW_AREA, NOVEL_TYPES, NovelNames, name_core
from generator.pipeline import generate_dataset
from nerloop.export import read_jsonl

REFERENCE = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def novel(default_gazetteer) -> NovelNames:
    return NovelNames(GazetteerMatcher(default_gazetteer))


def test_name_core_is_what_the_surface_forms_share() -> None:
    assert name_core("麒麟供电所", ("麒麟供电所", "麒麟镇", "麒麟", "麒麟所")) == "麒麟"
    assert name_core("巨野县供电公司", ("巨野县", "巨野")) == "巨野"


def test_an_invented_name_keeps_the_suffix_and_is_unknown_to_the_gazetteer(default_gazetteer, novel) -> None:
    matcher = novel.matcher
    rng = random.Random(0)
    entries = [e for e in default_gazetteer if e.type in NOVEL_TYPES]
    renamed = 0
    for _ in range(500):
        entry = entries[int(rng.random() * len(entries))]
        surface = rng.choice(entry.surfaces)
        new = novel.rename(entry.type, entry.id, surface, rng)
        if new is None:
            continue
        renamed += 1
        assert matcher.form_info(new) is None, new
        if NEW_AREA in new and NEW_AREA not in surface:  # a new district, maybe named after its city
            assert entry.type == "Company" and new.endswith((NEW_AREA, NEW_AREA + "供电公司")), new
            continue
        core = name_core(entry.name, entry.surfaces)
        assert len(new) == len(surface) and new[len(core) :] == surface[len(core) :], (surface, new)
        assert matcher.form_info(new[: len(core)]) is None, new
        assert all(m.type in ("Company", "Substation", "City", "Province") for m in matcher.find(new)), new
    assert renamed > 400


def test_the_level_of_invented_names_is_company_or_substation(novel) -> None:
    rng = random.Random(1)
    assert {novel.pick_level(rng) for _ in range(200)} == set(NOVEL_TYPES)


def test_samples_with_invented_names_label_them_without_a_link(default_gazetteer, tmp_path) -> None:
    grammar = load_grammar(None, default_gazetteer.domain)
    config = GeneratorConfig(n=300, seed=3, reference_date=REFERENCE, novel_rate=0.9, typo_rate=0.0, conflict_rate=0.0)
    generate_dataset(default_gazetteer, grammar, tmp_path / "out", config)
    records = list(read_jsonl(tmp_path / "out" / "train.jsonl"))
    unlinked = [e for r in records for e in r.entities if e.type in NOVEL_TYPES and e.id is None]
    assert len(unlinked) > 100
    for record in records:
        for e in record.entities:
            assert record.text[e.start : e.end] == e.text
        names = {e.type: e.text for e in record.entities if e.id is None and e.type in NOVEL_TYPES}
        # an invented name constrains nothing: the chain comes from the linked mentions only
        for level, text in names.items():
            assert record.resolved.get(level) != text
