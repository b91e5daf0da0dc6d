"""nerloop's one lock: an OS lock on an output directory, so two writers never interleave.

``fcntl.flock`` on a lock file inside the directory (beside it for a directory that must not
exist until it is complete, :func:`sibling_lock`): the kernel releases it when the holder
exits for any reason (kill -9 included), so a crashed run never leaves a lock that has to be
removed by hand. The holder writes its pid and start time into the file for the message a
second writer gets. Every command that writes a directory takes one; the cycle's lock is
the same :func:`file_lock`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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


def busy_error(out_dir: Path, holder: str) -> OutputBusy:
    """The one message a writer gets when another process holds ``out_dir``."""
    return OutputBusy(f"{out_dir} is being written by {holder}; wait for that run to finish or stop it")


def _open_locked(path: Path, busy: Callable[[str], Exception]) -> int:
    """A descriptor of ``path`` holding its exclusive lock; retried when the holder removed the file meanwhile."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise busy(holder) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # we locked a file its holder had just removed: take the new one


@contextmanager
def file_lock(path: Path, busy: Callable[[str], Exception] | None = None, *, remove: bool = False) -> Iterator[None]:
    """Hold the exclusive lock on the file ``path`` (created if missing) for the duration of the block.

    Every lock in nerloop is this one: ``fcntl.flock``, never waiting, with the holder's pid and
    start time in the file for the message the next process gets.

    Args:
        path: the lock file; its directory is created if missing.
        busy: makes the exception to raise from the holder's description (``pid N (started …)``);
            by default :class:`OutputBusy` naming ``path``.
        remove: delete the lock file when the block ends (a lock beside the output rather than
            inside it, which would otherwise stay behind).

    Raises:
        OutputBusy: (or what ``busy`` makes) at once when another process holds the lock.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _open_locked(path, busy or (lambda holder: busy_error(path, holder)))
    try:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started": started}).encode(), 0)
        yield
    finally:
        if remove:
            path.unlink(missing_ok=True)  # before the release, so no one locks a file that is going away
        os.close(fd)  # releases the lock


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the exclusive lock on ``out_dir`` (created if missing) for the duration of the block.

    Raises:
        OutputBusy: at once, naming the holder's pid and start time, when another process holds it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with file_lock(out_dir / LOCK_FILE, lambda holder: busy_error(out_dir, holder)):
        yield


def sibling_lock(out_dir: Path) -> AbstractContextManager[None]:
    """Hold the lock of an output directory that must not exist until it is complete (``train --out``).

    The lock file ``.NAME.lock`` sits beside ``out_dir`` and is removed when the block ends;
    the message names ``out_dir`` as :func:`output_lock`'s does.
    """
    out_dir = Path(out_dir)
    return file_lock(out_dir.parent / f".{out_dir.name}.lock", lambda holder: busy_error(out_dir, holder), remove=True)
