"""``nerloop train`` → ``tag``/``eval --model`` with a tiny tagger on CPU, sharing one trained model.

The session fixture trains once (a few dozen steps on generated records); quality is not
the point here (see ``test_trainer_quality.py``), plumbing is: the model directory, the
store, save → reload, LoRA on a model directory with ``--merge``, resolution invariants
and one-line errors for bad input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gazetteers import load_gazetteer
from inference.combine import COMBINE_MODES
from inference.fit import CALIBRATION_FILE, fit_model_dir, source_gazetteer, train_calibrated
from inference.loading import open_model
from inference.pipeline import open_pipeline
from nerloop.cli.app import app
from nerloop.errors import OutputBusy
from nerloop.export import read_jsonl
from nerloop.outdir import sibling_lock
from trainer.backends.tagger.tagging import load_model
from trainer.config import TrainConfig
from trainer.data import DataSpec
from trainer.model_dir import read_manifest
from trainer.progress import TrainProgress
from trainer.train import partial_dir, train

REF = dt.date(2026, 11, 25)
STEPS = dict(max_steps=40, eval_steps=20, batch_size=16, early_stopping_patience=0)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "data"
    done = subprocess.run(
        [sys.executable, "-m", "nerloop", "generate", "--out", str(out), "-n", "1000", "--seed", "3"]
        + ["--reference-date", REF.isoformat(), "--db", f"sqlite:///{out.parent / 'gen.db'}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def tiny_model(generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.set_num_threads(1)
    from nerloop.store import open_store

    root = tmp_path_factory.mktemp("models")
    engine = open_store(f"sqlite:///{root / 'store.db'}")
    out = root / "tiny"
    train_calibrated(TrainConfig(base="tiny", **STEPS), [DataSpec(generated)], out, dev=None, engine=engine)
    return out


def test_train_writes_a_complete_registered_model_directory(tiny_model: Path) -> None:
    manifest = read_manifest(tiny_model)
    assert manifest.backend == "tagger" and manifest.finetune == "full" and manifest.weights == "full"
    for name in ("model", "tokenizer", "lexicon.safetensors", "tagger.json", "domain.yaml", "curves.png"):
        assert (tiny_model / name).exists(), name
    config = json.loads((tiny_model / "training_config.json").read_text("utf-8"))
    assert config["base"] == "tiny" and config["max_steps"] == STEPS["max_steps"]
    assert 0 <= manifest.metrics["entity_f1"] <= 1 and manifest.data_fingerprint and manifest.gazetteer_fingerprint
    saved = json.loads((tiny_model / CALIBRATION_FILE).read_text("utf-8"))
    assert manifest.combine == saved["combine"] and set(manifest.metrics["combinations"]) == set(COMBINE_MODES)
    assert saved["fitted_on"] == "generated validation split"
    assert manifest.version in (tiny_model / "README.md").read_text("utf-8")
    assert not partial_dir(tiny_model).exists()
    from nerloop.store import open_store
    from nerloop.store.registry import list_models

    (info,) = list_models(open_store(f"sqlite:///{tiny_model.parent / 'store.db'}"))
    assert info.version == manifest.version and info.path == str(tiny_model.resolve())


def test_the_saved_training_config_reads_back_with_every_choice_training_resolved(tiny_model: Path) -> None:
    from trainer.backends.tagger.model import TaggerSpec
    from trainer.config import read_training_config

    config = read_training_config(tiny_model)
    spec = TaggerSpec.read(tiny_model)
    assert (config.backend, config.finetune, config.learning_rate) == ("tagger", "full", 1e-3)
    assert config.backend_options.label_scheme == spec.scheme and config.max_length == spec.max_length
    assert config.backend_options.lexicon_types == list(spec.lexicon_types) and spec.lexicon_types


def test_reloaded_model_scores_validation_exactly_as_the_trained_one(
    tiny_model: Path, generated: Path, tmp_path: Path
) -> None:
    gazetteer = load_gazetteer(generated / "gazetteer_train")
    reloaded = open_model(tiny_model, gazetteer=gazetteer, device="cpu")
    validation = list(read_jsonl(generated / "validation.jsonl"))
    copy = tmp_path / "model"
    shutil.copytree(tiny_model, copy)
    tagging = source_gazetteer([DataSpec(generated)])  # what training calibrated against: the embedded one
    assert tagging is not None and tagging.fingerprint == load_gazetteer(None).fingerprint
    fit = fit_model_dir(copy, tagging, validation, "generated validation split")
    assert fit.to_dict()["scores"] == json.loads((tiny_model / CALIBRATION_FILE).read_text("utf-8"))["scores"]
    again = open_model(tiny_model, gazetteer=gazetteer, device="cpu")
    texts = [r.text for r in validation[:20]]
    assert reloaded.predict(texts) == again.predict(texts)


def test_tag_model_writes_scores_uncertainty_model_and_valid_spans(tiny_model: Path, generated: Path) -> None:
    queries = "本月菏泽巨野县供电公司麒麟供电所投诉个数\n𠀀菏泽新奇供电所上月投诉\n"
    result = CliRunner().invoke(
        app, ["tag", "--model", str(tiny_model), "--reference-date", "2026-11-25"], input=queries
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in lines] == queries.split()
    version = read_manifest(tiny_model).version
    for record in lines:
        assert record["model"] == version and 0 <= record["uncertainty"] <= 1
        for entity in record["entities"]:
            assert record["text"][entity["start"] : entity["end"]] == entity["text"]
            assert 0 <= entity["score"] <= 1


def test_tag_explain_shows_confidence_evidence_and_threshold_of_kept_and_dropped_spans(
    tiny_model: Path, generated: Path, tmp_path: Path
) -> None:
    """Thresholds forced so that a supported model span is kept and an unsupported one dropped."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    saved = json.loads((model / CALIBRATION_FILE).read_text("utf-8"))
    saved["thresholds"] = {"supported": 0.0, "unsupported": 1.01, "veto": 0.0}
    (model / CALIBRATION_FILE).write_text(json.dumps(saved), "utf-8")
    texts = [r.text for r in read_jsonl(generated / "test.jsonl")][:60] + ["赵建国在城关中学读书", "你好，谢谢"]
    args = ["tag", "--model", str(model), "--combine", "calibrated", "--explain", "--reference-date", "2026-11-25"]
    args += ["--gazetteer", str(generated / "gazetteer_train")]  # the test's held-out names: the model's own
    result = CliRunner().invoke(app, args, input="\n".join(texts) + "\n")
    assert result.exit_code == 0, result.output
    decisions = [d for line in result.stdout.splitlines() for d in json.loads(line)["combination"]["spans"]]
    alone = [d for d in decisions if d["reason"] in ("confident model span", "below the threshold")]
    assert alone, sorted({(d["source"], d["reason"]) for d in decisions})
    for d in alone:
        assert d["source"] == "model" and {"confidence", "evidence", "threshold"} <= set(d), d
        assert d["kept"] == (d["confidence"] >= d["threshold"])
        assert d["threshold"] == (1.01 if d["evidence"] in ("none", "weak short form") else 0.0), d
    assert all(d["kept"] for d in decisions if d["source"] == "both")


def test_eval_model_resolves_against_a_newer_gazetteer(tiny_model: Path, generated: Path) -> None:
    for gazetteer in (generated / "gazetteer_train", None):
        args = ["eval", "--model", str(tiny_model), "--gold", str(generated / "test.jsonl")]
        result = CliRunner().invoke(app, args + (["--gazetteer", str(gazetteer)] if gazetteer else []))
        assert result.exit_code == 0, result.output
        metrics = json.loads(result.stdout)
        assert metrics["n"] == 100 and 0 <= metrics["entity_f1"] <= 1


def test_lora_round_on_a_model_directory_merges_to_the_same_predictions(
    tiny_model: Path, generated: Path, tmp_path: Path
) -> None:
    torch.set_num_threads(1)
    out = tmp_path / "lora"
    config = TrainConfig(base=str(tiny_model), finetune="lora", merge=True, lora_r=4, **{**STEPS, "max_steps": 6})
    train(config, [DataSpec(generated)], out)
    manifest = read_manifest(out)
    assert manifest.parent == read_manifest(tiny_model).version
    assert manifest.weights == "merged" and manifest.finetune == "lora"
    gazetteer = load_gazetteer(generated / "gazetteer_train")
    merged = load_model(out, manifest, device="cpu", gazetteer=gazetteer, precision="fp32")
    adapter = dataclasses.replace(manifest, weights="adapter")
    adapter = load_model(out, adapter, device="cpu", gazetteer=gazetteer, precision="fp32")
    texts = [r.text for r in read_jsonl(generated / "test.jsonl")][:40]
    by_merged, by_adapter = merged.predict(texts), adapter.predict(texts)
    for x, y in zip(by_merged, by_adapter):
        assert [e[:4] for e in x.entities] == [e[:4] for e in y.entities]
        assert all(abs(a.score - b.score) < 1e-3 for a, b in zip(x.entities, y.entities))
        np.testing.assert_allclose(np.array(x.token_probs), np.array(y.token_probs), atol=1e-4)


def _hierarchy_words(gazetteer) -> list[str]:
    words = []
    for type_name in gazetteer.domain.hierarchy:
        words += [e.name for e in gazetteer.entries(type_name)[:40]]
    return words + ["新奇供电所", "龙王庙所", "本月", "投诉", "的", "𠀀"]


@pytest.fixture(scope="module")
def model_pipeline(tiny_model: Path, generated: Path):
    gazetteer = load_gazetteer(generated / "gazetteer_train")
    return open_pipeline(tiny_model, False, gazetteer, combine="model"), gazetteer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_chains_after_tag_model_fit_the_gazetteer_and_unlinked_mentions_constrain_nothing(model_pipeline, data) -> None:
    pipeline, gazetteer = model_pipeline
    words = data.draw(st.lists(st.sampled_from(_hierarchy_words(gazetteer)), min_size=1, max_size=5))
    text = "".join(words)
    (resolution,) = pipeline.tag([text], REF)
    record = resolution.record
    record.check_spans()
    hierarchy = gazetteer.domain.hierarchy
    for entity in record.entities:
        if entity.id is not None and entity.type in hierarchy:
            assert gazetteer.get(entity.id).type == entity.type
    targets = record.targets or ()
    units = [(t.mentions, t.resolved, t.ambiguous, t.conflict) for t in targets] or [
        (range(len(record.entities)), record.resolved, record.ambiguous, record.conflict)
    ]
    for mentions, resolved, ambiguous, conflict in units:  # every target fits the gazetteer on its own
        entities = [record.entities[i] for i in mentions]
        linked = [e.id for e in entities if e.id is not None and e.type in hierarchy]
        if conflict:
            assert all(v is None for v in resolved.values())
        elif ambiguous:
            for chain in ambiguous:
                assert tuple(chain) == gazetteer.path(chain[-1]) and set(linked) <= set(chain)
            for level, name in resolved.items():
                if name is not None:
                    assert all(gazetteer.chain_names(chain[-1])[level] == name for chain in ambiguous)
        elif linked:
            deepest = max(linked, key=lambda i: len(gazetteer.path(i)))
            assert resolved == gazetteer.chain_names(deepest)
            assert all(i in gazetteer.path(deepest) for i in linked)
        else:
            assert all(v is None for v in resolved.values())
    for level, name in record.resolved.items():  # the top level holds only what every target shares
        assert name is None or all(t.resolved[level] == name for t in targets)
    unlinked = [
        e
        for e, link in zip(record.entities, resolution.links)
        if e.type in hierarchy and not link.candidates and e.id is None
    ]
    # An unlinked mention adds no chain and no constraint; it may only start a target of its own
    # (a unit the gazetteer lacks, named beside another of its level), so compare single-unit queries.
    if unlinked and len(targets) <= 1:
        rest = [e for e in record.entities if e not in unlinked]
        again = pipeline.resolver.resolve(text, rest, REF).record
        assert (again.resolved, again.ambiguous, again.conflict) == (record.resolved, record.ambiguous, record.conflict)


def _train_cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, ["train", *args], env=env)


@pytest.mark.parametrize(
    "case, exit_code, message",
    [
        ("empty_dir", 2, "no train.jsonl here"),
        ("bad_spans", 2, "not a tagged-query record"),
        ("missing_base", 1, "no such directory"),
        ("offline_hub", 1, "offline"),
        ("unknown_backend", 2, "unknown backend"),
    ],
)
def test_bad_input_is_one_line_error_and_nothing_in_out(
    case: str, exit_code: int, message: str, generated: Path, tmp_path: Path
) -> None:
    data, extra, env = str(generated), [], None
    if case == "empty_dir":
        (tmp_path / "empty").mkdir()
        data = str(tmp_path / "empty")
    elif case == "bad_spans":
        bad = tmp_path / "bad.jsonl"
        bad.write_text(
            json.dumps(
                {"text": "菏泽投诉", "entities": [{"type": "City", "start": 1, "end": 3, "text": "菏泽"}]},
                ensure_ascii=False,
            )
            + "\n",
            "utf-8",
        )
        data = str(bad)
    elif case == "missing_base":
        extra = ["--base", str(tmp_path / "no" / "such" / "model")]
    elif case == "offline_hub":
        extra, env = ["--base", "nerloop-test/not-cached-anywhere"], {"HF_HUB_OFFLINE": "1"}
    else:
        extra = ["--backend", "crf"]
    out = tmp_path / "out"
    result = _train_cli("--data", data, "--out", str(out), "--max-steps", "2", *extra, env=env)
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not out.exists() and not partial_dir(out).exists()


def test_interrupted_run_keeps_its_checkpoints_and_resume_finishes_it(generated: Path, tmp_path: Path) -> None:
    from trainer.errors import TrainingError

    torch.set_num_threads(1)
    out = tmp_path / "resumed"
    config = TrainConfig(base="tiny", **{**STEPS, "max_steps": 6, "eval_steps": 3})
    steps: list[int] = []

    def crash_after_checkpoint(event: TrainProgress) -> None:
        steps.append(event.step)
        if event.step == 4:
            raise RuntimeError("power cut")

    with pytest.raises(TrainingError, match="power cut"):
        train(config, [DataSpec(generated)], out, progress=crash_after_checkpoint)
    assert not out.exists() and (partial_dir(out) / "checkpoints" / "checkpoint-3").is_dir()
    resumed: list[int] = []
    train(
        dataclasses.replace(config, resume=True),
        [DataSpec(generated)],
        out,
        progress=lambda e: resumed.append(e.step),
    )
    assert min(resumed) == 4 and max(resumed) == 6  # continued at step 4, not from scratch
    assert read_manifest(out).backend == "tagger" and not partial_dir(out).exists()


def test_a_local_hugging_face_directory_is_a_base_and_defaults_to_lora(
    tiny_model: Path, generated: Path, tmp_path: Path
) -> None:
    import shutil

    torch.set_num_threads(1)
    local = tmp_path / "local-bert"
    shutil.copytree(tiny_model / "model", local)
    for path in (tiny_model / "tokenizer").iterdir():
        shutil.copy(path, local / path.name)
    out = tmp_path / "from-local"
    train(TrainConfig(base=str(local), lora_r=4, **{**STEPS, "max_steps": 4}), [DataSpec(generated)], out)
    manifest = read_manifest(out)
    assert (manifest.finetune, manifest.weights, manifest.base_path, manifest.parent) == (
        "lora",
        "adapter",
        "base",
        None,
    )
    tagger = open_model(out, gazetteer=load_gazetteer(generated / "gazetteer_train"), device="cpu")
    (prediction,) = tagger.predict(["本月菏泽投诉"])
    assert len(prediction.token_probs) == len("本月菏泽投诉")


def test_train_into_an_out_another_run_is_writing_fails_at_once_and_writes_nothing(
    generated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "model"
    with sibling_lock(out), pytest.raises(OutputBusy, match=f"{out} is being written by pid"):
        train(TrainConfig(base="tiny", **STEPS), [DataSpec(generated)], out)
    assert not out.exists() and not partial_dir(out).exists()
    assert list(tmp_path.iterdir()) == []  # the lock beside --out is gone with its holder


def test_mc_dropout_samples_differ_between_passes_and_leave_predict_deterministic(tiny_model: Path, generated: Path):
    from active_learning.strategies import bald

    gazetteer = load_gazetteer(generated / "gazetteer_train")
    tagger = open_model(tiny_model, gazetteer=gazetteer, device="cpu")
    texts = [r.text for r in list(read_jsonl(generated / "test.jsonl"))[:8]]
    before = tagger.predict(texts)
    torch.manual_seed(0)
    samples = tagger.predict_samples(texts, 4)
    assert len(samples) == len(texts) and all(len(s) == 4 for s in samples)
    assert any(not np.array_equal(s[0].token_probs, s[1].token_probs) for s in samples)  # dropout was on
    assert max(bald([p.token_probs for p in s]) for s in samples) > 0  # the passes disagree somewhere
    assert tagger.predict(texts) == before and not tagger.network.training


def test_a_combining_pipeline_reads_one_scan_per_query_and_predicts_as_a_model_with_its_own(
    tiny_model: Path, generated: Path
) -> None:
    """With the matcher in the combination, the model's lexicon features come off the matcher's scan."""
    gazetteer = load_gazetteer(generated / "gazetteer_train")
    pipeline = open_pipeline(tiny_model, False, gazetteer, combine="calibrated")
    matcher = pipeline.matcher.matcher
    texts = [r.text for r in read_jsonl(generated / "test.jsonl")][:200] + ["𠀀本月菏泽投诉", ""]
    own = open_model(tiny_model, gazetteer=gazetteer)
    matcher.scan.cache_clear()
    shared = pipeline.tagger.predict(texts)
    assert matcher.scan.cache_info().misses == len(set(texts))  # the tagger's pass scanned each query once
    for a, b in zip(shared, own.predict(texts)):
        assert a.entities == b.entities
        assert np.array_equal(a.char_entity_probs, b.char_entity_probs)
    pipeline.tag(texts, dt.date(2026, 1, 1))
    assert matcher.scan.cache_info().misses == len(set(texts))  # and the matcher read those scans again
