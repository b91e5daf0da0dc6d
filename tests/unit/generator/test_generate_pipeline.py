"""The generate pipeline end to end: exhaustion, exports that read back, the manifest."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from generator.config import SPLITS, GeneratorConfig
from generator.errors import GrammarExhausted
from generator.grammar import load_grammar, parse_grammar
from generator.pipeline import MANIFEST, generate_dataset
from nerloop.convert import annotation_to_entities, bio_to_entities, dataset_to_records, xml_to_entities
from nerloop.domain import load_domain
from nerloop.errors import NerloopError
from nerloop.export import read_jsonl
from nerloop.outdir import STAGING

DOMAIN = load_domain()
REFERENCE = dt.date(2026, 11, 25)
# five unique texts in the mini gazetteer: 投诉, 投诉量, 意见, 投诉百万户量, 百万户投诉量
TINY = 'templates:\n  - {id: only, text: "{{indicator}}"}\n'


def spans(entities) -> list[tuple[str, int, int, str]]:
    return sorted((e.type, e.start, e.end, e.text) for e in entities)


def test_exhausted_grammar_fails_fast_with_a_clear_message(mini, tmp_path: Path):
    cfg = GeneratorConfig(
        n=50, seed=0, reference_date=REFERENCE, max_duplicate_streak=200, negative_share=0.0, mixed_share=0.0
    )
    started = time.perf_counter()
    with pytest.raises(GrammarExhausted) as caught:
        generate_dataset(mini, parse_grammar(TINY, DOMAIN), tmp_path, cfg)
    assert time.perf_counter() - started < 5
    message = str(caught.value)
    assert "only 5 unique samples" in message and "for train" in message and "lower -n" in message
    assert not (tmp_path / "train.jsonl").exists() and not (tmp_path / STAGING).exists()
    assert not (tmp_path / MANIFEST).exists()


def test_exhaustion_in_a_later_split_leaves_no_finished_split(mini, tmp_path: Path):
    cfg = GeneratorConfig(
        n=8,
        seed=0,
        reference_date=REFERENCE,
        split_ratios=(0.5, 0.5, 0),
        template_holdout=0.0,
        max_duplicate_streak=100,
    )
    with pytest.raises(GrammarExhausted, match="for validation"):
        generate_dataset(mini, parse_grammar(TINY, DOMAIN), tmp_path, cfg)
    assert not list(tmp_path.glob("*.jsonl")) and not list(tmp_path.glob("*.partial"))


def test_unknown_export_is_refused_before_generating(mini, tmp_path: Path):
    with pytest.raises(NerloopError, match="unknown export format"):
        generate_dataset(mini, load_grammar(None, DOMAIN), tmp_path, GeneratorConfig(n=5), exports=("csv",))
    assert not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory):
    from gazetteers import load_gazetteer

    gazetteer = load_gazetteer(Path(__file__).parents[2] / "fixtures" / "mini", use_cache=False)
    grammar = load_grammar(None, DOMAIN)
    out = tmp_path_factory.mktemp("exported")
    cfg = GeneratorConfig(n=80, seed=6, reference_date=REFERENCE, typo_rate=0.2, fullwidth_rate=0.2)
    summary = generate_dataset(gazetteer, grammar, out, cfg, exports=("jsonl", "bio", "alpaca", "label-studio", "hf"))
    records = {s: list(read_jsonl(out / f"{s}.jsonl")) for s in SPLITS}
    return out, records, summary, cfg, gazetteer, grammar


@pytest.mark.parametrize("split", SPLITS)
def test_bio_export_reads_back(exported, split: str):
    out, records, *_ = exported
    rows = [json.loads(line) for line in (out / f"{split}.bio.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == len(records[split])
    for row, record in zip(rows, records[split]):
        assert "".join(row["tokens"]) == record.text
        assert spans(bio_to_entities(record.text, row["tags"])) == spans(record.entities)


@pytest.mark.parametrize("split", SPLITS)
def test_alpaca_export_reads_back(exported, split: str):
    out, records, *_ = exported
    rows = json.loads((out / f"{split}_alpaca.json").read_text("utf-8"))
    assert len(rows) == len(records[split])
    for row, record in zip(rows, records[split]):
        assert row["input"] == record.text
        entities, completions = xml_to_entities(row["output"], record.text, DOMAIN)
        assert spans(entities) == spans(record.entities)
        mentioned = {e.type for e in record.entities}
        assert completions == {t: n for t, n in record.resolved.items() if n and t not in mentioned}
    info = json.loads((out / "dataset_info.json").read_text("utf-8"))
    assert info[f"nerloop_{split}"]["file_name"] == f"{split}_alpaca.json"


@pytest.mark.parametrize("split", SPLITS)
def test_label_studio_export_reads_back(exported, split: str):
    out, records, *_ = exported
    tasks = json.loads((out / f"{split}_label_studio.json").read_text("utf-8"))
    assert len(tasks) == len(records[split])
    for task, record in zip(tasks, records[split]):
        assert task["data"]["text"] == record.text
        (prediction,) = task["predictions"]
        assert spans(annotation_to_entities(record.text, prediction["result"])) == spans(record.entities)
        assert task["meta"]["resolved"] == record.resolved


@pytest.mark.parametrize("split", SPLITS)
def test_hf_export_reads_back(exported, split: str):
    from datasets import load_from_disk

    out, records, *_ = exported
    back = dataset_to_records(load_from_disk(str(out / "hf" / split)))
    assert [r.to_dict() for r in back] == [r.to_dict() for r in records[split]]
    assert (out / f"{split}.parquet").is_file()


def test_manifest_records_counts_seed_and_fingerprints(exported):
    out, records, summary, cfg, gazetteer, grammar = exported
    manifest = json.loads((out / MANIFEST).read_text("utf-8"))
    assert manifest["counts"] == {s: len(records[s]) for s in SPLITS} == cfg.split_sizes()
    assert manifest["config"]["seed"] == 6 and manifest["config"]["reference_date"] == "2026-11-25"
    assert manifest["gazetteer_fingerprint"] == gazetteer.fingerprint and gazetteer.fingerprint
    assert manifest["grammar_fingerprint"] == grammar.fingerprint and grammar.fingerprint
    assert manifest["unseen_templates"] == summary.unseen_templates
    listed = {f["path"] for f in manifest["files"]}
    assert {"train.jsonl", "test_alpaca.json", "hf/train/state.json"} <= listed
    assert all((out / f).is_file() for f in listed) and MANIFEST not in listed
    assert {f["path"]: f["lines"] for f in manifest["files"]}["test.jsonl"] == len(records["test"])
    assert not list(out.glob("*.partial")) and not (out / STAGING).exists()


def test_a_rerun_without_exports_removes_the_previous_exports(mini, tmp_path: Path):
    grammar = load_grammar(None, DOMAIN)
    first = generate_dataset(mini, grammar, tmp_path, GeneratorConfig(n=60, seed=1), exports=("alpaca", "bio"))
    assert (tmp_path / "train_alpaca.json").is_file() and (tmp_path / "dataset_info.json").is_file()
    assert first.sampling_seconds <= first.seconds  # the samples/s figure leaves export time out
    generate_dataset(mini, grammar, tmp_path, GeneratorConfig(n=60, seed=2))
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == ["gazetteer_train", MANIFEST, "test.jsonl", "train.jsonl", "validation.jsonl"]
    assert json.loads((tmp_path / MANIFEST).read_text("utf-8"))["config"]["seed"] == 2
