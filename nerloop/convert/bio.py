"""Character-level BIO tags, the input of token classifiers and of seqeval.

Chinese queries have no word boundaries, so a token is one code point: the
offsets of a record index the tag list directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nerloop.convert._spans import sorted_flat_entities
from nerloop.convert.errors import ConvertError
from nerloop.records import Entity, TaggedQuery

OUTSIDE = "O"


def bio_labels(types: Iterable[str]) -> list[str]:
    """The label list for a set of types: ``O`` first (index 0), then ``B-X``, ``I-X`` by sorted type."""
    labels = [OUTSIDE]
    for name in sorted(set(types)):
        labels += [f"B-{name}", f"I-{name}"]
    return labels


def record_to_bio(record: TaggedQuery) -> list[str]:
    """One tag per code point of ``record.text``.

    Raises:
        SpanError: a span does not select its text.
        OverlapError: two mentions overlap, which BIO cannot encode.
    """
    tags = [OUTSIDE] * len(record.text)
    for ent in sorted_flat_entities(record):
        tags[ent.start] = f"B-{ent.type}"
        for i in range(ent.start + 1, ent.end):
            tags[i] = f"I-{ent.type}"
    return tags


def _split_tag(tag: str) -> tuple[str, str | None]:
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, sep, name = tag.partition("-")
    if not sep or prefix not in ("B", "I") or not name:
        raise ConvertError(f"not a BIO tag: {tag!r} (expected 'O', 'B-Type' or 'I-Type')")
    return prefix, name


def bio_to_entities(text: str, tags: Sequence[str]) -> tuple[Entity, ...]:
    """The mentions a tag sequence encodes, read as seqeval does.

    An ``I-X`` that does not continue an ``X`` mention starts a new one, so a
    model's sloppy output still yields the entities seqeval would score.

    Raises:
        ConvertError: the tag list does not fit the text or holds a malformed tag.
    """
    if len(tags) != len(text):
        raise ConvertError(f"{len(tags)} tags for {len(text)} characters of {text!r}")
    entities: list[Entity] = []
    start: int | None = None
    current: str | None = None

    def close(end: int) -> None:
        if start is not None and current is not None:
            entities.append(Entity(current, start, end, text[start:end]))

    for i, tag in enumerate(tags):
        prefix, name = _split_tag(tag)
        if prefix == "I" and name == current:
            continue
        close(i)
        start, current = (i, name) if name is not None else (None, None)
    close(len(text))
    return tuple(entities)
