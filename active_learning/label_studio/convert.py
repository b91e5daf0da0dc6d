"""Pure conversions between our records and Label Studio tasks, annotations and exports.

Builds on :mod:`nerloop.convert.label_studio` (the span regions and the labeling config).
Every span is checked both ways: a task is built only if each prediction region selects
its text in the task's text, and an annotation is accepted only if each of its regions
does; a mismatch raises, it is never repaired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from active_learning.batch import BatchItem, text_hash
from nerloop.convert.errors import ConvertError, SpanMismatch
from nerloop.convert.label_studio import annotation_to_entities, record_to_task
from nerloop.records import Entity, TaggedQuery

KEY_FIELD = "nerloop_key"
"""The task ``data`` field holding our text hash (filterable in Label Studio)."""


def item_to_task(item: BatchItem) -> dict[str, Any]:
    """The task to import for a selected query: text, our hash, the uncertainty, the pre-annotation.

    The prediction carries ``model_version`` and ``score`` (the lowest mention score); the task
    ``data`` carries ``uncertainty`` so annotators can sort by it in the community edition.

    Raises:
        ConvertError: ``item.text_hash`` is not the hash of the record's text.
        SpanError: a mention does not select its text (checked on the record and on the built regions).
    """
    record = item.record
    if text_hash(record.text) != item.text_hash:
        raise ConvertError(f"batch item for {record.text!r} carries the hash of another text")
    task = record_to_task(record, task_key=item.text_hash, model_version=item.model_version or None)
    task["data"].update(uncertainty=round(float(item.uncertainty), 6), model_version=item.model_version)
    if item.strategy:
        task["data"]["strategy"] = item.strategy
    for prediction in task.get("predictions", ()):
        regions = annotation_to_entities(record.text, prediction["result"])
        expected = sorted((e.type, e.start, e.end) for e in record.entities)
        if sorted((e.type, e.start, e.end) for e in regions) != expected:
            raise SpanMismatch(f"the pre-annotation of {record.text!r} does not reproduce its mentions")
    return task


def accepted_task(item: BatchItem) -> dict[str, Any]:
    """:func:`item_to_task` with its pre-annotation submitted as the annotation, for importing into a
    project: what an annotator who accepts every suggestion leaves behind (benchmarks and tests of pull)."""
    task = item_to_task(item)
    task["annotations"] = [{"result": task.pop("predictions")[0]["result"], "was_cancelled": False}]
    return task


def task_key(data: dict[str, Any]) -> str:
    """Our hash of a task's text; ``nerloop_key`` must agree with the text (else it was edited).

    Raises:
        ConvertError: no text, or a text that no longer matches the key it was pushed with.
    """
    text = data.get("text")
    if not isinstance(text, str):
        raise ConvertError("task has no string field 'text' in its data")
    digest = text_hash(text)
    key = data.get(KEY_FIELD)
    if key is not None and key != digest:
        raise ConvertError(f"task text {text!r} no longer matches the {KEY_FIELD} it was pushed with; was it edited?")
    return digest


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def latest_annotation(annotations: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The most recently updated annotation of a task (ties: the highest id)."""
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)

    def order(a: dict[str, Any]) -> tuple[dt.datetime, int]:
        stamp = _time(a.get("updated_at")) or _time(a.get("created_at")) or epoch
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)), int(a.get("id") or 0)

    return max(annotations, key=order, default=None)


@dataclass(frozen=True)
class AnnotatedTask:
    """The latest annotation of one task, as nerloop keeps it.

    ``record`` is ``None`` when the annotator skipped (cancelled) the task.
    """

    task_id: int | None
    text_hash: str
    annotation_id: str
    annotator: int | str | None
    annotated_at: dt.datetime | None
    record: TaggedQuery | None

    @property
    def skipped(self) -> bool:
        return self.record is None


def _annotator(value: Any) -> int | str | None:
    if isinstance(value, dict):
        return value.get("email") or value.get("id")
    return value


def task_to_annotated(task: dict[str, Any], labels: Collection[str]) -> AnnotatedTask | None:
    """The latest annotation of a task (``None`` if it has none), every span checked.

    Args:
        task: a task as the API lists it or as a JSON export holds it.
        labels: the entity types the domain knows; any other label is refused.

    Raises:
        SpanMismatch: a region does not select its text (offsets drifted); nothing is fixed.
        ConvertError: an unknown label, or a task whose text or key is broken.
    """
    data = task.get("data") or {}
    digest = task_key(data)
    annotation = latest_annotation([a for a in task.get("annotations") or () if isinstance(a, dict)])
    if annotation is None:
        return None
    record = None
    if not annotation.get("was_cancelled"):
        entities = annotation_to_entities(data["text"], annotation.get("result") or [])
        unknown = sorted({e.type for e in entities} - set(labels))
        if unknown:
            raise ConvertError(f"label(s) {', '.join(unknown)} are not entity types of the domain")
        gold = tuple(Entity(e.type, e.start, e.end, e.text) for e in entities)
        record = TaggedQuery(text=data["text"], entities=gold)
        record.check_spans()
    return AnnotatedTask(
        task_id=task.get("id"),
        text_hash=digest,
        annotation_id=str(annotation.get("id")),
        annotator=_annotator(annotation.get("completed_by")),
        annotated_at=_time(annotation.get("updated_at")) or _time(annotation.get("created_at")),
        record=record,
    )


def export_tasks(data: Any, source: str) -> list[dict[str, Any]]:
    """The tasks of a Label Studio JSON export (a list of tasks with ``data`` and ``annotations``).

    Raises:
        ConvertError: anything else (JSON-MIN, CSV, a single task).
    """
    if not isinstance(data, list) or not all(isinstance(t, dict) and isinstance(t.get("data"), dict) for t in data):
        raise ConvertError(
            f"{source} is not a Label Studio JSON export (a list of tasks with 'data' and 'annotations'); "
            "export the project as JSON, not JSON-MIN or CSV"
        )
    return data
