"""What the gazetteer says about one span: the evidence a model's span is weighed against.

A span of a hierarchy type is a full name, an explicit alias, a generated short form (weak:
two characters inside longer words, like 平安), or unknown to the gazetteer; unknown spans
may still carry the type's organisation suffix (``青禾供电所``) or sit where a unit of its type
goes (after its parent, before an indicator). Dates are what the date
grammar reads; indicators are gazetteer forms too. Pure: computed from the matcher's forms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from mypy_extensions import mypyc_attr

from gazetteers.linker import fold_width
from gazetteers.matcher import GazetteerMatcher
from gazetteers.segmentation import ALIAS, FULL, SHORT
from nerloop.dates import find_dates
from nerloop.records import Entity

# Evidence kinds, strongest first.
FULL_NAME, EXPLICIT_ALIAS, SHORT_FORM, WEAK_SHORT_FORM, DATE, SUFFIX, CONTEXT, NONE = (
    "full name",
    "alias",
    "short form",
    "weak short form",
    "date",
    "organisation suffix",
    "neighbouring mention",
    "none",
)
EVIDENCE_KINDS = (FULL_NAME, EXPLICIT_ALIAS, SHORT_FORM, WEAK_SHORT_FORM, DATE, SUFFIX, CONTEXT, NONE)
_KINDS = {FULL: FULL_NAME, ALIAS: EXPLICIT_ALIAS, SHORT: SHORT_FORM}
EVIDENCE_CACHE = 1 << 16
"""Distinct (type, text) spans whose evidence is kept: a bounded LRU, whatever the log's size."""
# Characters that make no name in front of a suffix: 各供电所, 的供电所, 全省, 本县, 哪个所, 各地市.
NOT_A_NAME = frozenset("各的该本此哪每个全其所有些几多这那等及和与或之地")
# Characters a name never ends in right before its suffix: 排名前五的供电所, 下属各供电所.
NOT_A_NAME_END = frozenset("的各该本此哪每个其些几这那及与或")


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Evidence:
    """The gazetteer's word on a span.

    Attributes:
        kind: one of the evidence kinds above.
        protected: a model may never remove it (full names, dates, indicators): the
            combination is never worse than the matcher on what the gazetteer knows for sure.
        supported: the gazetteer or the span's own shape backs a model span of this type.
    """

    kind: str
    protected: bool
    supported: bool


class EvidenceFinder:
    """Evidence for spans of one gazetteer (the matcher's surface forms, the domain's suffixes)."""

    def __init__(self, matcher: GazetteerMatcher) -> None:
        self.matcher = matcher
        domain = matcher.gazetteer.domain
        self.hierarchy = frozenset(domain.hierarchy)
        self.levels = {t: i for i, t in enumerate(domain.hierarchy)}
        self.suffixes = {
            t: tuple(x for x in domain.types[t].short_forms.strip_suffixes + domain.types[t].short_forms.add_suffixes)
            for t in domain.hierarchy
        }
        # the same spans (本月, 投诉, a city) come back query after query: each is read once
        self._of = lru_cache(maxsize=EVIDENCE_CACHE)(self._evidence)

    def of(self, entity: Entity) -> Evidence:
        """The evidence for ``entity``'s type and text (where it stands does not matter here)."""
        return self._of(entity.type, entity.text)

    def _evidence(self, type_name: str, text: str) -> Evidence:
        entity = Entity(type_name, 0, len(text), text)
        if entity.type == "Date":
            folded = fold_width(entity.text)
            if any(start == 0 and end == len(folded) for start, end in find_dates(folded)):
                return Evidence(DATE, True, True)
            return Evidence(NONE, False, False)  # nothing reads it as a date (LIMIT 10;)
        info = self.matcher.form_info(entity.text)
        if info is not None and entity.type in info[0]:
            types, strength, weak = info
            if entity.type not in self.hierarchy:  # indicators: a gazetteer form is the indicator
                return Evidence(_KINDS.get(strength, SHORT_FORM), True, True)
            kind = WEAK_SHORT_FORM if weak else _KINDS.get(strength, SHORT_FORM)
            # a weak form (城关 in 城关中学) is what hard negatives are made of: no support
            return Evidence(kind, kind == FULL_NAME, not weak)
        # the longest suffix only: 各供电所 is 各 + 供电所, not 各供电 + 所
        suffix = max((s for s in self.suffixes.get(entity.type, ()) if entity.text.endswith(s)), key=len, default="")
        stem = entity.text[: -len(suffix)] if suffix else ""
        if stem and not set(stem) <= NOT_A_NAME and stem[-1] not in NOT_A_NAME_END:
            return Evidence(SUFFIX, False, True)
        return Evidence(NONE, False, False)

    def in_context(self, entity: Entity, neighbours: Sequence[Entity], proposed: Sequence[Entity] = ()) -> Evidence:
        """:meth:`of`, raised to ``neighbouring mention`` for an unsupported hierarchy span that fills
        the gap between mentions: a unit of a level above it (or the start of the text) on its
        left, and an indicator, a date or a unit below it on its right. ``neighbours`` are the
        gazetteer's matches, ``proposed`` the model's other spans; one side at least must be the
        gazetteer's (or the start). 平舆县|万金店|故障报修 and 沅陵|五强溪|投诉 read as units the
        gazetteer lacks; 王|建国, 庙|城镇|投诉 and 南皮县|冯家|口 do not."""
        found = self.of(entity)
        if found.supported or entity.type not in self.hierarchy:
            return found
        level = self.levels[entity.type]

        def on_left(spans: Sequence[Entity]) -> bool:
            return any(
                n.end == entity.start and n.type in self.hierarchy and self.levels[n.type] < level for n in spans
            )

        def on_right(spans: Sequence[Entity]) -> bool:
            return any(
                n.start == entity.end and (n.type not in self.hierarchy or self.levels[n.type] > level) for n in spans
            )

        left_known, right_known = entity.start == 0 or on_left(neighbours), on_right(neighbours)
        left, right = left_known or on_left(proposed), right_known or on_right(proposed)
        if left and right and (left_known or right_known):
            return Evidence(CONTEXT, False, True)
        return found
