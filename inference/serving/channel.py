"""Length-prefixed pickle frames over a socket pair: the HTTP process on one end, a model process on the other.

The HTTP end is driven by the event loop (:class:`LoopChannel`: ``add_reader``/``add_writer``
on a non-blocking socket, no thread and no stream objects per message), so a query goes to
the model process the moment its request is parsed and its answer is dispatched the moment
it arrives. The model end is a plain blocking socket (:func:`send_frame`, :func:`FrameReader`).
A frame is a 4-byte big-endian length and a pickle; only our own processes are on either end.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

HEADER = struct.Struct(">I")
READ_SIZE = 1 << 18


def frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def split_frames(buffer: bytearray) -> list[Any]:
    """The complete messages at the front of ``buffer``, removed from it; a partial one stays."""
    messages, at = [], 0
    while len(buffer) - at >= HEADER.size:
        (size,) = HEADER.unpack_from(buffer, at)
        if len(buffer) - at - HEADER.size < size:
            break
        start = at + HEADER.size
        messages.append(pickle.loads(buffer[start : start + size]))
        at = start + size
    del buffer[:at]
    return messages


class FrameReader:
    """Blocking reads of whole messages (the model process's end)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._ready: deque[Any] = deque()

    @property
    def pending(self) -> bool:
        """Whether a whole message has been read already (``recv`` will not block)."""
        return bool(self._ready)

    def recv(self) -> Any:
        """The next message. Raises :class:`EOFError` when the other end has closed."""
        while not self._ready:
            chunk = self._sock.recv(READ_SIZE)
            if not chunk:
                raise EOFError("the channel is closed")
            self._buffer += chunk
            self._ready.extend(split_frames(self._buffer))
        return self._ready.popleft()


class FrameWriter:
    """Blocking writes of whole messages, one at a time (several threads may send)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def send(self, message: Any) -> None:
        data = frame(message)
        with self._lock:
            self._sock.sendall(data)


class LoopChannel:
    """The HTTP process's end, on the running event loop: sends never block, messages arrive as callbacks.

    Args:
        on_message: called on the loop with each message that arrives.
        on_closed: called once on the loop when the other end closes (the process died or stopped).
    """

    def __init__(self, sock: socket.socket, on_message: Callable[[Any], None], on_closed: Callable[[], None]) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._on_message = on_message
        self._on_closed = on_closed
        self._in = bytearray()
        self._out = bytearray()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start reading on ``loop`` (the first use from a request, which runs on it)."""
        if self._loop is None and not self.closed:
            self._loop = loop
            loop.add_reader(self._sock.fileno(), self._readable)

    @property
    def attached(self) -> bool:
        return self._loop is not None

    def send(self, message: Any) -> None:
        """Queue ``message``; written now if the socket takes it, otherwise when it becomes writable."""
        if self.closed:
            raise EOFError("the channel is closed")
        data = frame(message)
        if not self._out:
            try:
                sent = self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._lost()
                raise EOFError("the channel is closed") from None
            if sent == len(data):
                return
            data = data[sent:]
            assert self._loop is not None
            self._loop.add_writer(self._sock.fileno(), self._writable)
        self._out += data

    def close(self) -> None:
        """Stop reading and close the socket (the model process sees end of file and stops)."""
        if self._loop is not None and not self.closed:
            self._loop.remove_reader(self._sock.fileno())
            self._loop.remove_writer(self._sock.fileno())
        self.closed = True
        self._sock.close()

    def _writable(self) -> None:
        try:
            sent = self._sock.send(self._out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._lost()
            return
        del self._out[:sent]
        if not self._out and self._loop is not None:
            self._loop.remove_writer(self._sock.fileno())

    def _readable(self) -> None:
        try:
            chunk = self._sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._lost()
            return
        self._in += chunk
        for message in split_frames(self._in):
            self._on_message(message)

    def _lost(self) -> None:
        if self.closed:
            return
        self.close()
        self._on_closed()
