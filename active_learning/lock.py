"""An OS file lock so that two cycles never run at once (cron overlap, a second terminal).

``flock`` is released by the kernel when the holder dies, so a cycle killed with ``-9``
never leaves a stale lock behind; the next run simply takes it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from active_learning.errors import CycleLocked


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` exclusively for the block, or raise :class:`CycleLocked` at once (never wait)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise CycleLocked(
                f"another nerloop cycle is running (lock {path} held by {holder}); this one exits without changes"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
