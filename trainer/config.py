"""Training configuration, one dataclass shared by both backends and saved in the model directory.

Backend-specific knobs live in their own fields with a prefix (``generative_*``) so the saved
``training_config.json`` always says everything that produced the weights.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from trainer.errors import InputError, Problem

BACKENDS = ("tagger", "generative")
FINETUNE = ("lora", "full")


@dataclass
class TrainConfig:
    """Everything ``nerloop train`` needs besides the data.

    Args:
        backend: ``tagger`` (token classification, the default) or ``generative`` (inline XML).
        base: ``tiny`` (a small random model built from a config, with a character tokenizer;
            ``tiny:base`` builds a BERT-base-sized one the same way, for benchmarks),
            a local directory, a hub id, or a nerloop model directory (retraining).
        finetune: ``lora`` or ``full``; ``None`` picks ``full`` for ``tiny`` (LoRA barely moves a
            random base) and ``lora`` for pretrained bases.
        epochs: passes over the training data (``max_steps`` > 0 overrides).
        max_steps: stop after this many optimizer steps (0: use ``epochs``).
        learning_rate: peak learning rate; ``None`` picks a backend/finetune default.
        batch_size: per-device batch size.
        gradient_accumulation: optimizer step every N batches.
        seed: for data order, initialization and dropout.
        lora_r, lora_alpha, lora_dropout, lora_targets: the LoRA adapter (targets ``None``:
            a sensible default per architecture).
        bf16: ``auto`` uses bf16 on GPUs that support it; ``yes``/``no`` force it.
        eval_steps: validation every N steps (0: once per epoch).
        early_stopping_patience: stop after N validations without a better entity F1 (0: never).
        resume: continue from the last checkpoint in the output directory.
        merge: write merged weights instead of an adapter.
        max_length: tokens per example (longer ones are truncated, with a warning).
        label_scheme: ``BIOES`` (default: explicit ends and single-character mentions find the
            boundaries of unknown names far better) or ``BIO`` (tagger).
        lexicon_dropout: chance to hide gazetteer-match features from an example in training,
            so the model still finds names the gazetteer lacks.
    """

    backend: str = "tagger"
    base: str = "tiny"
    finetune: str | None = None
    epochs: float = 6.0
    max_steps: int = 0
    learning_rate: float | None = None
    batch_size: int = 32
    gradient_accumulation: int = 1
    seed: int = 13
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: list[str] | None = None
    bf16: str = "auto"
    eval_steps: int = 0
    early_stopping_patience: int = 3
    resume: bool = False
    merge: bool = False
    max_length: int = 128
    label_scheme: str = "BIOES"
    lexicon_dropout: float = 0.5
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        def bad(message: str) -> InputError:
            return InputError(Problem("<train options>", 0, message), summary=message)

        if self.backend not in BACKENDS:
            raise bad(f"unknown backend {self.backend!r}; choose one of: {', '.join(BACKENDS)}")
        if self.finetune is not None and self.finetune not in FINETUNE:
            raise bad(f"unknown --finetune {self.finetune!r}; choose lora or full")
        if self.label_scheme not in ("BIO", "BIOES"):
            raise bad(f"unknown label scheme {self.label_scheme!r}; choose BIO or BIOES")
        if self.bf16 not in ("auto", "yes", "no"):
            raise bad(f"--bf16 must be auto, yes or no, not {self.bf16!r}")
        if self.batch_size < 1 or self.gradient_accumulation < 1 or self.max_length < 8:
            raise bad("batch size and gradient accumulation must be at least 1, max length at least 8")
        if not (self.epochs > 0 or self.max_steps > 0):
            raise bad("give a positive number of epochs or steps")

    @property
    def resolved_finetune(self) -> str:
        """``full`` for tiny random bases, ``lora`` for pretrained ones, unless chosen."""
        if self.finetune:
            return self.finetune
        return "full" if self.base == "tiny" or self.base.startswith("tiny:") else "lora"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"
