"""Label Studio tasks and annotations, as plain dicts (no SDK, no HTTP).

The HTTP layer pushes what :func:`record_to_task` builds and hands pulled
results to :func:`annotation_to_entities`; offsets are code points on both
sides, but every pulled span is checked against the text because drift on
CJK and astral characters has been reported.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import quoteattr

from nerloop.convert.errors import SpanMismatch
from nerloop.domain import Domain
from nerloop.hashing import stable_hex
from nerloop.records import Entity, TaggedQuery

FROM_NAME = "label"
TO_NAME = "text"


def labeling_config(domain: Domain) -> str:
    """The project's labeling config: one span label per entity type, hints from the domain."""
    labels = "".join(
        f"<Label value={quoteattr(name)} hint={quoteattr(f'{t.label}：{t.description}' if t.description else t.label)}/>"
        for name, t in domain.types.items()
    )
    return (
        f'<View><Labels name="{FROM_NAME}" toName="{TO_NAME}">{labels}</Labels>'
        f'<Text name="{TO_NAME}" value="$text"/></View>'
    )


def labeling_config_problems(label_config: str, domain: Domain) -> list[str]:
    """What keeps a project's labeling config from taking our tasks: missing labels or controls.

    A reused project may have been set up by hand or for another domain; pre-annotations with a
    label the config lacks do not show, and annotators cannot choose it. Extra labels are allowed
    (they come back as mentions of a type the domain lacks, which pull reports).
    """
    import xml.etree.ElementTree as ElementTree  # the server's config, not model output

    try:
        root = ElementTree.fromstring(label_config)
    except ElementTree.ParseError as exc:
        return [f"it is not valid XML ({exc})"]
    problems = []
    labels = [e for e in root.iter("Labels") if e.get("name") == FROM_NAME]
    if not labels:
        problems.append(f'it has no <Labels name="{FROM_NAME}">')
    elif labels[0].get("toName") != TO_NAME:
        problems.append(f'its <Labels name="{FROM_NAME}"> does not point at toName="{TO_NAME}"')
    if not any(e.get("name") == TO_NAME and e.get("value") == "$text" for e in root.iter("Text")):
        problems.append(f'it has no <Text name="{TO_NAME}" value="$text"/>')
    if labels:
        present = {e.get("value") for e in labels[0].iter("Label")}
        missing = [name for name in domain.types if name not in present]
        if missing:
            problems.append(f"it lacks the label(s) {', '.join(missing)}")
    return problems


def span_id(task_key: str, entity: Entity) -> str:
    """A short region id that stays the same when the same task is pushed again."""
    raw = f"{task_key}|{entity.type}|{entity.start}|{entity.end}"
    return stable_hex(raw, 10, algorithm="sha1")


def entity_to_result(entity: Entity, *, task_key: str) -> dict[str, Any]:
    """One span region in Label Studio's result shape."""
    result: dict[str, Any] = {
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "type": "labels",
        "id": span_id(task_key, entity),
        "value": {"start": entity.start, "end": entity.end, "text": entity.text, "labels": [entity.type]},
    }
    if entity.score is not None:
        result["score"] = entity.score
    return result


def record_to_task(record: TaggedQuery, *, task_key: str, model_version: str | None) -> dict[str, Any]:
    """A task to import; with a ``model_version`` the mentions come along as a prediction.

    ``data.nerloop_key`` is filterable in Label Studio and lets ``pull`` match
    annotations back to our records; ``meta`` keeps the rest of the record.
    The prediction score is the lowest mention score, or 1.0 when the record
    carries none (generated labels are certain).

    Raises:
        SpanError: a span does not select its text.
    """
    record.check_spans()
    rest = {k: v for k, v in record.to_dict().items() if k not in ("text", "entities")}
    task: dict[str, Any] = {
        "data": {"text": record.text, "nerloop_key": task_key},
        "meta": {"nerloop_key": task_key, **rest},
    }
    if model_version is not None:
        scores = [e.score for e in record.entities if e.score is not None]
        task["predictions"] = [
            {
                "model_version": model_version,
                "score": min(scores) if scores else 1.0,
                "result": [entity_to_result(e, task_key=task_key) for e in record.entities],
            }
        ]
    return task


def annotation_to_entities(text: str, result: list[dict[str, Any]]) -> tuple[Entity, ...]:
    """The span regions of an annotation or prediction result, in text order.

    Regions other than ``labels`` (relations, choices, text areas) are ignored;
    a region with several labels gives one mention per label.

    Raises:
        SpanMismatch: a region's offsets do not select its ``text`` in ``text``.
    """
    entities: list[Entity] = []
    for region in result:
        if region.get("type") != "labels":
            continue
        value = region.get("value") or {}
        start, end, span_text = value.get("start"), value.get("end"), value.get("text")
        where = f"region {region.get('id')!r} {value.get('labels')} [{start}:{end}] {span_text!r}"
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise SpanMismatch(f"{where}: offsets outside the text {text!r}")
        if text[start:end] != span_text:
            raise SpanMismatch(f"{where} selects {text[start:end]!r} in {text!r}; offsets drifted")
        score = region.get("score")
        for label in value.get("labels") or ():
            entities.append(Entity(str(label), start, end, span_text, score=score))
    return tuple(sorted(entities, key=lambda e: (e.start, e.end, e.type)))
