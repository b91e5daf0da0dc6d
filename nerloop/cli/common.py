"""Options shared by several commands, and the helpers that turn them into library objects."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from nerloop.config import parse_reference_date

GazetteerOpt = Annotated[
    Optional[Path],
    typer.Option("--gazetteer", "-g", help="Gazetteer directory; default: the embedded Shandong gazetteer."),
]
ReferenceDateOpt = Annotated[
    Optional[str],
    typer.Option("--reference-date", help="YYYY-MM-DD that relative dates (本月, 上季度) refer to; default: today."),
]
DbOpt = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        envvar="NERLOOP_DB",
        help="Store URL (SQLAlchemy); default: sqlite:///nerloop.db in the working directory.",
    ),
]


# --engine ray (tag, al score): where the actors run and what each reserves.
RayAddressOpt = Annotated[
    Optional[str],
    typer.Option(
        "--ray-address",
        help="With --engine ray: a running Ray cluster (auto: the one this machine belongs to, or "
        "ray://HEAD:10001); default: a local instance started for this command.",
    ),
]
RayWorkersOpt = Annotated[
    Optional[int],
    typer.Option(
        "--ray-workers",
        min=1,
        help="With --engine ray: actors in the pool, each loading the model once (default: the CPU count).",
    ),
]
RayGpusOpt = Annotated[
    float,
    typer.Option(
        "--ray-gpus-per-worker",
        min=0.0,
        help="With --engine ray: GPUs each actor reserves (1 puts the model on its own GPU; 0.5 shares one by two).",
    ),
]


def reference_for(value: str | None, data_file: Path | None = None) -> dt.date:
    """``--reference-date`` if given; else the one a generated data set was made with; else today."""
    if value is None and data_file is not None:
        manifest = data_file.parent / "manifest.json"
        if manifest.is_file():
            try:
                return dt.date.fromisoformat(json.loads(manifest.read_text("utf-8"))["config"]["reference_date"])
            except (KeyError, TypeError, ValueError):  # not a manifest of ours: fall back to today
                pass
    return parse_reference_date(value)
