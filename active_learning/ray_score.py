"""``nerloop al score --engine ray``: the rows ``al score`` stores, computed by a pool of Ray actors.

The driver reads the unscored pool by keyset (``active_learning.score.pending_batches``, reading
ahead of what it has stored), hands whole batches to actors that each opened the scoring pipeline
once, and stores every batch in input order in a transaction of its own (one executemany), as the
single-process loop does. Actors run ``score_texts`` — the very function of that loop — on the
very same batches, and MC-dropout passes are seeded from the batch, so the stored rows are the
single-process rows. A run killed half-way keeps the batches it stored; a rerun scores the rest.

Ray is an optional dependency (``pip install nerloop[scale]``), imported only in
``inference.ray_engine`` and in the actors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from sqlalchemy import Engine

from active_learning.score import ScoreReport, ScoringSpec, pending_batches, score_texts, store_batch


class _BatchScorer:
    """One actor's scoring pipeline: opened once, then one call per batch, returning the rows to store."""

    def __init__(self, spec: ScoringSpec) -> None:
        from active_learning.deps import open_scorer

        if spec.model is not None:
            import torch

            torch.set_num_threads(spec.threads)
        self.spec = spec
        self.pipeline, self.sampler, self.hierarchy = open_scorer(spec)

    def score(self, texts: list[str]) -> list[dict]:
        return score_texts(
            self.pipeline,
            texts,
            model_version=self.spec.model_version,
            reference=self.spec.reference,
            hierarchy=self.hierarchy,
            sampler=self.sampler,
            mc_samples=self.spec.mc_samples,
        )


def score_pool_on_ray(
    engine: Engine,
    spec: ScoringSpec,
    *,
    batch_size: int = 256,
    limit: int | None = None,
    workers: int | None = None,
    address: str | None = None,
    gpus_per_worker: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> ScoreReport:
    """``score_pool`` with the tagging and scoring done by ``workers`` Ray actors.

    Args:
        spec: how each actor opens its pipeline, and the version and reference date to score with.
        workers: actors in the pool (default: the CPUs of this machine).
        address: a running cluster (``auto``, ``ray://host:10001``); ``None`` starts a local instance.
        gpus_per_worker: GPUs each actor reserves (1 for a model on GPUs; a fraction shares one).
        progress: called with the number of queries stored after each batch.
    """
    from inference.ray_engine import map_in_order

    started = time.perf_counter()
    scored = batches = 0
    work: Iterator[tuple[list[int], list[str]]] = (
        ([query_id for query_id, _ in batch], [text for _, text in batch])
        for batch in pending_batches(engine, spec.model_version, batch_size, limit)
    )
    results = map_in_order(
        _BatchScorer, spec, "score", work, workers=workers, address=address, gpus_per_worker=gpus_per_worker
    )
    for query_ids, rows in results:
        store_batch(engine, query_ids, rows)
        scored += len(query_ids)
        batches += 1
        if progress is not None:
            progress(len(query_ids))
    return ScoreReport(spec.model_version, scored, batches, round(time.perf_counter() - started, 3))
