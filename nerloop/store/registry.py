"""The model registry: versions trained by ``nerloop train``, and which one is the champion.

The champion is what ``al score`` and ``cycle`` use when no model is named; ``promote``
makes a version champion (the former one becomes ``retired``), ``rollback`` brings back
the most recently retired one. One champion per backend.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nerloop.errors import NerloopError
from nerloop.store.engine import run_in_transaction, session_scope
from nerloop.store.models import ModelVersion


class RegistryError(NerloopError):
    """An unknown version, or nothing to roll back to."""


@dataclass(frozen=True)
class ModelInfo:
    """A registry row as plain data (no session needed to read it)."""

    version: str
    parent_version: str | None
    backend: str
    path: str
    status: str
    metrics: dict[str, Any]
    created_at: dt.datetime | None
    promoted_at: dt.datetime | None

    @classmethod
    def of(cls, row: ModelVersion) -> ModelInfo:
        return cls(
            row.version,
            row.parent_version,
            row.backend,
            row.path,
            row.status,
            dict(row.metrics or {}),
            row.created_at,
            row.promoted_at,
        )


def register_model(
    engine: Engine,
    *,
    version: str,
    backend: str,
    path: str,
    parent_version: str | None = None,
    metrics: dict[str, Any] | None = None,
    data_fingerprint: str = "",
    gazetteer_fingerprint: str = "",
) -> ModelInfo:
    """Record a trained model as a candidate; registering the same version again updates it."""

    def write(session: Session) -> ModelInfo:
        row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
        if row is None:
            row = ModelVersion(version=version, backend=backend, status="candidate")
            session.add(row)
        row.path = path
        row.parent_version = parent_version
        row.metrics = dict(metrics or {})
        row.data_fingerprint = data_fingerprint
        row.gazetteer_fingerprint = gazetteer_fingerprint
        session.flush()
        return ModelInfo.of(row)

    return run_in_transaction(engine, write)


def list_models(engine: Engine, backend: str | None = None) -> list[ModelInfo]:
    """Every registered version, oldest first."""
    query = select(ModelVersion).order_by(ModelVersion.id)
    if backend:
        query = query.where(ModelVersion.backend == backend)
    with session_scope(engine) as session:
        return [ModelInfo.of(row) for row in session.scalars(query)]


def champion(engine: Engine, backend: str | None = None) -> ModelInfo | None:
    """The current champion (of ``backend``, or the most recently promoted of any backend)."""
    query = select(ModelVersion).where(ModelVersion.status == "champion")
    if backend:
        query = query.where(ModelVersion.backend == backend)
    query = query.order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
    with session_scope(engine) as session:
        row = session.scalars(query).first()
        return ModelInfo.of(row) if row else None


def get_model(engine: Engine, version: str) -> ModelInfo:
    with session_scope(engine) as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
        if row is None:
            raise RegistryError(f"no model version {version!r} in the store; see nerloop model list")
        return ModelInfo.of(row)


def promote(engine: Engine, version: str) -> ModelInfo:
    """Make ``version`` the champion of its backend; the previous champion is retired."""

    def write(session: Session) -> ModelInfo:
        row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
        if row is None:
            raise RegistryError(f"no model version {version!r} in the store; see nerloop model list")
        for other in session.scalars(
            select(ModelVersion).where(
                ModelVersion.backend == row.backend, ModelVersion.status == "champion", ModelVersion.id != row.id
            )
        ):
            other.status = "retired"
        row.status = "champion"
        row.promoted_at = dt.datetime.now(dt.timezone.utc)
        session.flush()
        return ModelInfo.of(row)

    return run_in_transaction(engine, write)


def reject(engine: Engine, version: str) -> None:
    """Mark a challenger that lost its evaluation, so it is never promoted by accident."""

    def write(session: Session) -> None:
        row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
        if row is not None and row.status == "candidate":
            row.status = "rejected"

    run_in_transaction(engine, write)


def rollback(engine: Engine, backend: str | None = None) -> ModelInfo:
    """Retire the champion and bring back the most recently retired version of its backend."""
    current = champion(engine, backend)
    if current is None:
        raise RegistryError("no champion to roll back from; promote a model first")

    def write(session: Session) -> ModelInfo:
        previous = session.scalars(
            select(ModelVersion)
            .where(ModelVersion.backend == current.backend, ModelVersion.status == "retired")
            .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc())
        ).first()
        if previous is None:
            raise RegistryError(f"no earlier champion of backend {current.backend!r} to roll back to")
        row = session.scalar(select(ModelVersion).where(ModelVersion.version == current.version))
        row.status = "rejected"
        previous.status = "champion"
        previous.promoted_at = dt.datetime.now(dt.timezone.utc)
        session.flush()
        return ModelInfo.of(previous)

    return run_in_transaction(engine, write)
