"""Template grammars: each feature renders what it says, each mistake is reported at its file and line."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from gazetteers.matcher import GazetteerMatcher
from generator.config import GeneratorConfig
from generator.errors import GrammarError
from generator.grammar import load_grammar, parse_grammar
from generator.pipeline import generate_dataset
from nerloop.domain import load_domain
from nerloop.export import read_jsonl

DOMAIN = load_domain()
REFERENCE = dt.date(2026, 11, 25)
QILIN = "山东省/菏泽市/巨野县供电公司/麒麟供电所"
DONGHUAMEN = "北京市/东城区供电公司/东华门供电所"
DONGCHENG = "北京市/东城区供电公司"


def grammar(yaml_text: str):
    return parse_grammar(yaml_text, DOMAIN, "test.yaml")


def draw(sampler, n: int = 200):
    template = sampler.grammar.templates[0]
    return [sampler.sample(template) for _ in range(n)]


# ---- features ---------------------------------------------------------------------------------


def test_every_slot_type_renders_one_mention_of_the_drawn_chain(mini, make_sampler):
    g = grammar(
        'templates:\n  - {id: all, text: "{{province}}{{city}}{{company}}{{substation}}{{indicator}}{{date}}"}\n'
    )
    sampler = make_sampler(mini, g, pools={"Substation": (QILIN,)})
    for record in draw(sampler, 50):
        record.check_spans()
        assert [e.type for e in record.entities] == ["Province", "City", "Company", "Substation", "Indicator", "Date"]
        assert [e.id for e in record.entities[:4]] == list(mini.path(QILIN))
        assert record.resolved == mini.chain_names(QILIN)
        assert record.date is not None
        assert record.extra["template"] == "all"


def test_full_form_renders_the_canonical_name(mini, make_sampler):
    sampler = make_sampler(mini, grammar('templates:\n  - {id: t, text: "{{substation.full}}"}\n'))
    names = {e.name for e in mini.entries("Substation")}
    texts = {r.text for r in draw(sampler, 100)}
    assert texts == names  # the entry cycle covers every substation


def test_short_form_renders_a_generated_short_form(mini, make_sampler):
    sampler = make_sampler(mini, grammar('templates:\n  - {id: t, text: "{{company.short}}"}\n'))
    texts = set()
    for record in draw(sampler, 100):
        (entity,) = record.entities
        entries = [mini.get(i) for i in mini.lookup(entity.text, "Company")]
        assert any(entity.text != e.name and entity.text not in e.aliases for e in entries)
        texts.add(entity.text)
    assert {"市中区", "市中", "东城区", "巨野县", "曹县"} <= texts  # 市中区 ×2: ambiguous, and still rendered


def test_alias_form_renders_an_explicit_alias(mini, make_sampler):
    g = grammar('templates:\n  - {id: t, text: "{{substation.alias}}"}\n')
    sampler = make_sampler(mini, g, pools={"Substation": (QILIN, DONGHUAMEN)})
    assert {r.text for r in draw(sampler, 20)} == {"麒麟镇", "东华门街道"}


def test_fragment_weights_and_p_are_followed(mini, make_sampler):
    g = grammar(
        "fragments:\n"
        "  w:\n"
        "    p: 0.5\n"
        "    choices: [{text: 甲, weight: 3}, {text: 乙, weight: 1}]\n"
        'templates:\n  - {id: t, text: "{{w}}{{indicator}}"}\n'
    )
    counts = Counter(r.text[0] if r.text[0] in "甲乙" else "-" for r in draw(make_sampler(mini, g, seed=7), 4000))
    assert abs(counts["-"] / 4000 - 0.5) < 0.04
    assert abs(counts["甲"] / (counts["甲"] + counts["乙"]) - 0.75) < 0.04


def test_template_weights_are_followed(mini, tmp_path):
    g = grammar(
        "templates:\n"
        '  - {id: heavy, weight: 3, text: "{{date}}{{substation}}{{indicator}}"}\n'
        '  - {id: light, weight: 1, text: "{{indicator}}{{date}}{{substation}}"}\n'
    )
    config = GeneratorConfig(
        n=1200,
        seed=3,
        reference_date=REFERENCE,
        split_ratios=(1, 0, 0),
        template_holdout=0.0,
        negative_share=0.0,
        mixed_share=0.0,
    )
    generate_dataset(mini, g, tmp_path, config)
    counts = Counter(r.extra["template"] for r in read_jsonl(tmp_path / "train.jsonl"))
    assert abs(counts["heavy"] / 1200 - 0.75) < 0.05


def test_nested_fragments_keep_mention_spans(mini, make_sampler):
    g = grammar(
        "fragments:\n"
        '  outer: ["前{{inner}}后", "{{inner}}"]\n'
        '  inner: ["{{city.full}}", "中{{company.full}}"]\n'
        'templates:\n  - {id: t, text: "{{outer}}{{indicator}}"}\n'
    )
    seen_shapes = set()
    juye = "山东省/菏泽市/巨野县供电公司"
    for record in draw(make_sampler(mini, g, pools={"Company": (juye,)}), 200):
        record.check_spans()
        (place,) = [e for e in record.entities if e.type in ("City", "Company")]
        assert place.id in mini.path(juye) and place.text in ("菏泽市", "巨野县供电公司")
        seen_shapes.add((record.text.startswith("前"), place.type))
    assert len(seen_shapes) == 4


def test_maybe_keeps_its_input_with_the_given_probability(mini, make_sampler):
    g = grammar('templates:\n  - {id: t, text: "{{city | maybe(0.3)}}{{indicator}}"}\n')
    kept = sum(any(e.type == "City" for e in r.entities) for r in draw(make_sampler(mini, g, seed=1), 3000))
    assert abs(kept / 3000 - 0.3) < 0.04


def test_stacked_maybe_multiplies(mini, make_sampler):
    g = grammar('templates:\n  - {id: t, text: "{{city | maybe(0.5) | maybe(0.5)}}{{indicator}}"}\n')
    kept = sum(any(e.type == "City" for e in r.entities) for r in draw(make_sampler(mini, g, seed=2), 3000))
    assert abs(kept / 3000 - 0.25) < 0.04


def test_distractors_are_unlabelled_and_free_of_mentions(mini, make_sampler):
    # no 'distractors:' section: a used kind gets a default pool
    g = grammar('templates:\n  - {id: t, text: "{{person}}反映{{org}}的{{indicator}}"}\n')
    matcher = GazetteerMatcher(mini)
    people = set()
    for record in draw(make_sampler(mini, g), 100):
        (indicator,) = record.entities
        assert indicator.type == "Indicator"
        prefix = record.text[: indicator.start]
        assert "反映" in prefix and matcher.find(prefix) == []
        people.add(prefix.split("反映")[0])
    assert len(people) > 10


def test_literal_text_is_kept_and_offsets_follow_it(mini, make_sampler):
    g = grammar('templates:\n  - {id: t, text: "请问{{city.full}}的{{indicator}}是多少"}\n')
    for record in draw(make_sampler(mini, g), 30):
        city, indicator = record.entities
        assert record.text.startswith("请问") and record.text.endswith("是多少")
        assert city.start == 2 and record.text[city.end] == "的" and indicator.start == city.end + 1


def test_a_level_the_chain_skips_renders_nothing(mini, make_sampler):
    g = grammar(
        'templates:\n  - {id: t, text: "{{province.full}}{{city}}{{company.full}}{{substation.full}}{{indicator}}"}\n'
    )
    for record in draw(make_sampler(mini, g, pools={"Substation": (DONGHUAMEN,)}), 20):
        assert record.text.startswith("北京市东城区供电公司东华门供电所")
        assert [e.type for e in record.entities] == ["Province", "Company", "Substation", "Indicator"]
        assert record.resolved == {
            "Province": "北京市",
            "City": None,
            "Company": "东城区供电公司",
            "Substation": "东华门供电所",
        }


def test_city_only_template_on_a_chain_without_city_still_renders(mini, make_sampler):
    g = grammar('templates:\n  - {id: t, text: "{{city}}{{company}}{{indicator}}"}\n')
    records = draw(make_sampler(mini, g, pools={"Company": (DONGCHENG,)}), 20)
    assert all([e.type for e in r.entities] == ["Company", "Indicator"] for r in records)
    assert all(r.resolved["City"] is None and r.resolved["Province"] == "北京市" for r in records)


def test_default_grammar_compiles_with_lines():
    g = load_grammar(None, DOMAIN)
    assert len({t.id for t in g.templates}) == len(g.templates) > 50
    assert all(t.line > 0 for t in g.templates) and all(f.line > 0 for f in g.fragments.values())
    assert set(g.distractors) == {"person", "org", "address", "lookalike"}


# ---- mistakes ---------------------------------------------------------------------------------

T = 'templates:\n  - {id: a, text: "{{city}}"}\n'

BAD = [
    pytest.param('templates:\n  - {id: a, text: "{{city}}"\n  - x: [\n', 3, "not valid YAML", id="invalid-yaml"),
    pytest.param("fragments: {a: [x]}\n", 1, "non-empty 'templates' list", id="no-templates"),
    pytest.param("templates: []\n", 1, "non-empty 'templates' list", id="empty-templates"),
    pytest.param(
        '\n\ntemplates:\n  - {id: a, text: "{{city}}{{nope}}"}\n', 4, "unknown name 'nope'", id="unknown-name"
    ),
    pytest.param(
        'fragments:\n  polite: [请问]\ntemplates:\n  - {id: a, text: "{{city}}"}\n  - {id: b, text: "{{politely}}"}\n',
        5,
        "unknown name 'politely'",
        id="unknown-fragment",
    ),
    pytest.param(
        'templates:\n  - {id: a, text: "{{city.nickname}}"}\n',
        2,
        "unknown surface form city.nickname",
        id="unknown-form",
    ),
    pytest.param(
        'fragments:\n  f: [x]\ntemplates:\n  - {id: a, text: "{{f.full}}"}\n',
        4,
        "only slots take a surface form",
        id="form-on-fragment",
    ),
    pytest.param(
        "templates:\n  - id: a\n    text: |\n      {{city}}\n      {{indicator}}\n      {{ date \n",
        6,
        "jinja2 syntax error",
        id="jinja-syntax-multiline",
    ),
    pytest.param(
        "templates:\n  - id: a\n    text: |\n      {{city}}\n      {{ indicator }}{{ nope }}\n",
        5,
        "unknown name 'nope'",
        id="unknown-name-multiline",
    ),
    pytest.param(
        'templates:\n  - id: a\n    text: "{% if x %}{{city}}{% endif %}"\n',
        3,
        "If blocks are not supported",
        id="if-block",
    ),
    pytest.param(
        'templates:\n  - {id: a, text: "{{ city | upper }}"}\n', 2, "unsupported expression", id="other-filter"
    ),
    pytest.param(
        'fragments:\n  a: ["x{{b}}"]\n  b:\n    choices: ["{{a}}"]\ntemplates:\n  - {id: t, text: "{{a}}"}\n',
        2,
        "refers to itself: a → b → a",
        id="fragment-cycle",
    ),
    pytest.param('fragments:\n  a: ["{{a}}"]\n' + T, 2, "refers to itself", id="fragment-self"),
    pytest.param(
        "fragments:\n  z: [x]\n  a:\n    choices: [{text: x, weight: 0}]\n" + T,
        3,
        "weights must be",
        id="zero-fragment-weight",
    ),
    pytest.param(
        "fragments:\n  a:\n    choices: [{text: x, weight: abc}]\n" + T, 2, "weights must be", id="text-fragment-weight"
    ),
    pytest.param(
        "fragments:\n  a:\n    p: 0\n    choices: [x]\n" + T, 2, "p a number within (0, 1]", id="fragment-p-zero"
    ),
    pytest.param(
        "fragments:\n  a:\n    p: often\n    choices: [x]\n" + T, 2, "p a number within (0, 1]", id="fragment-p-text"
    ),
    pytest.param("fragments:\n  a: {choices: []}\n" + T, 2, "has no choices", id="fragment-no-choices"),
    pytest.param("fragments:\n  a: 请问\n" + T, 2, "must be a list of choices", id="fragment-scalar"),
    pytest.param("fragments:\n  city: [x]\n" + T, 2, "reserved", id="fragment-named-like-slot"),
    pytest.param(
        'templates:\n  - {id: a, text: "{{city}}"}\n  - {id: b, weight: -1, text: "{{city}}"}\n',
        3,
        "weight must be a positive",
        id="negative-weight",
    ),
    pytest.param(
        'templates:\n  - {id: a, weight: 0, text: "{{city}}"}\n', 2, "weight must be a positive", id="zero-weight"
    ),
    pytest.param(
        'templates:\n  - {id: a, weight: "x", text: "{{city}}"}\n', 2, "weight must be a positive", id="text-weight"
    ),
    pytest.param("templates:\n  - {id: a}\n", 2, "missing 'text'", id="missing-text"),
    pytest.param(
        'templates:\n  - {id: a, text: "{{city}}"}\n  - {id: a, text: "{{company}}"}\n',
        3,
        "'a' is used twice (first on line 2)",
        id="duplicate-id",
    ),
    pytest.param(
        'templates:\n  - {id: a, text: "{{city | maybe(0)}}"}\n',
        2,
        "maybe(0) needs a probability in (0, 1]",
        id="maybe-0",
    ),
    pytest.param(
        'templates:\n  - {id: a, text: "{{city | maybe(2)}}"}\n',
        2,
        "maybe(2) needs a probability in (0, 1]",
        id="maybe-2",
    ),
    pytest.param(
        "templates:\n  - {id: a, text: \"{{city | maybe('x')}}\"}\n", 2, "needs a probability", id="maybe-text"
    ),
    pytest.param(
        'templates:\n  - {id: a, text: "{{city | maybe(p)}}"}\n', 2, "maybe() takes one number", id="maybe-variable"
    ),
    pytest.param(
        'templates:\n  - "{{city}}"\n  - "{{nope}}"\n', 3, "template 't2': unknown name", id="string-template"
    ),
    pytest.param("templates:\n  - 3\n", 2, "write a string or a mapping", id="number-template"),
    pytest.param("distractors: {person: many}\n" + T, 1, "pool size", id="bad-distractor-size"),
    pytest.param("distractors: {pet: 3}\n" + T, 1, "pool size", id="unknown-distractor"),
]


@pytest.mark.parametrize(("yaml_text", "line", "message"), BAD)
def test_bad_grammar_names_file_and_line(yaml_text: str, line: int, message: str):
    with pytest.raises(GrammarError) as caught:
        grammar(yaml_text)
    problems = caught.value.problems
    assert any(p.file == "test.yaml" and p.line == line and message in p.message for p in problems), problems
    assert "test.yaml" in str(caught.value)


def test_unknown_name_lists_the_known_names():
    with pytest.raises(GrammarError) as caught:
        grammar('fragments:\n  polite: [请问]\ntemplates:\n  - {id: a, text: "{{nope}}"}\n')
    (problem,) = caught.value.problems
    for known in ("city", "substation", "indicator", "date", "polite", "person", "org", "address"):
        assert known in problem.message


def test_every_problem_is_reported_not_just_the_first():
    with pytest.raises(GrammarError) as caught:
        grammar(
            'templates:\n  - {id: a, text: "{{nope}}"}\n  - {id: b, text: "{{city.x}}"}\n  - {id: c, weight: 0, text: "x"}\n'
        )
    assert [p.line for p in caught.value.problems] == [2, 3, 4]


def test_grammar_file_problems_name_the_path(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text('templates:\n  - {id: a, text: "{{nope}}"}\n', "utf-8")
    with pytest.raises(GrammarError) as caught:
        load_grammar(path, DOMAIN)
    assert caught.value.problems[0].file == str(path) and caught.value.problems[0].line == 2
    with pytest.raises(GrammarError, match="cannot read grammar"):
        load_grammar(tmp_path / "missing.yaml", DOMAIN)


def test_null_choice_renders_nothing(mini, make_sampler):
    g = grammar('fragments:\n  f: [~, 请问]\ntemplates:\n  - {id: a, text: "{{f}}{{indicator}}"}\n')
    assert {r.text[:2] == "请问" for r in draw(make_sampler(mini, g), 100)} == {True, False}
    assert not any("None" in r.text for r in draw(make_sampler(mini, g), 100))


@pytest.mark.parametrize(
    ("literal", "line"),
    [
        pytest.param('templates:\n  - {id: a, text: "本月{{city}}{{indicator}}"}\n', 2, id="date"),
        pytest.param(
            'templates:\n  - {id: a, text: "{{city}}"}\n  - {id: b, text: "龙山供电所{{indicator}}"}\n', 3, id="name"
        ),
        pytest.param('templates:\n  - {id: a, text: "{{date}}东城{{indicator}}"}\n', 2, id="alias"),
        pytest.param('templates:\n  - {id: a, text: "{{city}}的投诉"}\n', 2, id="indicator"),
        pytest.param(
            'fragments:\n  f: [查一下, 菏泽市的]\ntemplates:\n  - {id: a, text: "{{f}}{{indicator}}"}\n',
            2,
            id="in-fragment",
        ),
    ],
)
def test_literal_text_with_a_mention_fails_generation(mini, tmp_path: Path, literal: str, line: int):
    with pytest.raises(GrammarError) as caught:
        generate_dataset(mini, grammar(literal), tmp_path, GeneratorConfig(n=5, reference_date=REFERENCE))
    (problem,) = caught.value.problems
    assert problem.file == "test.yaml" and problem.line == line and "literal text" in problem.message
    assert not (tmp_path / "train.jsonl").exists()


def test_literal_generated_short_form_is_only_a_warning(mini, tmp_path: Path):
    g = grammar('templates:\n  - {id: a, text: "{{date}}龙山{{indicator}}"}\n')
    summary = generate_dataset(mini, g, tmp_path, GeneratorConfig(n=5, reference_date=REFERENCE))
    assert any("'龙山'" in w and "test.yaml:2" in w for w in summary.warnings)


def test_multi_line_template_renders_one_line(mini, make_sampler):
    g = grammar("templates:\n  - id: a\n    text: |\n      请问{{city.full}}\n      的{{indicator}}\n")
    for record in draw(make_sampler(mini, g), 20):
        record.check_spans()
        assert "\n" not in record.text and record.text.startswith("请问") and "的" in record.text
