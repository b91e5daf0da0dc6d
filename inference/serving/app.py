"""The HTTP API: nerloop's own ``/v1`` routes and Label Studio's ML-backend routes on one ASGI app.

FastAPI (on Starlette, served by uvicorn) rather than bare Starlette: the issue asks for an
OpenAPI schema at ``/docs``, which FastAPI builds from the routes for free; the hot path
does not use its request validation (bodies are read as bytes and checked by
:mod:`inference.serving.requests`, so limits apply before parsing and every error is our
one-line JSON, 400 for bad JSON rather than FastAPI's 422). One process, one loaded model:
several uvicorn workers would each load the model and split the batches.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from inference.serving import label_studio as ls
from inference.serving.errors import NotReady, Overloaded, RequestError
from inference.serving.middleware import ServeMiddleware
from inference.serving.replies import NDJSON, TagEndpoint, error_reply, note_queries, read_body, tag_reply
from inference.serving.requests import check_query, parse_object, parse_predict_request
from inference.serving.runner import RunnerError
from inference.serving.service import Service
from nerloop import __version__

log = logging.getLogger("nerloop.serve")


class TagBody(BaseModel):
    """``/v1/tag``'s body (documentation only: the route reads the bytes itself)."""

    query: str | None = Field(
        None, description="One query; give this or queries.", examples=["本月菏泽麒麟供电所投诉个数"]
    )
    queries: list[str] | None = Field(None, description="Several queries (at most --max-queries).")
    reference_date: str | None = Field(None, description="YYYY-MM-DD relative dates refer to; default: today.")
    explain: bool = Field(False, description="Add how each mention was linked, as nerloop tag --explain.")


class TagAnswer(BaseModel):
    model: str = Field(description="The version of the model that tagged the queries.")
    records: list[dict[str, Any]] = Field(
        description="One record per query, in order, exactly as nerloop tag prints it."
    )


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def read_request_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) past ``limit`` bytes without reading the rest."""
    return await read_body(request.receive, request.headers.get("content-length", "").encode(), limit)


def create_app(service: Service) -> Any:
    """The ASGI app serving ``service`` (closed when the app's lifespan ends)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        service.close()

    app = FastAPI(
        title="nerloop",
        version=__version__,
        description="Chinese power-domain NER: the records `nerloop tag` prints, over HTTP; "
        "and a Label Studio ML backend (/setup, /predict, /webhook).",
        lifespan=lifespan,
        redoc_url=None,
    )
    _error_handlers(app, service)
    _api_routes(app, service)
    _label_studio_routes(app, service)
    routes = [getattr(route, "path", "") for route in app.routes]
    direct = {("POST", "/v1/tag"): TagEndpoint(service)}
    return ServeMiddleware(app, metrics=service.metrics, token=service.config.token, routes=routes, direct=direct)


def _error_handlers(app: FastAPI, service: Service) -> None:
    """Every error a JSON ``{"error": message}``: ours by :func:`~inference.serving.replies.error_reply`, bugs 500."""

    @app.exception_handler(RequestError)
    @app.exception_handler(Overloaded)
    @app.exception_handler(NotReady)
    @app.exception_handler(RunnerError)
    async def _expected(request: Request, exc: Exception) -> JSONResponse:
        status, message, headers = error_reply(exc, service, request.method, request.url.path) or (500, str(exc), {})
        return _error(status, message, headers)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:  # logged in one line by the middleware
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = {
            404: f"no route {request.url.path}; see /docs",
            405: f"{request.method} is not allowed on {request.url.path}",
        }
        return _error(exc.status_code, message.get(exc.status_code, str(exc.detail)), getattr(exc, "headers", None))


def _api_routes(app: FastAPI, service: Service) -> None:
    """Probes, ``/v1`` and ``/metrics``."""
    config = service.config

    def _health() -> dict[str, Any]:
        return {"status": "UP", "model_class": "nerloop", "model_version": service.model.version}

    @app.get("/health", summary="Alive (also Label Studio's health check)")
    async def health() -> dict[str, Any]:
        return _health()

    @app.get("/", summary="Label Studio's health check")
    async def root() -> dict[str, Any]:
        return _health()

    @app.get("/ready", summary="Model loaded and accepting work (503 while shutting down)")
    async def ready() -> JSONResponse:
        if service.stopping or not service.holder.ready:
            return _error(503, "not ready", {"Retry-After": "1"})
        return JSONResponse({"ready": True, "model_version": service.model.version})

    @app.get("/v1/model", summary="The model being served: version, labels, gazetteer fingerprint")
    async def model() -> dict[str, Any]:
        return {
            **service.model.describe(),
            "batching": {
                "max_batch": config.max_batch,
                "max_wait_ms": config.max_wait_ms,
                "max_queue": config.max_queue,
            },
            "queue_depth": service.depth,
            "follows_champion": config.follows_champion,
        }

    @app.post(
        "/v1/tag",
        summary="Tag one query or a batch: the records nerloop tag prints",
        response_model=None,
        responses={200: {"model": TagAnswer, "content": {NDJSON: {}}}, 400: {}, 413: {}, 422: {}, 503: {}},
        openapi_extra={
            "requestBody": {"required": True, "content": {"application/json": {"schema": TagBody.model_json_schema()}}}
        },
    )
    async def tag(request: Request) -> Response:
        """Send `{"query": "…"}` or `{"queries": [...]}`; with `Accept: application/x-ndjson` the answer is one
        record per line, byte for byte what `nerloop tag` prints for the same model and gazetteer.
        (Served by :class:`~inference.serving.replies.TagEndpoint` ahead of this route; same answer.)"""
        body = await read_request_body(request, config.max_body_bytes)
        payload, media = await tag_reply(service, body, request.headers.get("accept", ""), request.scope)
        return Response(payload, media_type=media)

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        service.metrics.queue_depth.set(service.depth)
        return Response(service.metrics.render(), media_type=service.metrics.content_type)


def _label_studio_routes(app: FastAPI, service: Service) -> None:
    """Label Studio's ML-backend protocol: ``/setup``, ``/predict``, ``/webhook``, ``/train``, ``/versions``."""
    config = service.config

    @app.post("/setup", summary="Label Studio: connect a project; answers the model version")
    async def setup(request: Request) -> dict[str, Any]:
        data = parse_object(await read_request_body(request, config.max_body_bytes), service.limits)
        schema = data.get("schema")
        ls.parse_label_config(
            schema if isinstance(schema, str) else None
        )  # a config we cannot fill fails here, visibly
        return {"model_version": service.model.version}

    @app.post("/predict", summary="Label Studio: pre-annotate tasks (one result per task, in order)")
    async def predict(request: Request) -> dict[str, Any]:
        parsed = parse_predict_request(await read_request_body(request, config.max_predict_bytes), service.limits)
        interface = ls.parse_label_config(parsed.label_config)
        texts: list[str] = []
        slots: list[int | None] = []
        for task in parsed.tasks:
            text = ls.task_text(task, interface)
            try:
                text = check_query(text, "task text", service.limits) if text is not None else None
            except RequestError:
                text = None  # overlong or odd: this task gets an empty result, the others theirs
            slots.append(len(texts) if text is not None else None)
            if text is not None:
                texts.append(text)
        note_queries(request.scope, config.log_queries, texts, f"tasks={len(parsed.tasks)}")
        from nerloop.config import parse_reference_date

        lines = await service.tag(texts, parse_reference_date(None)) if texts else []
        records = [json.loads(line) for line in lines]
        version = service.model.version
        aligned = [records[i] if i is not None else None for i in slots]
        results = [ls.prediction(r, interface, r.get("model", version) if r else version) for r in aligned]
        return {"results": results, "model_version": version}

    @app.post("/webhook", summary="Label Studio events: annotations are counted, START_TRAINING starts a cycle")
    async def webhook(request: Request) -> JSONResponse:
        data = parse_object(await read_request_body(request, config.max_body_bytes), service.limits)
        action = data.get("action")
        if not isinstance(action, str) or not action:
            raise RequestError(422, 'a webhook needs a string field "action"')
        service.metrics.webhooks.labels(action if len(action) <= 40 else "other").inc()
        request.scope["state"]["log"] = f"action={action}"
        if ls.is_training_event(action, config.training_events):
            outcome = service.trigger.request(action)
            return JSONResponse({"status": "ok", "retrain": outcome}, status_code=201)
        if ls.is_annotation_event(action):
            return JSONResponse({"status": "ok"}, status_code=201)
        return JSONResponse({"status": "ignored", "action": action}, status_code=200)

    @app.post("/train", summary="Label Studio before 1.12 (training flag off): same as a START_TRAINING webhook")
    async def train(request: Request) -> JSONResponse:
        parse_object(await read_request_body(request, config.max_body_bytes), service.limits)
        service.metrics.webhooks.labels("train").inc()
        outcome = service.trigger.request("/train")
        return JSONResponse({"status": "ok", "retrain": outcome, "job": None}, status_code=201)

    @app.get("/versions", summary="Label Studio: the model versions this backend offers")
    async def versions() -> dict[str, Any]:
        return {"versions": [service.model.version]}
