"""``al pull``: submitted annotations back as gold records, idempotently.

Polling, not webhooks (Label Studio refuses webhooks to 127.0.0.1 by default). Per task
the latest annotation counts; a skipped (cancelled) task is marked ``skipped``; a task
deleted in Label Studio is marked ``deleted``; an annotation whose spans do not select
their text is reported and not stored. Pulling again stores nothing new; an annotation
edited since the last pull replaces its gold record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from active_learning.label_studio.api import LabelStudioApi
from active_learning.label_studio.config import FILE_PROJECT, LabelStudioTarget
from active_learning.label_studio.convert import AnnotatedTask, export_tasks, task_to_annotated
from active_learning.label_studio.errors import AuthenticationFailed, ExportFormatError, ProjectNotFound
from nerloop.convert.errors import ConvertError
from nerloop.domain import load_domain
from nerloop.records import SpanError, TaggedQuery
from nerloop.store.engine import session_scope
from nerloop.store.models import GoldLabel, LabelTask

FILE_SOURCE = "label-studio-file"


@dataclass
class PullReport:
    """What a pull found: ``added``/``updated`` gold records, skipped and deleted tasks, problems."""

    source: str
    annotated_tasks: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    deleted: int = 0
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _annotated(tasks: Iterable[dict[str, Any]], labels: Sequence[str], report: PullReport) -> list[AnnotatedTask]:
    found = []
    for task in tasks:
        try:
            annotated = task_to_annotated(task, labels)
        except (ConvertError, SpanError) as exc:
            report.problems.append(f"task {task.get('id')}: {exc}")
            continue
        if annotated is not None:
            found.append(annotated)
    report.annotated_tasks = len(found)
    return found


def _store(
    engine: Engine,
    project: str,
    source: str,
    annotated: Sequence[AnnotatedTask],
    users: dict[int, str],
    report: PullReport,
    annotation_key: Callable[[AnnotatedTask], str] = lambda a: a.annotation_id,
) -> None:
    with session_scope(engine) as session:
        tasks = {row.text_hash: row for row in session.scalars(select(LabelTask).where(LabelTask.project == project))}
        golds = {row.annotation_id: row for row in session.scalars(select(GoldLabel).where(GoldLabel.source == source))}
        for a in annotated:
            task = tasks.get(a.text_hash)
            if task is not None:
                task.status = "skipped" if a.skipped else "annotated"
                task.ls_task_id = task.ls_task_id or a.task_id
            if a.skipped:
                report.skipped += 1
                continue
            annotator = users.get(a.annotator, str(a.annotator)) if isinstance(a.annotator, int) else a.annotator
            record = a.record.to_dict()
            gold = golds.get(annotation_key(a))
            if gold is None:
                session.add(
                    GoldLabel(
                        text_hash=a.text_hash,
                        record=record,
                        source=source,
                        annotation_id=annotation_key(a),
                        ls_task_id=a.task_id,
                        annotator=str(annotator or ""),
                        annotated_at=a.annotated_at,
                    )
                )
                report.added += 1
            elif gold.record != record:
                gold.record, gold.annotated_at = record, a.annotated_at
                report.updated += 1
            else:
                report.unchanged += 1


def _mark_deleted(engine: Engine, project: str, live_ids: set[int], report: PullReport) -> None:
    with session_scope(engine) as session:
        for row in session.scalars(
            select(LabelTask).where(LabelTask.project == project, LabelTask.ls_task_id.is_not(None))
        ):
            if row.ls_task_id not in live_ids and row.status != "deleted":
                row.status = "deleted"
                report.deleted += 1


def pull_from_label_studio(engine: Engine, target: LabelStudioTarget) -> PullReport:
    """Fetch every annotated task of the project (paginated) and store its latest annotation.

    Raises:
        LabelStudioError: server down, token refused, project missing.
    """
    api = LabelStudioApi(target)
    if target.project_id is not None:
        project = api.get_project(target.project_id)
    else:
        project = api.find_project(target.project)
        if project is None:
            raise ProjectNotFound(f"no project titled {target.project!r} on Label Studio at {target.url}; push first")
    labels = list((target.domain or load_domain()).types)
    report = PullReport(source=f"label-studio:{project.title}")
    live = api.task_ids(project.id)
    annotated = _annotated(api.annotated_tasks(project.id), labels, report)
    users: dict[int, str] = {}
    if any(isinstance(a.annotator, int) for a in annotated):
        try:
            users = api.users()
        except AuthenticationFailed:  # a token that may not list users: keep the annotators' ids
            users = {}
    _store(engine, project.title, report.source, annotated, users, report)
    _mark_deleted(engine, project.title, live, report)
    return report


def pull_from_file(engine: Engine, path: Path, labels: Sequence[str] | None = None) -> PullReport:
    """Store the annotations of a Label Studio JSON export (see ``push_to_file``).

    Annotation ids of an export are only unique within the server that made it, so the
    key is the id together with the task's text hash; pulling the same or a newer export
    again adds only what is new.

    Raises:
        ExportFormatError: the file is not a JSON export.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8-sig"))
        tasks = export_tasks(data, str(path))
    except json.JSONDecodeError as exc:
        raise ExportFormatError(f"{path} is not JSON ({exc.msg} at line {exc.lineno})") from None
    except ConvertError as exc:
        raise ExportFormatError(str(exc)) from None
    report = PullReport(source=FILE_SOURCE)
    annotated = _annotated(tasks, labels or list(load_domain().types), report)
    _store(engine, FILE_PROJECT, FILE_SOURCE, annotated, {}, report, lambda a: f"{a.annotation_id}@{a.text_hash[:16]}")
    return report


def pull_annotations(engine: Engine, source: LabelStudioTarget | Path) -> PullReport:
    """Pull from a Label Studio project, or from a JSON export file when ``source`` is a path."""
    if isinstance(source, LabelStudioTarget):
        return pull_from_label_studio(engine, source)
    return pull_from_file(engine, Path(source))


def gold_records(engine: Engine, split: str = "train") -> list[TaggedQuery]:
    """The gold record of every annotated query: the latest annotation per text hash, in annotation order."""
    with session_scope(engine) as session:
        rows = session.scalars(
            select(GoldLabel)
            .where(GoldLabel.split == split)
            .order_by(func.coalesce(GoldLabel.annotated_at, GoldLabel.pulled_at), GoldLabel.id)
        )
        latest: dict[str, dict] = {}
        for row in rows:
            latest.pop(row.text_hash, None)
            latest[row.text_hash] = row.record
        return [TaggedQuery.from_dict(record) for record in latest.values()]
