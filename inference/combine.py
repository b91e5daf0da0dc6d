"""How a model's mentions meet the gazetteer matcher's.

Fixed modes:
  model:         the model's mentions only (a lexicon-enhanced model already reads the gazetteer);
  matcher:       the matcher's only (the baseline);
  union:         the model's, plus the matcher's that overlap none of them;
  matcher-first: the matcher's, plus the model's that overlap none of them.

``calibrated`` decides per span (:func:`combine_calibrated`): a gazetteer match the model
cannot remove (a full name, a date, an indicator) always stays; a short-form match stays
unless the model is sure the characters are no entity (a person named 王麒麟, 黄山烧饼);
a model span the gazetteer does not know stays only when its calibrated confidence clears
the threshold for its support (a known form or an organisation suffix; nothing). The
thresholds are chosen on a realistic development set (:mod:`inference.fit`), and every
decision can be explained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

from mypy_extensions import mypyc_attr

from inference.evidence import SUFFIX, Evidence, EvidenceFinder
from nerloop.errors import UsageError
from nerloop.records import Entity
from nerloop.rounding import round4

COMBINE_MODES = ("model", "matcher", "union", "matcher-first", "calibrated")
FIXED_MODES = COMBINE_MODES[:4]


def _disjoint_from(base: Sequence[Entity], extra: Sequence[Entity]) -> list[Entity]:
    """``base`` plus the mentions of ``extra`` that overlap none of ``base``, in text order."""
    kept = list(base)
    for entity in extra:
        if all(entity.end <= b.start or entity.start >= b.end for b in base):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end))


def combine_entities(mode: str, model: Sequence[Entity], matcher: Sequence[Entity]) -> list[Entity]:
    """Merge a model's and the matcher's mentions of one text as a fixed ``mode`` says."""
    if mode == "model":
        return list(model)
    if mode == "matcher":
        return list(matcher)
    if mode == "union":
        return _disjoint_from(model, matcher)
    if mode == "matcher-first":
        return _disjoint_from(matcher, model)
    raise UsageError(f"unknown combination {mode!r}; choose one of: {', '.join(COMBINE_MODES)}")


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Thresholds:
    """The calibrated combination's decision points (chosen on the development set).

    Attributes:
        supported: calibrated confidence a model span needs when the gazetteer knows its form
            or it ends in its type's organisation suffix, and no gazetteer match is there.
        unsupported: the same for a span nothing backs (the false mentions in chat text).
        veto: a short-form gazetteer match is dropped when the model's mean probability that
            its characters belong to any mention is below this (0: never).
        anchor: mentions other than full names are kept only in a query that also holds an
            indicator or a date the gazetteer and the date grammar know: an analyst's query asks
            for a figure, while 云南过桥米线的来历 or 福建老乡会 name a province in passing.
            Chosen on the development set like the numbers.
    """

    supported: float = 0.5
    unsupported: float = 0.9
    veto: float = 0.0
    anchor: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


class Decision(NamedTuple):
    """Why a span was kept or dropped (``tag --explain``).

    A named tuple: every query of a log makes a few, and a tuple is built in a fraction of a
    frozen dataclass's time; ``_replace`` gives a changed copy.
    """

    entity: Entity
    source: str  # model, matcher or both
    kept: bool
    reason: str
    evidence: str
    confidence: float | None = None  # calibrated, for model spans
    entity_prob: float | None = None  # the model's mean P(mention) over the span's characters
    threshold: float | None = None

    def to_dict(self) -> dict:
        out = {"type": self.entity.type, "start": self.entity.start, "end": self.entity.end, "text": self.entity.text}
        out.update(source=self.source, kept=self.kept, reason=self.reason, evidence=self.evidence)
        for key in ("confidence", "entity_prob", "threshold"):
            value = getattr(self, key)
            if value is not None:
                out[key] = round(float(value), 4)
        return out


_new = tuple.__new__  # Entity's own __new__ is Python: the same tuple, built in C


def _decided(
    entity: Entity,
    source: str,
    kept: bool,
    reason: str,
    evidence: str,
    confidence: float | None = None,
    entity_prob: float | None = None,
    threshold: float | None = None,
) -> Decision:
    """``Decision(...)`` built in C: a named tuple's own ``__new__`` is Python, and a query makes a few."""
    return _new(Decision, (entity, source, kept, reason, evidence, confidence, entity_prob, threshold))  # type: ignore[no-any-return]


def _scored(entity: Entity, score: float) -> Entity:
    """``entity`` with ``score`` (rounded): ``_replace`` without its keyword handling."""
    return _new(Entity, (entity[0], entity[1], entity[2], entity[3], entity[4], round4(score)))


def _overlaps(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end


def _within(inner: Entity, outer: Entity) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _guess(match: Entity, evidence: EvidenceFinder) -> bool:
    """A matcher span that names no gazetteer form: its guess at an unknown name before a suffix."""
    return evidence.of(match).kind == SUFFIX


def _mean(probs: Sequence[float] | None, start: int, end: int) -> float | None:
    if probs is None or end > len(probs) or end <= start:
        return None
    return sum(probs[start:end]) / (end - start)


def combine_calibrated(
    model: Sequence[Entity],
    matcher: Sequence[Entity],
    char_probs: Sequence[float] | None,
    evidence: EvidenceFinder,
    calibration: Callable[[float, str], float],
    thresholds: Thresholds,
) -> tuple[list[Entity], list[Decision]]:
    """The mentions of one text, decided span by span; and every decision, kept or not.

    ``model`` spans carry their raw score; kept ones leave with the calibrated confidence.
    ``calibration``: a :class:`~inference.calibration.PlattCalibration`, or a memo of one.
    """
    decisions: list[Decision] = []
    # one conversion per query: slicing and summing Python floats beats numpy scalars span by span
    to_list = getattr(char_probs, "tolist", None)
    probs = to_list() if to_list is not None else char_probs
    backing = [evidence.in_context(e, matcher, model) for e in model]
    scored = [
        (e, backed, calibration(e.score if e.score is not None else 1.0, backed.kind))
        for e, backed in zip(model, backing)
    ]
    kept: list[Entity] = []
    if _same_spans(model, matcher):
        _agree(scored, matcher, probs, evidence, kept, decisions)
    else:
        claimed, overlapped, crossing = _claims(scored, matcher, evidence, thresholds, decisions)
        _decide_matches(matcher, claimed, overlapped, probs, evidence, thresholds, kept, decisions)
        _decide_model_spans(scored, crossing, thresholds, kept, decisions)
    if thresholds.anchor:
        kept, decisions = _without_anchor(kept, decisions, evidence)
    kept.sort(key=lambda e: (e.start, e.end))
    decisions.sort(key=lambda d: (d.entity.start, d.entity.end, not d.kept))
    return kept, decisions


def _same_spans(model: Sequence[Entity], matcher: Sequence[Entity]) -> bool:
    """The model and the matcher cut the text alike: the same spans, in order, none overlapping.

    Most queries of a log; then every span is its own pair and :func:`_agree` decides it.
    """
    if len(model) != len(matcher):
        return False
    end = -1
    for p, m in zip(model, matcher):
        if p.start != m.start or p.end != m.end or m.start < end:
            return False
        end = m.end
    return True


def _agree(
    scored: Sequence[tuple[Entity, Evidence, float]],
    matcher: Sequence[Entity],
    probs: Sequence[float] | None,
    evidence: EvidenceFinder,
    kept: list[Entity],
    decisions: list[Decision],
) -> None:
    """What :func:`_claims` and :func:`_decide_matches` decide when each model span is a match's
    span (:func:`_same_spans`): the matcher's entity with the higher of the two scores."""
    for (_, _, confidence), m in zip(scored, matcher):
        entity = _scored(m, max(confidence, m.score or 0.0))
        kept.append(entity)
        prob = _mean(probs, m.start, m.end)
        decisions.append(
            _decided(entity, "both", True, "model and gazetteer agree", evidence.of(m).kind, confidence, prob)
        )


def _claims(
    scored: Sequence[tuple[Entity, Evidence, float]],
    matcher: Sequence[Entity],
    evidence: EvidenceFinder,
    thresholds: Thresholds,
    decisions: list[Decision],
) -> tuple[dict[int, list[tuple[Entity, float]]], set[int], set[int]]:
    """The gazetteer matches that model spans claim, those that any model span overlaps, and the
    model spans (by index) that overlap a match.

    A model span claims a match of the same span, or the matches it covers or re-cuts when its own
    form is supported and confident; one that loses to a gazetteer match is decided here.
    """
    claimed: dict[int, list[tuple[Entity, float]]] = {}  # matcher index → the model spans that replace it
    overlapped: set[int] = set()
    crossing: set[int] = set()
    spans = [(m.start, m.end) for m in matcher]
    for k, (p, backed, confidence) in enumerate(scored):
        start, end = p.start, p.end
        hits = [i for i, (a, b) in enumerate(spans) if start < b and a < end]
        if not hits:
            continue
        crossing.add(k)
        overlapped.update(hits)
        same = [i for i in hits if spans[i] == (start, end)]
        if same:
            claimed.setdefault(same[0], []).append((p, confidence))
            continue
        own = evidence.of(p)  # a longer or re-cut name needs support of its own, not just neighbours
        covers = all(p.start <= matcher[i].start and matcher[i].end <= p.end for i in hits)
        # the matcher's own guesses at names it lacks (普新区白鹭湾供电所 before 供电所) are no
        # better than the model's cuts across them (金普新区 + 白鹭湾供电所)
        guesses = all(_guess(matcher[i], evidence) for i in hits)
        if (covers or guesses) and own.supported and confidence >= thresholds.supported:
            for i in hits:
                claimed.setdefault(i, []).append((p, confidence))
        else:
            decisions.append(
                _decided(p, "model", False, "overlaps a gazetteer match", backed.kind, confidence, None, None)
            )
    return claimed, overlapped, crossing


def _decide_matches(
    matcher: Sequence[Entity],
    claimed: dict[int, list[tuple[Entity, float]]],
    overlapped: set[int],
    char_probs: Sequence[float] | None,
    evidence: EvidenceFinder,
    thresholds: Thresholds,
    kept: list[Entity],
    decisions: list[Decision],
) -> None:
    """Each gazetteer match: agreed, replaced by the model spans that claim it, vetoed, or kept."""
    replaced: set[tuple[int, int]] = set()
    for i, m in enumerate(matcher):
        found = evidence.of(m)
        prob = _mean(char_probs, m.start, m.end)
        if i in claimed:
            for p, confidence in claimed[i]:
                if (p.start, p.end) == (m.start, m.end):
                    # one span, two readers: the matcher's type, which it chose for the chain that the
                    # query's other mentions make consistent (铜仁沿河: the county, not a township 沿河)
                    entity = _scored(m, max(confidence, m.score or 0.0))
                    kept.append(entity)
                    decisions.append(
                        _decided(entity, "both", True, "model and gazetteer agree", found.kind, confidence, prob)
                    )
                elif (p.start, p.end) not in replaced:
                    replaced.add((p.start, p.end))
                    entity = _scored(p, confidence)
                    kept.append(entity)
                    reason = "a longer name around a gazetteer form" if _within(m, p) else "the model's cut of a guess"
                    decisions.append(
                        _decided(
                            entity, "model", True, reason, evidence.of(p).kind, confidence, prob, thresholds.supported
                        )
                    )
            if not any((p.start, p.end) == (m.start, m.end) for p, _ in claimed[i]):
                why = (
                    "inside a longer model span" if any(_within(m, p) for p, _ in claimed[i]) else "re-cut by the model"
                )
                decisions.append(_decided(m, "matcher", False, why, found.kind, None, prob))
            continue
        vetoable = not found.protected and i not in overlapped and thresholds.veto > 0
        if vetoable and prob is not None and prob < thresholds.veto:
            decisions.append(
                _decided(
                    m, "matcher", False, "the model reads no mention here", found.kind, None, prob, thresholds.veto
                )
            )
            continue
        kept.append(m)
        reason = "protected gazetteer match" if found.protected else "gazetteer match"
        decisions.append(_decided(m, "matcher", True, reason, found.kind, None, prob, thresholds.veto or None))


def _decide_model_spans(
    scored: Sequence[tuple[Entity, Evidence, float]],
    crossing: set[int],
    thresholds: Thresholds,
    kept: list[Entity],
    decisions: list[Decision],
) -> None:
    """Each model span that overlaps no gazetteer match (not in ``crossing``): kept when its
    confidence clears the threshold for its support."""
    for k, (p, backed, confidence) in enumerate(scored):
        if k in crossing:
            continue
        needed = thresholds.supported if backed.supported else thresholds.unsupported
        entity = _scored(p, confidence)
        if confidence >= needed:
            kept.append(entity)
            decisions.append(
                _decided(entity, "model", True, "confident model span", backed.kind, confidence, None, needed)
            )
        else:
            decisions.append(
                _decided(entity, "model", False, "below the threshold", backed.kind, confidence, None, needed)
            )


def _without_anchor(
    kept: list[Entity], decisions: list[Decision], evidence: EvidenceFinder
) -> tuple[list[Entity], list[Decision]]:
    """Without an indicator or a date that the gazetteer and the date grammar know among the kept
    mentions, keep only what they know for sure (full names): a model's own 举办 read as an
    indicator anchors nothing and goes too."""
    if any(e.type not in evidence.hierarchy and evidence.of(e).protected for e in kept):
        return kept, decisions
    weak = {(e.start, e.end) for e in kept if not evidence.of(e).protected}
    if not weak:
        return kept, decisions
    reason = "no indicator or date in the query"
    decisions = [
        d._replace(kept=False, reason=reason) if d.kept and (d.entity.start, d.entity.end) in weak else d
        for d in decisions
    ]
    return [e for e in kept if (e.start, e.end) not in weak], decisions


def check_mode(mode: str) -> str:
    if mode not in COMBINE_MODES:
        raise UsageError(f"unknown combination {mode!r}; choose one of: {', '.join(COMBINE_MODES)}")
    return mode
