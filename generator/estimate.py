"""How much disk a run will take, estimated from a small sample before anything is written.

``-n 1000000000`` used to run until the disk filled. A couple of hundred samples,
serialized as every asked format would write them, give bytes per sample; a run
whose estimate does not fit in the free space of its output directory is refused
before it starts (``--force`` runs it anyway).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from nerloop.domain import Domain
from nerloop.errors import DiskSpaceError
from nerloop.export import EXPORTERS
from nerloop.records import TaggedQuery

SAMPLE_SIZE = 200
# Arrow files plus parquet, relative to the JSON Lines bytes (measured on the default grammar: ~1.3)
HF_FACTOR = 1.5
# room left for the store, logs and the file system's own blocks
MARGIN_BYTES = 16 << 20


def human_bytes(n: float) -> str:
    """``1.2 GB`` style, for messages."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def estimate_bytes(sample: Sequence[TaggedQuery], n: int, exports: Sequence[str], domain: Domain) -> int:
    """Bytes ``n`` samples like ``sample`` take as JSON Lines plus each of ``exports``."""
    if not sample:
        return 0
    jsonl = sum(len(r.to_json().encode()) + 1 for r in sample)
    total = jsonl
    with tempfile.TemporaryDirectory(prefix="nerloop-estimate-") as scratch:
        for name in sorted(set(exports) - {"jsonl"}):
            if name == "hf":
                total += int(jsonl * HF_FACTOR)
                continue
            for path in EXPORTERS[name]("estimate", sample, Path(scratch), domain):
                if "estimate" in path.name:  # not the shared dataset_info.json, written once per run
                    total += path.stat().st_size
    return math.ceil(total * n / len(sample))


def check_free_space(out_dir: Path, estimate: int) -> None:
    """Refuse a run whose estimated output does not fit in the free space of ``out_dir``.

    Raises:
        DiskSpaceError: with the estimate and the free space in the message.
    """
    free = shutil.disk_usage(out_dir).free
    if estimate + MARGIN_BYTES > free:
        raise DiskSpaceError(
            f"generate would write about {human_bytes(estimate)} to {out_dir} but only {human_bytes(free)} "
            "are free there; free some space, lower -n, or pass --force to try anyway"
        )
