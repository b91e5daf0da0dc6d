"""``train_model`` for the generative backend: resolve the options, build the base, run the loop, save.

The prompt style is resolved before anything is encoded (a model directory used as base
keeps its own, ``tiny`` takes ``plain``, any other base ``instruct``) and saved, with every
other resolved choice, in ``training_config.json``: :mod:`.tagging` builds the tagger's
prompt from it, so a reloaded model reads the prompt it was trained on. The loop itself is
:mod:`.loop`.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import torch

from nerloop.domain import Domain, save_domain
from nerloop.records import TaggedQuery
from trainer.backends.generative.batching import Example
from trainer.backends.generative.codec import Codec, instruction
from trainer.backends.generative.config import DEFAULT_LR, GenerativeOptions
from trainer.backends.generative.loop import Loop, history_events
from trainer.backends.generative.model import BASE_DIR, Base, add_lora, pretrained_base, save_model, tiny_base
from trainer.config import TrainConfig, read_training_config, write_training_config
from trainer.curves import CURVES, save_curves
from trainer.errors import TrainingError
from trainer.model_dir import ModelManifest, is_model_dir
from trainer.precision import use_bf16
from trainer.progress import Progress


def _vocabulary_texts(train, validation, gazetteer, style: str, domain: Domain) -> list[str]:
    texts = [r.text for r, _ in train] + [r.text for r in validation] + ["查询：标注："]
    if style == "instruct":
        texts.append(instruction(domain))
    if gazetteer is not None:
        texts += [form for entry in gazetteer for form in (entry.name, *entry.surfaces)]
    return texts


def resolve_prompt(config: TrainConfig) -> str:
    """The prompt style: the one chosen, a model-directory base's own, else ``plain`` for tiny, ``instruct`` otherwise."""
    if config.backend_options.prompt:
        return config.backend_options.prompt
    base = Path(config.base)
    parent = read_training_config(base) if is_model_dir(base) else None
    if parent is not None and isinstance(parent.backend_options, GenerativeOptions) and parent.backend_options.prompt:
        return parent.backend_options.prompt
    return "plain" if config.base == "tiny" else "instruct"


def _build(config: TrainConfig, train, validation, domain, gazetteer) -> Base:
    """The base to train from, with a vocabulary over the data (and the prompt) for ``tiny``."""
    if config.base == "tiny":
        texts = _vocabulary_texts(train, validation, gazetteer, config.backend_options.prompt, domain)
        return tiny_base(domain, texts, full_vocabulary=config.backend_options.full_vocabulary)
    return pretrained_base(config.base, domain)


def _trainable(config: TrainConfig, base: Base, main: bool, out_dir: Path):
    """The model to train (LoRA injected when asked) and where an adapter's base is (``None``: not an adapter)."""
    if config.finetune != "lora":
        return base.model, base.on_disk
    base_path = base.on_disk
    if base_path is None:  # exists only in memory: save it before LoRA injects its layers
        if main:
            base.model.save_pretrained(str(out_dir / BASE_DIR))
        base_path = BASE_DIR
    return add_lora(base, config), base_path


def _examples(codec: Codec, train, max_length: int) -> tuple[list[Example], int]:
    examples, skipped = [], 0
    for record, weight in train:
        encoded = codec.example(record, max_length)
        if encoded is None:
            skipped += 1
        else:
            examples.append(Example(encoded[0], encoded[1], float(weight)))
    if not examples:
        raise TrainingError(f"no training answer fits in --max-length {max_length} tokens; raise it")
    return examples, skipped


def _schedule(optimizer, total: int):
    warmup = max(1, total // 20)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )


def _loop(config: TrainConfig, accelerator, model, codec, examples, validation, out_dir, progress) -> Loop:
    """The optimizer, schedule and step counts around ``model``, prepared by ``accelerator``."""
    world = accelerator.num_processes
    per_epoch = max(1, math.ceil(len(examples) / config.batch_size) // world)
    steps_per_epoch = max(1, per_epoch // config.gradient_accumulation)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.01)
    scheduler = _schedule(optimizer, total)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    options = config.backend_options
    return Loop(
        accelerator,
        model,
        optimizer,
        scheduler,
        codec,
        examples,
        batch_size=config.batch_size,
        seed=config.seed,
        patience=config.early_stopping_patience,
        total=total,
        per_epoch=per_epoch,
        eval_every=config.eval_steps or steps_per_epoch,
        eval_set=list(validation)[: options.eval_size],
        checkpoints=Path(options.checkpoint_dir or out_dir / "checkpoints"),
        progress=progress,
    )


def train_model(
    config: TrainConfig,
    train: Sequence[tuple[TaggedQuery, float]],
    validation: Sequence[TaggedQuery],
    domain: Domain,
    out_dir: Path,
    *,
    gazetteer=None,
    progress: Progress | None = None,
) -> ModelManifest:
    """Train the generative model and write it into ``out_dir`` (all but the manifest).

    Args:
        config: with :class:`~trainer.backends.generative.config.GenerativeOptions`.
        train: records with their weights.
        validation: records for early stopping (may be empty: no early stopping).
        domain: the entity types (tags).
        out_dir: written in place; the caller renames it into place and writes the manifest.
        gazetteer: its names join the tiny vocabulary; its fingerprint goes into the manifest.
        progress: called with a :class:`~trainer.progress.TrainProgress` after logged steps
            and validations.

    Raises:
        BaseModelError: the base cannot be loaded.
        TrainingError: nothing to train on.
    """
    from accelerate import Accelerator
    from transformers import set_seed

    set_seed(config.seed)
    bf16 = use_bf16(config.bf16)
    accelerator = Accelerator(
        mixed_precision="bf16" if bf16 else "no", gradient_accumulation_steps=config.gradient_accumulation
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # saved whole: the tagger reads the prompt style back, and a pretrained base resolves to ``instruct``
    config = replace(config, backend_options=replace(config.backend_options, prompt=resolve_prompt(config)))
    base = _build(config, train, validation, domain, gazetteer)
    codec = Codec(base.tokenizer, domain, config.backend_options.prompt)
    finetune = config.resolved_finetune
    kind = "tiny" if config.base == "tiny" else "pretrained"
    config = replace(config, finetune=finetune, learning_rate=config.learning_rate or DEFAULT_LR[(kind, finetune)])
    model, base_path = _trainable(config, base, accelerator.is_main_process, out_dir)
    examples, skipped = _examples(codec, train, config.max_length)
    loop = _loop(config, accelerator, model, codec, examples, validation, out_dir, progress)
    if config.resume:
        loop.resume()
    elapsed = loop.run()
    accelerator.wait_for_everyone()
    final = accelerator.unwrap_model(loop.model)
    if loop.best is not None:
        unexpected = final.load_state_dict(loop.best, strict=False).unexpected_keys
        if unexpected:
            raise TrainingError(f"the best weights do not fit the model: {unexpected[:3]}")
    metrics = {
        "entity_f1": loop.state["best_f1"] if loop.eval_set else None,
        "validation_size": len(loop.eval_set),
        "steps": loop.state["step"],
        "examples": len(examples),
        "skipped_too_long": skipped,
        "train_seconds": round(elapsed, 2),
        "samples_per_second": round(loop.seen / elapsed, 1) if elapsed else None,
    }
    weights = "full"
    if accelerator.is_main_process:
        weights = _save(config, loop, final, codec, domain, metrics, out_dir)
    return ModelManifest(
        backend="generative",
        version=f"generative-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}",
        base=config.base,
        finetune=finetune,
        labels=domain.type_names,
        weights=weights,
        base_path=base_path if weights == "adapter" else None,
        parent=base.parent,
        gazetteer_fingerprint=getattr(gazetteer, "fingerprint", "") or "",
        metrics={k: v for k, v in metrics.items() if v is not None},
    )


def _save(config: TrainConfig, loop: Loop, model, codec: Codec, domain: Domain, metrics: dict, out_dir: Path) -> str:
    """Weights, domain, resolved config, metrics with the history, curves; returns the manifest's ``weights``."""
    weights = save_model(model, codec.tokenizer, out_dir, merge=config.merge)
    save_domain(domain, out_dir / "domain.yaml")
    write_training_config(out_dir, config)
    history = loop.state["history"]
    (out_dir / "metrics.json").write_text(
        json.dumps({**metrics, "history": history}, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    save_curves(history_events(history), out_dir / CURVES)
    if not config.backend_options.checkpoint_dir:
        shutil.rmtree(loop.checkpoints, ignore_errors=True)
    return weights
