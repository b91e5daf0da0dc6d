"""Recording a generated data set: the row ``generate`` writes, and the same row later from its manifest."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nerloop.errors import NerloopError
from nerloop.store.engine import run_in_transaction
from nerloop.store.models import GeneratedDataset


def record_dataset(
    engine: Engine,
    *,
    out_dir: Path,
    gazetteer_fingerprint: str,
    grammar_fingerprint: str,
    seed: int,
    counts: dict,
    settings: dict,
) -> int:
    """Insert one ``generated_datasets`` row (retried once on a lost connection); its id.

    Raises:
        StoreUnavailable: the store is gone; the data set on disk is unaffected.
    """

    def write(session: Session) -> int:
        row = GeneratedDataset(
            out_dir=str(out_dir.resolve()),
            gazetteer_fingerprint=gazetteer_fingerprint,
            grammar_fingerprint=grammar_fingerprint,
            seed=seed,
            counts=counts,
            settings=settings,
        )
        session.add(row)
        session.flush()
        return row.id

    return run_in_transaction(engine, write)


def record_dataset_from_manifest(engine: Engine, out_dir: Path) -> int:
    """Record a data set that ``generate`` wrote but could not record (the store was gone then).

    Raises:
        NerloopError: ``out_dir`` has no readable ``manifest.json`` (the run did not complete).
    """
    manifest_path = out_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        config = manifest["config"]
        return record_dataset(
            engine,
            out_dir=out_dir,
            gazetteer_fingerprint=manifest["gazetteer_fingerprint"],
            grammar_fingerprint=manifest["grammar_fingerprint"],
            seed=config["seed"],
            counts=manifest["counts"],
            settings=config,
        )
    except FileNotFoundError:
        raise NerloopError(
            f"{manifest_path}: no manifest; only a completed `nerloop generate` can be recorded"
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise NerloopError(f"{manifest_path}: not a nerloop manifest ({type(exc).__name__}: {exc})") from None
