"""One pure-ASGI layer around every request: authentication, one access-log line, request metrics.

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task and body copy per request, which
shows at thousands of single-query requests a second. Query texts reach the log only when the
handler put them in ``scope["state"]["log"]`` (``--log-queries``); the token never does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any

from inference.serving.auth import OPEN_PATHS, authorized
from inference.serving.metrics import Metrics

access = logging.getLogger("nerloop.serve.access")
log = logging.getLogger("nerloop.serve")
UNAUTHORIZED = "missing or wrong credentials: send Authorization: Bearer <NERLOOP_SERVE_TOKEN>, or basic auth with it as the password"

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]


class ServeMiddleware:
    """Auth (``token``), then the app (or a ``direct`` endpoint); afterwards one log line and the metrics, by known route."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        token: str | None,
        routes: Collection[str],
        direct: Mapping[tuple[str, str], ASGIApp] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.token = token
        self.routes = frozenset(routes)
        self.direct = dict(direct or {})  # (method, path) served by a bare ASGI app instead of the router

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        status = 0
        scope.setdefault("state", {})

        async def send_wrapper(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            if self.token and path not in OPEN_PATHS and not authorized(_header(scope, b"authorization"), self.token):
                await _reply(send_wrapper, 401, UNAUTHORIZED, [(b"www-authenticate", b'Basic realm="nerloop"')])
            else:
                app = self.direct.get((scope.get("method", ""), path), self.app)
                await app(scope, receive, send_wrapper)
        except Exception as exc:  # a bug: one line in the log, a JSON 500 to the client, no traceback either side
            log.error("%s %s failed: %s: %s", scope.get("method"), path, type(exc).__name__, " ".join(str(exc).split()))
            if not status:
                await _reply(send_wrapper, 500, f"internal error ({type(exc).__name__}); see the server log", [])
        finally:
            status = status or 500
            seconds = time.perf_counter() - started
            route = path if path in self.routes else "other"
            self.metrics.observe_request(route, status, seconds)
            client = scope.get("client") or ("-", 0)
            extra = scope["state"].get("log")
            access.info(
                '%s "%s %s" %d %.1fms%s',
                client[0],
                scope.get("method", "-"),
                path,
                status,
                seconds * 1000,
                f" {extra}" if extra else "",
            )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _reply(send: Callable, status: int, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": message}).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
