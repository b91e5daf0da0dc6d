"""Micro-batching: concurrent requests' queries gathered into one model call, on a bounded worker.

A query alone on an idle server waits at most ``max_wait_s`` for company (Triton's dynamic
batching and TorchServe's batch aggregation work the same way); under load the queue fills
batches by itself and nobody waits on the clock. The queue is bounded in queries: past
``max_queue`` :meth:`MicroBatcher.submit` raises :class:`Overloaded` at once (the client gets
503 and Retry-After) instead of growing without limit. Each batch asks ``run`` for the model
anew, so a hot swap takes effect between batches, never inside one.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field

from inference.serving.errors import Overloaded

RunBatch = Callable[[list[str], dt.date, bool], list]
"""``run(texts, reference, explain) -> one result per text``; called on a worker thread."""


@dataclass
class Job:
    """One request's slice of queries (at most ``max_batch``) and the future its results go to."""

    texts: list[str]
    reference: dt.date
    explain: bool
    future: Future = field(default_factory=Future)
    enqueued: float = field(default_factory=time.monotonic)
    ident: int = 0  # the HTTP process's number for it, in a model process


class MicroBatcher:
    """Gathers :class:`Job` s into batches of up to ``max_batch`` queries for ``workers`` threads.

    Args:
        run: tags one batch; jobs of one batch with different reference dates or ``explain``
            are run as separate calls (rare: clients send today's date).
        on_batch: told each batch's size and the seconds it took (metrics).
        on_depth: told the number of queued queries whenever it changes (metrics).
    """

    def __init__(
        self,
        run: RunBatch,
        *,
        max_batch: int,
        max_wait_s: float,
        max_queue: int,
        workers: int = 1,
        on_batch: Callable[[int, float], None] | None = None,
        on_depth: Callable[[int], None] | None = None,
    ) -> None:
        self._run = run
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self._workers = workers
        self._on_batch = on_batch or (lambda size, seconds: None)
        self._on_depth = on_depth or (lambda depth: None)
        self._queue: deque[Job] = deque()
        self._queued = 0  # queries in _queue
        self._cond = threading.Condition()
        self._stopping = False
        self._threads: list[threading.Thread] = []

    @property
    def depth(self) -> int:
        """Queries waiting for a worker."""
        return self._queued

    def start(self) -> None:
        for i in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"nerloop-batch-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float | None = None) -> None:
        """Finish every queued job, then end the workers (graceful shutdown loses nothing accepted)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def submit(self, texts: Sequence[str], reference: dt.date, explain: bool = False) -> Future:
        """Queue up to ``max_batch`` queries; their results arrive on the returned future, in order.

        Raises:
            Overloaded: the queue would exceed ``max_queue`` queries, or the batcher is stopping.
            ValueError: more than ``max_batch`` texts (split them first, see :func:`chunks`).
        """
        if len(texts) > self.max_batch:
            raise ValueError(f"a job holds at most {self.max_batch} queries, not {len(texts)}")
        job = Job(list(texts), reference, explain)
        with self._cond:
            if self._stopping:
                raise Overloaded("the server is shutting down", retry_after_s=1.0)
            if self._queued + len(job.texts) > self.max_queue:
                raise Overloaded(
                    f"{self._queued} queries are waiting (--max-queue {self.max_queue}); retry shortly",
                    retry_after_s=max(1.0, self.max_wait_s),
                )
            self._queue.append(job)
            self._queued += len(job.texts)
            depth = self._queued
            self._cond.notify()
        self._on_depth(depth)
        return job.future

    def _take(self) -> list[Job] | None:
        """The next batch: the oldest job plus whatever joins it within its wait; None when stopped and empty."""
        with self._cond:
            while not self._queue:
                if self._stopping:
                    return None
                self._cond.wait()
            first = self._queue.popleft()
            batch, size = [first], len(first.texts)
            deadline = first.enqueued + self.max_wait_s
            while size < self.max_batch:
                if self._queue:
                    if size + len(self._queue[0].texts) > self.max_batch:
                        break
                    job = self._queue.popleft()
                    batch.append(job)
                    size += len(job.texts)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping:
                    break
                self._cond.wait(remaining)
            self._queued -= size
            depth = self._queued
        self._on_depth(depth)
        return batch

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            started = time.perf_counter()
            for group in groups(batch):
                run_group(self._run, group)
            self._on_batch(sum(len(j.texts) for j in batch), time.perf_counter() - started)


def groups(batch: list[Job]) -> list[list[Job]]:
    """Jobs of one batch by (reference date, explain), in arrival order."""
    groups: dict[tuple[dt.date, bool], list[Job]] = {}
    for job in batch:
        groups.setdefault((job.reference, job.explain), []).append(job)
    return list(groups.values())


def run_group(run: RunBatch, jobs: list[Job]) -> None:
    """Run the jobs of one group as one call and settle each job's future with its slice (or the error)."""
    texts = [t for job in jobs for t in job.texts]
    try:
        results = run(texts, jobs[0].reference, jobs[0].explain)
    except Exception as exc:  # the model failed: every request of the batch hears it, the worker goes on
        for job in jobs:
            _settle(job.future, exception=exc)
        return
    at = 0
    for job in jobs:
        _settle(job.future, result=results[at : at + len(job.texts)])
        at += len(job.texts)


def _settle(future: Future, *, result: object = None, exception: BaseException | None = None) -> None:
    """Resolve a future unless its client went away (cancelled it) meanwhile."""
    try:
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)
    except InvalidStateError:
        pass


def chunks(texts: Sequence[str], size: int) -> list[list[str]]:
    """``texts`` in slices of at most ``size``, in order."""
    return [list(texts[i : i + size]) for i in range(0, len(texts), size)]
