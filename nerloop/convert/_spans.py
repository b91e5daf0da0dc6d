"""Helpers shared by the flat (non-nested) span formats."""

from __future__ import annotations

from nerloop.convert.errors import OverlapError
from nerloop.records import Entity, TaggedQuery


def sorted_flat_entities(record: TaggedQuery) -> list[Entity]:
    """The record's mentions in text order; flat formats cannot carry overlapping ones."""
    record.check_spans()
    ordered = sorted(record.entities, key=lambda e: (e.start, e.end))
    for left, right in zip(ordered, ordered[1:]):
        if right.start < left.end:
            raise OverlapError(
                f"mentions {left.type} [{left.start}:{left.end}] {left.text!r} and "
                f"{right.type} [{right.start}:{right.end}] {right.text!r} overlap in {record.text!r}; "
                "flat formats need non-overlapping mentions"
            )
    return ordered
