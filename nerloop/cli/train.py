"""``nerloop train``: flags → :class:`trainer.config.TrainConfig` and typed backend options → :func:`trainer.train.train`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nerloop.cli.common import DbOpt, GazetteerOpt
from nerloop.cli.output import stderr, stdout, user_errors
from trainer.backends.tagger.config import TaggerOptions  # one place for the defaults (light: no torch)
from trainer.config import TrainConfig as Defaults

# the flags whose help takes more than a line, declared once here so the command reads at a glance
DataOpt = Annotated[
    list[str],
    typer.Option(
        "--data",
        "-d",
        help="Training data, repeatable: a nerloop generate output directory or a JSON Lines file of records, "
        "each with an optional weight (gold.jsonl:3 counts its records three times in the loss).",
    ),
]
BaseOpt = Annotated[
    str,
    typer.Option(
        help="tiny (small random model, character tokenizer), a local model directory, a hub id, "
        "or a nerloop model directory (retraining)."
    ),
]
FinetuneOpt = Annotated[
    Optional[str], typer.Option(help="lora or full; default: full for tiny, lora for pretrained bases.")
]
EpochsOpt = Annotated[
    float, typer.Option(help="Passes over the training data (the best epoch on the development set is kept).")
]
LearningRateOpt = Annotated[
    Optional[float], typer.Option(help="Peak learning rate; default depends on base and fine-tuning.")
]
LexiconDropoutOpt = Annotated[
    float,
    typer.Option(
        help="Chance to hide a gold mention's gazetteer features in training (tagger), "
        "so the model learns to find names the gazetteer lacks."
    ),
]
PatienceOpt = Annotated[int, typer.Option(help="Stop after N validations without a better entity F1 (0: never).")]
LoraTargetsOpt = Annotated[
    Optional[str], typer.Option(help="Comma-separated module names for LoRA; default: peft's per architecture.")
]
ResumeOpt = Annotated[
    bool, typer.Option("--resume", help="Continue a failed or interrupted run from its last checkpoint.")
]
DevOpt = Annotated[
    str,
    typer.Option(
        "--dev",
        help="Development records (JSON Lines) to early-stop on and to calibrate the combination with the "
        "gazetteer on; auto: the hand-written set shipped for the power domain (inference/data/devset), or the "
        "data's validation split for other domains; none: the validation split.",
    ),
]


def train(
    data: DataOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="The model directory to create (must not exist).")],
    backend: Annotated[str, typer.Option(help="tagger (token classification) or generative (inline XML).")] = "tagger",
    base: BaseOpt = "tiny",
    finetune: FinetuneOpt = None,
    gazetteer: GazetteerOpt = None,
    epochs: EpochsOpt = Defaults.epochs,
    max_steps: Annotated[int, typer.Option(help="Stop after this many optimizer steps (0: use --epochs).")] = 0,
    learning_rate: LearningRateOpt = None,
    batch_size: Annotated[int, typer.Option(help="Examples per device and step.")] = 32,
    gradient_accumulation: Annotated[int, typer.Option(help="Optimizer step every N batches.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed for initialization, data order and dropout.")] = 13,
    label_scheme: Annotated[str, typer.Option(help="BIOES or BIO (tagger).")] = "BIOES",
    lexicon_dropout: LexiconDropoutOpt = TaggerOptions.lexicon_dropout,
    eval_steps: Annotated[int, typer.Option(help="Validate every N steps (0: once per epoch).")] = 0,
    patience: PatienceOpt = Defaults.early_stopping_patience,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha.")] = 32,
    lora_targets: LoraTargetsOpt = None,
    bf16: Annotated[str, typer.Option(help="auto (on GPUs that support it), yes or no.")] = "auto",
    max_length: Annotated[int, typer.Option(help="Tokens per example; longer ones are truncated.")] = 128,
    merge: Annotated[bool, typer.Option("--merge", help="Also write LoRA weights merged into the base.")] = False,
    resume: ResumeOpt = False,
    dev: DevOpt = "auto",
    db: DbOpt = None,
) -> None:
    """Train a model on generated (and human) records; the model directory is registered in the store.

    By default the tagger reads gazetteer-match features; without --gazetteer it uses the
    gazetteer_train/ that nerloop generate writes beside the splits (else the default gazetteer).
    Example:

        nerloop train --data data/ --out models/m1 --base tiny
    """
    from trainer.config import TrainConfig
    from trainer.data import DataSpec

    with user_errors():
        # checked whatever the backend, as before the options were typed; only the tagger reads them
        tagger_options = TaggerOptions(label_scheme=label_scheme, lexicon_dropout=lexicon_dropout)
        config = TrainConfig(
            backend=backend,
            base=base,
            finetune=finetune,
            epochs=epochs,
            max_steps=max_steps,
            learning_rate=learning_rate,
            batch_size=batch_size,
            gradient_accumulation=gradient_accumulation,
            seed=seed,
            lora_r=lora_r,
            lora_alpha=lora_alpha,
            lora_targets=[t.strip() for t in lora_targets.split(",") if t.strip()] if lora_targets else None,
            bf16=bf16,
            eval_steps=eval_steps,
            early_stopping_patience=patience,
            resume=resume,
            merge=merge,
            max_length=max_length,
            backend_options=tagger_options if backend == "tagger" else None,
        )
        specs = [DataSpec.parse(value) for value in data]
        gaz = None
        if gazetteer is not None:
            from gazetteers import load_gazetteer

            gaz = load_gazetteer(gazetteer)
        _run(config, specs, out, gaz, None if dev == "none" else (dev if dev == "auto" else Path(dev)), db)


def _run(config, specs, out: Path, gazetteer, dev, db) -> None:
    """Train with a progress bar on stderr, register the model, print one line (rank 0 only under torchrun)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from inference.fit import train_calibrated
    from nerloop.store import open_store
    from trainer.progress import TrainProgress
    from trainer.train import is_main_process

    main = is_main_process()  # under torchrun every rank runs this command; one registers and prints
    engine = open_store(db) if main else None
    columns = [TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}")]
    with Progress(*columns, TimeRemainingColumn(), console=stderr, transient=True) as bar:
        task = bar.add_task("train", total=None, info="")

        def progress(event: TrainProgress) -> None:
            info = bar.tasks[0].fields.get("info", "")
            if event.loss is not None:
                info = f"loss {event.loss:.4f}"
            if event.eval_f1 is not None:
                info = f"validation F1 {event.eval_f1:.4f}"
            bar.update(task, completed=event.step, total=event.total_steps or None, info=info)

        manifest = train_calibrated(config, specs, out, gazetteer, dev=dev, progress=progress, engine=engine)
    if not main:
        return
    combos = manifest.metrics.get("combinations") or {}
    fitted = (manifest.metrics.get("calibration") or {}).get("fitted_on", "validation")
    stdout.print(
        f"{manifest.version} → {out}: validation entity F1 {manifest.metrics.get('entity_f1', 0):.4f}"
        + (f", default combination {manifest.combine} ({combos[manifest.combine]:.4f} on {fitted})" if combos else "")
    )
