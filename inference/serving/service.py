"""Everything one running server holds, wired together; the HTTP layer only calls :meth:`Service.tag`.

:meth:`Service.open` loads the model (warmed up) *before* anything
listens, so a server that accepts connections is ready, and a bad ``--model`` is a one-line
error rather than a server that never becomes ready.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from pathlib import Path

from inference.serving.batcher import chunks
from inference.serving.config import ServeConfig
from inference.serving.errors import Overloaded
from inference.serving.holder import ChampionWatcher, ModelHolder, champion_path
from inference.serving.metrics import Metrics
from inference.serving.requests import Limits
from inference.serving.runner import Batching, ModelSpec, open_runner
from inference.serving.training import RetrainTrigger, cycle_command

log = logging.getLogger("nerloop.serve")

IN_FLIGHT = 2
"""Chunks of one request queued at a time: a bulk request streams through the batches without crowding others out."""
STREAM_PATIENCE_S = 60.0
"""How long a bulk request that has started waits for room in a full queue before giving up with 503."""


class Service:
    """The runner in service (which batches), the champion watcher, the retrain trigger and the metrics."""

    def __init__(self, config: ServeConfig, metrics: Metrics | None = None) -> None:
        self.config = config
        self.metrics = metrics or Metrics()
        self.limits = Limits(
            config.max_body_bytes,
            config.max_queries,
            config.max_query_chars,
            config.max_tasks,
            config.max_predict_bytes,
        )
        self.holder = ModelHolder(on_swap=self._swapped)
        self.batching = Batching(config.max_batch, config.max_wait_ms / 1000, config.max_queue, config.workers)
        self.watcher: ChampionWatcher | None = None
        self.trigger = RetrainTrigger(
            cycle_command(config.cycle_config, config.db, config.gazetteer),
            debounce_s=config.retrain_debounce_s,
            on_outcome=lambda outcome: self.metrics.retrains.labels(outcome).inc(),
        )
        self.stopping = False
        self._first_swap = True
        self._gazetteer = None  # the thread runner's, loaded once and kept across swaps

    @classmethod
    def open(cls, config: ServeConfig, metrics: Metrics | None = None) -> Service:
        """Load the model (the champion unless ``--model``/``--matcher``), warm it up, start the workers.

        Raises:
            NerloopError: no champion, a model directory that cannot be loaded, a bad gazetteer.
        """
        started = time.perf_counter()
        service = cls(config, metrics)
        engine, champion = None, None
        path = config.model
        if config.follows_champion:
            from nerloop.store import open_store

            engine = open_store(config.db)
            champion, path = champion_path(engine)
        service.holder.swap(service.load(path))
        if engine is not None and config.poll_s > 0:
            service.watcher = ChampionWatcher(
                service.holder,
                engine,
                service.load,
                config.poll_s,
                serving=champion,
                on_failure=service.metrics.load_failures.inc,
            )
            service.watcher.start()
        log.info(
            "model %s loaded and warmed up in %.1f s (%s runner)",
            service.holder.current.version,
            time.perf_counter() - started,
            config.runner,
        )
        return service

    def load(self, path: Path | None):
        """A warmed-up runner for the model directory ``path`` (``None``: the matcher)."""
        config = self.config
        spec = ModelSpec(path, config.gazetteer, config.fuzzy_threshold, config.combine, config.threads)
        if config.runner == "thread" and self._gazetteer is None:
            from gazetteers import load_gazetteer

            self._gazetteer = load_gazetteer(config.gazetteer)
        return open_runner(config.runner, spec, self.batching, self._gazetteer, on_batch=self.metrics.observe_batch)

    def close(self) -> None:
        """Stop polling, finish every queued batch (requests in flight get their answers), end the model."""
        if self.stopping:
            return
        self.stopping = True
        if self.watcher is not None:
            self.watcher.stop()
        self.holder.close()
        log.info("batches drained")

    @property
    def model(self):
        """The runner in service (``version``, ``describe()``)."""
        return self.holder.current

    def _swapped(self, model) -> None:
        self.metrics.set_model(model.version)
        if not self._first_swap:
            self.metrics.swaps.inc()
        self._first_swap = False

    @property
    def depth(self) -> int:
        """Queries accepted and not answered yet (``--max-queue`` bounds it)."""
        return self.holder.current.depth if self.holder.ready else 0

    async def tag(self, texts: list[str], reference: dt.date, explain: bool = False) -> list[str]:
        """``nerloop tag``'s JSON lines for ``texts``, in order, through the shared batches; a long list streams ``IN_FLIGHT`` chunks at a time.

        Raises:
            Overloaded: the queue has no room for the first chunk (503 before any work), or stayed
                full for ``STREAM_PATIENCE_S`` in the middle of a bulk request.
        """
        out: list[str] = []
        pending: deque[asyncio.Future] = deque()
        for part in chunks(texts, self.batching.max_batch):
            deadline = time.monotonic() + STREAM_PATIENCE_S
            while True:
                try:  # the model in service, read once per job: a swap lands between jobs
                    future = self.holder.current.submit(part, reference, explain)
                    break
                except Overloaded:
                    if not out and not pending:
                        raise
                    if pending:
                        out.extend(await pending.popleft())
                    elif time.monotonic() > deadline:
                        raise
                    else:
                        await asyncio.sleep(max(self.batching.max_wait_s, 0.005))
            pending.append(future)
            if len(pending) >= IN_FLIGHT:
                out.extend(await pending.popleft())
        while pending:
            out.extend(await pending.popleft())
        return out
