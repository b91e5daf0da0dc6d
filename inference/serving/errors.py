"""Exceptions of the server; :mod:`inference.serving.app` maps each to one HTTP status and a JSON body."""

from __future__ import annotations

from nerloop.errors import NerloopError


class ServeError(NerloopError):
    """A server that cannot start: no champion to serve, a bad setting."""


class RequestError(ServeError):
    """A request the client must change: ``status`` (400, 401, 413, 422) and a message saying what to change."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Overloaded(ServeError):
    """The queue is full (``--max-queue``): answered 503 with ``Retry-After``."""

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotReady(ServeError):
    """No model loaded yet (still loading and warming up): answered 503 with ``Retry-After``."""


class ProtocolError(RequestError):
    """A Label Studio request we cannot answer: a labeling config without span labels on a text, a task without text."""

    def __init__(self, message: str) -> None:
        super().__init__(422, message)
