"""``nerloop serve``: the model over HTTP, and a Label Studio ML backend."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nerloop.cli.common import DbOpt, GazetteerOpt
from nerloop.cli.output import user_errors

# The options, declared apart so that the command's signature reads as a list.
ModelOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--model",
        "-m",
        help="Model directory to serve; default: the store's champion, reloaded when another is promoted.",
    ),
]
MatcherOpt = Annotated[bool, typer.Option("--matcher", help="Serve the gazetteer matcher alone (no model).")]
HostOpt = Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")]
PortOpt = Annotated[int, typer.Option(help="Port to listen on (0: any free port, printed at start).")]
RunnerOpt = Annotated[
    str,
    typer.Option(
        help="process: the model in a process of its own beside the HTTP one (two cores work at once); "
        "thread: one process, quicker to start."
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        help="Batch workers: model processes with --runner process (each loads the model: memory times N), "
        "threads sharing one model with --runner thread. On CPU, 2 on a 2-core machine served about 1.3 times "
        "as many single-query requests as 1 (bench/serve.py)."
    ),
]
ThreadsOpt = Annotated[
    int,
    typer.Option(help="Torch threads per model call; 1 leaves a core for HTTP on 2 cores (0: torch's default)."),
]
MaxBatchOpt = Annotated[int, typer.Option(help="Queries per model call; concurrent requests are gathered up to it.")]
MaxWaitMsOpt = Annotated[
    float, typer.Option(help="How long a query waits for others to fill its batch (milliseconds).")
]
MaxQueueOpt = Annotated[
    int, typer.Option(help="Queries waiting for a worker; past it requests get 503 with Retry-After.")
]
MaxQueriesOpt = Annotated[int, typer.Option(help="Queries per /v1/tag request (413 past it).")]
MaxTasksOpt = Annotated[int, typer.Option(help="Tasks per Label Studio /predict request (413 past it).")]
MaxQueryCharsOpt = Annotated[int, typer.Option(help="Longest query in characters (422 past it).")]
MaxBodyBytesOpt = Annotated[int, typer.Option(help="Largest request body in bytes, but for /predict (413 past it).")]
MaxPredictBytesOpt = Annotated[
    int, typer.Option(help="Largest Label Studio /predict body in bytes (tasks come with their annotations).")
]
LogQueriesOpt = Annotated[
    bool, typer.Option("--log-queries", help="Write query texts into the access log (off: they may be personal).")
]
PollSecondsOpt = Annotated[
    float, typer.Option(help="Seconds between looks at the store's champion (0: never); only without --model.")
]
CycleConfigOpt = Annotated[
    Optional[Path],
    typer.Option(help="Settings (YAML) of the nerloop cycle that Label Studio's Start Training runs."),
]
TrainEventOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        help="A webhook action that also starts a cycle, besides START_TRAINING (repeatable); "
        "PROJECT_UPDATED for Label Studio before 1.12."
    ),
]
RetrainDebounceOpt = Annotated[
    float, typer.Option(help="Seconds after a started cycle during which further training requests start none.")
]
GracefulOpt = Annotated[float, typer.Option(help="On SIGTERM, seconds requests in flight may take to finish.")]
FuzzyThresholdOpt = Annotated[
    float, typer.Option("--fuzzy-threshold", help="As for nerloop tag: 100 turns fuzzy linking off.")
]
CombineOpt = Annotated[
    Optional[str], typer.Option("--combine", help="As for nerloop tag; default: the model's own choice.")
]


def serve(
    model: ModelOpt = None,
    matcher: MatcherOpt = False,
    gazetteer: GazetteerOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 9090,
    runner: RunnerOpt = "process",
    workers: WorkersOpt = 1,
    threads: ThreadsOpt = 1,
    max_batch: MaxBatchOpt = 64,
    max_wait_ms: MaxWaitMsOpt = 2.0,
    max_queue: MaxQueueOpt = 4096,
    max_queries: MaxQueriesOpt = 1024,
    max_tasks: MaxTasksOpt = 10_000,
    max_query_chars: MaxQueryCharsOpt = 1000,
    max_body_bytes: MaxBodyBytesOpt = 4 * 1024 * 1024,
    max_predict_bytes: MaxPredictBytesOpt = 64 * 1024 * 1024,
    log_queries: LogQueriesOpt = False,
    poll_seconds: PollSecondsOpt = 10.0,
    cycle_config: CycleConfigOpt = None,
    train_event: TrainEventOpt = None,
    retrain_debounce: RetrainDebounceOpt = 60.0,
    graceful: GracefulOpt = 30.0,
    fuzzy_threshold: FuzzyThresholdOpt = 75.0,
    combine: CombineOpt = None,
    db: DbOpt = None,
) -> None:
    """Serve the tagger over HTTP: POST /v1/tag answers the records nerloop tag prints; /setup, /predict and
    /webhook make it a Label Studio ML backend (Settings → Model → Connect Model, URL http://HOST:PORT).

    Loads and warms up the model before listening, batches concurrent requests (--max-batch, --max-wait-ms),
    answers 503 past --max-queue, reloads a newly promoted champion without a restart, finishes requests in
    flight on SIGTERM. GET /docs: the API; /metrics: Prometheus; /health, /ready: probes. With
    NERLOOP_SERVE_TOKEN set every other request needs it (Authorization: Bearer TOKEN, or basic auth with it
    as the password). Example:

        nerloop serve --model models/m1 --port 9090
    """
    with user_errors():
        _require_serve_extra()
        from inference.serving.config import TOKEN_ENV, ServeConfig

        config = ServeConfig(
            model=model,
            matcher=matcher,
            gazetteer=gazetteer,
            db=db,
            host=host,
            port=port,
            runner=runner,
            workers=workers,
            threads=threads,
            max_batch=max_batch,
            max_wait_ms=max_wait_ms,
            max_queue=max_queue,
            max_body_bytes=max_body_bytes,
            max_predict_bytes=max_predict_bytes,
            max_queries=max_queries,
            max_tasks=max_tasks,
            max_query_chars=max_query_chars,
            log_queries=log_queries,
            poll_s=poll_seconds,
            fuzzy_threshold=fuzzy_threshold,
            combine=combine,
            token=os.environ.get(TOKEN_ENV) or None,
            cycle_config=cycle_config,
            training_events=tuple(train_event or ()),
            retrain_debounce_s=retrain_debounce,
            graceful_s=graceful,
        )
        _run(config)


def _require_serve_extra() -> None:
    try:
        import inference.serving.server  # noqa: F401  (fastapi, uvicorn, prometheus-client)
    except ImportError as exc:
        from nerloop.errors import UsageError

        raise UsageError(
            f"serving needs the serve extra ({exc.name} is missing): pip install 'nerloop[serve]'"
        ) from None


def _run(config) -> None:
    """Load and warm up the model, then serve until SIGTERM (the URL goes to stderr once listening)."""
    from inference.serving.server import serve
    from inference.serving.service import Service

    _logging()
    service = Service.open(config)
    version = service.model.version
    serve(
        service,
        on_listening=lambda url: print(f"serving {version} on {url} (docs: {url}/docs)", file=sys.stderr, flush=True),
    )


def _logging() -> None:
    """One line per event on stderr: the access log and the server's own lines."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    for name in ("nerloop.serve", "nerloop.serve.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
