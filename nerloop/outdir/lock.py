"""An OS lock on an output directory, so two writers never interleave.

``fcntl.flock`` on a lock file inside the directory: the kernel releases it when the
holder exits for any reason (kill -9 included), so a crashed run never leaves a lock
that has to be removed by hand. The holder writes its pid and start time into the
file for the message a second writer gets.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nerloop.errors import OutputBusy

LOCK_FILE = ".nerloop.lock"


def _holder(fd: int) -> str:
    """``pid N (started …)`` from the lock file, or a fallback while the holder has not yet written it."""
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"pid {info['pid']} (started {info['started']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


def holder_if_locked(out_dir: Path) -> str | None:
    """Who holds the lock on ``out_dir`` now, or ``None`` when nobody does."""
    path = Path(out_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``out_dir`` (created if missing) for the duration of the block.

    Raises:
        OutputBusy: at once, naming the holder's pid and start time, when another process holds it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusy(
                f"{out_dir} is being written by {_holder(fd)}; wait for that run to finish or stop it"
            ) from None
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started": started}).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
