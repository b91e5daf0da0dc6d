"""The model being served, and the background loader that replaces it when a new champion is promoted.

A :class:`LoadedModel` is a tagging pipeline opened exactly as ``nerloop tag`` opens it
(:func:`inference.pipeline.open_pipeline`), warmed up before it is handed out; a runner
(:mod:`inference.serving.runner`) holds one, here or in a model process. The
:class:`ModelHolder` swaps one reference to the runner: a worker reads it once per batch, so
a batch runs wholly on the old model or wholly on the new one, and the old runner is closed
once its batch in flight is done. :class:`ChampionWatcher` polls the store on its own thread,
loads a newly promoted champion there while the old one keeps serving, and on failure logs
one line and keeps the old model.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gazetteers.model import Gazetteer
from inference.pipeline import TaggingPipeline, open_pipeline
from inference.serving.errors import NotReady, ServeError
from nerloop.domain import Domain

log = logging.getLogger("nerloop.serve")

WARM_UP = ("本月菏泽巨野县供电公司麒麟供电所投诉个数", "上个月济南市中区供电公司停电次数", "你好")


@dataclass(frozen=True)
class LoadedModel:
    """A warmed-up pipeline and what ``/v1/model`` says about it."""

    version: str
    path: Path | None
    pipeline: TaggingPipeline
    domain: Domain
    gazetteer_fingerprint: str
    labels: tuple[str, ...]
    backend: str
    combine: str
    loaded_at: dt.datetime

    def describe(self) -> dict:
        return {
            "version": self.version,
            "backend": self.backend,
            "path": str(self.path) if self.path else None,
            "combine": self.combine,
            "labels": list(self.labels),
            "types": list(self.domain.types),
            "gazetteer_fingerprint": self.gazetteer_fingerprint,
            "loaded_at": self.loaded_at.isoformat(timespec="seconds"),
        }


def load_model(
    path: Path | None, gazetteer: Gazetteer, *, fuzzy_threshold: float = 75.0, combine: str | None = None
) -> LoadedModel:
    """Open ``path`` (``None``: the gazetteer matcher) as ``nerloop tag`` would and run a few queries through it.

    Raises:
        NerloopError: the directory cannot be opened (not a model, weights missing, a bad combination).
    """
    pipeline = open_pipeline(path, path is None, gazetteer, fuzzy_threshold, combine=combine)
    pipeline.tag(list(WARM_UP), dt.date.today())  # first calls allocate: pay that before reporting ready
    labels: tuple[str, ...] = ()
    backend = "matcher"
    if path is not None:
        from trainer.model_dir import read_manifest

        manifest = read_manifest(path)
        labels, backend = manifest.labels, manifest.backend
    return LoadedModel(
        version=pipeline.version,
        path=Path(path).resolve() if path is not None else None,
        pipeline=pipeline,
        domain=gazetteer.domain,
        gazetteer_fingerprint=gazetteer.fingerprint,
        labels=labels,
        backend=backend,
        combine=pipeline.combine,
        loaded_at=dt.datetime.now(dt.timezone.utc),
    )


class ModelHolder:
    """The one reference to the runner in service; replaced whole, read once per batch."""

    def __init__(self, on_swap: Callable[[Any], None] | None = None) -> None:
        self._current: Any = None
        self._on_swap = on_swap or (lambda model: None)

    @property
    def current(self) -> Any:
        """The model in service. Raises :class:`NotReady` while the first one is still loading."""
        model = self._current
        if model is None:
            raise NotReady("the model is still loading; retry shortly")
        return model

    @property
    def ready(self) -> bool:
        return self._current is not None

    def swap(self, model: Any) -> None:
        """Serve ``model`` from the next batch on; the previous one is closed after its batch in flight."""
        previous, self._current = self._current, model
        self._on_swap(model)
        if previous is not None:
            log.info("now serving %s (was %s)", model.version, previous.version)
            threading.Thread(target=previous.close, name="nerloop-close-model", daemon=True).start()

    def close(self) -> None:
        if self._current is not None:
            self._current.close()


def champion_path(engine) -> tuple[str, Path]:
    """The store's champion version and directory. Raises :class:`ServeError` when there is none."""
    from nerloop.store.registry import champion

    info = champion(engine)
    if info is None:
        raise ServeError("the store has no champion to serve; give --model DIR, or promote one (nerloop model promote)")
    return info.version, Path(info.path)


class ChampionWatcher:
    """Polls the store every ``interval_s`` and loads a newly promoted champion in the background.

    Args:
        load: opens a model directory (:func:`load_model` with the server's gazetteer and flags).
        on_failure: told each failed load (metrics); the failure is also logged, once per version.
    """

    def __init__(
        self,
        holder: ModelHolder,
        engine,
        load: Callable[[Path], Any],
        interval_s: float,
        *,
        serving: str | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        self._holder = holder
        self._engine = engine
        self._serving = serving  # the champion version last loaded (a directory's own version may differ)
        self._load = load
        self._interval_s = interval_s
        self._on_failure = on_failure or (lambda: None)
        self._failed: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="nerloop-champion", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def check(self) -> bool:
        """One look at the store: load and swap in a new champion; True if the served model changed."""
        try:
            version, path = champion_path(self._engine)
        except Exception as exc:  # a store briefly unreachable is no reason to stop serving
            log.warning("champion check failed: %s", " ".join(str(exc).split()) or type(exc).__name__)
            return False
        if version == self._serving or version in self._failed:
            return False
        current = self._holder._current
        started = time.perf_counter()
        try:
            model = self._load(path)
        except Exception as exc:
            self._failed.add(version)
            self._on_failure()
            message = " ".join(str(exc).split()) or type(exc).__name__
            serving = current.version if current is not None else "nothing"
            log.error("champion %s (%s) failed to load, still serving %s: %s", version, path, serving, message)
            return False
        self._holder.swap(model)
        self._serving = version
        log.info("loaded champion %s in %.1f s", model.version, time.perf_counter() - started)
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.check()
