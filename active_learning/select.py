"""``al select``: the most useful queries to annotate next, diverse within one batch.

Naive top-k is redundant (BatchBALD): the twenty most uncertain queries of a log are often
one question asked twenty ways. A batch is therefore filled greedily by score, skipping a
query that is a near-duplicate of one already taken (rapidfuzz), that names a gazetteer
entry already taken ``per_entry_cap`` times, or that has a template-like shape already
taken ``per_shape_cap`` times. Queries already pushed to annotators or already labelled
are never selected again.

:func:`diverse_top_k` is the pure core over :class:`Candidate`; :func:`select_batch`
reads candidates from the store.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Engine, func, select

from active_learning.batch import BatchItem
from active_learning.config import SelectConfig
from active_learning.errors import SelectionError
from active_learning.signals import boosted
from active_learning.strategies import RANDOM, Needs, needs_of
from nerloop.hashing import stable_unit
from nerloop.records import TaggedQuery
from nerloop.store.engine import session_scope
from nerloop.store.models import GoldLabel, LabelTask, QueryLog, StoredPrediction
from nerloop.store.registry import champion

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Candidate:
    """A scored query that may be selected.

    Args:
        score: the strategy's raw score (higher = more useful).
        signals: resolver flags (see :func:`~active_learning.strategies.resolver_signals`).
    """

    query_log_id: int | None
    text_hash: str
    record: TaggedQuery
    score: float
    signals: dict[str, bool]
    model_version: str


def shape(record: TaggedQuery) -> str:
    """The template-like shape: mentions replaced by ``<Type>``, digits folded, spaces dropped.

    ``本月菏泽麒麟所投诉个数`` and ``上月济南城关所停电个数`` share the shape
    ``<Date><City><Substation><Indicator>个数``.
    """
    parts, last = [], 0
    for entity in sorted(record.entities, key=lambda e: e.start):
        parts += [record.text[last : entity.start], f"<{entity.type}>"]
        last = max(last, entity.end)
    parts.append(record.text[last:])
    return _DIGITS.sub("0", "".join(parts).replace(" ", ""))


def entry_keys(record: TaggedQuery, hierarchy: Sequence[str]) -> set[str]:
    """Gazetteer entries a query is about: its linked hierarchy mentions."""
    return {e.id for e in record.entities if e.id is not None and e.type in hierarchy}


def _random_key(seed: int, text_hash: str) -> float:
    return stable_unit(f"{seed}:{text_hash}", 48, algorithm="sha256")


def rank_scores(
    scores: Sequence[float],
    signals: Sequence[dict[str, bool]],
    hashes: Sequence[str],
    config: SelectConfig,
    strategy: str,
    seed: int = 0,
) -> list[float]:
    """Selection score per query: the rank-normalized strategy score (0..1) plus signal boosts.

    Ranks make one boost table fit strategies of any units (entropy in nats, least confidence
    in 0..1, an infinite score for an unparseable output); ``random`` is a seeded draw per
    text hash, without boosts, so it stays the honest baseline.
    """
    if strategy == RANDOM:
        return [_random_key(seed, h) for h in hashes]
    ordered = sorted(scores)
    top = max(len(ordered) - 1, 1)
    return [boosted(bisect_left(ordered, score) / top, flags, config.boosts) for score, flags in zip(scores, signals)]


def diverse_top_k(
    candidates: Sequence[Candidate],
    top_k: int,
    config: SelectConfig,
    hierarchy: Sequence[str],
    strategy: str = "",
    seed: int = 0,
    values: Sequence[float] | None = None,
) -> list[tuple[Candidate, float]]:
    """Up to ``top_k`` candidates by selection score, skipping near-duplicates and capped entries/shapes.

    Args:
        values: selection scores computed over a larger pool (:func:`rank_scores`); default:
            ranked among ``candidates``.
    """
    if values is None:
        values = rank_scores(
            [c.score for c in candidates],
            [c.signals for c in candidates],
            [c.text_hash for c in candidates],
            config,
            strategy,
            seed,
        )
    scored = sorted(zip(candidates, values), key=lambda cs: (-cs[1], cs[0].text_hash))
    chosen: list[tuple[Candidate, float]] = []
    texts: list[str] = []
    per_entry: Counter[str] = Counter()
    per_shape: Counter[str] = Counter()
    for candidate, value in scored:
        if len(chosen) >= top_k:
            break
        record = candidate.record
        form = shape(record)
        keys = entry_keys(record, hierarchy)
        if per_shape[form] >= config.per_shape_cap or any(per_entry[k] >= config.per_entry_cap for k in keys):
            continue
        if texts and process.extractOne(record.text, texts, scorer=fuzz.ratio, score_cutoff=config.near_duplicate):
            continue
        chosen.append((candidate, value))
        texts.append(record.text)
        per_shape[form] += 1
        per_entry.update(keys)
    return chosen


def item_to_dict(item: BatchItem) -> dict[str, Any]:
    """A batch item as one JSON object: the record (pre-annotation) plus where it came from."""
    return {
        **item.record.to_dict(),
        "query_log_id": item.query_log_id,
        "text_hash": item.text_hash,
        "uncertainty": item.uncertainty,
        "model": item.model_version,
        "strategy": item.strategy,
    }


def item_from_dict(data: dict[str, Any]) -> BatchItem:
    """Inverse of :func:`item_to_dict` (``al select --out`` files, batches saved in a cycle round)."""
    fields = ("query_log_id", "text_hash", "strategy")
    record = TaggedQuery.from_dict({k: v for k, v in data.items() if k not in fields})
    return BatchItem(
        data.get("query_log_id"),
        data["text_hash"],
        record,
        float(data["uncertainty"]),
        data["model"],
        data.get("strategy", ""),
    )


def scored_version(engine: Engine, model_version: str | None = None) -> str:
    """The model version whose predictions to select from: given, else the champion, else the latest scored."""
    if model_version:
        return model_version
    best = champion(engine)
    with session_scope(engine) as session:
        if best is not None and session.scalar(
            select(func.count()).select_from(StoredPrediction).where(StoredPrediction.model_version == best.version)
        ):
            return best.version
        latest = session.scalar(select(StoredPrediction.model_version).order_by(StoredPrediction.id.desc()).limit(1))
    if latest is None:
        raise SelectionError("no scored queries in the store; run nerloop logs ingest and nerloop al score first")
    return latest


@dataclass(frozen=True)
class _Scored:
    prediction_id: int
    query_log_id: int
    text_hash: str
    score: float
    signals: dict[str, bool]


def _load_scores(engine: Engine, model_version: str, strategy: str, sources: Sequence[str] | None) -> list[_Scored]:
    """Scores of not yet pushed, not yet labelled queries of ``model_version`` (records stay in the store)."""
    query = (
        select(
            StoredPrediction.id,
            StoredPrediction.query_log_id,
            QueryLog.text_hash,
            StoredPrediction.scores,
            StoredPrediction.signals,
        )
        .join(QueryLog, QueryLog.id == StoredPrediction.query_log_id)
        .where(StoredPrediction.model_version == model_version)
        .where(QueryLog.text_hash.not_in(select(LabelTask.text_hash)))
        .where(QueryLog.text_hash.not_in(select(GoldLabel.text_hash)))
        .order_by(StoredPrediction.id)
    )
    if sources:
        query = query.where(QueryLog.source.in_(list(sources)))
    rows, missing = [], 0
    with session_scope(engine) as session:
        for prediction_id, query_id, hashed, scores, signals in session.execute(query):
            value = 0.0 if strategy == RANDOM else (scores or {}).get(strategy)
            if value is None:
                missing += 1
                continue
            rows.append(_Scored(prediction_id, query_id, hashed, float(value), dict(signals or {})))
    if missing and not rows and needs_of(strategy) is Needs.MC_SAMPLES:
        raise SelectionError(
            f"model {model_version!r} has no {strategy} scores: {strategy.upper()} needs MC-dropout passes; run "
            "nerloop al score --mc-samples 8 (a tagger model) or choose another --strategy"
        )
    if missing and not rows:
        raise SelectionError(
            f"model {model_version!r} gives no {strategy!r} scores (a matcher has no probabilities, a tagger no "
            "token log-probs of a generative model); choose another --strategy or score with another model"
        )
    return rows


def _records(engine: Engine, prediction_ids: Sequence[int]) -> dict[int, TaggedQuery]:
    out: dict[int, TaggedQuery] = {}
    with session_scope(engine) as session:
        for i in range(0, len(prediction_ids), 500):
            chunk = list(prediction_ids[i : i + 500])
            for pid, record in session.execute(
                select(StoredPrediction.id, StoredPrediction.record).where(StoredPrediction.id.in_(chunk))
            ):
                out[pid] = TaggedQuery.from_dict(record)
    return out


def select_batch(
    engine: Engine,
    strategy: str,
    top_k: int,
    *,
    hierarchy: Sequence[str],
    model_version: str | None = None,
    config: SelectConfig | None = None,
    seed: int = 0,
    sources: Sequence[str] | None = None,
) -> list[BatchItem]:
    """The next batch to annotate, best first (see the module docstring for the rules).

    Args:
        sources: only queries logged from these sources (``QueryLog.source``); ``None``: all.
    """
    needs_of(strategy)  # an unknown name fails here, listing the known ones
    if top_k < 1:
        raise SelectionError("--top must be at least 1")
    config = config or SelectConfig()
    version = scored_version(engine, model_version)
    scored = _load_scores(engine, version, strategy, sources)
    values = rank_scores(
        [r.score for r in scored], [r.signals for r in scored], [r.text_hash for r in scored], config, strategy, seed
    )
    # Records are loaded only for the best-ranked part of the pool: diversity skips some, never thousands.
    best = sorted(range(len(scored)), key=lambda i: (-values[i], scored[i].text_hash))[: max(50 * top_k, 2000)]
    records = _records(engine, [scored[i].prediction_id for i in best])
    candidates = [
        Candidate(r.query_log_id, r.text_hash, records[r.prediction_id], r.score, r.signals, version)
        for r in (scored[i] for i in best)
    ]
    chosen = diverse_top_k(candidates, top_k, config, hierarchy, strategy, seed, [values[i] for i in best])
    return [
        BatchItem(c.query_log_id, c.text_hash, c.record.with_extra(uncertainty=value), value, version, strategy)
        for c, value in chosen
    ]
