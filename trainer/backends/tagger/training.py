"""``train_model`` for the tagger: open the base, build the datasets, run the transformers ``Trainer``, save.

The saved ``training_config.json`` records what training resolved (fine-tuning, learning
rate, the lexicon types), beside ``tagger.json`` (labels, scheme, lexicon types, max length)
that :mod:`.tagging` reads to rebuild the tagger exactly.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from gazetteers.model import Gazetteer
from nerloop.domain import Domain
from nerloop.evaluation import prf
from nerloop.records import TaggedQuery
from trainer.backends.tagger.config import DEFAULT_LR, TaggerOptions
from trainer.backends.tagger.data import Collator, TaggerDataset, build_examples
from trainer.backends.tagger.labels import Decoder, tag_labels
from trainer.backends.tagger.lexicon import Lexicon
from trainer.backends.tagger.model import (
    LexiconTokenClassifier,
    TaggerSpec,
    build_config_model,
    load_network,
    load_pretrained,
    save_lexicon,
    untrained_rows_to_unk,
)
from trainer.config import TrainConfig, bad_option, write_training_config
from trainer.curves import CURVES, save_curves
from trainer.errors import BaseModelError
from trainer.model_dir import ModelManifest, is_model_dir, read_manifest
from trainer.progress import Progress

METRIC = "entity_f1"


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
        network, tokenizer = load_network(base, parent, merge=True)
        return network.model, tokenizer, (base, network)
    model, tokenizer = load_pretrained(config.base, labels)
    return model, tokenizer, None


def _lexicon_types(options: TaggerOptions, domain: Domain, gazetteer) -> tuple[str, ...]:
    """The chosen types, or every type of the domain; none without a gazetteer."""
    if gazetteer is None:
        return ()
    if options.lexicon_types is None:
        return tuple(sorted(domain.types))
    unknown = sorted(set(options.lexicon_types) - set(domain.types))
    if unknown:
        raise bad_option(f"lexicon types {', '.join(unknown)} are not in the domain")
    return tuple(options.lexicon_types)


def _network(config: TrainConfig, labels: list[str], domain: Domain, texts: list[str], out_dir: Path, gazetteer):
    """The wrapped network to train (LoRA injected when asked), its tokenizer and the lexicon feature types."""
    model, tokenizer, parent = _open_base(config, labels, texts)
    lexicon_types = _lexicon_types(config.backend_options, domain, gazetteer)
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


def _resolved(config: TrainConfig, lexicon_types: Sequence[str]) -> TrainConfig:
    """``config`` with every choice training makes filled in (what ``training_config.json`` records)."""
    finetune = config.resolved_finetune
    learning_rate = config.learning_rate or DEFAULT_LR[(finetune, config.base.startswith("tiny"))]
    options = replace(config.backend_options, lexicon_types=list(lexicon_types))
    return replace(config, finetune=finetune, learning_rate=learning_rate, backend_options=options)


def _hf_trainer(config: TrainConfig, network, tokenizer, train_set, eval_set, decoder: Decoder, progress, out_dir):
    """The length-grouped ``Trainer`` with early stopping and the progress callback (it prints nothing)."""
    from transformers import EarlyStoppingCallback
    from transformers.trainer_callback import PrinterCallback

    from trainer.backends.tagger.hf_trainer import LengthGroupedTrainer, ProgressCallback, training_arguments

    callbacks = [ProgressCallback(progress)] if progress is not None else []
    if config.early_stopping_patience > 0:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience))
    trainer = LengthGroupedTrainer(
        model=network,
        args=training_arguments(config, out_dir, len(train_set), config.learning_rate, METRIC),
        train_dataset=train_set,
        eval_dataset=eval_set,
        data_collator=Collator(tokenizer.pad_token_id or 0),
        compute_metrics=lambda p: span_metrics(decoder, p.predictions, p.label_ids),
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)  # the library does not print; progress goes to the callback
    return trainer


def train_model(
    config: TrainConfig,
    train: Sequence[tuple[TaggedQuery, float]],
    validation: Sequence[TaggedQuery],
    domain: Domain,
    out_dir: Path,
    *,
    gazetteer: Gazetteer | None = None,
    progress: Progress | None = None,
) -> ModelManifest:
    """Train a tagger into ``out_dir`` (everything but the manifest, which the caller writes last)."""
    from transformers.utils import logging as hf_logging

    from trainer.backends.tagger.hf_trainer import last_checkpoint, logged_event

    hf_logging.disable_progress_bar()  # the caller's progress callback is the one progress display
    torch.manual_seed(config.seed)
    out_dir = Path(out_dir)
    scheme = config.backend_options.label_scheme
    labels = tag_labels(list(domain.types), scheme)
    label_ids = {label: i for i, label in enumerate(labels)}
    texts = _base_texts(gazetteer, [r for r, _ in train] + list(validation))
    network, tokenizer, lexicon_types = _network(config, labels, domain, texts, out_dir, gazetteer)
    config = _resolved(config, lexicon_types)
    lexicon = Lexicon(gazetteer, lexicon_types) if gazetteer is not None and lexicon_types else None
    spec = TaggerSpec(tuple(labels), scheme, lexicon_types, config.max_length)

    def examples(records: Sequence[tuple[TaggedQuery, float]]):
        return build_examples(records, tokenizer, lexicon, label_ids, scheme, config.max_length)

    unk_id = tokenizer.unk_token_id if config.base.startswith("tiny") else None  # random embeddings only
    dropout = config.backend_options.lexicon_dropout
    train_set = TaggerDataset(examples(train), lexicon, dropout, config.seed, unk_id=unk_id)
    if unk_id is not None:  # validation then already reads unseen characters as [UNK], as the test will
        untrained_rows_to_unk(network, train_set.token_ids(), unk_id)
    eval_set = TaggerDataset(examples([(r, 1.0) for r in validation]), lexicon)
    decoder = Decoder(labels, scheme)
    trainer = _hf_trainer(config, network, tokenizer, train_set, eval_set, decoder, progress, out_dir)
    trainer.train(resume_from_checkpoint=last_checkpoint(out_dir) if config.resume else None)
    metrics = {k.removeprefix("eval_"): v for k, v in trainer.evaluate().items()}
    finetune = config.finetune
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
    write_training_config(out_dir, config)
    save_curves((logged_event(e, e["step"]) for e in trainer.state.log_history if "step" in e), out_dir / CURVES)
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
