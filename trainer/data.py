"""Training data from ``--data`` arguments: generate output directories and JSON Lines files, with weights.

A retrain mixes synthetic records with human labels (``--data out/ --data gold.jsonl:3``);
each source keeps its weight through to the loss. Validation comes from the directories'
``validation.jsonl``; when no source has one, a slice of the training records is carved
off deterministically.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from nerloop.errors import InputError, Problem
from nerloop.export import read_jsonl
from nerloop.records import TaggedQuery
from trainer.model_dir import fingerprint_files

VALIDATION_SHARE = 0.1
VALIDATION_MAX = 2000


@dataclass(frozen=True)
class DataSpec:
    """One ``--data PATH[:WEIGHT]``."""

    path: Path
    weight: float = 1.0

    @classmethod
    def parse(cls, value: str) -> DataSpec:
        """``out/``, ``gold.jsonl:3``; a colon that is part of the path (no number after it) stays in it."""
        path, sep, tail = value.rpartition(":")
        if sep:
            try:
                weight = float(tail)
            except ValueError:
                return cls(Path(value))
            if not weight > 0:
                raise InputError(
                    Problem(value, 0, "a data weight must be a positive number"), summary=f"--data {value}"
                )
            return cls(Path(path), weight)
        return cls(Path(value))


@dataclass(frozen=True)
class TrainingData:
    """Weighted training records, validation records and a fingerprint of the files they came from."""

    train: list[tuple[TaggedQuery, float]]
    validation: list[TaggedQuery]
    fingerprint: str
    gazetteer_dirs: tuple[Path, ...] = ()


def _files(spec: DataSpec) -> tuple[Path, Path | None]:
    path = spec.path
    if path.is_dir():
        train = path / "train.jsonl"
        if not train.is_file():
            raise InputError(
                Problem(str(path), 0, "no train.jsonl here; give a nerloop generate output directory or a .jsonl file"),
                summary=f"--data {path}: no training records",
            )
        validation = path / "validation.jsonl"
        return train, validation if validation.is_file() else None
    if path.is_file():
        return path, None
    raise InputError(Problem(str(path), 0, "no such file or directory"), summary=f"--data {path}: not found")


def load_training_data(specs: list[DataSpec], *, seed: int = 13) -> TrainingData:
    """Read every source; spans are checked on every record.

    Raises:
        InputError: a missing source, a source without records, a record whose spans do not match its text.
    """
    if not specs:
        raise InputError(Problem("--data", 0, "give at least one --data"), summary="no training data")
    train: list[tuple[TaggedQuery, float]] = []
    validation: list[TaggedQuery] = []
    fingerprinted: list[tuple[Path, float]] = []
    gazetteer_dirs: list[Path] = []
    for spec in specs:
        train_file, validation_file = _files(spec)
        records = list(read_jsonl(train_file))
        if not records:
            raise InputError(Problem(str(train_file), 0, "no records"), summary=f"--data {spec.path}: no records")
        train.extend((record, spec.weight) for record in records)
        fingerprinted.append((train_file, spec.weight))
        if validation_file is not None:
            validation.extend(read_jsonl(validation_file))
            fingerprinted.append((validation_file, 0.0))
        if (spec.path / "gazetteer_train").is_dir():
            gazetteer_dirs.append(spec.path / "gazetteer_train")
    if not validation:
        rng = random.Random(seed)
        order = list(range(len(train)))
        rng.shuffle(order)
        n = min(VALIDATION_MAX, max(1, int(len(train) * VALIDATION_SHARE))) if len(train) > 1 else 0
        carved = set(order[:n])
        validation = [train[i][0] for i in sorted(carved)]
        train = [item for i, item in enumerate(train) if i not in carved]
    return TrainingData(train, validation, fingerprint_files(fingerprinted), tuple(gazetteer_dirs))
