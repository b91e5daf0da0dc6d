"""``nerloop demo``: generate → train → ingest a sample log → score → annotate → retrain, on the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from nerloop.cli.common import GazetteerOpt, ReferenceDateOpt
from nerloop.cli.output import stderr, stdout, user_errors


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Demo directory: data, models, store, report.")] = Path(
        "nerloop-demo"
    ),
    label_studio: Annotated[
        Optional[str],
        typer.Option(
            "--label-studio",
            envvar="NERLOOP_LS_URL",
            help="Push the batch to this Label Studio (token: NERLOOP_LS_TOKEN) instead of simulating annotators.",
        ),
    ] = None,
    project: Annotated[str, typer.Option(help="Label Studio project title.")] = "nerloop-demo",
    n: Annotated[int, typer.Option("-n", help="Synthetic training queries to generate.")] = 3000,
    labelled_pool: Annotated[
        int, typer.Option(help="Held-out labelled queries the simulated annotators answer from.")
    ] = 600,
    test_size: Annotated[int, typer.Option(help="Held-out, log-like test queries for before/after.")] = 300,
    batch_size: Annotated[int, typer.Option(help="Queries sent to annotators.")] = 80,
    strategy: Annotated[str, typer.Option(help="Selection strategy (see nerloop al select --help).")] = "mnlp",
    steps: Annotated[int, typer.Option(help="Training steps per model (0: the trainer's default epochs).")] = 300,
    gazetteer: GazetteerOpt = None,
    reference_date: ReferenceDateOpt = None,
) -> None:
    """The whole loop on the embedded defaults (SQLite in the demo directory, the Shandong gazetteer, a
    tiny tagger on CPU): generate → train → ingest the shipped sample log → score → simulate an
    annotation round → retrain, then the before/after metrics and where every output is."""
    from active_learning.config import CycleConfig
    from active_learning.demo import DemoConfig, run_demo
    from active_learning.deps import default_deps, default_ingest
    from gazetteers import load_gazetteer
    from nerloop.config import parse_reference_date
    from nerloop.outdir import output_lock
    from nerloop.store import open_store

    with user_errors(), output_lock(out):
        config = DemoConfig(
            out_dir=out,
            n=n,
            labelled_pool=labelled_pool,
            test_size=test_size,
            batch_size=batch_size,
            strategy=strategy,
            train_steps=steps,
            label_studio_url=label_studio or "",
            project=project,
            reference_date=parse_reference_date(reference_date),
        )
        gaz = load_gazetteer(gazetteer)
        engine = open_store(f"sqlite:///{(out / 'nerloop.db').resolve()}")
        deps = default_deps(CycleConfig(label_studio_url=config.label_studio_url, project=project), gaz)
        report = run_demo(engine, gaz, config, deps, default_ingest, progress=stderr.print)
        _print_report(report)


def _print_report(report: dict) -> None:
    rounds = report["rounds"]
    first = rounds[0]["figures"]
    stdout.print(f"round 1: scored {first['scored']} queries, pushed {first['pushed']} to annotators")
    if len(rounds) > 1:
        second = rounds[1]["figures"]
        stdout.print(
            f"round 2: {second['new_labels']} labels came back, retrained {second['challenger']}, "
            f"promoted: {second['promoted']}"
        )
    before_after = report.get("before_after")
    if before_after:
        table = Table(title="entity F1 before and after one annotation round")
        for column in ("", "model", "held-out log-like queries", "synthetic test"):
            table.add_column(column)
        for label, row in before_after.items():
            table.add_row(
                label,
                row["model"],
                *(f"{row[k]:.3f}" if row[k] is not None else "n/a" for k in ("heldout_logs_f1", "synthetic_test_f1")),
            )
        stdout.print(table)
    else:
        stdout.print("annotate the pushed tasks in Label Studio, then run nerloop cycle to pull and retrain")
    for name, path in report["paths"].items():
        stdout.print(f"{name:>16}: {path}")
