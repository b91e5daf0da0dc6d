"""The tiny generative model end to end: train, save, reload, tag; LoRA, merge, retrain, resume."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from nerloop.domain import load_domain  # noqa: E402
from nerloop.export import read_jsonl  # noqa: E402
from nerloop.tagging import Tagger  # noqa: E402
from trainer.backends.generative.config import GenerativeOptions  # noqa: E402
from trainer.backends.generative.tagging import load_model  # noqa: E402
from trainer.backends.generative.training import train_model  # noqa: E402
from trainer.config import TrainConfig  # noqa: E402
from trainer.errors import BaseModelError  # noqa: E402
from trainer.model_dir import read_manifest, write_manifest  # noqa: E402

torch.set_num_threads(1)
PROBE = ["本月菏泽巨野县供电公司麒麟供电所投诉个数", "𠀀济南 历下区供电中心2024年5月停电", "投诉"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """400 generated records; ``NERLOOP_GENERATED`` names a ready directory (GPU machines lack faker)."""
    ready = os.environ.get("NERLOOP_GENERATED")
    out = Path(ready) if ready else tmp_path_factory.mktemp("gen") / "data"
    result = ready or subprocess.run(
        [sys.executable, "-m", "nerloop", "generate", "--out", str(out), "-n", "400", "--seed", "5",
         "--reference-date", "2026-11-25", "--db", f"sqlite:///{out.parent / 'store.db'}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ready or result.returncode == 0, result.stderr
    train = [(r, 1.0) for r in read_jsonl(out / "train.jsonl")]
    return train, list(read_jsonl(out / "validation.jsonl")), list(read_jsonl(out / "test.jsonl"))


def _train(config: TrainConfig, data, out: Path, train=None):
    manifest = train_model(config, train or data[0], data[1], load_domain(), out)
    write_manifest(out, manifest)  # the caller's job (trainer/train.py)
    return manifest


def _same(a, b) -> bool:
    """Same spans and validity; scores may differ in the last bits (merged weights round differently)."""

    def spans(preds):
        return [(tuple(e[:4] for e in p.entities), p.unparseable) for p in preds]

    return spans(a) == spans(b)


@pytest.fixture(scope="module")
def tiny_model(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("m") / "tiny"
    config = TrainConfig(
        backend="generative", max_steps=300, batch_size=16, eval_steps=150,
        backend_options=GenerativeOptions(eval_size=16),
    )  # fmt: skip
    return out, _train(config, data, out)


def test_tiny_model_trains_saves_reloads_and_tags_validly(tiny_model, data):
    out, manifest = tiny_model
    assert manifest.backend == "generative" and manifest.finetune == "full" and manifest.weights == "full"
    assert {"domain.yaml", "training_config.json", "metrics.json", "curves.png", "model.safetensors"} <= {
        p.name for p in out.iterdir()
    }
    assert not (out / "checkpoints").exists()
    assert manifest.metrics["steps"] == 300 and 0.0 <= manifest.metrics["entity_f1"] <= 1.0
    tagger = load_model(out, read_manifest(out), device="cpu")
    assert isinstance(tagger, Tagger) and tagger.version == manifest.version
    texts = [r.text for r in data[2][:24]] + PROBE
    preds = tagger.predict(texts)
    assert len(preds) == len(texts)
    for text, pred in zip(texts, preds):
        assert not pred.unparseable
        assert all(text[e.start : e.end] == e.text and 0 <= e.score <= 1 for e in pred.entities)
    assert sum(len(p.entities) for p in preds) > 0
    alone = [tagger.predict([text])[0] for text in texts[-8:]]  # left padding changes nothing
    assert _same(preds[-8:], alone)
    again = load_model(out, read_manifest(out), device="cpu").predict(texts)
    assert _same(preds, again) and [p.token_logprobs for p in preds] == [p.token_logprobs for p in again]
    tagger.constrained = False
    for text, pred in zip(texts, tagger.predict(texts)):  # the raw path: validated, never raised
        assert pred.unparseable or all(text[e.start : e.end] == e.text for e in pred.entities)


@pytest.fixture(scope="module")
def local_base(tmp_path_factory, data):
    """A 'pretrained' base on disk: a tiny Qwen2 and a tokenizer without the tag tokens."""
    from transformers import AutoModelForCausalLM, Qwen2Config

    from trainer.backends.generative.model import TINY
    from trainer.tokenizer import build_char_tokenizer

    out = tmp_path_factory.mktemp("base") / "qwen-tiny"
    tokenizer = build_char_tokenizer([r.text for r, _ in data[0]] + PROBE, ["<|end|>"], full=False)
    torch.manual_seed(1)
    config = Qwen2Config(vocab_size=len(tokenizer), tie_word_embeddings=True, **TINY)
    AutoModelForCausalLM.from_config(config).save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


def test_merge_gives_the_same_predictions_as_adapter_and_base(local_base, data, tmp_path):
    config = TrainConfig(
        backend="generative", base=str(local_base), max_steps=12, batch_size=16, learning_rate=5e-3,
        early_stopping_patience=0, backend_options=GenerativeOptions(prompt="plain"),
    )  # fmt: skip
    adapter = _train(config, data, tmp_path / "adapter")
    merged = _train(dataclasses.replace(config, merge=True), data, tmp_path / "merged")
    assert (adapter.finetune, adapter.weights, merged.weights) == ("lora", "adapter", "merged")
    assert adapter.base_path == str(local_base.resolve())
    texts = [r.text for r in data[2][:16]] + PROBE
    a = load_model(tmp_path / "adapter", adapter, device="cpu").predict(texts)
    m = load_model(tmp_path / "merged", merged, device="cpu").predict(texts)
    assert _same(a, m)
    scores = [(x.score, y.score) for p, q in zip(a, m) for x, y in zip(p.entities, q.entities)]
    assert all(x == pytest.approx(y, rel=1e-4, abs=1e-6) for x, y in scores)
    assert sum(len(p.entities) for p in a) > 0


def test_a_pretrained_base_is_served_with_the_prompt_it_was_trained_with(local_base, data, tmp_path):
    """A non-tiny base resolves to the ``instruct`` prompt; the saved config says so and the tagger uses it."""
    from trainer.backends.generative.codec import Codec
    from trainer.config import read_training_config
    from trainer.data import DataSpec
    from trainer.train import train

    records = tmp_path / "train.jsonl"
    records.write_text("".join(r.to_json() + "\n" for r, _ in data[0][:64]), "utf-8")
    config = TrainConfig(
        backend="generative", base=str(local_base), max_steps=2, batch_size=16, early_stopping_patience=0
    )
    manifest = train(config, [DataSpec(records)], tmp_path / "m")
    assert read_training_config(tmp_path / "m").backend_options.prompt == "instruct"
    tagger = load_model(tmp_path / "m", manifest, device="cpu")
    trained = Codec(tagger.codec.tokenizer, load_domain(tmp_path / "m" / "domain.yaml"), "instruct")
    assert tagger.codec.prompt(PROBE[0]) == trained.prompt(PROBE[0])


def test_a_model_directory_is_a_base_for_a_lora_round(tiny_model, data, tmp_path):
    parent_dir, parent = tiny_model
    config = TrainConfig(backend="generative", base=str(parent_dir), max_steps=5, batch_size=16)
    child = _train(config, data, tmp_path / "child", train=data[0][:64])
    assert (child.finetune, child.weights, child.parent) == ("lora", "adapter", parent.version)
    preds = load_model(tmp_path / "child", child, device="cpu").predict(PROBE)
    assert not any(p.unparseable for p in preds)


def test_resume_continues_from_the_last_checkpoint(data, tmp_path):
    keep = tmp_path / "ckpt"
    config = TrainConfig(
        backend="generative", max_steps=6, batch_size=16, eval_steps=3,
        backend_options=GenerativeOptions(eval_size=4, checkpoint_dir=str(keep)),
    )  # fmt: skip
    train_model(config, data[0][:96], data[1], load_domain(), tmp_path / "first")
    longer = dataclasses.replace(config, max_steps=9, resume=True)
    manifest = train_model(longer, data[0][:96], data[1], load_domain(), tmp_path / "second")
    import json

    history = json.loads((tmp_path / "second" / "metrics.json").read_text("utf-8"))["history"]
    assert manifest.metrics["steps"] == 9
    assert [h["step"] for h in history if "entity_f1" in h] == [3, 6, 9]


@pytest.mark.parametrize("base", ["no-such-org/no-such-model", "{tmp}/no-such-dir"])
def test_a_base_that_cannot_be_loaded_fails_at_once_in_one_line(base, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on a machine without internet
    config = TrainConfig(backend="generative", base=base.format(tmp=tmp_path), max_steps=1)
    with pytest.raises(BaseModelError) as error:
        train_model(config, [], [], load_domain(), tmp_path / "out")
    assert "\n" not in str(error.value) and "pass a local model directory" in str(error.value)


@pytest.mark.gpu
def test_tiny_model_trains_and_tags_on_cuda_with_bf16(data, tmp_path):
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    config = TrainConfig(backend="generative", max_steps=200, batch_size=32, bf16="auto")
    manifest = _train(config, data, tmp_path / "gpu")
    tagger = load_model(tmp_path / "gpu", manifest, device="cuda")
    texts = [r.text for r in data[2]] + PROBE
    preds = tagger.predict(texts)
    assert all(not p.unparseable for p in preds)
    assert all(t[e.start : e.end] == e.text for t, p in zip(texts, preds) for e in p.entities)
    assert _same(preds, load_model(tmp_path / "gpu", manifest, device="cuda").predict(texts))


@pytest.mark.slow
def test_two_cpu_processes_train_with_no_code_change(data, tmp_path):
    """torchrun with two gloo processes: same train_model, batches shared out, one model written."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for name, records in (("train.jsonl", [r for r, _ in data[0]]), ("validation.jsonl", data[1])):
        (data_dir / name).write_text("".join(r.to_json() + "\n" for r in records), "utf-8")
    script = Path(__file__).with_name("generative_ddp_script.py")
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(port),
         str(script), str(data_dir), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    ranks = [path.read_text("utf-8") for path in sorted(tmp_path.glob("rank-*.txt"))]
    assert [line[:11] for line in ranks] == ["rank 0 of 2", "rank 1 of 2"]
    assert all(line.endswith("steps=6") for line in ranks)
    assert (tmp_path / "out" / "model.safetensors").is_file()
