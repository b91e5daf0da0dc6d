"""Atomic file writes: a reader sees the old file or the new one, never half of either.

The content goes to a hidden temporary file beside the target (the same file system, so
the final ``os.replace`` is one atomic rename), is flushed to disk, and only then takes
the target's name. A write that fails or is interrupted removes its temporary file and
leaves the target as it was. Whole output directories are written as transactions
instead (:mod:`nerloop.outdir`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any


def temporary_path(path: Path) -> Path:
    """The hidden name a write to ``path`` goes to first (per process, so two writers never share one)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_open(
    path: Path, mode: str = "w", *, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open ``path`` for writing (``"w"`` or ``"wb"``); it gets its name only when the block ends cleanly.

    Raises:
        ValueError: a mode that reads or appends (nothing to replace atomically).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode 'w' or 'wb', not {mode!r}")
    path = Path(path)
    tmp = temporary_path(path)
    text = {"encoding": encoding, "newline": newline} if mode == "w" else {}
    try:
        with open(tmp, mode, **text) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, "w", encoding=encoding) as stream:
        stream.write(text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, "wb") as stream:
        stream.write(data)
