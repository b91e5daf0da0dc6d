"""``nerloop al push`` and ``nerloop al pull``: the Label Studio edge of active learning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from nerloop.cli.common import DbOpt
from nerloop.cli.output import stderr, stdout, user_errors

UrlOpt = Annotated[
    Optional[str], typer.Option("--url", help="Label Studio URL, e.g. http://127.0.0.1:8080; default: $NERLOOP_LS_URL.")
]
TokenOpt = Annotated[
    Optional[str],
    typer.Option(
        "--token",
        help="Label Studio API token (legacy or personal access token); default: $NERLOOP_LS_TOKEN. Never printed.",
        show_default=False,
    ),
]
ProjectOpt = Annotated[
    str,
    typer.Option(
        "--project", help="Project title (3+ characters; created on first push with a config from domain.yaml) or id."
    ),
]
GazetteerDomainOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--gazetteer", "-g", help="Gazetteer directory whose domain.yaml gives the labels; default: the default domain."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


def _domain(gazetteer: Path | None):
    from nerloop.domain import domain_for_directory, load_domain

    return domain_for_directory(gazetteer) if gazetteer else load_domain()


def push(
    from_records: Annotated[
        Path,
        typer.Option(
            "--from-records",
            help="Queries to push: records (JSON Lines) from `nerloop tag` or `al select`, with mentions as pre-annotations.",
        ),
    ],
    url: UrlOpt = None,
    token: TokenOpt = None,
    project: ProjectOpt = "nerloop",
    to_file: Annotated[
        Optional[Path],
        typer.Option(
            "--to-file", help="Write a Label Studio JSON import file instead (air-gapped annotation); no server needed."
        ),
    ] = None,
    model_version: Annotated[
        Optional[str],
        typer.Option(
            "--model-version", help="Model version of the pre-annotations; default: each record's 'model' field."
        ),
    ] = None,
    gazetteer: GazetteerDomainOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Push queries to Label Studio with pre-annotations, the most useful first; never the same query twice.

    Each task carries the query's text hash (`nerloop_key`) and `uncertainty` in its data (sort by
    it in the Data Manager); predictions carry `model_version` (also set as the project's, so the
    score column shows) and `score`. The server is asked which hashes it already holds before
    anything is imported. Example:

        nerloop tag --matcher logs.txt > tagged.jsonl
        NERLOOP_LS_URL=http://127.0.0.1:8080 NERLOOP_LS_TOKEN=… nerloop al push --from-records tagged.jsonl
    """
    from active_learning.label_studio import LabelStudioTarget, push_batch
    from active_learning.label_studio.push import items_from_records
    from nerloop.export import read_jsonl
    from nerloop.store import open_store

    with user_errors():
        engine = open_store(db)
        items = items_from_records(engine, read_jsonl(from_records), model_version)
        target = to_file or LabelStudioTarget.from_options(url, token, project, _domain(gazetteer))
        report = push_batch(engine, items, target)
        if as_json:
            print(json.dumps(report.to_dict(), ensure_ascii=False))
            return
        where = report.file or f"project {report.project!r} (id {report.project_id})"
        stdout.print(
            f"{report.imported} task(s) pushed to {where}; {report.already_pushed} pushed before, "
            f"{report.already_on_server} found on the server and recorded"
        )


def pull(
    url: UrlOpt = None,
    token: TokenOpt = None,
    project: ProjectOpt = "nerloop",
    from_file: Annotated[
        Optional[Path],
        typer.Option(
            "--from-file", help="Read a Label Studio JSON export instead of asking a server (air-gapped annotation)."
        ),
    ] = None,
    gazetteer: GazetteerDomainOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pull submitted annotations back as gold records (latest annotation per task; run it as often as you like).

    Skipped tasks are marked skipped, tasks deleted in Label Studio are marked deleted, and an
    annotation whose spans do not select their text is reported here and not stored.
    """
    from active_learning.label_studio import LabelStudioTarget, pull_annotations
    from active_learning.label_studio.pull import pull_from_file
    from nerloop.store import open_store

    with user_errors():
        engine = open_store(db)
        domain = _domain(gazetteer)
        if from_file is not None:
            report = pull_from_file(engine, from_file, list(domain.types))
        else:
            report = pull_annotations(engine, LabelStudioTarget.from_options(url, token, project, domain))
        for problem in report.problems:
            stderr.print(f"warning: not stored: {problem}")
        if as_json:
            print(json.dumps(report.to_dict(), ensure_ascii=False))
            return
        stdout.print(
            f"{report.added} new gold record(s), {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.skipped} skipped task(s), {report.deleted} deleted task(s), {len(report.problems)} problem(s)"
        )
