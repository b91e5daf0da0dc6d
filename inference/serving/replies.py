"""What ``/v1/tag`` answers, and the one mapping from our exceptions to an HTTP status, message and headers.

Both the FastAPI route (which documents ``/v1/tag`` in the OpenAPI schema) and the direct
ASGI endpoint that serves it (:class:`TagEndpoint`: single-query requests by the thousand
a second, where FastAPI's routing, request object and exception middlewares cost as much
CPU as the rest of the request) build their answers here, so the two cannot differ.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from inference.serving.errors import NotReady, Overloaded, RequestError
from inference.serving.requests import parse_tag_request
from inference.serving.runner import RunnerError

log = logging.getLogger("nerloop.serve")
NDJSON = "application/x-ndjson"


def error_reply(exc: Exception, service, method: str, path: str) -> tuple[int, str, dict[str, str]] | None:
    """``(status, message, headers)`` for an exception a client may see; None for a bug (500, logged by the middleware)."""
    if isinstance(exc, RequestError):
        return exc.status, exc.message, {}
    if isinstance(exc, Overloaded):
        service.metrics.overloaded.inc()
        return 503, str(exc), {"Retry-After": str(max(1, round(exc.retry_after_s)))}
    if isinstance(exc, NotReady):
        return 503, str(exc), {"Retry-After": "1"}
    if isinstance(exc, RunnerError):
        log.error("%s %s failed: %s", method, path, exc)
        return 503, f"the model failed this batch ({exc}); retry", {"Retry-After": "1"}
    return None


async def tag_reply(service, body: bytes, accept: str, scope: dict[str, Any]) -> tuple[bytes, str]:
    """``/v1/tag``'s answer body and media type: ``tag``'s lines (NDJSON) or ``{"model", "records"}``."""
    parsed = parse_tag_request(body, service.limits)
    note_queries(scope, service.config.log_queries, parsed.queries)
    lines = await service.tag(parsed.queries, parsed.reference, parsed.explain)
    if NDJSON in accept:
        return ("\n".join(lines) + "\n").encode(), NDJSON
    version = json.dumps(service.model.version, ensure_ascii=False)
    return ('{"model": ' + version + ', "records": [' + ", ".join(lines) + "]}").encode(), "application/json"


def note_queries(scope: dict[str, Any], log_queries: bool, texts: list[str], head: str = "") -> None:
    """What the access-log line adds for this request: the number of queries, and their texts if asked."""
    parts = [head] if head else []
    parts.append(f"queries={len(texts)}")
    if log_queries:
        parts.append("texts=" + json.dumps(texts, ensure_ascii=False))
    scope.setdefault("state", {})["log"] = " ".join(parts)


class TagEndpoint:
    """``POST /v1/tag`` as a bare ASGI app (see the module docstring); the middleware routes to it."""

    def __init__(self, service) -> None:
        self.service = service
        self.limit = service.config.max_body_bytes

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        accept = ""
        length = None
        for key, value in scope.get("headers") or ():
            if key == b"accept":
                accept = value.decode("latin-1")
            elif key == b"content-length":
                length = value
        try:
            body = await read_body(receive, length, self.limit)
            payload, media = await tag_reply(self.service, body, accept, scope)
            status, headers = 200, {}
        except Exception as exc:
            reply = error_reply(exc, self.service, "POST", "/v1/tag")
            if reply is None:
                raise  # a bug: the middleware logs one line and answers 500
            status, message, headers = reply
            payload, media = json.dumps({"error": message}).encode(), "application/json"
        head = [(b"content-type", media.encode()), (b"content-length", str(len(payload)).encode())]
        head += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": payload})


async def read_body(receive, length: bytes | None, limit: int) -> bytes:
    """The request body, refusing (413) past ``limit`` bytes without reading the rest."""
    if length is not None and length.isdigit() and int(length) > limit:
        raise RequestError(413, f"the body has {length.decode()} bytes; send at most {limit} (split the batch)")
    body = bytearray()  # a bulk /predict arrives in many chunks: no copy of the whole per chunk
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RequestError(400, "the client went away before sending the whole body")
        body += message.get("body", b"")
        if len(body) > limit:
            raise RequestError(413, f"the body has more than {limit} bytes; send at most {limit} (split the batch)")
        if not message.get("more_body", False):
            return bytes(body)
