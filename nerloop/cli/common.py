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
