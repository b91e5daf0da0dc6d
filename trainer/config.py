"""Training configuration: the options every backend shares, plus one typed options dataclass per backend.

:class:`TrainConfig` holds what any backend needs (base, steps, optimizer, LoRA …);
``backend_options`` holds the knobs of one backend, an instance of the
:class:`BackendOptions` subclass that backend registered (``TaggerOptions``,
``GenerativeOptions``). A backend writes the config back into the model directory with
every choice it resolved filled in (fine-tuning, learning rate, the generative prompt
style, the tagger's lexicon types), and :func:`read_training_config` reads it back whole,
so a reloaded model is built exactly as it was trained. Light: no torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from trainer.errors import InputError, ModelDirError, Problem
from trainer.registry import get_backend

FINETUNE = ("lora", "full")
CONFIG_FILE = "training_config.json"


def bad_option(message: str) -> InputError:
    """The one-line error of an invalid training option (the CLI's exit code 2)."""
    return InputError(Problem("<train options>", 0, message), summary=message)


@dataclass
class BackendOptions:
    """Base class of the per-backend options; subclasses validate in ``__post_init__``.

    ``LEGACY`` maps the keys an old ``training_config.json`` kept in its ``extra`` dict (or at
    its top level) to this class's fields.
    """

    LEGACY: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackendOptions:
        """The options from saved JSON; unknown keys (a newer nerloop's) are left out."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def from_legacy(cls, data: dict[str, Any]) -> BackendOptions:
        """The options from a config written before they were typed (``extra`` and top-level keys)."""
        return cls.from_dict({cls.LEGACY.get(k, k): v for k, v in data.items()})


@dataclass
class TrainConfig:
    """Everything ``nerloop train`` needs besides the data.

    Args:
        backend: a registered backend: ``tagger`` (token classification, the default) or
            ``generative`` (inline XML).
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
        backend_options: the backend's own options (its registered :class:`BackendOptions`
            subclass); ``None`` takes that class's defaults.
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
    backend_options: BackendOptions | None = None

    def __post_init__(self) -> None:
        options = get_backend(self.backend).options  # raises on an unknown backend, listing the known ones
        if self.backend_options is None:
            self.backend_options = options()
        elif not isinstance(self.backend_options, options):
            kind = type(self.backend_options).__name__
            raise bad_option(f"the {self.backend} backend takes {options.__name__}, not {kind}")
        if self.finetune is not None and self.finetune not in FINETUNE:
            raise bad_option(f"unknown --finetune {self.finetune!r}; choose lora or full")
        if self.bf16 not in ("auto", "yes", "no"):
            raise bad_option(f"--bf16 must be auto, yes or no, not {self.bf16!r}")
        if self.batch_size < 1 or self.gradient_accumulation < 1 or self.max_length < 8:
            raise bad_option("batch size and gradient accumulation must be at least 1, max length at least 8")
        if not (self.epochs > 0 or self.max_steps > 0):
            raise bad_option("give a positive number of epochs or steps")

    @property
    def tiny(self) -> bool:
        """A base built from a config (``tiny``, ``tiny:SIZE``) rather than pretrained weights."""
        return self.base == "tiny" or self.base.startswith("tiny:")

    @property
    def resolved_finetune(self) -> str:
        """``full`` for tiny random bases, ``lora`` for pretrained ones, unless chosen."""
        if self.finetune:
            return self.finetune
        return "full" if self.tiny else "lora"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """The config from saved JSON, old (``extra`` and top-level backend keys) or new.

        Raises:
            InputError: an unknown backend or an invalid value.
        """
        common = {f.name for f in fields(cls)} - {"backend_options"}
        values = {k: v for k, v in data.items() if k in common}
        options = get_backend(values.get("backend", "tagger")).options
        saved = data.get("backend_options")
        if isinstance(saved, dict):
            values["backend_options"] = options.from_dict(saved)
        else:  # written before the options were typed
            legacy = {k: v for k, v in data.items() if k not in common and k != "extra"}
            values["backend_options"] = options.from_legacy({**legacy, **(data.get("extra") or {})})
        return cls(**values)


def write_training_config(model_dir: Path, config: TrainConfig) -> None:
    """Save ``config`` (with what training resolved) as the model directory's ``training_config.json``."""
    (Path(model_dir) / CONFIG_FILE).write_text(config.to_json(), "utf-8")


def read_training_config(model_dir: Path) -> TrainConfig | None:
    """The config a model directory was trained with, or ``None`` when it has none.

    Raises:
        ModelDirError: the file is there but unreadable or invalid.
    """
    path = Path(model_dir) / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return TrainConfig.from_dict(data)
    except (OSError, ValueError, TypeError, InputError) as exc:
        raise ModelDirError(f"{path}: not a valid training configuration ({exc}); retrain the model") from None
