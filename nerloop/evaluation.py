"""Metrics for predicted records against gold records.

Mentions are scored exactly (type, start, end), micro-averaged as seqeval does
on character BIO tags; the chain, ambiguity and date are scored per record,
because a query answered with a wrong organisation or period is wrong however
many of its spans are right.

:func:`prf` is the one definition of entity precision, recall and F1 in nerloop:
every package scores spans with it. Record-level accuracies are ``None`` when no
record qualifies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

from nerloop.errors import NerloopError
from nerloop.records import TaggedQuery


class EvaluationMismatch(NerloopError, ValueError):
    """Gold and predicted records do not line up (count or text); scores would be meaningless."""


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts of true positives, predicted and gold spans.

    The empty cases are decided here, once: precision is 0 when nothing was predicted,
    recall is 0 when nothing was gold, and F1 is 0 when both are empty (seqeval with
    ``zero_division=0``), so the result is always a number and a model that finds
    nothing never scores 1. F1 is ``2·tp / (n_pred + n_gold)``, one rounding, so equal
    ratios give equal floats and ties between candidates stay ties.
    """
    f1 = 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
    return _ratio(tp, n_pred), _ratio(tp, n_gold), f1


def _spans(record: TaggedQuery) -> set[tuple[str, int, int]]:
    return {(e.type, e.start, e.end) for e in record.entities}


def _chains(record: TaggedQuery) -> set[tuple[str, ...]]:
    return {tuple(chain) for chain in record.ambiguous}


def _targets(record: TaggedQuery, hierarchy: Sequence[str]) -> list[tuple]:
    """A record's targets as comparable keys: mention spans, the chain per level, conflict.

    A record written before targets existed counts as one target over all its
    hierarchy mentions with the top-level fields (none without hierarchy mentions).
    """
    targets = record.targets
    if targets is None:
        mentions = tuple(i for i, e in enumerate(record.entities) if e.type in hierarchy)
        if not mentions:
            return []
        keys = [(mentions, record.resolved, record.conflict)]
    else:
        keys = [(t.mentions, t.resolved, t.conflict) for t in targets]
    entities = record.entities
    return sorted(
        (
            tuple(sorted((entities[i].type, entities[i].start, entities[i].end) for i in mentions)),
            tuple(resolved.get(level) for level in hierarchy),
            conflict,
        )
        for mentions, resolved, conflict in keys
    )


def _accuracy(hits: int, n: int) -> float | None:
    return hits / n if n else None


def evaluate(gold: Sequence[TaggedQuery], pred: Sequence[TaggedQuery], hierarchy: Sequence[str]) -> dict[str, Any]:
    """Score ``pred`` against ``gold``, record by record in the same order.

    Args:
        gold: the reference records.
        pred: the predictions, one per gold record, with the same texts.
        hierarchy: the hierarchy levels compared for ``resolved_accuracy``;
            a missing key counts as ``null``.

    Returns:
        A JSON-able dict: ``n``; ``entity_precision``, ``entity_recall``,
        ``entity_f1`` (micro, exact type and span); ``per_type`` with
        ``precision``, ``recall``, ``f1`` and ``support`` (gold count) for
        every type in gold or pred; ``resolved_accuracy``;
        ``ambiguity_accuracy`` over the ``n_ambiguous`` records where either
        side lists candidate chains (compared as sets); ``date_accuracy`` over
        the ``n_dated`` records where either side has a date; ``target_accuracy`` over
        the ``n_targeted`` records where either side has a target (the targets must
        match as a whole: the same mentions, chain and conflict each, CONTRACTS.md §2),
        and ``multi_target_accuracy`` the same over the ``n_multi_target`` records where
        either side has several (comparisons, lists).

    Raises:
        EvaluationMismatch: the sequences differ in length or in any text.
    """
    if len(gold) != len(pred):
        raise EvaluationMismatch(f"{len(gold)} gold records but {len(pred)} predictions")
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    resolved_hits = ambiguous_hits = n_ambiguous = date_hits = n_dated = 0
    target_hits = n_targeted = multi_hits = n_multi = 0
    for i, (g, p) in enumerate(zip(gold, pred)):
        if g.text != p.text:
            raise EvaluationMismatch(f"record {i}: gold text {g.text!r} but predicted text {p.text!r}")
        gold_spans, pred_spans = _spans(g), _spans(p)
        n_gold.update(t for t, _, _ in gold_spans)
        n_pred.update(t for t, _, _ in pred_spans)
        tp.update(t for t, _, _ in gold_spans & pred_spans)
        resolved_hits += all(g.resolved.get(level) == p.resolved.get(level) for level in hierarchy)
        if g.ambiguous or p.ambiguous:
            n_ambiguous += 1
            ambiguous_hits += _chains(g) == _chains(p)
        if g.date is not None or p.date is not None:
            n_dated += 1
            date_hits += g.date == p.date
        gold_targets, pred_targets = _targets(g, hierarchy), _targets(p, hierarchy)
        if gold_targets or pred_targets:
            n_targeted += 1
            target_hits += gold_targets == pred_targets
        if len(gold_targets) > 1 or len(pred_targets) > 1:
            n_multi += 1
            multi_hits += gold_targets == pred_targets
    precision, recall, f1 = prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values()))
    per_type = {}
    for name in sorted(n_gold.keys() | n_pred.keys()):
        tp_p, tp_r, tp_f = prf(tp[name], n_pred[name], n_gold[name])
        per_type[name] = {"precision": tp_p, "recall": tp_r, "f1": tp_f, "support": n_gold[name]}
    return {
        "n": len(gold),
        "entity_precision": precision,
        "entity_recall": recall,
        "entity_f1": f1,
        "per_type": per_type,
        "resolved_accuracy": _accuracy(resolved_hits, len(gold)),
        "ambiguity_accuracy": _accuracy(ambiguous_hits, n_ambiguous),
        "n_ambiguous": n_ambiguous,
        "date_accuracy": _accuracy(date_hits, n_dated),
        "n_dated": n_dated,
        "target_accuracy": _accuracy(target_hits, n_targeted),
        "n_targeted": n_targeted,
        "multi_target_accuracy": _accuracy(multi_hits, n_multi),
        "n_multi_target": n_multi,
    }


def heldout_recall(gold: Sequence[TaggedQuery], pred: Sequence[TaggedQuery], known: Collection[str]) -> float | None:
    """Share of gold mentions of entries the gazetteer lacks (ids not in ``known``) predicted exactly.

    What a model adds over the matcher: tag the test split against a gazetteer without its held-out
    entries (``gazetteer_train/`` beside generated splits) and count how many of those names are found.
    """
    hits = total = 0
    for g, p in zip(gold, pred):
        spans = _spans(p)
        for entity in g.entities:
            if entity.id is not None and entity.id not in known:
                total += 1
                hits += (entity.type, entity.start, entity.end) in spans
    return hits / total if total else None
