"""``al score``: tag the unscored log pool with one model version and store every strategy's score.

Rows are read by keyset pagination (``id > last``) in batches and committed batch by
batch, so a million-query pool scores with flat memory, an interrupted run keeps what it
stored, and a rerun tags only what is still unscored for that version (the store's
unique constraint on query and version backs this up).

The parts are separate because two engines share them: ``pending_batches`` (the keyset
reads), ``score_texts`` (one batch's rows, the pure part) and ``store_batch`` (one
transaction); ``score_pool`` runs them in this process, ``active_learning.ray_score`` hands
``score_texts`` to Ray actors.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy import Engine, exists, insert, select

from active_learning.signals import resolver_signals
from active_learning.strategies import score_batch
from gazetteers.resolver import Resolution
from nerloop.hashing import stable_int
from nerloop.store.engine import session_scope
from nerloop.store.models import QueryLog, StoredPrediction
from nerloop.tagging import Prediction


class ScoringPipeline(Protocol):
    """What scoring needs from a tagging pipeline (``gazetteers.tagging.TaggingPipeline``)."""

    def tag_with_predictions(self, texts: Sequence[str], reference: dt.date) -> list[tuple[Resolution, Prediction]]:
        """Resolved records with the raw predictions they came from, in input order."""
        ...


@runtime_checkable
class StochasticTagger(Protocol):
    """A tagger that can run T passes with dropout on (MC-dropout), for BALD."""

    def predict_samples(self, texts: Sequence[str], n: int) -> list[list[Prediction]]:
        """``n`` stochastic predictions per text (dropout active), in input order."""
        ...


@dataclass(frozen=True)
class ScoringSpec:
    """What ``al score`` scores with (paths and values, not objects): the local run and each Ray actor open it alike."""

    model: str | None
    matcher: bool
    gazetteer: str | None
    fuzzy_threshold: float
    model_version: str
    reference: dt.date
    mc_samples: int = 0
    threads: int = 1


@dataclass(frozen=True)
class ScoreReport:
    model_version: str
    scored: int
    batches: int
    seconds: float

    def to_dict(self) -> dict:
        return {
            "model_version": self.model_version,
            "scored": self.scored,
            "batches": self.batches,
            "seconds": self.seconds,
        }


def score_records(
    pairs: Sequence[tuple[Resolution, Prediction]],
    hierarchy: Sequence[str],
    samples: Sequence[Sequence[Prediction]] | None = None,
) -> list[tuple[dict[str, float], dict[str, bool]]]:
    """Strategy scores and resolver signals per (resolution, prediction), with MC samples if given."""
    passes = None
    if samples is not None:
        passes = [[p.token_probs for p in per_text if p.token_probs is not None] or None for per_text in samples]
    scores = score_batch([prediction for _, prediction in pairs], passes)
    return [
        (values, resolver_signals(resolution.record, hierarchy, prediction.unparseable))
        for values, (resolution, prediction) in zip(scores, pairs)
    ]


def _uncertainty(resolution: Resolution, prediction: Prediction, scores: dict[str, float]) -> float:
    value = resolution.record.extra.get("uncertainty", prediction.uncertainty)
    if value is None:
        value = scores.get("least_confidence", 1.0 if prediction.unparseable else 0.0)
    return float(value)


def score_texts(
    pipeline: ScoringPipeline,
    texts: Sequence[str],
    *,
    model_version: str,
    reference: dt.date,
    hierarchy: Sequence[str],
    sampler: StochasticTagger | None = None,
    mc_samples: int = 0,
) -> list[dict]:
    """The stored rows (without ``query_log_id``) of one batch: tagging, MC passes, scores, signals.

    The single-process loop and each Ray actor call exactly this on exactly the same batches,
    which is why both engines store the same rows.
    """
    pairs = pipeline.tag_with_predictions(texts, reference)
    samples = _mc_samples(sampler, texts, mc_samples) if sampler is not None and mc_samples > 1 else None
    return [
        {
            "model_version": model_version,
            "record": resolution.record.to_dict(),
            "uncertainty": _uncertainty(resolution, prediction, scores),
            "scores": {k: _finite(v) for k, v in scores.items()},
            "signals": signals,
        }
        for (resolution, prediction), (scores, signals) in zip(pairs, score_records(pairs, hierarchy, samples))
    ]


def _mc_samples(sampler: StochasticTagger, texts: Sequence[str], n: int) -> list[list[Prediction]]:
    """MC-dropout passes with torch's random state seeded from the batch itself, then restored.

    The dropout masks of a batch then depend on nothing but its texts: a rerun, another process
    or a Ray actor scores a batch to the same BALD values, and the caller's own random state is
    left as it was. torch is used only when the sampler has loaded it already (a stand-in without
    torch is sampled as it is).
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return sampler.predict_samples(texts, n)
    device = getattr(sampler, "device", None)
    cuda = [device.index or 0] if getattr(device, "type", None) == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(stable_int("\n".join(texts)))
        return sampler.predict_samples(texts, n)


def pending_batches(
    engine: Engine, model_version: str, batch_size: int, limit: int | None = None
) -> Iterator[list[tuple[int, str]]]:
    """(id, text) of the queries without a prediction of ``model_version``, ``batch_size`` at a time, by id.

    Keyset pagination (``id > last``): the position advances when a batch is read, so a caller
    may read ahead of what it has stored (the Ray engine does) without reading a batch twice.
    """
    done = exists().where(StoredPrediction.query_log_id == QueryLog.id, StoredPrediction.model_version == model_version)
    last_id = read = 0
    while limit is None or read < limit:
        size = batch_size if limit is None else min(batch_size, limit - read)
        with session_scope(engine) as session:
            rows = session.execute(
                select(QueryLog.id, QueryLog.text).where(QueryLog.id > last_id, ~done).order_by(QueryLog.id).limit(size)
            ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        read += len(rows)
        yield [(query_id, text) for query_id, text in rows]


def store_batch(engine: Engine, query_ids: Sequence[int], rows: Sequence[dict]) -> None:
    """One batch's rows in one transaction (one executemany, not an ORM object per row)."""
    stored = [{"query_log_id": query_id, **row} for query_id, row in zip(query_ids, rows, strict=True)]
    with session_scope(engine) as session:
        session.execute(insert(StoredPrediction), stored)


def score_pool(
    engine: Engine,
    pipeline: ScoringPipeline,
    *,
    model_version: str,
    reference: dt.date,
    hierarchy: Sequence[str],
    sampler: StochasticTagger | None = None,
    mc_samples: int = 0,
    batch_size: int = 256,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScoreReport:
    """Score every logged query that has no prediction of ``model_version`` yet.

    Args:
        pipeline: tags and resolves; the version it reports is ``model_version``.
        sampler: the pipeline's tagger when it supports MC-dropout; with ``mc_samples`` > 1
            BALD is scored too.
        limit: stop after this many queries (``None``: the whole pool).
        progress: called with the number of queries stored after each batch.
    """
    started = time.perf_counter()
    scored = batches = 0
    for batch in pending_batches(engine, model_version, batch_size, limit):
        texts = [text for _, text in batch]
        rows = score_texts(
            pipeline,
            texts,
            model_version=model_version,
            reference=reference,
            hierarchy=hierarchy,
            sampler=sampler,
            mc_samples=mc_samples,
        )
        store_batch(engine, [query_id for query_id, _ in batch], rows)
        scored += len(batch)
        batches += 1
        if progress is not None:
            progress(len(batch))
    return ScoreReport(model_version, scored, batches, round(time.perf_counter() - started, 3))


def _finite(value: float) -> float:
    # JSON has no infinity; an unparseable output's infinite NLL is stored as a large finite value.
    return value if value != float("inf") else 1e9
