"""What flows from selection to annotation: one query with the model's pre-annotation.

``al select`` produces these, ``al push`` (Label Studio or a file) consumes them, so the
two sides share one small type and no store rows cross the boundary.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from nerloop.hashing import stable_hex
from nerloop.records import TaggedQuery


def normalize_query(text: str) -> str:
    """NFKC width folding and whitespace collapsed: the form logs are stored, hashed and pushed in."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def text_hash(text: str) -> str:
    """Our key for a query everywhere (store, Label Studio task data, gold labels)."""
    return stable_hex(text)


@dataclass(frozen=True)
class BatchItem:
    """A query chosen for annotation.

    Args:
        query_log_id: its row in ``query_logs`` (``None`` for queries from a file).
        text_hash: :func:`text_hash` of ``record.text``.
        record: the model's resolved prediction, pushed as the pre-annotation.
        uncertainty: the selection score, shown to annotators so they can sort by it.
        model_version: the model that made ``record``.
        strategy: the strategy that chose it.
    """

    query_log_id: int | None
    text_hash: str
    record: TaggedQuery
    uncertainty: float
    model_version: str
    strategy: str = ""
