"""``nerloop serve``: the model over HTTP, and a Label Studio ML backend."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nerloop.cli.common import DbOpt, GazetteerOpt
from nerloop.cli.output import user_errors


def serve(
    model: Annotated[
        Optional[Path],
        typer.Option(
            "--model",
            "-m",
            help="Model directory to serve; default: the store's champion, reloaded when another is promoted.",
        ),
    ] = None,
    matcher: Annotated[bool, typer.Option("--matcher", help="Serve the gazetteer matcher alone (no model).")] = False,
    gazetteer: GazetteerOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port, printed at start).")] = 9090,
    runner: Annotated[
        str,
        typer.Option(
            help="process: the model in a process of its own beside the HTTP one (two cores work at once); "
            "thread: one process, quicker to start."
        ),
    ] = "process",
    workers: Annotated[
        int,
        typer.Option(
            help="Batch workers: model processes with --runner process (each loads the model), "
            "threads sharing one model with --runner thread."
        ),
    ] = 1,
    threads: Annotated[
        int,
        typer.Option(help="Torch threads per model call; 1 leaves a core for HTTP on 2 cores (0: torch's default)."),
    ] = 1,
    max_batch: Annotated[
        int, typer.Option(help="Queries per model call; concurrent requests are gathered up to it.")
    ] = 64,
    max_wait_ms: Annotated[
        float, typer.Option(help="How long a query waits for others to fill its batch (milliseconds).")
    ] = 2.0,
    max_queue: Annotated[
        int, typer.Option(help="Queries waiting for a worker; past it requests get 503 with Retry-After.")
    ] = 4096,
    max_queries: Annotated[int, typer.Option(help="Queries per /v1/tag request (413 past it).")] = 1024,
    max_tasks: Annotated[int, typer.Option(help="Tasks per Label Studio /predict request (413 past it).")] = 10_000,
    max_query_chars: Annotated[int, typer.Option(help="Longest query in characters (422 past it).")] = 1000,
    max_body_bytes: Annotated[
        int, typer.Option(help="Largest request body in bytes, but for /predict (413 past it).")
    ] = 4 * 1024 * 1024,
    max_predict_bytes: Annotated[
        int, typer.Option(help="Largest Label Studio /predict body in bytes (tasks come with their annotations).")
    ] = 64 * 1024 * 1024,
    log_queries: Annotated[
        bool, typer.Option("--log-queries", help="Write query texts into the access log (off: they may be personal).")
    ] = False,
    poll_seconds: Annotated[
        float, typer.Option(help="Seconds between looks at the store's champion (0: never); only without --model.")
    ] = 10.0,
    cycle_config: Annotated[
        Optional[Path],
        typer.Option(help="Settings (YAML) of the nerloop cycle that Label Studio's Start Training runs."),
    ] = None,
    train_event: Annotated[
        Optional[list[str]],
        typer.Option(
            help="A webhook action that also starts a cycle, besides START_TRAINING (repeatable); "
            "PROJECT_UPDATED for Label Studio before 1.12."
        ),
    ] = None,
    retrain_debounce: Annotated[
        float, typer.Option(help="Seconds after a started cycle during which further training requests start none.")
    ] = 60.0,
    graceful: Annotated[float, typer.Option(help="On SIGTERM, seconds requests in flight may take to finish.")] = 30.0,
    fuzzy_threshold: Annotated[
        float, typer.Option("--fuzzy-threshold", help="As for nerloop tag: 100 turns fuzzy linking off.")
    ] = 75.0,
    combine: Annotated[
        Optional[str], typer.Option("--combine", help="As for nerloop tag; default: the model's own choice.")
    ] = None,
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
        try:
            from inference.serving.config import TOKEN_ENV, ServeConfig
            from inference.serving.server import serve as run
            from inference.serving.service import Service
        except ImportError as exc:
            from nerloop.errors import UsageError

            raise UsageError(
                f"serving needs the serve extra ({exc.name} is missing): pip install 'nerloop[serve]'"
            ) from None
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
        _logging()
        service = Service.open(config)
        version = service.model.version
        run(
            service,
            on_listening=lambda url: print(
                f"serving {version} on {url} (docs: {url}/docs)", file=sys.stderr, flush=True
            ),
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
