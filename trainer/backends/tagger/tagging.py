"""The token-classification backend (``--backend tagger``): train, save, load, predict.

Character-level BIO/BIOES labels over a Hugging Face token classifier, gazetteer-match
features as extra input (:mod:`trainer.lexicon`), constrained Viterbi decoding
(:mod:`trainer.labels`), LoRA through peft or full fine-tuning. A model directory holds
``model/`` (full or merged weights) or ``base/`` + ``adapter/``, ``tokenizer/``,
``lexicon.safetensors``, ``tagger.json``; :mod:`trainer.train` adds the rest.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from gazetteers.model import Gazetteer
from nerloop.domain import Domain
from nerloop.evaluation import prf
from nerloop.records import Entity, TaggedQuery
from nerloop.tagging import Prediction
from trainer.config import TrainConfig
from trainer.errors import BaseModelError, ModelDirError
from trainer.labels import Decoder, tag_labels
from trainer.lexicon import Lexicon
from trainer.model_dir import ModelManifest, is_model_dir, read_manifest
from trainer.tagger_data import Collator, TaggerDataset, build_examples, encode
from trainer.tagger_model import (
    LexiconTokenClassifier,
    build_config_model,
    load_lexicon,
    load_pretrained,
    save_lexicon,
    untrained_rows_to_unk,
)

TAGGER_FILE = "tagger.json"
METRIC = "entity_f1"
DEFAULT_LR = {("full", True): 1e-3, ("full", False): 5e-5, ("lora", True): 5e-4, ("lora", False): 2e-4}


@dataclass(frozen=True)
class TaggerSpec:
    """``tagger.json``: what decoding and features need besides the weights."""

    labels: tuple[str, ...]
    scheme: str
    lexicon_types: tuple[str, ...]
    max_length: int

    def write(self, model_dir: Path) -> None:
        data = {"labels": list(self.labels), "scheme": self.scheme, "lexicon_types": list(self.lexicon_types)}
        data["max_length"] = self.max_length
        (model_dir / TAGGER_FILE).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")

    @classmethod
    def read(cls, model_dir: Path) -> TaggerSpec:
        try:
            data = json.loads((model_dir / TAGGER_FILE).read_text("utf-8"))
            return cls(tuple(data["labels"]), data["scheme"], tuple(data["lexicon_types"]), int(data["max_length"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelDirError(f"{model_dir}: unreadable {TAGGER_FILE} ({exc}); retrain the model") from None


class TokenTagger:
    """A trained tagger behind the :class:`~nerloop.tagging.Tagger` protocol.

    Args:
        network: the wrapped token classifier, in eval mode.
        tokenizer: a fast tokenizer (offsets).
        spec: labels, scheme, lexicon types.
        version: written into every record's ``model`` field.
        lexicon: gazetteer-match features; ``None`` runs the model without them.
        batch_size: texts per forward pass.
        token_probs: fill ``Prediction.token_probs`` (active learning reads them; off saves time).
        precision: ``fp32``, ``bf16`` (autocast) or ``auto``: bf16 where the hardware does it fast
            (CUDA with bf16, CPUs with AMX), about twice the queries/s of fp32 there.
    """

    def __init__(
        self,
        network: LexiconTokenClassifier,
        tokenizer,
        spec: TaggerSpec,
        version: str,
        lexicon: Lexicon | None = None,
        *,
        batch_size: int = 64,
        token_probs: bool = True,
        precision: str = "auto",
    ) -> None:
        self.network = network
        self.tokenizer = tokenizer
        self.spec = spec
        self.version = version
        self.lexicon = lexicon
        self.batch_size = batch_size
        self.token_probs = token_probs
        self.decoder = Decoder(spec.labels, spec.scheme)
        self.device = next(network.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.bf16 = fast_bf16(self.device) if precision == "auto" else precision == "bf16"
        self._o_index = spec.labels.index("O") if "O" in spec.labels else None

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[Prediction | None] = [None] * len(texts)
        for i in range(0, len(order), self.batch_size):
            chunk = order[i : i + self.batch_size]
            for index, prediction in zip(chunk, self._predict_batch([texts[j] for j in chunk])):
                out[index] = prediction
        return out  # type: ignore[return-value]

    def predict_samples(self, texts: Sequence[str], n: int) -> list[list[Prediction]]:
        """``n`` predictions per text with dropout switched on (MC-dropout), for BALD.

        Dropout is active only for these passes; the weights do not change, and ``predict``
        stays deterministic.
        """
        was_training = self.network.training
        self.network.train()
        try:
            passes = [self.predict(texts) for _ in range(n)]
        finally:
            self.network.train(was_training)
        return [list(samples) for samples in zip(*passes)]

    def _predict_batch(self, texts: list[str]) -> list[Prediction]:
        encoded = encode(self.tokenizer, texts, self.spec.max_length)
        n, width = len(texts), max(len(e.input_ids) for e in encoded)
        input_ids = np.full((n, width), self.pad_id, dtype=np.int64)
        attention = np.zeros((n, width), dtype=np.int64)
        features = None
        if self.network.n_features:
            features = np.zeros((n, width, self.network.n_features), dtype=np.float32)
        for row, (text, enc) in enumerate(zip(texts, encoded)):
            input_ids[row, : len(enc.input_ids)] = enc.input_ids
            attention[row, : len(enc.input_ids)] = 1
            if features is not None and self.lexicon is not None:
                chars = self.lexicon.char_features(enc.n_chars, self.lexicon.matches(text))
                features[row, : len(enc.input_ids)] = chars[enc.char_index]
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            logits = self.network(
                torch.from_numpy(input_ids).to(self.device),
                torch.from_numpy(attention).to(self.device),
                torch.from_numpy(features).to(self.device) if features is not None else None,
            )["logits"]
            logprobs = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
        lengths = np.array([len(e.kept) for e in encoded])
        compact = np.zeros((n, max(1, lengths.max(initial=0)), logprobs.shape[-1]), dtype=np.float32)
        for row, enc in enumerate(encoded):
            compact[row, : len(enc.kept)] = logprobs[row, enc.kept]
        paths = self.decoder.viterbi(compact, lengths)
        chosen = np.exp(np.take_along_axis(compact, np.maximum(paths, 0)[:, :, None], axis=2)[:, :, 0])
        probs_all = np.exp(compact) if self.token_probs else None
        if probs_all is not None:
            probs_all.setflags(write=False)
        entity_probs = 1.0 - np.exp(compact[:, :, self._o_index]) if self._o_index is not None else None
        predictions = []
        for row, (text, enc) in enumerate(zip(texts, encoded)):
            k = len(enc.kept)
            entities = []
            for type_name, a, b in self.decoder.spans(paths[row, :k].tolist()):
                start, end = int(enc.offsets[enc.kept[a], 0]), int(enc.offsets[enc.kept[b - 1], 1])
                score = round(float(chosen[row, a:b].min()), 4)
                entities.append(Entity(type_name, start, end, text[start:end], score=score))
            uncertainty = round(1.0 - float(chosen[row, :k].min()), 4) if k else 0.0
            # a read-only tokens × labels view of the batch array: no per-token Python floats
            probs = None if probs_all is None else probs_all[row, :k]
            chars = (
                None if entity_probs is None else char_probs(len(text), enc.offsets[enc.kept], entity_probs[row, :k])
            )
            predictions.append(
                Prediction(tuple(entities), token_probs=probs, uncertainty=uncertainty, char_entity_probs=chars)
            )
        return predictions


def char_probs(n_chars: int, offsets: np.ndarray, token_values: np.ndarray) -> np.ndarray:
    """Spread per-token values over the characters each token covers (the highest where tokens share one).

    Vectorised: no Python loop over tokens, since this runs for every query the tagger sees.
    """
    out = np.zeros(n_chars, dtype=np.float32)
    if not len(offsets):
        return out
    starts, ends = offsets[:, 0].astype(np.int64), offsets[:, 1].astype(np.int64)
    lengths = np.maximum(ends - starts, 0)
    token = np.repeat(np.arange(len(starts)), lengths)
    position = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
    inside = position < n_chars
    np.maximum.at(out, position[inside], token_values[token[inside]].astype(np.float32))
    out.setflags(write=False)
    return out


def fast_bf16(device: torch.device) -> bool:
    """Whether bf16 autocast speeds inference up here: CUDA with bf16, or a CPU with AMX."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            return any(line.startswith("flags") and "amx_bf16" in line for line in stream)
    except OSError:
        return False


def _base_texts(gazetteer: Gazetteer | None, records: Sequence[TaggedQuery]) -> list[str]:
    texts = [r.text for r in records]
    if gazetteer is not None:
        texts += [form for entry in gazetteer for form in entry.surfaces]
    return texts


def _open_base(config: TrainConfig, labels: list[str], texts: list[str]):
    """(model, tokenizer, parent model dir or None) for ``--base``."""
    if config.base == "tiny" or config.base.startswith("tiny:"):
        from trainer.tokenizer import build_char_tokenizer

        tokenizer = build_char_tokenizer(texts, model_max_length=max(512, config.max_length))
        size = config.base.partition(":")[2] or "tiny"
        return build_config_model(len(tokenizer), labels, size, config.max_length), tokenizer, None
    base = Path(config.base).expanduser()
    if is_model_dir(base):
        parent = read_manifest(base)
        if parent.backend != "tagger":
            raise BaseModelError(f"--base {base}: a {parent.backend} model cannot be the base of a tagger")
        if list(parent.labels) != labels:
            raise BaseModelError(
                f"--base {base}: its labels ({', '.join(parent.labels)}) differ from this domain's; train from tiny "
                "or a pretrained base"
            )
        network, tokenizer = _load_network(base, parent, merge=True)
        return network.model, tokenizer, (base, network)
    model, tokenizer = load_pretrained(config.base, labels)
    return model, tokenizer, None


def _network(config: TrainConfig, labels: list[str], domain: Domain, texts: list[str], out_dir: Path, gazetteer):
    """The wrapped network to train (LoRA injected when asked), its tokenizer and the lexicon feature types."""
    model, tokenizer, parent = _open_base(config, labels, texts)
    lexicon_types: tuple[str, ...] = tuple(sorted(domain.types)) if gazetteer is not None else ()
    if parent is not None:
        lexicon_types = TaggerSpec.read(parent[0]).lexicon_types
    if config.resolved_finetune == "lora":
        from peft import LoraConfig, TaskType, get_peft_model

        model.save_pretrained(str(out_dir / "base"))  # before get_peft_model, which injects in place
        tokenizer.save_pretrained(str(out_dir / "base"))
        lora = LoraConfig(
            task_type=TaskType.TOKEN_CLS,
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=config.lora_targets,
            modules_to_save=["classifier"],
        )
        model = get_peft_model(model, lora)
    network = LexiconTokenClassifier(model, len(lexicon_types) * 4)
    if parent is not None and parent[1].lexicon is not None and network.lexicon is not None:
        network.lexicon.weight.data.copy_(parent[1].lexicon.weight.data)
    return network, tokenizer, lexicon_types


def _save(network: LexiconTokenClassifier, tokenizer, spec: TaggerSpec, config: TrainConfig, out_dir: Path) -> None:
    """Weights (full, or adapter and optionally merged), lexicon embedding, tokenizer, ``tagger.json``."""
    network.eval()
    if config.resolved_finetune == "lora":
        network.model.save_pretrained(str(out_dir / "adapter"))
        if config.merge:
            network.model = network.model.merge_and_unload()
    if config.resolved_finetune == "full" or config.merge:
        network.model.save_pretrained(str(out_dir / "model"))
    save_lexicon(network, out_dir)
    tokenizer.save_pretrained(str(out_dir / "tokenizer"))
    spec.write(out_dir)


def train_model(
    config: TrainConfig,
    train: Sequence[tuple[TaggedQuery, float]],
    validation: Sequence[TaggedQuery],
    domain: Domain,
    out_dir: Path,
    *,
    gazetteer: Gazetteer | None = None,
    progress: Callable[[dict], None] | None = None,
) -> ModelManifest:
    """Train a tagger into ``out_dir`` (everything but the manifest, which the caller writes last)."""
    from transformers import EarlyStoppingCallback
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging as hf_logging

    from trainer.hf_training import (
        CURVES,
        LengthGroupedTrainer,
        ProgressCallback,
        last_checkpoint,
        save_curves,
        training_arguments,
    )

    hf_logging.disable_progress_bar()  # the caller's progress callback is the one progress display
    torch.manual_seed(config.seed)
    out_dir = Path(out_dir)
    labels = tag_labels(list(domain.types), config.label_scheme)
    label_ids = {label: i for i, label in enumerate(labels)}
    texts = _base_texts(gazetteer, [r for r, _ in train] + list(validation))
    network, tokenizer, lexicon_types = _network(config, labels, domain, texts, out_dir, gazetteer)
    lexicon = Lexicon(gazetteer, lexicon_types) if gazetteer is not None and lexicon_types else None
    spec = TaggerSpec(tuple(labels), config.label_scheme, lexicon_types, config.max_length)
    decoder = Decoder(labels, config.label_scheme)

    def examples(records: Sequence[tuple[TaggedQuery, float]]):
        return build_examples(records, tokenizer, lexicon, label_ids, config.label_scheme, config.max_length)

    unk_id = tokenizer.unk_token_id if config.base.startswith("tiny") else None  # random embeddings only
    train_set = TaggerDataset(examples(train), lexicon, config.lexicon_dropout, config.seed, unk_id=unk_id)
    if unk_id is not None:  # validation then already reads unseen characters as [UNK], as the test will
        untrained_rows_to_unk(network, train_set.token_ids(), unk_id)
    eval_set = TaggerDataset(examples([(r, 1.0) for r in validation]), lexicon)
    finetune = config.resolved_finetune
    learning_rate = config.learning_rate or DEFAULT_LR[(finetune, config.base.startswith("tiny"))]
    callbacks = [ProgressCallback(progress)] if progress is not None else []
    if config.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer = LengthGroupedTrainer(
        model=network,
        args=training_arguments(config, out_dir, len(train_set), learning_rate, METRIC),
        train_dataset=train_set,
        eval_dataset=eval_set,
        data_collator=Collator(tokenizer.pad_token_id or 0),
        compute_metrics=lambda p: span_metrics(decoder, p.predictions, p.label_ids),
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)  # the library does not print; progress goes to the callback
    trainer.train(resume_from_checkpoint=last_checkpoint(out_dir) if config.resume else None)
    metrics = {k.removeprefix("eval_"): v for k, v in trainer.evaluate().items()}
    manifest = ModelManifest(
        backend="tagger",
        version=f"tagger-{secrets.token_hex(4)}",
        base=config.base,
        finetune=finetune,
        labels=tuple(labels),
        weights="merged" if config.merge and finetune == "lora" else ("adapter" if finetune == "lora" else "full"),
        base_path="base" if finetune == "lora" else None,
        metrics=metrics,
    )
    if not trainer.is_world_process_zero():
        return manifest
    if unk_id is not None:
        untrained_rows_to_unk(trainer.model, train_set.token_ids(), unk_id)
    _save(trainer.model, tokenizer, spec, config, out_dir)
    save_curves(trainer.state.log_history, out_dir / CURVES, METRIC)
    return replace(manifest, metrics=metrics)


def span_metrics(decoder: Decoder, logits: np.ndarray, label_ids: np.ndarray) -> dict[str, float]:
    """Entity precision/recall/F1 (exact type and token span) of constrained decoding against gold tags."""
    logits = logits[0] if isinstance(logits, tuple) else logits
    logits = logits - logits.max(axis=-1, keepdims=True)
    logprobs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    tp = n_pred = n_gold = 0
    for row in range(len(label_ids)):
        kept = np.nonzero(label_ids[row] != -100)[0]
        if not len(kept):
            continue
        path = decoder.viterbi(logprobs[row : row + 1, kept], np.array([len(kept)]))[0]
        predicted = set(decoder.spans(path.tolist()))
        gold = set(decoder.spans(label_ids[row, kept].tolist()))
        tp, n_pred, n_gold = tp + len(predicted & gold), n_pred + len(predicted), n_gold + len(gold)
    precision, recall, f1 = prf(tp, n_pred, n_gold)
    return {"entity_precision": precision, "entity_recall": recall, "entity_f1": f1}


def _load_network(model_dir: Path, manifest: ModelManifest, *, merge: bool = False):
    """The wrapped network and tokenizer of a tagger model directory (an adapter merged when ``merge``)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars would break tag's clean stderr
    spec = TaggerSpec.read(model_dir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir / "tokenizer"))
        if manifest.weights in ("full", "merged"):
            model = AutoModelForTokenClassification.from_pretrained(str(model_dir / "model"))
        else:
            from peft import PeftModel

            base_path = Path(manifest.base_path or "base")
            base_path = base_path if base_path.is_absolute() else model_dir / base_path
            base = AutoModelForTokenClassification.from_pretrained(str(base_path))
            model = PeftModel.from_pretrained(base, str(model_dir / "adapter"))
            if merge:
                model = model.merge_and_unload()
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"{model_dir}: cannot load the tagger's weights ({str(exc).splitlines()[0]})") from None
    network = LexiconTokenClassifier(model, len(spec.lexicon_types) * 4)
    load_lexicon(network, model_dir)
    network.eval()
    return network, tokenizer


def load_model(
    model_dir: Path,
    manifest: ModelManifest,
    *,
    device: str | None = None,
    gazetteer: Gazetteer | None = None,
    precision: str = "auto",
    token_probs: bool = True,
) -> TokenTagger:
    """Open a tagger model directory for inference; ``gazetteer`` feeds its lexicon features.

    ``precision``: see :class:`TokenTagger` (``fp32`` for bit-comparable runs across machines).
    ``token_probs``: keep per-token label distributions (active learning reads them; plain
    tagging is about 20 % faster without).
    """
    model_dir = Path(model_dir)
    network, tokenizer = _load_network(model_dir, manifest)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    network.to(device)
    spec = TaggerSpec.read(model_dir)
    lexicon = Lexicon(gazetteer, spec.lexicon_types) if gazetteer is not None and spec.lexicon_types else None
    return TokenTagger(
        network, tokenizer, spec, manifest.version, lexicon, precision=precision, token_probs=token_probs
    )
