"""Label Studio's ML-backend protocol as pure functions: labeling config in, predictions out.

Label Studio (``label_studio/ml/api_connector.py``, 1.23) posts ``/setup`` with the project's
``schema`` and expects ``{"model_version"}``; posts ``/predict`` with ``tasks`` and the
``label_config`` and expects one entry in ``results`` per task, in order (fewer or more and it
falls back to one request per task, or drops them all); posts ``/webhook`` with an ``action``
(``START_TRAINING`` from the model page's "Start Training" button since 1.12, the annotation
events from the project webhook it creates for the backend) and, with the older flag off,
``/train``. Spans are code-point offsets on both sides (checked, never shifted).
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from inference.serving.errors import ProtocolError
from nerloop.convert.label_studio import FROM_NAME, TO_NAME, entity_to_result, span_id
from nerloop.records import Entity, TaggedQuery

ANNOTATION_EVENTS = frozenset(
    {"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATION_DELETED", "ANNOTATIONS_CREATED", "ANNOTATIONS_DELETED"}
)
TRAINING_EVENT = "START_TRAINING"
LEGACY_TRAINING_EVENTS = frozenset({"PROJECT_UPDATED"})
"""What Label Studio before 1.12 sent for "Start Training" (and for every other project change)."""


@dataclass(frozen=True)
class Interface:
    """Where our spans go in a project: the ``<Labels>`` control, the ``<Text>`` it labels, the task field."""

    from_name: str = FROM_NAME
    to_name: str = TO_NAME
    data_key: str = "text"
    labels: frozenset[str] = frozenset()


DEFAULT_INTERFACE = Interface()


def parse_label_config(label_config: str | None) -> Interface:
    """The span control of a labeling config: the first ``<Labels>`` whose ``toName`` is a ``<Text>``.

    ``None`` or an empty config gives nerloop's own names (``label`` → ``text``).

    Raises:
        ProtocolError: not XML, or no ``<Labels>`` on a ``<Text>`` with a ``$field`` value.
    """
    if not label_config or not label_config.strip():
        return DEFAULT_INTERFACE
    try:
        root = ElementTree.fromstring(label_config)
    except ElementTree.ParseError as exc:
        raise ProtocolError(f"label_config is not valid XML ({exc})") from None
    texts = {e.get("name"): e.get("value", "") for e in root.iter("Text") if e.get("name")}
    for control in root.iter("Labels"):
        target = control.get("toName", "").split(",")[0].strip()
        value = texts.get(target, "")
        if control.get("name") and value.startswith("$") and len(value) > 1:
            labels = frozenset(e.get("value") for e in control.iter("Label") if e.get("value"))
            return Interface(control.get("name"), target, value[1:], labels)
    raise ProtocolError('label_config has no <Labels toName="…"> on a <Text value="$field">; nerloop predicts spans')


def task_text(task: Any, interface: Interface) -> str | None:
    """The text a task asks about, or ``None`` when it has none (its result is then empty)."""
    data = task.get("data") if isinstance(task, dict) else None
    value = data.get(interface.data_key) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def prediction(record: TaggedQuery | dict[str, Any] | None, interface: Interface, model_version: str) -> dict[str, Any]:
    """One task's entry in ``results``: our mentions as ``labels`` regions with scores, and a task score.

    Mentions of a type the project's config lacks are left out (Label Studio could not show
    them). Offsets are code points, as Label Studio 1.23 counts them; each region is checked
    to select its text. The task score is the lowest mention score (1.0 with none), as
    ``al push`` sets it.

    Raises:
        ProtocolError: a span does not select its text (a bug upstream; never sent shifted).
    """
    if record is None:
        return {"result": [], "score": 0.0, "model_version": model_version}
    if isinstance(record, TaggedQuery):
        text, entities = record.text, list(record.entities)
    else:  # a record as JSON (what a model process sends): its offsets are checked below all the same
        text, entities = record["text"], [Entity.from_dict(e) for e in record.get("entities", ())]
    result = []
    for entity in entities:
        if interface.labels and entity.type not in interface.labels:
            continue
        if not 0 <= entity.start < entity.end <= len(text) or text[entity.start : entity.end] != entity.text:
            raise ProtocolError(f"span [{entity.start}:{entity.end}] does not select {entity.text!r} in {text!r}")
        region = entity_to_result(entity, task_key="")
        region.update(
            from_name=interface.from_name,
            to_name=interface.to_name,
            id=span_id(text, entity),  # the same id each time the same text is predicted
        )
        result.append(region)
    scores = [r["score"] for r in result if r.get("score") is not None]
    return {"result": result, "score": min(scores) if scores else 1.0, "model_version": model_version}


def predictions(
    tasks: Sequence[Any],
    records: Sequence[TaggedQuery | dict[str, Any] | None],
    interface: Interface,
    model_version: str,
) -> list[dict[str, Any]]:
    """``results`` for ``tasks``: one entry per task, in order (``records`` aligned, ``None`` for no text)."""
    if len(tasks) != len(records):
        raise ValueError("one record (or None) per task")
    return [prediction(record, interface, model_version) for record in records]


def is_training_event(action: Any, extra: Collection[str] = ()) -> bool:
    """``START_TRAINING``, or one of ``extra`` (``PROJECT_UPDATED`` for Label Studio before 1.12)."""
    return isinstance(action, str) and (action == TRAINING_EVENT or action in extra)


def is_annotation_event(action: Any) -> bool:
    return isinstance(action, str) and action in ANNOTATION_EVENTS
