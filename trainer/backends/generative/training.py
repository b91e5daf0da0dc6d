"""``train_model`` for the generative backend: a compact accelerate loop.

accelerate gives bf16 autocast, gradient accumulation and multi-GPU (``accelerate launch``
or ``torchrun``) with no code change; each process takes every n-th length-grouped batch.
Validation generates (constrained) on at most ``generative_eval_size`` validation queries
and scores exact entity spans; the best weights by entity F1 are kept, and training stops
after ``early_stopping_patience`` validations without improvement. A checkpoint (optimizer,
scheduler, RNG, progress, best weights) is written at every validation, so ``resume``
continues where a run stopped.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import torch

from nerloop.atomic import atomic_write_text
from nerloop.domain import Domain, save_domain
from nerloop.evaluation import prf
from nerloop.records import TaggedQuery
from trainer.config import TrainConfig
from trainer.errors import TrainingError
from trainer.generative.batching import Example, collate, length_grouped, weighted_loss
from trainer.generative.codec import Codec, instruction
from trainer.generative.curves import save_curves
from trainer.generative.decode import generate
from trainer.generative.model import (
    BASE_DIR,
    Base,
    add_lora,
    pretrained_base,
    read_training_config,
    save_model,
    tiny_base,
)
from trainer.model_dir import ModelManifest, is_model_dir

DEFAULT_LR = {
    ("tiny", "full"): 1e-3,
    ("pretrained", "full"): 5e-5,
    ("tiny", "lora"): 1e-3,
    ("pretrained", "lora"): 2e-4,
}


def entity_f1(gold: Sequence[TaggedQuery], predicted: Sequence[Sequence]) -> float:
    """Micro F1 over exact (type, start, end) spans (:func:`nerloop.evaluation.prf`: 0 when both sides are empty)."""
    tp = n_gold = n_pred = 0
    for record, entities in zip(gold, predicted):
        g = {(e.type, e.start, e.end) for e in record.entities}
        p = {(e.type, e.start, e.end) for e in entities}
        tp, n_gold, n_pred = tp + len(g & p), n_gold + len(g), n_pred + len(p)
    return prf(tp, n_pred, n_gold)[2]


def _vocabulary_texts(train, validation, gazetteer, style: str, domain: Domain) -> list[str]:
    texts = [r.text for r, _ in train] + [r.text for r in validation] + ["查询：标注："]
    if style == "instruct":
        texts.append(instruction(domain))
    if gazetteer is not None:
        texts += [form for entry in gazetteer for form in (entry.name, *entry.surfaces)]
    return texts


def _build(config: TrainConfig, train, validation, domain, gazetteer) -> tuple[Base, str]:
    tiny = config.base == "tiny"
    inherited = read_training_config(Path(config.base)).get("extra", {}) if is_model_dir(Path(config.base)) else {}
    style = config.extra.get("generative_prompt") or inherited.get("generative_prompt")
    style = style or ("plain" if tiny else "instruct")
    if tiny:
        texts = _vocabulary_texts(train, validation, gazetteer, style, domain)
        full = bool(config.extra.get("generative_full_vocabulary", False))
        return tiny_base(domain, texts, full_vocabulary=full), style
    return pretrained_base(config.base, domain), style


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


def _trainable_state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.named_parameters() if v.requires_grad}


def train_model(
    config: TrainConfig,
    train: Sequence[tuple[TaggedQuery, float]],
    validation: Sequence[TaggedQuery],
    domain: Domain,
    out_dir: Path,
    *,
    gazetteer=None,
    progress: Callable[[dict], None] | None = None,
) -> ModelManifest:
    """Train the generative model and write it into ``out_dir`` (all but the manifest).

    Args:
        config: ``generative_*`` keys in ``config.extra``: ``generative_prompt`` (``plain`` or
            ``instruct``), ``generative_full_vocabulary`` (tiny), ``generative_eval_size``
            (validation queries generated per evaluation, default 200), ``checkpoint_dir``.
        train: records with their weights.
        validation: records for early stopping (may be empty: no early stopping).
        domain: the entity types (tags).
        out_dir: written in place; the caller renames it into place and writes the manifest.
        gazetteer: its names join the tiny vocabulary; its fingerprint goes into the manifest.
        progress: called with ``{"step", "total", "loss"}`` and ``{"step", "entity_f1"}`` dicts.

    Raises:
        BaseModelError: the base cannot be loaded.
        TrainingError: nothing to train on.
    """
    from accelerate import Accelerator
    from accelerate.utils import broadcast_object_list
    from transformers import set_seed

    set_seed(config.seed)
    bf16 = config.bf16 == "yes" or (
        config.bf16 == "auto" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    )
    accelerator = Accelerator(
        mixed_precision="bf16" if bf16 else "no", gradient_accumulation_steps=config.gradient_accumulation
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base, style = _build(config, train, validation, domain, gazetteer)
    # saved whole: the tagger reads the prompt style back, and a pretrained base resolves to ``instruct``
    config = replace(config, extra={**config.extra, "generative_prompt": style})
    config = replace(config, extra={**config.extra, "generative_prompt": style})
    codec = Codec(base.tokenizer, domain, style)
    finetune = config.resolved_finetune
    base_path = base.on_disk
    if finetune == "lora":
        if base_path is None:  # exists only in memory: save it before LoRA injects its layers
            if accelerator.is_main_process:
                base.model.save_pretrained(str(out_dir / BASE_DIR))
            base_path = BASE_DIR
        model = add_lora(base, config)
    else:
        model = base.model
    examples, skipped = _examples(codec, train, config.max_length)
    world, rank = accelerator.num_processes, accelerator.process_index
    per_epoch = max(1, math.ceil(len(examples) / config.batch_size) // world)
    steps_per_epoch = max(1, per_epoch // config.gradient_accumulation)
    total = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    kind = "tiny" if config.base == "tiny" else "pretrained"
    lr = config.learning_rate or DEFAULT_LR[(kind, finetune)]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    scheduler = _schedule(optimizer, total)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    eval_every = config.eval_steps or steps_per_epoch
    eval_set = list(validation)[: int(config.extra.get("generative_eval_size", 200))]
    checkpoints = Path(config.extra.get("checkpoint_dir") or out_dir / "checkpoints")
    state = {"step": 0, "epoch": 0, "batch": 0, "best_f1": -1.0, "bad_evals": 0, "history": []}
    best: dict[str, torch.Tensor] | None = None
    if config.resume and (checkpoints / "progress.json").is_file():
        accelerator.load_state(str(checkpoints / "state"))
        state = json.loads((checkpoints / "progress.json").read_text("utf-8"))
        if (checkpoints / "best.pt").is_file():
            best = torch.load(checkpoints / "best.pt")

    def evaluate_and_checkpoint() -> bool:
        """Validate on the main process, keep the best weights, checkpoint; True when patience ran out."""
        nonlocal best
        entry: dict = {"step": state["step"]}
        if eval_set and accelerator.is_main_process:
            unwrapped = accelerator.unwrap_model(model)
            with accelerator.autocast():
                preds = generate(unwrapped, codec, [r.text for r in eval_set], batch_size=64)
            unwrapped.train()
            entry["entity_f1"] = f1 = entity_f1(eval_set, [p.entities for p in preds])
            if f1 > state["best_f1"]:
                state["best_f1"], state["bad_evals"], best = f1, 0, _trainable_state(unwrapped)
            else:
                state["bad_evals"] += 1
            if progress:
                progress(entry)
        state["history"].append(entry)
        patience = config.early_stopping_patience
        verdict = [bool(patience and state["bad_evals"] >= patience)]
        broadcast_object_list(verdict)  # every process stops at the same step
        accelerator.save_state(str(checkpoints / "state"))
        if accelerator.is_main_process:
            if best is not None:
                torch.save(best, checkpoints / "best.pt")
            atomic_write_text(checkpoints / "progress.json", json.dumps(state))  # --resume reads it
        return verdict[0]

    started, seen = time.perf_counter(), 0
    lengths = [len(e.input_ids) for e in examples]
    model.train()
    stop = state["step"] >= total
    while not stop:
        batches = length_grouped(lengths, config.batch_size, random.Random(config.seed * 1_000_003 + state["epoch"]))
        mine = batches[rank::world][:per_epoch]
        for index in range(state["batch"], len(mine)):
            batch = collate([examples[i] for i in mine[index]], codec.pad_id)
            weights = batch.pop("weights").to(accelerator.device)
            labels = batch.pop("labels").to(accelerator.device)
            with accelerator.accumulate(model):
                logits = model(**{k: v.to(accelerator.device) for k, v in batch.items()}).logits
                loss = weighted_loss(logits, labels, weights)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            seen += len(mine[index])
            state["batch"] = index + 1
            if not accelerator.sync_gradients:
                continue
            state["step"] += 1
            if state["step"] % 10 == 0 or state["step"] == total:
                state["history"].append({"step": state["step"], "loss": loss.item()})
                if progress and accelerator.is_main_process:
                    progress({"step": state["step"], "total": total, "loss": loss.item()})
            done = state["step"] >= total
            if state["step"] % eval_every == 0 or done:
                stop = evaluate_and_checkpoint() or done
            if stop:
                break
        else:
            state["epoch"], state["batch"] = state["epoch"] + 1, 0
    elapsed = time.perf_counter() - started

    accelerator.wait_for_everyone()
    final = accelerator.unwrap_model(model)
    if best is not None:
        unexpected = final.load_state_dict(best, strict=False).unexpected_keys
        if unexpected:
            raise TrainingError(f"the best weights do not fit the model: {unexpected[:3]}")
    metrics = {
        "entity_f1": state["best_f1"] if eval_set else None,
        "validation_size": len(eval_set),
        "steps": state["step"],
        "examples": len(examples),
        "skipped_too_long": skipped,
        "train_seconds": round(elapsed, 2),
        "samples_per_second": round(seen / elapsed, 1) if elapsed else None,
    }
    weights = "full"
    if accelerator.is_main_process:
        weights = save_model(final, codec.tokenizer, out_dir, merge=config.merge)
        save_domain(domain, out_dir / "domain.yaml")
        (out_dir / "training_config.json").write_text(config.to_json(), "utf-8")
        (out_dir / "metrics.json").write_text(
            json.dumps({**metrics, "history": state["history"]}, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        save_curves(state["history"], out_dir / "curves.png")
        if not config.extra.get("checkpoint_dir"):
            shutil.rmtree(checkpoints, ignore_errors=True)
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
