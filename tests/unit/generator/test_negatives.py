"""Entity-free and mixed records: checked against the gazetteer, in the asked shares, reported, deterministic."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from gazetteers import load_gazetteer
from gazetteers.default import default_directory
from gazetteers.matcher import GazetteerMatcher
from gazetteers.segmentation import ALIAS, FULL
from generator.config import DEFAULT_NEGATIVE_WEIGHTS, NEGATIVE_SOURCES, SPLITS, GeneratorConfig
from generator.errors import GrammarError
from generator.grammar import load_grammar, parse_grammar
from generator.negatives import NegativeSampler, load_negatives_grammar
from generator.pipeline import generate_dataset
from nerloop.errors import NerloopError
from nerloop.export import read_jsonl
from nerloop.records import TaggedQuery

REFERENCE = dt.date(2026, 11, 25)
DRAWS = 300


def config(n: int, seed: int = 0, **kw) -> GeneratorConfig:
    return GeneratorConfig(n=n, seed=seed, reference_date=REFERENCE, **kw)


@pytest.fixture(scope="session")
def default_matcher(default_gazetteer) -> GazetteerMatcher:
    return GazetteerMatcher(default_gazetteer)


@pytest.fixture(scope="session")
def national_matcher(tmp_path_factory: pytest.TempPathFactory) -> GazetteerMatcher:
    from gazetteers.build_cn import build_cn

    out = tmp_path_factory.mktemp("cn")
    build_cn(out)
    shutil.copyfile(default_directory() / "indicators.csv", out / "indicators.csv")
    return GazetteerMatcher(load_gazetteer(out, use_cache=False))


@pytest.fixture(scope="session")
def generated(default_gazetteer, tmp_path_factory: pytest.TempPathFactory):
    """n=2000 over the default gazetteer with the default shares: the records per split and the manifest."""
    out = tmp_path_factory.mktemp("negatives")
    summary = generate_dataset(default_gazetteer, load_grammar(None, default_gazetteer.domain), out, config(2000))
    records = {s: list(read_jsonl(out / f"{s}.jsonl")) for s in SPLITS}
    return out, records, summary, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def outer_suffixes(matcher: GazetteerMatcher) -> tuple[str, ...]:
    """What may follow a city or province short form in a hard negative (兰州 + 拉面)."""
    grammar = load_negatives_grammar(matcher.gazetteer.domain)
    return tuple(op[1] for alternative in grammar.fragments["outer_suffix"].alternatives for op in alternative)


def resolved_as_entity(matcher: GazetteerMatcher, text: str) -> list[str]:
    """What the matcher takes with more than a short form in ``text``, and ``text`` itself if it is a surface form.

    A city's or province's short form (never its canonical name) followed by a dish, product or
    school word (兰州拉面, 山东大学) names no unit and is no entity."""
    hierarchy = matcher.gazetteer.domain.hierarchy
    outer = set(hierarchy[:2])
    suffixes = outer_suffixes(matcher)
    found = [] if matcher.form_info(text) is None else [f"the text is a surface form: {text}"]
    for entity in matcher.find(text):
        info = matcher.form_info(entity.text)
        if entity.type not in hierarchy or info is None or info[1] == FULL or (info[1] == ALIAS and not info[2]):
            compound = outer.issuperset(info[0]) if info is not None and info[1] != FULL else False
            if not (compound and text.startswith(suffixes, entity.end)):
                found.append(f"{entity.type} {entity.text}")
    return found


def draw(sampler: NegativeSampler, source: str, seed: int = 0) -> list[TaggedQuery]:
    rng = random.Random(seed)
    return [r for r in (sampler.sample(rng, source) for _ in range(DRAWS)) if r is not None]


@pytest.mark.parametrize("which", ["default_matcher", "national_matcher"])
def test_no_negative_is_something_the_gazetteer_resolves(which: str, request: pytest.FixtureRequest):
    matcher = request.getfixturevalue(which)
    sampler = NegativeSampler(matcher, load_negatives_grammar(matcher.gazetteer.domain), DEFAULT_NEGATIVE_WEIGHTS, 0)
    for source in NEGATIVE_SOURCES:
        records = draw(sampler, source)
        assert len(records) > DRAWS * 0.8, (source, sampler.dropped)
        for record in records:
            assert not record.entities and record.extra["negative"] == source
            assert record.extra["template"].startswith(f"negative:{source}:")
            assert record.resolved == dict.fromkeys(matcher.gazetteer.domain.hierarchy)
            assert not resolved_as_entity(matcher, record.text), (source, record.text)
            if source == "ood":
                assert not matcher.find(record.text) and not matcher.segment(record.text).candidates, record.text


def test_hard_negatives_hold_a_short_form(default_matcher):
    sampler = NegativeSampler(
        default_matcher, load_negatives_grammar(default_matcher.gazetteer.domain), DEFAULT_NEGATIVE_WEIGHTS, 0
    )
    for source in ("place_name", "word"):
        records = draw(sampler, source)
        holding = sum(any(c.hierarchy for c in default_matcher.segment(r.text).candidates) for r in records)
        assert holding > len(records) * 0.9, source


NEGATIVES_YAML = """
fragments:
  person_frame: ["{{person}}在吗"]
  place_frame: ["{{lookalike}}在哪"]
  word_frame: ["{{lookalike}}"]
  place_suffix: [中学]
  mixed_before: [你好]
  mixed_after: [谢谢]
  mixed_joiner: ["，"]
templates:
  - {id: complaint, text: "我要投诉"}
"""


def test_an_item_that_fails_the_check_is_dropped_and_counted(default_matcher, tmp_path: Path):
    path = tmp_path / "negatives.yaml"
    path.write_text(NEGATIVES_YAML, encoding="utf-8")
    grammar = load_negatives_grammar(default_matcher.gazetteer.domain, path)
    sampler = NegativeSampler(default_matcher, grammar, (("ood", 1.0),), 0)
    rng = random.Random(0)
    assert all(sampler.sample(rng) is None for _ in range(20))
    assert sampler.dropped == 20


def test_the_negatives_grammar_refuses_slots_and_missing_fragments(default_gazetteer, tmp_path: Path):
    path = tmp_path / "negatives.yaml"
    path.write_text('templates:\n  - {id: q, text: "{{city}}"}\n', encoding="utf-8")
    with pytest.raises(GrammarError) as caught:
        load_negatives_grammar(default_gazetteer.domain, path)
    messages = " ".join(p.message for p in caught.value.problems)
    assert "entity slot" in messages and "'person_frame'" in messages


def test_the_shipped_negatives_grammar_has_no_date_or_indicator(default_matcher):
    from generator.grammar import LITERAL

    grammar = load_negatives_grammar(default_matcher.gazetteer.domain)
    literals = {v for f in grammar.fragments.values() for alt in f.alternatives for k, v, _, _ in alt if k == LITERAL}
    literals |= {v for t in grammar.templates for k, v, _, _ in t.ops if k == LITERAL}
    for literal in literals:
        assert not [c for c in default_matcher.segment(literal).candidates if not c.hierarchy], literal


def test_each_split_holds_the_asked_shares(generated):
    _, records, summary, _ = generated
    cfg = config(2000)
    for split, rows in records.items():
        free = sum(not r.entities for r in rows)
        assert abs(free / len(rows) - cfg.negative_share) <= 0.03, split
        mixed = sum("mixed" in r.extra for r in rows)
        assert abs(mixed / len(rows) - cfg.mixed_share) <= 0.02, split
    everything = [r for rows in records.values() for r in rows]
    assert abs(sum(not r.entities for r in everything) / 2000 - 0.2) <= 0.03
    assert abs(sum("mixed" in r.extra for r in everything) / 2000 - 0.08) <= 0.01
    assert set(Counter(r.extra.get("negative") for r in everything)) == {None, "grammar", *NEGATIVE_SOURCES}


def test_the_manifest_counts_the_negatives(generated):
    _, records, summary, manifest = generated
    everything = [r for rows in records.values() for r in rows]
    report = manifest["negatives"]
    assert report == summary.negatives
    by_source = Counter(r.extra["negative"] for r in everything if "negative" in r.extra)
    assert report["by_source"] == {s: by_source[s] for s in (*NEGATIVE_SOURCES, "grammar")}
    assert report["entity_free"] == sum(not r.entities for r in everything) == sum(by_source.values())
    assert report["share"] == round(report["entity_free"] / 2000, 4)
    assert report["mixed"] == sum("mixed" in r.extra for r in everything)
    assert report["hard_negatives"] == sum(by_source[s] for s in ("person", "place_name", "word"))
    assert isinstance(report["dropped_by_check"], int) and report["dropped_by_check"] >= 0
    assert manifest["config"]["negative_share"] == 0.2 and manifest["config"]["mixed_share"] == 0.08


def test_mixed_records_label_the_query_at_its_new_offsets(default_gazetteer, default_matcher, make_sampler):
    grammar = load_grammar(None, default_gazetteer.domain)
    queries = make_sampler(default_gazetteer, grammar, seed=4)
    negatives = NegativeSampler(
        default_matcher, load_negatives_grammar(default_gazetteer.domain), DEFAULT_NEGATIVE_WEIGHTS, 0
    )
    rng = random.Random(1)
    sources, positions = Counter(), Counter()
    for template in [t for t in grammar.templates][:60] * 5:
        query = queries.sample(template)
        mixed = negatives.mix(query, rng)
        if mixed is None:
            continue
        mixed.check_spans()
        shift = mixed.text.find(query.text)
        assert shift >= 0 and len(mixed.text) > len(query.text)
        assert mixed.entities == tuple(e._replace(start=e.start + shift, end=e.end + shift) for e in query.entities)
        assert (mixed.resolved, mixed.targets, mixed.date) == (query.resolved, query.targets, query.date)
        assert mixed.extra == {**query.extra, "mixed": mixed.extra["mixed"]}
        clause = mixed.text[:shift] if shift else mixed.text[len(query.text) :]
        assert not resolved_as_entity(default_matcher, clause.strip("，,。！!~ ")), clause
        sources[mixed.extra["mixed"]] += 1
        positions[shift > 0] += 1
    assert set(sources) == set(NEGATIVE_SOURCES) and positions[True] and positions[False]


def test_mixed_records_in_the_files_have_their_spans(generated):
    _, records, _, _ = generated
    mixed = [r for rows in records.values() for r in rows if "mixed" in r.extra]
    assert mixed and all(r.entities for r in mixed)
    for record in mixed:
        assert all(record.text[e.start : e.end] == e.text for e in record.entities)


def test_the_same_seed_writes_the_same_files(default_gazetteer, tmp_path: Path):
    grammar = load_grammar(None, default_gazetteer.domain)
    for name, seed in (("a", 8), ("b", 8), ("c", 9)):
        generate_dataset(default_gazetteer, grammar, tmp_path / name, config(600, seed))
    files = {n: [(tmp_path / n / f"{s}.jsonl").read_bytes() for s in SPLITS] for n in "abc"}
    assert files["a"] == files["b"] and files["a"] != files["c"]


def test_shares_of_zero_write_only_the_grammars_negatives(default_gazetteer, tmp_path: Path):
    grammar = load_grammar(None, default_gazetteer.domain)
    summary = generate_dataset(
        default_gazetteer, grammar, tmp_path, config(400, 3, negative_share=0.0, mixed_share=0.0)
    )
    rows = list(read_jsonl(tmp_path / "train.jsonl"))
    assert not any(r.extra.get("negative", "grammar") != "grammar" or "mixed" in r.extra for r in rows)
    assert summary.negatives["mixed"] == 0 and summary.negatives["hard_negatives"] == 0
    assert summary.negatives["by_source"]["grammar"] == summary.negatives["entity_free"]


def test_a_small_gazetteer_that_runs_out_of_negatives_warns_and_fills_with_queries(mini, tmp_path: Path):
    grammar = parse_grammar(
        'templates:\n  - {id: q, text: "{{date}}{{substation}}{{indicator}}"}\n', mini.domain, "<test>"
    )
    cfg = config(300, 0, negative_share=0.5, negative_weights=(("word", 1.0),), template_holdout=0.0)
    summary = generate_dataset(mini, grammar, tmp_path, cfg)
    assert sum(summary.counts.values()) == 300
    assert summary.negatives["by_source"]["word"] < 150
    assert any("entity-free records" in w for w in summary.warnings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"negative_share": -0.1}, "negative_share must be within"),
        ({"negative_share": 0.95}, "negative_share must be within"),
        ({"mixed_share": float("nan")}, "mixed_share must be within"),
        ({"mixed_share": True}, "mixed_share must be within"),
        ({"negative_share": 0.6, "mixed_share": 0.4}, "negative_share + mixed_share must be at most"),
        ({"negative_weights": (("spam", 1.0),)}, "unknown source spam"),
        ({"negative_weights": (("ood", 1.0), ("ood", 2.0))}, "a source given twice"),
        ({"negative_weights": (("ood", -1.0),)}, "non-negative numbers"),
        ({"negative_weights": (("ood", 0.0),)}, "all 0"),
        ({"negative_weights": 5}, "(source, weight) pairs"),
    ],
)
def test_bad_negative_settings_are_refused(options: dict, message: str):
    with pytest.raises(NerloopError) as caught:
        config(10, **options)
    assert message in str(caught.value)


def test_weights_round_trip_through_the_saved_config():
    saved = config(10, negative_weights=(("ood", 1.0), ("word", 0.5))).to_dict()
    assert saved["negative_weights"] == {"ood": 1.0, "word": 0.5}
    restored = GeneratorConfig(**{**saved, "reference_date": REFERENCE, "split_ratios": tuple(saved["split_ratios"])})
    assert restored.negative_weights == (("ood", 1.0), ("word", 0.5))


def test_the_cli_refuses_a_bad_share_in_one_line(tmp_path: Path):
    from typer.testing import CliRunner

    from nerloop.cli.app import app

    args = ["generate", "--out", str(tmp_path / "o"), "-n", "20", "--negative-share", "1.5"]
    result = CliRunner().invoke(app, [*args, "--db", f"sqlite:///{tmp_path}/s.db"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "negative_share must be within [0, 0.9]" in result.stderr
