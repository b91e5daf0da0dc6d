"""``nerloop cycle``: one resumable active-learning round, or one every DURATION."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from nerloop.cli.common import DbOpt, GazetteerOpt
from nerloop.cli.output import stderr, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from active_learning.config import CycleConfig
    from active_learning.deps import CycleDeps


def cycle(
    config: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="Cycle settings (YAML); flags below override it.")
    ] = None,
    synthetic: Annotated[
        Optional[str], typer.Option(help="Synthetic training data: a generate output dir or a JSONL file.")
    ] = None,
    min_new_labels: Annotated[
        Optional[int], typer.Option(help="Retrain only with at least this many new human labels (default 50).")
    ] = None,
    finetune: Annotated[
        Optional[str], typer.Option(help="lora (adapter on the champion) or full (retrain from --base).")
    ] = None,
    strategy: Annotated[Optional[str], typer.Option(help="Strategy for the next batch (default mnlp).")] = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Queries pushed per round (default 50).")] = None,
    models_dir: Annotated[
        Optional[str], typer.Option(help="Where challengers are trained and the lock file lives (default models).")
    ] = None,
    label_studio: Annotated[
        Optional[str],
        typer.Option("--label-studio", envvar="NERLOOP_LS_URL", help="Label Studio URL (token: NERLOOP_LS_TOKEN)."),
    ] = None,
    project: Annotated[Optional[str], typer.Option(help="Label Studio project title (default nerloop).")] = None,
    export_dir: Annotated[
        Optional[str], typer.Option(help="Air-gapped annotation: push batches to / pull exports from this directory.")
    ] = None,
    reference_date: Annotated[
        Optional[str], typer.Option(help="YYYY-MM-DD relative dates refer to; default: today.")
    ] = None,
    every: Annotated[
        Optional[str], typer.Option(help="Loop: one round every DURATION (30m, 2h, 1d); default: one round and exit.")
    ] = None,
    gazetteer: GazetteerOpt = None,
    db: DbOpt = None,
) -> None:
    """pull → retrain (≥ N new labels) → evaluate challenger vs champion → promote if not worse → score new
    logs → push the next batch. Cron-friendly: a killed round resumes where it stopped; a second cycle
    while one runs exits with a message. Prints each round's figures as JSON."""
    from active_learning.config import load_cycle_config
    from active_learning.cycle import parse_duration
    from active_learning.deps import default_deps
    from gazetteers import load_gazetteer
    from nerloop.store import open_store

    with user_errors():
        settings = load_cycle_config(
            config,
            synthetic=synthetic,
            min_new_labels=min_new_labels,
            finetune=finetune,
            strategy=strategy,
            batch_size=batch_size,
            models_dir=models_dir,
            label_studio_url=label_studio,
            project=project,
            export_dir=export_dir,
            reference_date=reference_date,
        )
        interval = parse_duration(every) if every else None
        engine = open_store(db)
        gaz = load_gazetteer(gazetteer)
        _rounds(engine, settings, default_deps(settings, gaz), gaz.domain.hierarchy, interval)


def _rounds(
    engine: Engine, settings: CycleConfig, deps: CycleDeps, hierarchy: Sequence[str], interval: float | None
) -> None:
    """One round, or one every ``interval`` seconds, each printed as JSON; in a loop, a round that finds
    another cycle running is skipped with a message instead of ending the loop."""
    from active_learning.cycle import run_cycle
    from active_learning.errors import CycleLocked
    from nerloop.config import parse_reference_date

    while True:
        reference = parse_reference_date(settings.reference_date or None)
        try:
            report = run_cycle(
                engine,
                settings,
                deps,
                hierarchy=hierarchy,
                reference=reference,
                after_step=lambda name, figures: stderr.print(f"{name}: done in {figures['seconds']:.1f} s"),
            )
            print(json.dumps(report.to_dict(), ensure_ascii=False, default=str), flush=True)
        except CycleLocked as exc:
            if interval is None:
                raise
            stderr.print(f"skipped: {exc}")
        if interval is None:
            return
        time.sleep(interval)
