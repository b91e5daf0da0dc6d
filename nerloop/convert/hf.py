"""Hugging Face ``datasets`` with character tokens and BIO ``ner_tags``.

``datasets`` is imported inside the functions: the rest of nerloop (and
``import nerloop.convert``) works without it. The ``record`` column keeps the
full record as JSON so nothing is lost on the way back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from nerloop.convert.bio import bio_labels, record_to_bio
from nerloop.convert.errors import ConvertError
from nerloop.domain import Domain
from nerloop.records import TaggedQuery

if TYPE_CHECKING:
    import datasets


def features(domain: Domain) -> datasets.Features:
    """The dataset schema; ``ner_tags`` label names come from :func:`bio_labels`."""
    from datasets import ClassLabel, Features, List, Value

    entity = {
        "type": Value("string"),
        "start": Value("int32"),
        "end": Value("int32"),
        "text": Value("string"),
        "id": Value("string"),
    }
    return Features(
        {
            "text": Value("string"),
            "tokens": List(Value("string")),
            "ner_tags": List(ClassLabel(names=bio_labels(domain.types))),
            "entities": List(entity),
            "record": Value("string"),
        }
    )


def records_to_dataset(records: Iterable[TaggedQuery], domain: Domain) -> datasets.Dataset:
    """An in-memory dataset of the records, one row each.

    Raises:
        SpanError: a span does not select its text.
        OverlapError: two mentions overlap.
        ConvertError: a mention has a type the domain does not define.
    """
    from datasets import Dataset

    schema = features(domain)
    index = {name: i for i, name in enumerate(bio_labels(domain.types))}
    columns: dict[str, list[Any]] = {name: [] for name in schema}
    for record in records:
        tags = record_to_bio(record)
        unknown = sorted({t for t in tags if t not in index})
        if unknown:
            raise ConvertError(f"{record.text!r}: tags {unknown} are not types of domain {domain.name!r}")
        columns["text"].append(record.text)
        columns["tokens"].append(list(record.text))
        columns["ner_tags"].append([index[t] for t in tags])
        columns["entities"].append(
            [{"type": e.type, "start": e.start, "end": e.end, "text": e.text, "id": e.id} for e in record.entities]
        )
        columns["record"].append(record.to_json())
    return Dataset.from_dict(columns, features=schema)


def dataset_to_records(ds: datasets.Dataset) -> list[TaggedQuery]:
    """The records back from the ``record`` column, spans checked."""
    return [TaggedQuery.from_json(line) for line in ds["record"]]
