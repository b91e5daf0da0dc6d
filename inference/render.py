"""The record a tagging pipeline's resolution becomes on output: ``nerloop tag``'s line, ``/v1/tag``'s record.

The file tool and the server both call :func:`render_record`, so they can never disagree on
what a query's record holds (the inline-XML form, ``--explain``'s accounts) or how it is written.
"""

from __future__ import annotations

from gazetteers.resolver import Resolution
from nerloop.convert.xml import record_to_xml
from nerloop.domain import Domain
from nerloop.records import TaggedQuery


def render_record(resolution: Resolution, domain: Domain, explain: bool = False) -> TaggedQuery:
    """The record with its ``xml`` form and, with ``explain``, how each mention was linked.

    ``explain`` adds ``explain`` (the resolver's links with candidates) and the account of the
    spans: the matcher's ``segmentation`` or the calibrated combination's ``combination``.
    """
    record = resolution.record.with_extra(xml=record_to_xml(resolution.record, domain))
    if explain:
        record = record.with_extra(explain=resolution.explanation())
        account = resolution.segmentation
        if account is not None:  # the matcher's segmentation, or the calibrated combination's decisions
            record = record.with_extra(**{getattr(account, "explain_key", "segmentation"): account.explain()})
    return record


def render_line(resolution: Resolution, domain: Domain, explain: bool = False) -> str:
    """:func:`render_record` as one JSON line (no newline): exactly what ``nerloop tag`` prints."""
    return render_record(resolution, domain, explain).to_json()
