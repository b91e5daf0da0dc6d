"""Tell a complete output directory from a broken one (``nerloop generate --verify``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nerloop.errors import DatasetBroken
from nerloop.outdir.lock import holder_if_locked
from nerloop.outdir.transaction import MANIFEST, FileEntry


def verify_output(out_dir: Path) -> dict[str, Any]:
    """Check every file the manifest lists: present, same size, line count and sha256.

    Returns:
        The manifest.

    Raises:
        DatasetBroken: naming the first file that is missing or differs, or saying that no
            run finished (no manifest) or that a run is writing the directory now.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise DatasetBroken(f"{out_dir}: no such directory")
    holder = holder_if_locked(out_dir)
    if holder is not None:
        raise DatasetBroken(f"{out_dir} is being written by {holder}; verify it after that run ends")
    manifest_path = out_dir / MANIFEST
    if not manifest_path.is_file():
        raise DatasetBroken(f"{manifest_path}: missing; the last run into {out_dir} did not finish — run it again")
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetBroken(f"{manifest_path}: not a valid manifest ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise DatasetBroken(f"{manifest_path}: lists no file hashes (written by an older nerloop); generate again")
    for listed in files:
        try:
            expected = FileEntry(**listed)
        except TypeError:
            raise DatasetBroken(f"{manifest_path}: malformed file entry {listed!r}") from None
        path = out_dir / expected.path
        if ".." in Path(expected.path).parts or not path.is_file():
            raise DatasetBroken(f"{path}: listed in the manifest but missing")
        actual = FileEntry.of(path, expected.path)
        for field in ("bytes", "lines", "sha256"):
            if getattr(actual, field) != getattr(expected, field):
                raise DatasetBroken(
                    f"{path}: {field} {getattr(actual, field)}, the manifest says {getattr(expected, field)}"
                )
    return manifest
