"""Where the model runs: in processes of their own (default) or on worker threads of the server's process.

Both runners take a request's queries with :meth:`submit` (on the event loop; a full queue is
:class:`~inference.serving.errors.Overloaded` at once) and answer with the JSON lines
``nerloop tag`` prints for them. Batches are gathered by a
:class:`~inference.serving.batcher.MicroBatcher` next to the model:

- ``process``: the HTTP process sends each query to a model process the moment its request is
  parsed (:mod:`inference.serving.channel`: one frame, no thread hop) and the model process
  gathers what has arrived into its next batch. The model never waits for the HTTP side to
  form a batch, and the HTTP side never waits for a batch thread: on a 2-core machine one
  core parses HTTP while the other tags. A crash there (out of memory) fails the batch in
  flight, not the server, and a new process takes its place.
- ``thread``: everything in one process; quicker to start, for tests and the matcher.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import itertools
import logging
import multiprocessing
import socket
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.serving import model_process
from inference.serving.batcher import MicroBatcher
from inference.serving.channel import FrameReader, LoopChannel
from inference.serving.errors import Overloaded, ServeError

log = logging.getLogger("nerloop.serve")
RUNNERS = ("process", "thread")


@dataclass(frozen=True)
class ModelSpec:
    """What a runner loads: as ``nerloop tag`` flags say it (``path`` None: the gazetteer matcher)."""

    path: Path | None
    gazetteer: Path | None
    fuzzy_threshold: float = 75.0
    combine: str | None = None
    threads: int = 1


@dataclass(frozen=True)
class Batching:
    """How queries are gathered (``--max-batch``, ``--max-wait-ms``, ``--max-queue``) and by how many workers."""

    max_batch: int = 64
    max_wait_s: float = 0.002
    max_queue: int = 4096
    workers: int = 1


class RunnerError(ServeError):
    """The model process died (answered 503: the next batch gets a new one)."""


class ModelFailed(ServeError):
    """The pipeline raised on a batch in the model process (a bug: answered 500, logged in one line)."""


class ThreadRunner:
    """The pipeline in this process; ``batching.workers`` threads share it."""

    def __init__(self, spec: ModelSpec, batching: Batching, gazetteer=None, on_batch=None) -> None:
        from inference.serving.holder import load_model

        if gazetteer is None:
            from gazetteers import load_gazetteer

            gazetteer = load_gazetteer(spec.gazetteer)
        _set_threads(spec)
        self._model = load_model(spec.path, gazetteer, fuzzy_threshold=spec.fuzzy_threshold, combine=spec.combine)
        self.version = self._model.version
        self._description = self._model.describe()
        self.batcher = MicroBatcher(
            self.run,
            max_batch=batching.max_batch,
            max_wait_s=batching.max_wait_s,
            max_queue=batching.max_queue,
            workers=batching.workers,
            on_batch=on_batch,
        )
        self.batcher.start()  # no threads with workers=0: a model process runs the batches itself

    def describe(self) -> dict[str, Any]:
        return {**self._description, "runner": "thread"}

    @property
    def depth(self) -> int:
        """Queries waiting for a worker."""
        return self.batcher.depth

    def run(self, texts: list[str], reference: dt.date, explain: bool) -> list[str]:
        """One batch through the pipeline: ``nerloop tag``'s JSON lines."""
        from inference.render import render_line

        model = self._model
        return [render_line(r, model.domain, explain) for r in model.pipeline.tag(texts, reference)]

    def submit(self, texts: list[str], reference: dt.date, explain: bool) -> asyncio.Future:
        """Queue ``texts`` (at most one batch); their lines arrive on the returned future. Call on the event loop."""
        return asyncio.wrap_future(self.batcher.submit(texts, reference, explain))

    def close(self) -> None:
        """Finish every queued batch, then end the workers."""
        self.batcher.stop()


class _Child:
    """One model process and the HTTP process's end of its socket."""

    def __init__(self, context, spec: ModelSpec, batching: Batching) -> None:
        ours, theirs = socket.socketpair()
        self.process = context.Process(
            target=model_process.main, args=(theirs, spec, batching), name="nerloop-model", daemon=True
        )
        self.process.start()
        theirs.close()
        self.sock = ours
        self.channel: LoopChannel | None = None
        self.outstanding = 0  # queries sent and not answered
        self.dead = False

    def wait_ready(self, spec: ModelSpec, timeout_s: float) -> dict[str, Any]:
        self.sock.settimeout(timeout_s)
        try:
            kind, payload = FrameReader(self.sock).recv()
        except TimeoutError:
            raise RunnerError(
                f"the model process did not load {spec.path or 'the matcher'} within {timeout_s:.0f} s"
            ) from None
        except (EOFError, OSError):
            self.process.join(5)
            raise RunnerError(f"the model process died while loading (exit code {self.process.exitcode})") from None
        if kind != "ready":
            from nerloop.errors import NerloopError

            raise NerloopError(payload)  # the load's own one-line message (not a model directory …)
        return payload

    def died(self) -> str:
        self.dead = True
        self.process.join(5)
        return f"the model process died (exit code {self.process.exitcode})"

    def stop(self, timeout_s: float = 10.0) -> None:
        """Close our end (the process finishes what it holds and exits), then reap it."""
        if self.channel is not None:
            self.channel.close()
        else:
            self.sock.close()
        self.process.join(timeout_s)
        self.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


class ProcessRunner:
    """The pipeline in ``processes`` child processes (spawned, so torch's threads start clean).

    :meth:`submit` sends each job to the process with the fewest queries outstanding; each
    process gathers its own batches. Loading happens in all of them at once.
    """

    def __init__(
        self,
        spec: ModelSpec,
        batching: Batching,
        processes: int = 1,
        start_timeout_s: float = 600.0,
        on_batch=None,
    ) -> None:
        self._spec, self._timeout_s, self._batching = spec, start_timeout_s, batching
        self._on_batch = on_batch or (lambda size, seconds: None)
        self._context = multiprocessing.get_context("spawn")
        self._children = [_Child(self._context, spec, batching) for _ in range(processes)]
        try:
            descriptions = [child.wait_ready(spec, start_timeout_s) for child in self._children]
        except BaseException:
            for child in self._children:
                child.kill()
            raise
        self._description = descriptions[0]
        self.version = self._description["version"]
        self._jobs: dict[int, tuple[_Child, asyncio.Future, int]] = {}
        self._ids = itertools.count()
        self._outstanding = 0
        self._replacing: asyncio.Future | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._closing = False

    def describe(self) -> dict[str, Any]:
        return {**self._description, "runner": "process", "pids": [c.process.pid for c in self._children]}

    @property
    def depth(self) -> int:
        """Queries sent to the model processes and not answered yet."""
        return self._outstanding

    def submit(self, texts: list[str], reference: dt.date, explain: bool) -> asyncio.Future:
        """Send ``texts`` (at most one batch) to a model process; the lines arrive on the returned future.

        Call on the event loop. Raises:
            Overloaded: ``max_queue`` queries are outstanding, or the runner is closing.
        """
        if self._closing:
            raise Overloaded("the server is shutting down", retry_after_s=1.0)
        limit = self._batching.max_queue
        if self._outstanding + len(texts) > limit:
            raise Overloaded(
                f"{self._outstanding} queries are waiting (--max-queue {limit}); retry shortly",
                retry_after_s=max(1.0, self._batching.max_wait_s),
            )
        loop = asyncio.get_running_loop()
        self._loop = loop
        live = [c for c in self._children if not c.dead]
        if not live:  # the only process died: wait for its replacement
            return asyncio.ensure_future(self._after_replacement(texts, reference, explain))
        child = min(live, key=lambda c: c.outstanding)
        return self._send(loop, child, texts, reference, explain)

    def _send(self, loop, child: _Child, texts: list[str], reference: dt.date, explain: bool) -> asyncio.Future:
        if child.channel is None:
            child.channel = LoopChannel(
                child.sock, functools.partial(self._message, child), functools.partial(self._lost, child)
            )
        child.channel.attach(loop)
        future = loop.create_future()
        job = next(self._ids)
        try:
            child.channel.send((job, texts, reference.isoformat(), explain, time.monotonic()))
        except EOFError:
            future.set_exception(RunnerError(child.died()))
            self._replace(loop, child)
            return future
        self._jobs[job] = (child, future, len(texts))
        child.outstanding += len(texts)
        self._outstanding += len(texts)
        if self._idle.is_set():  # Event.clear takes a lock: only on the way from idle to busy
            self._idle.clear()
        return future

    async def _after_replacement(self, texts: list[str], reference: dt.date, explain: bool) -> list[str]:
        """Every process is dead: wait for a new one (starting one if no start is under way), then send."""
        loop = asyncio.get_running_loop()
        if self._replacing is None or self._replacing.done():  # the last start failed: try again
            self._replace(loop, next(c for c in self._children if c.dead))
        await asyncio.shield(self._replacing)
        live = [c for c in self._children if not c.dead]
        if not live:
            raise RunnerError("the model process died and a new one failed to start; retry shortly")
        return await self._send(loop, live[0], texts, reference, explain)

    def _message(self, child: _Child, message: tuple) -> None:
        """A batch's answers: ``("batch", size, seconds, [(job, "ok" | "error", lines | message), ...])``."""
        _, size, seconds, replies = message
        self._on_batch(size, seconds)
        for job, kind, payload in replies:
            entry = self._jobs.pop(job, None)
            if entry is None:
                continue
            self._settle(entry)
            future = entry[1]
            if future.done():  # the client went away
                continue
            if kind == "ok":
                future.set_result(payload)
            else:
                future.set_exception(ModelFailed(payload))

    def _settle(self, entry: tuple[_Child, asyncio.Future, int]) -> None:
        child, _, size = entry
        child.outstanding -= size
        self._outstanding -= size
        if not self._outstanding:
            self._idle.set()

    def _lost(self, child: _Child) -> None:
        """The socket of ``child`` closed: the jobs it held fail, and a new process is started."""
        if self._closing:
            message = "the model process stopped"
        else:
            message = child.died()
            log.error("%s; starting another", message)
        for job, entry in list(self._jobs.items()):
            if entry[0] is child:
                del self._jobs[job]
                self._settle(entry)
                if not entry[1].done():
                    entry[1].set_exception(RunnerError(message))
        if not self._closing and self._loop is not None:
            self._replace(self._loop, child)

    def _replace(self, loop, dead: _Child) -> None:
        if self._replacing is not None and not self._replacing.done():
            return
        dead.dead = True
        self._replacing = loop.run_in_executor(None, self._start_child)
        self._replacing.add_done_callback(functools.partial(self._adopt, dead))

    def _start_child(self) -> _Child | None:
        fresh = _Child(self._context, self._spec, self._batching)
        try:
            fresh.wait_ready(self._spec, self._timeout_s)
        except Exception as exc:  # the next request that finds no process tries again
            fresh.kill()
            log.error("the new model process failed to start: %s", " ".join(str(exc).split()))
            return None
        return fresh

    def _adopt(self, dead: _Child, done: asyncio.Future) -> None:
        fresh = None if done.cancelled() or done.exception() else done.result()
        if fresh is None:
            return
        if self._closing:
            fresh.stop()
            return
        self._children[self._children.index(dead)] = fresh
        if dead.channel is None:
            dead.sock.close()

    def close(self, timeout_s: float = 30.0) -> None:
        """Let the jobs outstanding finish (unless called on the event loop itself), then end the processes."""
        self._closing = True
        on_loop = _running_loop() is self._loop and self._loop is not None
        if not on_loop:
            self._idle.wait(timeout_s)
        for child in self._children:
            if child.channel is not None and not on_loop and self._loop is not None and not self._loop.is_closed():
                done: Future = Future()

                def close_channel(channel=child.channel, done=done) -> None:
                    channel.close()
                    done.set_result(None)

                try:
                    self._loop.call_soon_threadsafe(close_channel)
                    done.result(5)
                except (RuntimeError, TimeoutError):  # the loop has stopped: nobody reads the socket any more
                    child.channel.close()
            child.stop()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def open_runner(kind: str, spec: ModelSpec, batching: Batching, gazetteer=None, on_batch=None):
    """A warmed-up runner of ``kind`` (``process`` or ``thread``) for ``spec``.

    Raises:
        NerloopError: the model cannot be loaded (its one-line message).
    """
    if kind == "thread":
        return ThreadRunner(spec, batching, gazetteer, on_batch=on_batch)
    if kind == "process":
        return ProcessRunner(spec, batching, batching.workers, on_batch=on_batch)
    raise ServeError(f"unknown runner {kind!r}; expected one of {', '.join(RUNNERS)}")


def _set_threads(spec: ModelSpec) -> None:
    if spec.threads and spec.path is not None:
        import torch  # a model directory means the torch backend is installed

        torch.set_num_threads(spec.threads)
