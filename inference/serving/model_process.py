"""The model process: load the pipeline, then tag whatever jobs have arrived, one batch at a time.

One thread does everything: it blocks for the first job, takes every job already waiting on
the socket, waits for more only until the first job has waited ``max_wait_s`` (from when the
HTTP process sent it: jobs that queued behind a busy model go at once), runs the batch and
answers the whole batch in one frame. No thread handoff or lock per job: on a 2-core machine
this process has one core, and every microsecond of it is a query tagged.
"""

from __future__ import annotations

import datetime as dt
import os
import select
import signal
import socket
import time
from dataclasses import replace

from inference.serving.batcher import Job, groups, run_group
from inference.serving.channel import FrameReader, FrameWriter
from nerloop.heap import settle_after_loading


class Inbox:
    """Jobs from the socket: ``(ident, texts, reference, explain, sent)`` frames as :class:`Job` s."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._reader = FrameReader(sock)
        self._held: Job | None = None  # a job that did not fit the last batch
        self.closed = False

    def _next(self, timeout: float | None) -> Job | None:
        """The next job, waiting at most ``timeout`` seconds (``None``: until one comes); None if none or closed."""
        if self._held is not None:
            job, self._held = self._held, None
            return job
        if self.closed:
            return None
        if not self._reader.pending and timeout is not None:
            ready, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
            if not ready:
                return None
        try:
            ident, texts, reference, explain, sent = self._reader.recv()
        except (EOFError, OSError):
            self.closed = True
            return None
        return Job(texts, dt.date.fromisoformat(reference), explain, enqueued=sent, ident=ident)

    def take(self, max_batch: int, max_wait_s: float) -> list[Job] | None:
        """The next batch: the oldest job plus what joins it by its deadline; None once closed and empty."""
        first = self._next(None)
        if first is None:
            return None
        batch, size = [first], len(first.texts)
        deadline = first.enqueued + max_wait_s
        while size < max_batch:
            job = self._next(deadline - time.monotonic())
            if job is None:
                break
            if size + len(job.texts) > max_batch:
                self._held = job
                break
            batch.append(job)
            size += len(job.texts)
        return batch


def main(sock: socket.socket, spec, batching) -> None:
    """The model process's entry point: load, say ready (or why not), then serve batches until the socket closes."""
    from inference.serving.runner import ThreadRunner

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C and SIGTERM go to the server, which drains, then stops us
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A batch of a few queries is tokenized faster on this thread than by a Rust thread pool, which
    # would also take CPU from the HTTP process on a small machine (the results are the same).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    writer = FrameWriter(sock)
    try:
        runner = ThreadRunner(spec, replace(batching, workers=0))
    except Exception as exc:
        writer.send(("failed", " ".join(str(exc).split()) or type(exc).__name__))
        return
    settle_after_loading()  # as tag does: the gazetteer's objects never die
    writer.send(("ready", runner.describe() | {"runner": "process"}))
    inbox = Inbox(sock)
    while (batch := inbox.take(batching.max_batch, batching.max_wait_s)) is not None:
        started = time.perf_counter()
        for group in groups(batch):
            run_group(runner.run, group)
        replies = [(job.ident, *_outcome(job)) for job in batch]
        size = sum(len(job.texts) for job in batch)
        try:
            writer.send(("batch", size, time.perf_counter() - started, replies))
        except OSError:  # the server closed its end: nobody waits for these any more
            break


def _outcome(job: Job) -> tuple[str, object]:
    exc = job.future.exception()
    if exc is None:
        return "ok", job.future.result()
    return "error", f"{type(exc).__name__}: {' '.join(str(exc).split())}"
