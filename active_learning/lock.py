"""The cycle's lock, so that two cycles never run at once (cron overlap, a second terminal).

It is nerloop's one lock (:func:`nerloop.outdir.file_lock`): ``flock`` is released by the
kernel when the holder dies, so a cycle killed with ``-9`` never leaves a stale lock
behind; the next run simply takes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from active_learning.errors import CycleLocked
from nerloop.outdir import file_lock


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` exclusively for the block, or raise :class:`CycleLocked` at once (never wait)."""

    def busy(holder: str) -> CycleLocked:
        return CycleLocked(
            f"another nerloop cycle is running (lock {path} held by {holder}); this one exits without changes"
        )

    with file_lock(Path(path), busy):
        yield
