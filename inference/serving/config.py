"""The server's settings, one dataclass: what ``nerloop serve``'s flags fill in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nerloop.errors import UsageError

TOKEN_ENV = "NERLOOP_SERVE_TOKEN"


@dataclass(frozen=True)
class ServeConfig:
    """How ``nerloop serve`` loads, batches, limits and reloads.

    Args:
        model: a model directory; ``None`` serves the store's tagger champion and follows promotions.
        matcher: serve the gazetteer matcher alone (no model; the baseline, and quick to start).
        gazetteer: the gazetteer mentions are resolved against (default: the embedded one).
        db: the store URL (champion, and the cycle a Label Studio START_TRAINING runs).
        host, port: where to listen; loopback by default.
        runner: ``process`` (the model in a process of its own, beside the HTTP one) or ``thread``.
        workers: batch workers: model processes with ``runner="process"`` (each holds the model), threads
            sharing the one loaded model with ``thread``.
        threads: torch threads per model call (1 leaves the other core to HTTP on a 2-core machine; 0: torch's default).
        max_batch: queries per model call; requests are gathered up to this many.
        max_wait_ms: how long the first query of a batch waits for others to join it.
        max_queue: queries waiting for a worker; past it a request gets 503 with Retry-After.
        max_body_bytes: the largest request body (413 past it), but for Label Studio's ``/predict``:
        max_predict_bytes: the largest ``/predict`` body (Label Studio sends tasks with their annotations).
        max_queries: queries in one ``/v1/tag`` request (413 past it).
        max_tasks: tasks in one Label Studio ``/predict`` request (413 past it).
        max_query_chars: the longest query in code points (422 past it).
        log_queries: put query texts into the access log (off: they may be personal data).
        poll_s: seconds between looks at the store's champion (0: never; only without ``model``).
        fuzzy_threshold, combine: as for ``nerloop tag``.
        token: the bearer token or basic-auth password every request but ``/health`` and ``/ready`` needs.
        cycle_config: the ``nerloop cycle --config`` file a START_TRAINING webhook runs with.
        training_events: webhook actions besides ``START_TRAINING`` that start a cycle (``PROJECT_UPDATED``
            is what Label Studio before 1.12 sent for its "Start Training" button, and for every project edit).
        retrain_debounce_s: START_TRAINING events within this many seconds of a started cycle start nothing.
        graceful_s: on SIGTERM, how long requests in flight may take to finish.
    """

    model: Path | None = None
    matcher: bool = False
    gazetteer: Path | None = None
    db: str | None = None
    host: str = "127.0.0.1"
    port: int = 9090
    runner: str = "process"
    workers: int = 1
    threads: int = 1
    max_batch: int = 64
    max_wait_ms: float = 2.0
    max_queue: int = 4096
    max_body_bytes: int = 4 * 1024 * 1024
    max_predict_bytes: int = 64 * 1024 * 1024
    max_queries: int = 1024
    max_tasks: int = 10_000
    max_query_chars: int = 1000
    log_queries: bool = False
    poll_s: float = 10.0
    fuzzy_threshold: float = 75.0
    combine: str | None = None
    token: str | None = field(default=None, repr=False)
    cycle_config: Path | None = None
    training_events: tuple[str, ...] = ()
    retrain_debounce_s: float = 60.0
    graceful_s: float = 30.0

    def __post_init__(self) -> None:
        if self.model is not None and self.matcher:
            raise UsageError("give either --model or --matcher, not both")
        positive = {
            "--workers": self.workers,
            "--max-batch": self.max_batch,
            "--max-queue": self.max_queue,
            "--max-body-bytes": self.max_body_bytes,
            "--max-predict-bytes": self.max_predict_bytes,
            "--max-queries": self.max_queries,
            "--max-tasks": self.max_tasks,
            "--max-query-chars": self.max_query_chars,
        }
        for flag, value in positive.items():
            if value < 1:
                raise UsageError(f"{flag} must be at least 1, not {value}")
        if not 0 <= self.port < 65536:
            raise UsageError(f"--port must be 0-65535 (0: any free port), not {self.port}")
        if self.runner not in ("process", "thread"):
            raise UsageError(f"--runner must be process or thread, not {self.runner!r}")
        if self.threads < 0:
            raise UsageError(f"--threads must be 0 (torch's default) or more, not {self.threads}")
        if self.max_wait_ms < 0 or self.poll_s < 0 or self.retrain_debounce_s < 0 or self.graceful_s < 0:
            raise UsageError("--max-wait-ms, --poll-seconds, --retrain-debounce and --graceful must not be negative")
        if self.max_queue < self.max_batch:
            raise UsageError(
                f"--max-queue ({self.max_queue}) must hold at least one batch (--max-batch {self.max_batch})"
            )

    @property
    def follows_champion(self) -> bool:
        """Serving the store's champion (no ``--model``/``--matcher``): promotions are picked up."""
        return self.model is None and not self.matcher
