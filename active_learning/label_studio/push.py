"""``al push``: selected queries into a Label Studio project (or a file), never twice.

Before importing, the server is asked which text hashes the project already holds, so a
query is never imported twice — even when a previous push crashed between the import and
our bookkeeping (``label_tasks`` rows): the next push finds those tasks on the server and
only records them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from active_learning.batch import BatchItem, text_hash
from active_learning.label_studio.api import LabelStudioApi, Project
from active_learning.label_studio.config import FILE_PROJECT, LabelStudioTarget
from active_learning.label_studio.convert import KEY_FIELD, item_to_task
from active_learning.label_studio.errors import LabelStudioError
from nerloop.atomic import atomic_write_text
from nerloop.convert.label_studio import labeling_config, labeling_config_problems
from nerloop.domain import load_domain
from nerloop.records import TaggedQuery
from nerloop.store.engine import session_scope
from nerloop.store.models import LabelTask, QueryLog


@dataclass
class PushReport:
    """What a push did: ``imported`` new tasks; the rest were already there."""

    project: str
    project_id: int | None = None
    imported: int = 0
    already_on_server: int = 0
    already_pushed: int = 0
    task_ids: list[int] = field(default_factory=list)
    file: str | None = None

    def to_dict(self) -> dict:
        """The report as JSON-ready data (without the task ids)."""
        return {k: v for k, v in asdict(self).items() if k != "task_ids"}


def items_from_records(
    engine: Engine, records: Iterable[TaggedQuery], model_version: str | None = None
) -> list[BatchItem]:
    """Batch items for records from ``tag`` (or any tagger): uncertainty, model and strategy from their fields.

    A record whose text was ingested links to its ``query_logs`` row by text hash.
    """
    records = list(records)
    hashes = [text_hash(r.text) for r in records]
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        for start in range(0, len(hashes), 500):
            query = select(QueryLog.text_hash, QueryLog.id).where(QueryLog.text_hash.in_(hashes[start : start + 500]))
            ids.update({digest: row_id for digest, row_id in session.execute(query)})
    return [
        BatchItem(
            query_log_id=ids.get(digest),
            text_hash=digest,
            record=record,
            uncertainty=float(record.extra.get("uncertainty") or 0.0),
            model_version=model_version or str(record.extra.get("model") or ""),
            strategy=str(record.extra.get("strategy") or ""),
        )
        for record, digest in zip(records, hashes)
    ]


def _unique(items: Sequence[BatchItem]) -> list[BatchItem]:
    """Each query once, the most uncertain first: Label Studio shows tasks in import order by default."""
    seen: dict[str, BatchItem] = {}
    for item in items:
        seen.setdefault(item.text_hash, item)
    return sorted(seen.values(), key=lambda item: -item.uncertainty)


def _pushed_hashes(engine: Engine, project: str, hashes: Sequence[str]) -> set[str]:
    with session_scope(engine) as session:
        found: set[str] = set()
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            found.update(
                session.scalars(
                    select(LabelTask.text_hash).where(LabelTask.project == project, LabelTask.text_hash.in_(chunk))
                )
            )
        return found


def _record_pushed(engine: Engine, project: str, pushed: Sequence[tuple[BatchItem, int | None]]) -> None:
    """Our bookkeeping: one ``label_tasks`` row per query in the project (kept if it exists)."""
    hashes = [i.text_hash for i, _ in pushed]
    with session_scope(engine) as session:
        existing = {}
        for start in range(0, len(hashes), 500):  # bounded IN lists, as everywhere in this module
            chunk = hashes[start : start + 500]
            query = select(LabelTask).where(LabelTask.project == project, LabelTask.text_hash.in_(chunk))
            existing.update((row.text_hash, row) for row in session.scalars(query))
        for item, task_id in pushed:
            row = existing.get(item.text_hash)
            if row is None:
                session.add(
                    LabelTask(
                        text_hash=item.text_hash,
                        query_log_id=item.query_log_id,
                        project=project,
                        ls_task_id=task_id,
                        model_version=item.model_version or None,
                        status="pushed",
                    )
                )
            elif row.ls_task_id is None:
                row.ls_task_id = task_id


def _project(api: LabelStudioApi, target: LabelStudioTarget, model_version: str | None) -> Project:
    """The target project: created with our labeling config, or an existing one whose config fits."""
    domain = target.domain or load_domain()
    project = api.get_project(target.project_id) if target.project_id is not None else api.find_project(target.project)
    if project is None:
        return api.create_project(target.project, labeling_config(domain), model_version)
    problems = labeling_config_problems(project.label_config or "", domain)
    if problems:
        raise LabelStudioError(
            f"project {project.title!r} (id {project.id}) on {target.url} cannot take nerloop's tasks: "
            f"{'; '.join(problems)}. Push to a new --project (nerloop creates it with the right labels: "
            f"{', '.join(domain.types)}) or fix its labeling interface in Label Studio"
        )
    return project


def push_to_label_studio(engine: Engine, items: Sequence[BatchItem], target: LabelStudioTarget) -> PushReport:
    """Import the queries the project does not hold yet, with pre-annotations; record every one.

    Raises:
        LabelStudioError: server down, token refused, project gone; nothing is recorded as pushed
            for a chunk whose import failed.
        SpanError: a pre-annotation span does not select its text.
    """
    items = _unique(items)
    if not items:  # nothing selected: no reason to need the server
        return PushReport(project=target.project)
    tasks = {item.text_hash: item_to_task(item) for item in items}  # every span checked before any call
    api = LabelStudioApi(target)
    versions = Counter(item.model_version for item in items if item.model_version)
    model_version = versions.most_common(1)[0][0] if versions else None
    project = _project(api, target, model_version)
    report = PushReport(project=project.title, project_id=project.id)
    if model_version and project.model_version != model_version:
        api.set_model_version(project.id, model_version)
    on_server: dict[str, int] = {}
    for task_id, data in api.task_keys(project.id).items():
        key = data.get(KEY_FIELD)
        if isinstance(key, str):
            on_server.setdefault(key, task_id)
    recorded = _pushed_hashes(engine, project.title, list(tasks))
    found = [(item, on_server[item.text_hash]) for item in items if item.text_hash in on_server]
    report.already_on_server = sum(1 for item, _ in found if item.text_hash not in recorded)
    report.already_pushed = len(recorded)
    if found:
        _record_pushed(engine, project.title, found)
    fresh = [item for item in items if item.text_hash not in on_server and item.text_hash not in recorded]
    for start in range(0, len(fresh), target.import_chunk):
        chunk = fresh[start : start + target.import_chunk]
        ids = api.import_tasks(project.id, [tasks[item.text_hash] for item in chunk])
        _record_pushed(engine, project.title, list(zip(chunk, ids)))
        report.imported += len(ids)
        report.task_ids += ids
    return report


def push_to_file(engine: Engine, items: Sequence[BatchItem], path: Path) -> PushReport:
    """Write the queries not yet pushed to a file as a Label Studio JSON import (a list of tasks).

    For air-gapped annotation: import the file into any Label Studio project (labeling config:
    ``labeling_config(domain)``), annotate, export as JSON, then ``pull --from-file``. The file is
    written whole (temporary file, then rename) before the queries are recorded as pushed.
    """
    items = _unique(items)
    tasks = {item.text_hash: item_to_task(item) for item in items}
    recorded = _pushed_hashes(engine, FILE_PROJECT, list(tasks))
    fresh = [item for item in items if item.text_hash not in recorded]
    path = Path(path)
    if not fresh and path.is_file():  # a repeated push (a resumed cycle): the file already holds the batch
        return PushReport(project=FILE_PROJECT, imported=0, already_pushed=len(recorded), file=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps([tasks[i.text_hash] for i in fresh], ensure_ascii=False, indent=1))
    _record_pushed(engine, FILE_PROJECT, [(item, None) for item in fresh])
    return PushReport(project=FILE_PROJECT, imported=len(fresh), already_pushed=len(recorded), file=str(path))


def push_batch(engine: Engine, items: Sequence[BatchItem], target: LabelStudioTarget | Path) -> PushReport:
    """Push selected queries to a Label Studio project, or to a JSON file when ``target`` is a path."""
    if isinstance(target, LabelStudioTarget):
        return push_to_label_studio(engine, items, target)
    return push_to_file(engine, items, Path(target))
