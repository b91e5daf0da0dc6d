"""Splits: held-out entries and templates stay out of training; files are complete, unique and reproducible."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gazetteers.model import Gazetteer
from generator.config import SPLITS, GeneratorConfig
from generator.grammar import load_grammar
from generator.pipeline import generate_dataset
from generator.splits import plan_splits
from nerloop.domain import load_domain

DOMAIN = load_domain()
REFERENCE = dt.date(2026, 11, 25)
GRAMMAR = load_grammar(None, DOMAIN)
ROOT = Path(__file__).parents[3]


def config(n: int, seed: int, **kw) -> GeneratorConfig:
    return GeneratorConfig(n=n, seed=seed, reference_date=REFERENCE, **kw)


def read(out: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in (out / f"{split}.jsonl").read_text("utf-8").splitlines()]


def heldout(gazetteer: Gazetteer, cfg: GeneratorConfig) -> dict[str, str]:
    plan = plan_splits(gazetteer, GRAMMAR, cfg)
    return {i: s for i, s in plan.assignment.items() if s in ("validation", "test")}


def named_ids(record: dict) -> set[str]:
    return {e["id"] for e in record["entities"] if e.get("id")} | {i for chain in record["ambiguous"] for i in chain}


@pytest.mark.parametrize("seed", [0, 1, 3, 11])
def test_mini_train_never_names_a_heldout_entry(mini, tmp_path: Path, seed: int):
    cfg = config(600, seed)
    held = heldout(mini, cfg)
    generate_dataset(mini, GRAMMAR, tmp_path, cfg)
    for record in read(tmp_path, "train"):
        assert not named_ids(record) & set(held), record["text"]


def test_entries_sharing_a_name_fall_on_the_same_side(default_gazetteer):
    """Unless a held-out parent decides, all 城关 share a split: bare ambiguous names stay usable in train."""
    plan = plan_splits(default_gazetteer, GRAMMAR, config(10, 0))
    sides: dict[str, set[str]] = {}
    for entry in default_gazetteer.entries("Substation"):
        if plan.assignment.get(entry.parent) in ("train", "shared"):
            sides.setdefault(entry.name, set()).add(plan.assignment[entry.id])
    assert sum(len(s) > 1 for s in sides.values()) == 0
    assert any(len(default_gazetteer.lookup(n, "Substation")) > 1 for n in sides)


@pytest.mark.parametrize("seed", [0, 1])
def test_default_train_never_names_a_heldout_entry(default_gazetteer, tmp_path: Path, seed: int):
    cfg = config(1500, seed)
    held = heldout(default_gazetteer, cfg)
    assert {default_gazetteer.get(i).type for i in held} == {"Company", "Substation"}
    generate_dataset(default_gazetteer, GRAMMAR, tmp_path, cfg)
    for record in read(tmp_path, "train"):
        assert not named_ids(record) & set(held), record["text"]
    for split in ("validation", "test"):
        used = {i for r in read(tmp_path, split) for i in named_ids(r) if held.get(i) == split}
        assert len(used) > 20  # held-out entries are what the held-out splits are about


def test_heldout_company_takes_its_substations(default_gazetteer):
    plan = plan_splits(default_gazetteer, GRAMMAR, config(10, 3))
    for entry in default_gazetteer.entries("Substation"):
        parent = plan.assignment[entry.parent]
        if parent in ("validation", "test"):
            assert plan.assignment[entry.id] == parent


def test_unseen_templates_only_in_test(default_gazetteer, tmp_path: Path):
    summary = generate_dataset(default_gazetteer, GRAMMAR, tmp_path, config(1000, 4))
    unseen = set(summary.unseen_templates)
    assert unseen and len(unseen) < len(GRAMMAR.templates)
    for split in ("train", "validation"):
        records = read(tmp_path, split)
        assert not {r["template"] for r in records} & unseen
        assert all("unseen_template" not in r for r in records)
    test = read(tmp_path, "test")
    assert all(r["unseen_template"] == (r["template"] in unseen) for r in test)
    assert {r["template"] for r in test if r["unseen_template"]} == unseen  # the first round covers every template


def test_template_holdout_flag_overrides_the_draw(mini, tmp_path: Path):
    from generator.grammar import parse_grammar

    g = parse_grammar(
        "templates:\n"
        '  - {id: seen, holdout: false, text: "{{date}}{{substation}}{{indicator}}"}\n'
        '  - {id: shape, holdout: true, text: "{{indicator}}{{substation}}{{date}}"}\n',
        DOMAIN,
    )
    summary = generate_dataset(
        mini, g, tmp_path, config(300, 0, template_holdout=0.9, negative_share=0.0, mixed_share=0.0)
    )
    assert summary.unseen_templates == ["shape"]
    assert {r["template"] for r in read(tmp_path, "train")} == {"seen"}


def test_every_split_file_has_its_requested_count(default_gazetteer, tmp_path: Path):
    cfg = config(777, 2, split_ratios=(0.6, 0.25, 0.15))
    summary = generate_dataset(default_gazetteer, GRAMMAR, tmp_path, cfg)
    assert summary.counts == cfg.split_sizes() == {"train": 467, "validation": 194, "test": 116}
    for split in SPLITS:
        assert len(read(tmp_path, split)) == cfg.split_sizes()[split]
    assert not list(tmp_path.glob("*.partial"))


def test_texts_are_unique_across_splits(mini, tmp_path: Path):
    generate_dataset(mini, GRAMMAR, tmp_path, config(1500, 5))
    texts = [r["text"] for split in SPLITS for r in read(tmp_path, split)]
    assert len(texts) == len(set(texts)) == 1500


def _split_bytes(out: Path) -> dict[str, bytes]:
    return {s: (out / f"{s}.jsonl").read_bytes() for s in SPLITS}


def test_same_seed_gives_identical_files(default_gazetteer, tmp_path: Path):
    generate_dataset(default_gazetteer, GRAMMAR, tmp_path / "a", config(600, 8))
    generate_dataset(default_gazetteer, GRAMMAR, tmp_path / "b", config(600, 8))
    generate_dataset(default_gazetteer, GRAMMAR, tmp_path / "c", config(600, 9))
    a, b, c = (_split_bytes(tmp_path / x) for x in "abc")
    assert a == b
    assert all(a[s] != c[s] for s in SPLITS)


def test_same_seed_gives_identical_files_across_processes(mini_dir: Path, mini, tmp_path: Path):
    """Another process has another str hash seed; nothing may depend on it."""
    generate_dataset(mini, GRAMMAR, tmp_path / "here", config(400, 3))
    script = textwrap.dedent(f"""
        import datetime as dt, sys
        from pathlib import Path
        from gazetteers import load_gazetteer
        from generator.config import GeneratorConfig
        from generator.grammar import load_grammar
        from generator.pipeline import generate_dataset
        gazetteer = load_gazetteer(Path({str(mini_dir)!r}), use_cache=False)
        config = GeneratorConfig(n=400, seed=3, reference_date=dt.date(2026, 11, 25))
        generate_dataset(gazetteer, load_grammar(None, gazetteer.domain), Path(sys.argv[1]), config)
    """)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "there")], check=True, cwd=ROOT, env=env)
    assert _split_bytes(tmp_path / "here") == _split_bytes(tmp_path / "there")


def test_train_covers_every_train_pool_entry_and_seen_template(mini, tmp_path: Path):
    cfg = config(1500, 0, negative_share=0.0, mixed_share=0.0)  # about queries; negatives have their own tests
    plan = plan_splits(mini, GRAMMAR, cfg)
    generate_dataset(mini, GRAMMAR, tmp_path, cfg)
    train = read(tmp_path, "train")
    linked = {e["id"] for r in train for e in r["entities"] if e.get("id")}
    for type_name in (*DOMAIN.hierarchy, "Indicator"):
        missing = set(plan.pools["train"][type_name]) - linked
        assert not missing, (type_name, missing)
    assert {r["template"] for r in train} == {t.id for t in plan.templates["train"]}


def test_small_gazetteer_warns_that_it_reuses_train_entries(mini):
    plan = plan_splits(mini, GRAMMAR, config(10, 24))
    assert not any(s in ("validation", "test") for s in plan.assignment.values())
    assert len(plan.warnings) == 4
    assert plan.pools["test"]["Substation"] == plan.pools["train"]["Substation"]


def test_substations_of_a_heldout_company_are_drawn_by_its_split(default_gazetteer, tmp_path: Path):
    cfg = config(1000, 0, holdout_levels=("Company",))
    plan = plan_splits(default_gazetteer, GRAMMAR, cfg)
    for split in ("validation", "test"):
        pool = plan.pools[split]["Substation"]
        assert pool and all(plan.assignment[default_gazetteer.get(i).parent] == split for i in pool)
    held = heldout(default_gazetteer, cfg)
    generate_dataset(default_gazetteer, GRAMMAR, tmp_path, cfg)
    for record in read(tmp_path, "train"):
        assert not named_ids(record) & set(held), record["text"]
    validation_subs = {
        e["id"]
        for r in read(tmp_path, "validation")
        for e in r["entities"]
        if e["type"] == "Substation" and e.get("id")
    }
    assert validation_subs and all(held.get(i) == "validation" for i in validation_subs)


def test_config_rejects_a_streak_below_one():
    from nerloop.errors import NerloopError

    with pytest.raises(NerloopError, match="max_duplicate_streak"):
        config(10, 0, max_duplicate_streak=0)
