"""Run the app on uvicorn: bind first (a busy port is a one-line error), SIGTERM drains, then exit.

uvicorn handles SIGTERM and SIGINT: it stops accepting, lets requests in flight finish (up to
``graceful_s``), then runs the app's lifespan shutdown, which finishes every queued batch. An
accepted request is therefore answered, not dropped.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable

from inference.serving.app import create_app
from inference.serving.errors import ServeError
from inference.serving.service import Service

log = logging.getLogger("nerloop.serve")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: any free port). Raises :class:`ServeError` when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(service: Service, on_listening: Callable[[str], None] | None = None) -> None:
    """Serve until SIGTERM/SIGINT; ``on_listening`` is told the URL once the socket is bound."""
    import uvicorn

    config = service.config
    sock = bind(config.host, config.port)
    host, port = sock.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(service),
            log_level="warning",
            access_log=False,  # ours is one line per request with the route's own details
            lifespan="on",
            timeout_graceful_shutdown=config.graceful_s,
            server_header=False,
            proxy_headers=False,  # bound to loopback or behind our own proxy: no X-Forwarded-* rewriting per request
        )
    )
    if on_listening is not None:
        on_listening(url)
    # uvicorn re-raises the signal it caught once it has drained, with the handler it found in place:
    # a no-op one makes a SIGTERM'd server return here and exit 0 after its graceful shutdown
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        server.run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        service.close()
    log.info("stopped")
