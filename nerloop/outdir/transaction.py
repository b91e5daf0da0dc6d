"""Write a run's files into a staging area and move them into place only when all are complete.

Everything is written under ``OUT/.nerloop-staging/``, on the same file system as its
final place, so moving a finished file there is one atomic ``rename``. The commit
first removes the previous manifest (from then on the directory claims nothing),
then removes the files of the previous run that this run does not write, renames the
staged files into place and writes the manifest last. Whatever moment a run is
killed at, every file under a final name is complete, and a directory with a
manifest holds exactly the files the manifest lists (``nerloop generate --verify``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
STAGING = ".nerloop-staging"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileEntry:
    """One file of a finished run, as the manifest lists it.

    Args:
        path: relative to the output directory, ``/``-separated.
        bytes: size.
        lines: number of ``\\n`` bytes (records in a JSON Lines file).
        sha256: hex digest of the content.
    """

    path: str
    bytes: int
    lines: int
    sha256: str

    @classmethod
    def of(cls, path: Path, relative: str) -> FileEntry:
        digest, lines, size = hashlib.sha256(), 0, 0
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                lines += chunk.count(b"\n")
                size += len(chunk)
        return cls(relative, size, lines, digest.hexdigest())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class OutputTransaction:
    """One run's writes into ``out_dir``; use while holding :func:`nerloop.outdir.output_lock`.

    Args:
        out_dir: the final directory.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.staging = self.out_dir / STAGING

    def begin(self) -> Path:
        """A fresh, empty staging directory (what a killed run left there is dropped)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir()
        return self.staging

    def abort(self) -> None:
        """Drop the staged files; the previous run's files stay as they were."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def final_path(self, staged: Path) -> Path:
        """Where a staged file will live after the commit."""
        return self.out_dir / Path(staged).relative_to(self.staging)

    def _staged_entries(self) -> list[FileEntry]:
        entries = []
        for path in sorted(p for p in self.staging.rglob("*") if p.is_file()):
            with path.open("rb") as stream:
                os.fsync(stream.fileno())
            entries.append(FileEntry.of(path, path.relative_to(self.staging).as_posix()))
        return entries

    def _previous_names(self) -> set[str]:  # never trust a manifest to name something outside out_dir
        """Top-level names the previous manifest lists (its run's files)."""
        try:
            files = json.loads((self.out_dir / MANIFEST).read_text("utf-8")).get("files") or []
        except (OSError, ValueError, AttributeError):
            return set()
        names = {f["path"].split("/")[0] for f in files if isinstance(f, dict) and isinstance(f.get("path"), str)}
        return {name for name in names if is_plain_name(name)}

    def commit(self, manifest: dict[str, Any], stale_names: Iterable[str] = ()) -> list[FileEntry]:
        """Move the staged files into place, remove the previous run's other files, write the manifest last.

        Args:
            manifest: written as ``manifest.json`` with ``files`` (every file, its line count and
                sha256) added.
            stale_names: top-level names an earlier run may have written (exports not asked
                for this time); removed unless this run wrote them too.

        Returns:
            The entries of every file written, as listed in the manifest.
        """
        entries = self._staged_entries()
        fresh = {p.name for p in self.staging.iterdir()}
        stale = (self._previous_names() | set(stale_names)) - fresh - {MANIFEST, STAGING}
        (self.out_dir / MANIFEST).unlink(missing_ok=True)
        _fsync_dir(self.out_dir)
        for name in sorted(stale):
            _remove(self.out_dir / name)
        for staged in sorted(self.staging.iterdir()):
            target = self.out_dir / staged.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(staged, target)
        staged_manifest = self.staging / MANIFEST
        with staged_manifest.open("w", encoding="utf-8") as stream:
            json.dump({**manifest, "files": [asdict(e) for e in entries]}, stream, ensure_ascii=False, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(staged_manifest, self.out_dir / MANIFEST)
        self.staging.rmdir()
        _fsync_dir(self.out_dir)
        return entries


def is_plain_name(name: str) -> bool:
    """A single path part inside a directory: not empty, ``.``, ``..``, absolute or nested.

    A manifest is read back from disk (another tool, a hand edit); only such names may be removed.
    """
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and name == name.strip()
