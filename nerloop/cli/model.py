"""``nerloop model list|promote|rollback``: the registry of trained versions and its champion."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from nerloop.cli.common import DbOpt
from nerloop.cli.output import stdout, user_errors

app = typer.Typer(
    help="List registered model versions, promote one to champion, roll back to the previous champion.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
BackendOpt = Annotated[
    Optional[str], typer.Option("--backend", help="Only this backend (tagger or generative); default: all.")
]


def _info_dict(info) -> dict:
    return {
        "version": info.version,
        "backend": info.backend,
        "status": info.status,
        "parent": info.parent_version,
        "path": info.path,
        "metrics": info.metrics,
        "created_at": info.created_at.isoformat() if info.created_at else None,
        "promoted_at": info.promoted_at.isoformat() if info.promoted_at else None,
    }


@app.command("list")
def list_(
    db: DbOpt = None,
    backend: BackendOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per version instead of a table.")] = False,
) -> None:
    """Every registered version, oldest first, with its status (champion, candidate, retired, rejected)."""
    from nerloop.store import open_store
    from nerloop.store.registry import list_models

    with user_errors():
        models = list_models(open_store(db), backend)
        if as_json:
            for info in models:
                print(json.dumps(_info_dict(info), ensure_ascii=False))
            return
        table = Table(title=f"{len(models)} model version(s)")
        for column in ("version", "backend", "status", "entity F1", "parent", "created", "path"):
            table.add_column(column)
        for info in models:
            f1 = info.metrics.get("entity_f1")
            table.add_row(
                info.version,
                info.backend,
                f"[bold]{info.status}[/bold]" if info.status == "champion" else info.status,
                f"{f1:.3f}" if isinstance(f1, (int, float)) else "",
                info.parent_version or "",
                info.created_at.strftime("%Y-%m-%d %H:%M") if info.created_at else "",
                info.path,
            )
        stdout.print(table)


@app.command("promote")
def promote(
    version: Annotated[str, typer.Argument(help="The version to make champion (see nerloop model list).")],
    db: DbOpt = None,
) -> None:
    """Make VERSION the champion of its backend; the previous champion is retired (rollback target)."""
    from nerloop.store import open_store
    from nerloop.store.registry import promote as promote_model

    with user_errors():
        info = promote_model(open_store(db), version)
        stdout.print(f"{info.version} is now the {info.backend} champion ({info.path})")


@app.command("rollback")
def rollback(db: DbOpt = None, backend: BackendOpt = None) -> None:
    """Reject the current champion and bring back the most recently retired one."""
    from nerloop.store import open_store
    from nerloop.store.registry import rollback as rollback_model

    with user_errors():
        info = rollback_model(open_store(db), backend)
        stdout.print(f"rolled back: {info.version} is the {info.backend} champion again ({info.path})")
