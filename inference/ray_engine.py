"""``nerloop tag --engine ray``: the same records as ``nerloop tag``, tagged by a pool of Ray actors.

Each actor opens the tagging pipeline once (gazetteer, matcher, model) and renders the records of
whole batches exactly as ``nerloop tag`` does; the driver hands out the CLI's own batches in input
order, round robin, keeps a bounded number in flight and writes each batch's lines back in input
order. Because every query meets the model in the same batch as in a single process (same
padding, same arithmetic), the output is byte for byte the single-process output.

``map_in_order`` is that driver loop for any actor class and keyed batches; ``al score --engine
ray`` (``active_learning.ray_score``) runs on it too.

Ray is an optional dependency (``pip install nerloop[scale]``); it is imported only here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from nerloop.errors import NerloopError

# Batches in flight per actor: enough to keep each busy while the driver writes, few enough to bound memory.
IN_FLIGHT_PER_WORKER = 2

K = TypeVar("K")


@dataclass(frozen=True)
class PipelineSpec:
    """What each actor needs to open the pipeline ``nerloop tag`` would open (paths, not objects)."""

    model: str | None
    matcher: bool
    gazetteer: str | None
    fuzzy_threshold: float
    combine: str | None
    reference: dt.date
    explain: bool
    threads: int = 1


class _BatchTagger:
    """One actor's pipeline: opened once, then one call per batch, returning the rendered lines."""

    def __init__(self, spec: PipelineSpec) -> None:
        from gazetteers import load_gazetteer
        from inference.pipeline import open_pipeline
        from nerloop.heap import settle_after_loading

        if spec.model is not None:
            import torch

            torch.set_num_threads(spec.threads)
        self.spec = spec
        self.gazetteer = load_gazetteer(spec.gazetteer)
        model = Path(spec.model) if spec.model is not None else None
        self.pipeline = open_pipeline(model, spec.matcher, self.gazetteer, spec.fuzzy_threshold, combine=spec.combine)
        settle_after_loading()  # as tag does: the gazetteer's objects never die

    def tag(self, texts: list[str]) -> list[str]:
        from inference.render import render_line

        domain, explain = self.gazetteer.domain, self.spec.explain
        return [render_line(r, domain, explain) for r in self.pipeline.tag(texts, self.spec.reference)]


def connect(address: str | None, workers: int) -> None:
    """Join the cluster at ``address``, or start a local Ray instance with ``workers`` CPUs."""
    try:
        import ray
    except ImportError as exc:
        raise NerloopError("--engine ray needs Ray: pip install 'nerloop[scale]'") from exc
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)


def tag_batches(
    batches: Iterable[list[str]],
    spec: PipelineSpec,
    *,
    workers: int | None = None,
    address: str | None = None,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
) -> Iterator[str]:
    """The rendered records of every batch, in input order, tagged by ``workers`` actors.

    Args:
        batches: the queries, in the batches a single process would tag them in.
        spec: how to open the pipeline in each actor.
        workers: actors in the pool (default: the CPUs of this machine, at least 1).
        address: a running cluster (``ray://host:10001`` or ``auto``); ``None`` starts a local instance.
        cpus_per_worker, gpus_per_worker: what each actor reserves (a GPU each for a model on GPUs).
    """
    work = ((None, batch) for batch in batches)
    options = {"workers": workers, "address": address, "cpus_per_worker": cpus_per_worker}
    for _, lines in map_in_order(_BatchTagger, spec, "tag", work, gpus_per_worker=gpus_per_worker, **options):
        yield from lines


def map_in_order(
    actor_class: type,
    spec: object,
    method: str,
    work: Iterable[tuple[K, list]],
    *,
    workers: int | None = None,
    address: str | None = None,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
) -> Iterator[tuple[K, list]]:
    """``(key, actor.method(batch))`` for every ``(key, batch)`` of ``work``, in input order.

    The engine under ``tag --engine ray`` and ``al score --engine ray``: ``workers`` actors of
    ``actor_class(spec)`` (each opens its pipeline once), batches handed out round robin, at most
    ``IN_FLIGHT_PER_WORKER`` per actor outstanding, so ``work`` is consumed only as fast as results
    are taken. The key (e.g. the batch's query ids) stays in the driver. Empty batches are skipped.
    """
    workers = max(1, workers or os.cpu_count() or 1)
    connect(address, workers)
    import ray

    remote = ray.remote(actor_class).options(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)
    actors = [remote.remote(spec) for _ in range(workers)]
    try:
        pending: deque = deque()
        submitted = 0
        for key, batch in work:
            if batch:
                pending.append((key, getattr(actors[submitted % workers], method).remote(batch)))
                submitted += 1
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                key_done, ref = pending.popleft()
                yield key_done, ray.get(ref)
        while pending:
            key_done, ref = pending.popleft()
            yield key_done, ray.get(ref)
    except ray.exceptions.RayActorError as exc:
        raise NerloopError(f"a Ray worker failed: {exc}") from exc
    finally:
        for actor in actors:
            ray.kill(actor)
