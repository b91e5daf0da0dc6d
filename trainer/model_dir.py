"""The trained-model directory: what it holds and the manifest that says how to open it.

A model directory is self-describing so that ``tag --model``, ``eval --model``, ``al score``
and a later ``train --base`` can open it without flags: ``nerloop_model.json`` names the
backend, the label map, where the weights are (full weights, or a LoRA adapter over a base
stored beside it or named by path/hub id), the fingerprints of the data and gazetteer it was
trained on, and its validation metrics. Everything else (weights, tokenizer, ``domain.yaml``,
``training_config.json``, the model card, loss curves) sits beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nerloop.atomic import atomic_write_text
from trainer.errors import InputError, ModelDirError
from trainer.registry import get_backend

MANIFEST = "nerloop_model.json"


@dataclass(frozen=True)
class ModelManifest:
    """The contents of ``nerloop_model.json``.

    Args:
        backend: a registered backend (``tagger``, ``generative``).
        version: unique model version, written into every record's ``model`` field and
            the store's model registry.
        base: what ``--base`` was (``tiny``, a local path, a hub id or a parent model dir).
        finetune: ``lora`` or ``full``.
        labels: the label inventory (BIO/BIOES tags for the tagger, entity types for the
            generative model's XML tags).
        weights: ``full`` (the directory holds the whole model), ``adapter`` (a peft adapter
            in ``adapter/`` over the base in ``base_path``), or ``merged``.
        base_path: where the base weights of an adapter are: a path relative to the model
            directory (``base/``), an absolute path, or a hub id.
        parent: the model version this one was trained from (a model dir used as ``--base``).
        data_fingerprint: sha256 over the training data files, in order, with weights.
        gazetteer_fingerprint: the gazetteer's content fingerprint at training time.
        metrics: validation metrics (entity F1 …) of the saved weights.
        combine: how ``tag --model`` combines the model with the gazetteer matcher by default.
    """

    backend: str
    version: str
    base: str
    finetune: str
    labels: tuple[str, ...]
    weights: str = "full"
    base_path: str | None = None
    parent: str | None = None
    data_fingerprint: str = ""
    gazetteer_fingerprint: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    combine: str = "model"
    created: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    nerloop_version: str = ""

    def __post_init__(self) -> None:
        try:
            get_backend(self.backend)
        except InputError as exc:
            raise ModelDirError(exc.summary or str(exc)) from None

    def to_json(self) -> str:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelManifest:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["labels"] = tuple(values.get("labels") or ())
        return cls(**values)


def is_model_dir(path: Path) -> bool:
    """True when ``path`` is a nerloop model directory (as opposed to a plain base model)."""
    return (Path(path) / MANIFEST).is_file()


def read_manifest(path: Path) -> ModelManifest:
    """The manifest of a model directory, or a :class:`ModelDirError` saying what is wrong."""
    manifest = Path(path) / MANIFEST
    if not manifest.is_file():
        raise ModelDirError(f"{path} is not a nerloop model directory (no {MANIFEST}); train one with nerloop train")
    try:
        data = json.loads(manifest.read_text("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return ModelManifest.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise ModelDirError(f"{manifest}: not a valid model manifest: {exc}") from exc


def write_manifest(path: Path, manifest: ModelManifest) -> None:
    """Write the manifest last and atomically: a directory without it is not a model."""
    target = Path(path) / MANIFEST
    atomic_write_text(target, manifest.to_json())


def fingerprint_files(paths: list[tuple[Path, float]]) -> str:
    """sha256 over data files and their weights, in the order given."""
    digest = hashlib.sha256()
    for path, weight in paths:
        digest.update(f"{Path(path).name}:{weight}\n".encode())
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
