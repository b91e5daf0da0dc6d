"""``nerloop logs ingest``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from nerloop.cli.common import DbOpt
from nerloop.cli.output import stderr, stdout, user_errors

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from active_learning.ingest import IngestConfig, IngestReport

app = typer.Typer(help="Bring real query logs into the store.", no_args_is_help=True, rich_markup_mode="markdown")


@app.command()
def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="Log files: plain text (one query per line), CSV/TSV or JSON Lines.")
    ],
    format: Annotated[
        str,
        typer.Option(
            "--format", help="auto (by suffix: .csv, .tsv, .jsonl/.ndjson/.json, else text), text, csv, tsv or jsonl."
        ),
    ] = "auto",
    column: Annotated[
        Optional[str],
        typer.Option(
            "--column",
            help="CSV/TSV column with the query: header name or 0-based index; default: text/query/question, else the first.",
        ),
    ] = None,
    delimiter: Annotated[
        Optional[str],
        typer.Option("--delimiter", help="CSV delimiter (one character); default , for csv and tab for tsv."),
    ] = None,
    field: Annotated[str, typer.Option("--field", help="JSON Lines field with the query.")] = "text",
    time_column: Annotated[
        Optional[str],
        typer.Option(
            "--time-column",
            help="CSV column or JSON field with the query's timestamp (ISO 8601 or epoch seconds); default: the file's modification time.",
        ),
    ] = None,
    near_duplicate_threshold: Annotated[
        float,
        typer.Option(
            "--near-duplicate-threshold",
            help="rapidfuzz ratio (0-100) from which a query is marked a near duplicate of an earlier one; 100 turns it off.",
        ),
    ] = 92.0,
    near_duplicate_history: Annotated[
        int,
        typer.Option(
            "--near-duplicate-history",
            help="Most recently stored queries a near duplicate is also looked for among (earlier runs); 0: this run only.",
        ),
    ] = 50_000,
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Ingest query logs: normalize (width folding, whitespace), drop exact duplicates, mark near duplicates.

    Any encoding the gazetteer loader reads (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK).
    Each query is stored once with its source file, line and timestamp; ingesting the same file
    again adds nothing. Example:

        nerloop logs ingest queries.csv --column 问题 --time-column 时间
    """
    from active_learning.ingest import IngestConfig, LogFormat
    from active_learning.ingest.errors import IngestError
    from nerloop.store import open_store

    with user_errors():
        try:
            layout = LogFormat(format)
        except ValueError:
            raise IngestError(f"--format {format!r}: choose auto, text, csv, tsv or jsonl") from None
        config = IngestConfig(
            format=layout,
            column=column,
            delimiter=delimiter,
            field=field,
            time_column=time_column,
            near_duplicate_threshold=near_duplicate_threshold,
            near_duplicate_history=near_duplicate_history,
        )
        engine = open_store(db)
        report = _ingest_with_progress(engine, files, config)
        _print_report(report, as_json)


def _ingest_with_progress(engine: Engine, files: list[Path], config: IngestConfig) -> IngestReport:
    """``ingest_logs`` with a progress bar per file, by bytes read."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from active_learning.ingest import ingest_logs

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=stderr, transient=True) as bar:

        def progress_for(path: Path):
            task = bar.add_task(path.name, total=path.stat().st_size if path.is_file() else None)
            return lambda done, total: bar.update(task, completed=done, total=total)

        return ingest_logs(engine, files, config, progress=progress_for)


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        stdout.print(
            f"{report.lines} lines from {len(report.files)} file(s): {report.added} new queries "
            f"({report.near_duplicates} marked near duplicates), {report.duplicates} exact duplicates skipped, "
            f"{report.empty} empty"
        )
