"""``nerloop train`` as a library call: data in, a complete model directory out, or nothing.

The backend writes into a hidden sibling ``.NAME.partial/``, under the lock ``.NAME.lock``
beside it; the manifest is written last and the directory renamed onto ``--out`` only when
everything is there. A run that fails before its first checkpoint leaves nothing; one that
fails later keeps the partial directory so that ``--resume`` continues from its last checkpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import nerloop
from gazetteers.model import Gazetteer
from nerloop.domain import Domain, dump_domain
from nerloop.errors import InputError, NerloopError, Problem
from nerloop.outdir import sibling_lock
from nerloop.records import TaggedQuery
from trainer.config import TrainConfig
from trainer.data import DataSpec, TrainingData, load_training_data
from trainer.errors import TrainingError
from trainer.model_dir import ModelManifest, is_model_dir, read_manifest, write_manifest
from trainer.progress import Progress
from trainer.registry import get_backend

CHECKPOINTS = "checkpoints"
# (staged model dir, manifest, gazetteer, validation records) → the manifest to write
Finalize = Callable[[Path, ModelManifest, Gazetteer, Sequence[TaggedQuery]], ModelManifest]


def partial_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.partial"


def is_main_process() -> bool:
    """Rank 0 of a ``torchrun``/``accelerate launch`` job, or a plain process."""
    return int(os.environ.get("RANK", "0")) == 0


def _prepare(out_dir: Path, resume: bool) -> Path:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise InputError(
            Problem(str(out_dir), 0, "already exists and is not empty; choose a new --out or remove it"),
            summary=f"--out {out_dir} exists",
        )
    work = partial_dir(out_dir)
    if resume and not (work / CHECKPOINTS).is_dir():
        raise InputError(
            Problem(str(work), 0, "no checkpoint to resume from; run without --resume"), summary="nothing to resume"
        )
    if is_main_process():
        if work.exists() and not resume:
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
    return work


def _model_card(manifest: ModelManifest, config: TrainConfig, n_train: int, n_validation: int) -> str:
    metrics = manifest.metrics
    lines = [
        f"# nerloop model {manifest.version}",
        "",
        f"- backend: {manifest.backend}, base: `{manifest.base}`, fine-tuning: {manifest.finetune}, "
        f"weights: {manifest.weights}",
        f"- parent: {manifest.parent or '—'}; created {manifest.created}",
        f"- trained on {n_train} records (validation: {n_validation}); data fingerprint "
        f"`{manifest.data_fingerprint[:16]}`, gazetteer fingerprint `{manifest.gazetteer_fingerprint[:16] or '—'}`",
        f"- validation entity F1: {metrics.get('entity_f1', float('nan')):.4f}",
        f"- default combination with the gazetteer matcher: `{manifest.combine}`",
    ]
    for mode, f1 in (metrics.get("combinations") or {}).items():
        lines.append(f"  - {mode}: entity F1 {f1:.4f}")
    lines += [
        "",
        "Use it: `nerloop tag --model THIS_DIR [--gazetteer DIR]`, `nerloop eval --model THIS_DIR --gold test.jsonl`.",
        "The training configuration is in `training_config.json`, the curves in `curves.png`.",
        "",
    ]
    return "\n".join(lines)


def train(
    config: TrainConfig,
    data_specs: Sequence[DataSpec],
    out_dir: Path,
    gazetteer: Gazetteer | None = None,
    *,
    progress: Progress | None = None,
    engine=None,
    validation: Sequence[TaggedQuery] | Callable[[Domain], Sequence[TaggedQuery] | None] | None = None,
    finalize: Finalize | None = None,
) -> ModelManifest:
    """Train a model of ``config.backend`` on ``data_specs`` into ``out_dir``.

    Args:
        config: the training configuration; the backend saves it as ``training_config.json``, with
            every choice it resolved filled in.
        data_specs: ``--data`` sources with weights.
        out_dir: the model directory to create; must not exist or be empty.
        gazetteer: the gazetteer whose names the model may read as features; ``None`` uses the
            ``gazetteer_train/`` that ``nerloop generate`` writes beside its splits, when there is one.
        progress: called with a :class:`~trainer.progress.TrainProgress` (steps, losses, validation
            scores) as training goes (the CLI's progress bar).
        engine: a store engine; the model is registered there as a candidate version when given.
        validation: records to validate on (early stopping, the model's metrics) instead of the
            data's validation split: a realistic development set says more than generated data. A
            callable gets the domain and may return ``None`` (its records do not fit the domain).
        finalize: called with the complete staged directory, the manifest, the gazetteer and the
            validation records before the manifest is written; returns the manifest to write. This
            is where :mod:`inference` calibrates the model and chooses its combination with the
            gazetteer, without the trainer importing it.

    Raises:
        InputError: bad data, an existing ``--out``, nothing to resume.
        OutputBusy: another run is writing ``out_dir`` (its lock ``.NAME.lock`` sits beside it).
        BaseModelError: a ``--base`` that cannot be loaded.
        TrainingError: the run failed after it started.
    """
    out_dir = Path(out_dir)
    data = load_training_data(list(data_specs), seed=config.seed)
    module = get_backend(config.backend).training_module()  # a missing dependency fails before anything is written
    gazetteer = _gazetteer(gazetteer, data)
    chosen = validation(gazetteer.domain) if callable(validation) else validation
    checked = list(chosen) if chosen is not None else data.validation
    # rank 0 holds it: the other ranks of a torchrun job write nothing of their own
    with sibling_lock(out_dir) if is_main_process() else nullcontext():
        work = _prepare(out_dir, config.resume)
        try:
            manifest = module.train_model(
                config, data.train, checked, gazetteer.domain, work, gazetteer=gazetteer, progress=progress
            )
        except BaseException as exc:
            failure = _failed(work, exc)
            if failure is exc:
                raise
            raise failure from exc
        manifest = _stamped(manifest, config, data.fingerprint, gazetteer.fingerprint)
        if not is_main_process():
            return manifest
        (work / "domain.yaml").write_text(dump_domain(gazetteer.domain), "utf-8")
        if finalize is not None:
            write_manifest(work, manifest)  # so that the staged directory opens as a model for calibration
            manifest = finalize(work, manifest, gazetteer, checked)
        (work / "metrics.json").write_text(json.dumps(manifest.metrics, ensure_ascii=False, indent=2) + "\n", "utf-8")
        (work / "README.md").write_text(_model_card(manifest, config, len(data.train), len(checked)), "utf-8")
        shutil.rmtree(work / CHECKPOINTS, ignore_errors=True)
        write_manifest(work, manifest)
        if out_dir.is_dir():
            out_dir.rmdir()  # empty, checked in _prepare
        os.replace(work, out_dir)
        if engine is not None:
            _register(engine, manifest, out_dir)
        return manifest


def _gazetteer(gazetteer: Gazetteer | None, data: TrainingData) -> Gazetteer:
    """The one given, else the data's ``gazetteer_train/``, else the default gazetteer."""
    if gazetteer is not None:
        return gazetteer
    from gazetteers import load_gazetteer

    return load_gazetteer(data.gazetteer_dirs[0] if data.gazetteer_dirs else None)


def _failed(work: Path, exc: BaseException) -> BaseException:
    """What to raise for a backend's failure; the staged directory goes unless it holds a checkpoint to resume."""
    if not (work / CHECKPOINTS).is_dir() or isinstance(exc, NerloopError):
        shutil.rmtree(work, ignore_errors=True)
    if isinstance(exc, (RuntimeError, ValueError, OSError, TypeError)) and not isinstance(exc, NerloopError):
        return TrainingError(f"training failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return exc


def _stamped(manifest: ModelManifest, config: TrainConfig, data_fingerprint: str, gazetteer_fingerprint: str):
    """The backend's manifest with the run's version, parent, fingerprints and nerloop version."""
    base = Path(config.base).expanduser()
    parent = read_manifest(base).version if config.base != "tiny" and is_model_dir(base) else None
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    return replace(
        manifest,
        version=f"{config.backend}-{stamp}-{secrets.token_hex(3)}",
        parent=parent,
        data_fingerprint=data_fingerprint,
        gazetteer_fingerprint=gazetteer_fingerprint,
        nerloop_version=nerloop.__version__,
    )


def _register(engine, manifest: ModelManifest, out_dir: Path) -> None:
    from nerloop.store.registry import register_model

    register_model(
        engine,
        version=manifest.version,
        backend=manifest.backend,
        path=str(out_dir.resolve()),
        parent_version=manifest.parent,
        metrics=manifest.metrics,
        data_fingerprint=manifest.data_fingerprint,
        gazetteer_fingerprint=manifest.gazetteer_fingerprint,
    )
