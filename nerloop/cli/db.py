"""``nerloop db``: where the store stands, upgrading it, recording what a run could not."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nerloop.cli.common import DbOpt
from nerloop.cli.output import stdout, user_errors

app = typer.Typer(
    help="The store (--db / NERLOOP_DB): schema revision, upgrades, recording a data set later.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

_STATES = {
    "up to date": "up to date",
    "empty": "empty: any command (or `nerloop db upgrade`) creates the tables",
    "unversioned": "created by nerloop 0.1 (no revision): upgraded in place when next opened",
    "behind": "behind: upgraded when next opened, or now with `nerloop db upgrade`",
}


@app.command()
def status(db: DbOpt = None) -> None:
    """Print the store URL (password masked), its schema revision and this nerloop's head revision.

    Changes nothing. Exits 1 when the store cannot be reached or was migrated by a newer nerloop.
    """
    from nerloop.store import StoreTooNew, open_store, store_name, with_retry
    from nerloop.store.migrate import store_revision
    from nerloop.store.urls import raw_url

    with user_errors():
        engine = open_store(db, create=False)
        try:
            name, url = store_name(engine), raw_url(engine)
            revision = with_retry(engine, lambda: store_revision(engine))
        finally:
            engine.dispose()
        stdout.print(f"store: {name}")
        stdout.print(f"revision: {revision.current or '-'} (head {revision.head})")
        if revision.state == "newer":
            raise StoreTooNew(f"store {name} was migrated by a newer nerloop: upgrade nerloop", url)
        pending = f" (pending: {', '.join(revision.pending)})" if revision.pending else ""
        stdout.print(f"state: {_STATES[revision.state]}{pending}")


@app.command()
def upgrade(db: DbOpt = None) -> None:
    """Migrate the store to this nerloop's schema, in place, keeping every row.

    Commands do this themselves when it is safe; run it by hand for revisions marked as not
    automatic (they rewrite data: back the store up first), or to upgrade at a time you choose.
    """
    from nerloop.store import open_store, store_name, with_retry
    from nerloop.store.migrate import upgrade_store

    with user_errors():
        engine = open_store(db, create=False)
        try:
            name = store_name(engine)
            before = with_retry(engine, lambda: upgrade_store(engine))
        finally:
            engine.dispose()
        if before.state == "up to date":
            stdout.print(f"{name}: already at {before.head}")
        else:
            stdout.print(f"{name}: {before.current or before.state} → {before.head}")


@app.command("record-dataset")
def record_dataset(
    out_dir: Annotated[Path, typer.Argument(help="A directory written by `nerloop generate` (holds manifest.json).")],
    db: DbOpt = None,
) -> None:
    """Record a generated data set in the store from its manifest.

    For a `generate` run whose store write failed (the store was unreachable): its files are
    complete, only the store row is missing. Recording twice adds a second row.
    """
    from nerloop.store import open_store, record_dataset_from_manifest, store_name

    with user_errors():
        engine = open_store(db)
        try:
            row = record_dataset_from_manifest(engine, out_dir)
            stdout.print(f"recorded {out_dir} as generated data set {row} in {store_name(engine)}")
        finally:
            engine.dispose()
