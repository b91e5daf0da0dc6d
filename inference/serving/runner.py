"""Where the model runs: in a process of its own (default) or on the server's worker thread.

The server's event loop parses HTTP in Python and so does the resolver; in one process they
take turns on the GIL, and the event loop's per-request work is then added to every query's
tagging time. A model process runs the whole ``nerloop tag`` pipeline (model, resolver, the
JSON line) on the other core while the server's process does HTTP, and only short JSON lines
cross the pipe. A crash there (out of memory) fails the batch in flight, not the server.
``thread`` keeps everything in one process: quicker to start, for tests and the matcher.

Both kinds answer :meth:`run` with the JSON lines ``nerloop tag`` prints for the texts.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import queue
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inference.serving.errors import ServeError

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


class RunnerError(ServeError):
    """The model process died (answered 503: the next batch gets a new one)."""


class ModelFailed(ServeError):
    """The pipeline raised on a batch in the model process (a bug: answered 500, logged in one line)."""


class ThreadRunner:
    """The pipeline in this process, called from the batch worker thread."""

    def __init__(self, spec: ModelSpec, gazetteer=None) -> None:
        from inference.serving.holder import load_model

        if gazetteer is None:
            from gazetteers import load_gazetteer

            gazetteer = load_gazetteer(spec.gazetteer)
        _set_threads(spec)
        self._model = load_model(spec.path, gazetteer, fuzzy_threshold=spec.fuzzy_threshold, combine=spec.combine)
        self.version = self._model.version
        self._description = self._model.describe()

    def describe(self) -> dict[str, Any]:
        return {**self._description, "runner": "thread"}

    def run(self, texts: list[str], reference: dt.date, explain: bool) -> list[str]:
        from inference.render import render_line

        model = self._model
        return [render_line(r, model.domain, explain) for r in model.pipeline.tag(texts, reference)]

    def close(self) -> None:
        pass


class _Child:
    """One model process and our end of its pipe."""

    def __init__(self, context, spec: ModelSpec) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_child, args=(child, spec), name="nerloop-model", daemon=True)
        self.process.start()
        child.close()
        self.dead = False

    def wait_ready(self, spec: ModelSpec, timeout_s: float) -> dict[str, Any]:
        if not self.conn.poll(timeout_s):
            raise RunnerError(f"the model process did not load {spec.path or 'the matcher'} within {timeout_s:.0f} s")
        try:
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            raise RunnerError(f"the model process died while loading (exit code {self.process.exitcode})") from None
        if kind != "ready":
            from nerloop.errors import NerloopError

            raise NerloopError(payload)  # the load's own one-line message (not a model directory …)
        return payload

    def run(self, texts: list[str], reference: dt.date, explain: bool) -> list[str]:
        try:
            self.conn.send((texts, reference.isoformat(), explain))
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            self.dead = True  # the pipe closes before the process is reaped: do not wait for is_alive()
            self.process.join(5)
            raise RunnerError(f"the model process died (exit code {self.process.exitcode})") from None
        if kind != "ok":
            raise ModelFailed(payload)
        return payload

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(10)
        self.kill()
        self.conn.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


class ProcessRunner:
    """The pipeline in ``processes`` child processes (spawned, so torch's threads start clean).

    Each process tags one batch at a time; :meth:`run` takes an idle one, so ``processes``
    batch workers keep them all busy. Loading happens in all of them at once.
    """

    def __init__(self, spec: ModelSpec, processes: int = 1, start_timeout_s: float = 600.0) -> None:
        self._spec, self._timeout_s = spec, start_timeout_s
        self._context = context = multiprocessing.get_context("spawn")
        self._children = [_Child(context, spec) for _ in range(processes)]
        try:
            descriptions = [child.wait_ready(spec, start_timeout_s) for child in self._children]
        except BaseException:
            for child in self._children:
                child.kill()
            raise
        self._idle: queue.SimpleQueue[_Child] = queue.SimpleQueue()
        for child in self._children:
            self._idle.put(child)
        self._description = descriptions[0]
        self.version = self._description["version"]

    def describe(self) -> dict[str, Any]:
        return {**self._description, "runner": "process", "pids": [c.process.pid for c in self._children]}

    def run(self, texts: list[str], reference: dt.date, explain: bool) -> list[str]:
        child = self._idle.get()
        try:
            return child.run(texts, reference, explain)
        finally:
            if (
                child.dead or not child.process.is_alive()
            ):  # killed (out of memory?): its batch failed, the next one gets a new one
                child = self._replace(child)
            self._idle.put(child)

    def _replace(self, dead: _Child) -> _Child:
        log.error("the model process %d died (exit code %s); starting another", dead.process.pid, dead.process.exitcode)
        fresh = _Child(self._context, self._spec)
        try:
            fresh.wait_ready(self._spec, self._timeout_s)
        except Exception as exc:  # keep the dead one in its place: the next batch fails fast and tries again
            fresh.kill()
            log.error("the new model process failed to start: %s", " ".join(str(exc).split()))
            return dead
        dead.conn.close()
        self._children[self._children.index(dead)] = fresh
        return fresh

    def close(self) -> None:
        """Let the batches in flight finish, then end the processes."""
        for _ in self._children:
            self._idle.get().stop()


def open_runner(kind: str, spec: ModelSpec, gazetteer=None, processes: int = 1):
    """A warmed-up runner of ``kind`` (``process`` or ``thread``) for ``spec``; ``processes`` model processes.

    Raises:
        NerloopError: the model cannot be loaded (its one-line message).
    """
    if kind == "thread":
        return ThreadRunner(spec, gazetteer)
    if kind == "process":
        return ProcessRunner(spec, processes)
    raise ServeError(f"unknown runner {kind!r}; expected one of {', '.join(RUNNERS)}")


def _set_threads(spec: ModelSpec) -> None:
    if spec.threads and spec.path is not None:
        import torch  # a model directory means the torch backend is installed

        torch.set_num_threads(spec.threads)


def _child(conn, spec: ModelSpec) -> None:
    """The model process: load, say ready, then tag each batch sent until told to stop (or the pipe closes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C and SIGTERM go to the server, which drains, then stops us
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        runner = ThreadRunner(spec)
    except Exception as exc:
        conn.send(("failed", " ".join(str(exc).split()) or type(exc).__name__))
        return
    import gc

    gc.freeze()  # as tag does: the gazetteer's objects never die
    conn.send(("ready", runner.describe() | {"runner": "process"}))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        texts, reference, explain = message
        try:
            conn.send(("ok", runner.run(texts, dt.date.fromisoformat(reference), explain)))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {' '.join(str(exc).split())}"))
