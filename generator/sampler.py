"""Render one sample from a compiled template: text, mention spans, and labels from the resolver.

The labels are not written by the template: the resolver computes them from the
mentions the sample surfaces, exactly as it would at inference time. So a sample
that names only 麒麟 under a gazetteer with several 麒麟 is labelled ambiguous,
and no model is ever taught to guess a parent.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from mypy_extensions import mypyc_attr

from gazetteers.measure_words import MeasureWordIndex
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolver
from generator.grammar import DISTRACTOR, FRAGMENT, LITERAL, OTHER_SLOT, SLOT, THIRD_SLOT, Grammar, Op, Template
from generator.noise import to_fullwidth, typo
from generator.novel import NovelNames
from nerloop.dates import sample_comparison, sample_date
from nerloop.draws import choice, shuffle
from nerloop.records import Entity, TaggedQuery

# Share of Date slots filled from the gazetteer's dates.csv (when it has one) instead of the date grammar.
LISTED_DATE_SHARE = 0.1


def _pick(rng: random.Random, items: Sequence[str]) -> str:
    """``rng.choice`` without its bookkeeping; this runs several times per sample."""
    return items[int(rng.random() * len(items))]


class EntryCycle:
    """Draws entries without replacement until all were drawn, then reshuffles: every entry gets covered."""

    __slots__ = ("_ids", "_rng", "_next")

    def __init__(self, ids: Sequence[str], rng: random.Random) -> None:
        self._ids = list(ids)
        self._rng = rng
        self._next = len(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __bool__(self) -> bool:  # compiled code tests truth by __bool__ alone (mypyc skips __len__)
        return bool(self._ids)

    def draw(self) -> str | None:
        if not self._ids:
            return None
        if self._next >= len(self._ids):
            shuffle(self._rng, self._ids)
            self._next = 0
        self._next += 1
        return self._ids[self._next - 1]


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class SurfaceChoices:
    """An entry's surface forms by kind, precomputed once."""

    full: str
    alias: tuple[str, ...]
    short: tuple[str, ...]
    any: tuple[str, ...]


def surface_choices(gazetteer: Gazetteer) -> dict[str, SurfaceChoices]:
    out = {}
    for entry in gazetteer:
        short = tuple(f for f in entry.surfaces if f != entry.name and f not in entry.aliases)
        # the canonical name twice: users write it as often as any single short form
        out[entry.id] = SurfaceChoices(entry.name, entry.aliases, short, (entry.name, *entry.surfaces))
    return out


class Sampler:
    """Renders samples of one split; holds no random state of its own (the caller's rng is passed in)."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        grammar: Grammar,
        resolver: Resolver,
        pools: dict[str, tuple[str, ...]],
        distractors: dict[str, tuple[str, ...]],
        surfaces: dict[str, SurfaceChoices],
        reference: dt.date,
        rng: random.Random,
        typo_rate: float = 0.0,
        fullwidth_rate: float = 0.0,
        conflict_rate: float = 0.0,
        novel: NovelNames | None = None,
        novel_rate: float = 0.0,
    ) -> None:
        self.gazetteer = gazetteer
        self.grammar = grammar
        self.resolver = resolver
        self.distractors = distractors
        self.surfaces = surfaces
        self.reference = reference
        self.rng = rng
        self.typo_rate = typo_rate
        self.fullwidth_rate = fullwidth_rate
        self.conflict_rate = conflict_rate
        self.novel = novel
        self.novel_rate = novel_rate if novel is not None else 0.0
        self.cycles = {t: EntryCycle(ids, rng) for t, ids in pools.items()}
        self.pool_sets = {t: frozenset(ids) for t, ids in pools.items()}
        self.hierarchy = gazetteer.domain.hierarchy
        self.levels = {t: i for i, t in enumerate(self.hierarchy)}
        self._deepest: dict[str, str | None] = {}
        self.measure_words = MeasureWordIndex(gazetteer)
        # types whose mentions a following measure word may complete (MeasureWordIndex.extend does nothing for others)
        self._extended = self.measure_words.extendable

    def sample(self, template: Template) -> TaggedQuery:
        rng = self.rng
        chain = self._draw_chain(template)
        state = _RenderState(chain, {})
        if self.novel is not None and self.novel_rate and rng.random() < self.novel_rate:
            state.novel_from = self.novel.pick_level(rng)
        if template.other_slot_types:
            state.other = self._draw_other(chain, template.other_slot_types)
        if template.third_slot_types:
            state.third = self._draw_other(chain, template.third_slot_types, avoid=state.other)
        self._render(template.ops, state)
        text = "".join(state.parts)
        extend, extended = self.measure_words.extend, self._extended
        mentions = [(t, s, extend(t, text, s, e) if t in extended else e) for t, s, e in state.mentions]
        if self.fullwidth_rate and rng.random() < self.fullwidth_rate:
            text = to_fullwidth(text)
        new = tuple.__new__  # Entity's own __new__ is Python: the same tuple, built in C
        entities = [new(Entity, (t, s, e, text[s:e], None, None)) for t, s, e in mentions]
        return self.resolver.record(text, entities, self.reference, {"template": template.id})

    def _draw_chain(self, template: Template) -> dict[str, str]:
        if template.id not in self._deepest:
            hierarchy_slots = [t for t in template.slot_types if t in self.levels]
            self._deepest[template.id] = max(hierarchy_slots, key=self.levels.__getitem__, default=None)
        deepest = self._deepest[template.id]
        if deepest is None:
            return {}
        terminal = self.cycles[deepest].draw()
        if terminal is None:
            return {}
        chain = self.gazetteer.chain_ids(terminal)
        if self.conflict_rate and len(chain) > 1 and self.rng.random() < self.conflict_rate:
            # a wrong parent, as users write when they misremember: the resolver labels it a conflict
            chain = dict(chain)
            level = choice(self.rng, [t for t in chain if t != deepest])
            chain[level] = self.cycles[level].draw() or chain[level]
        return chain

    def _draw_other(
        self, chain: dict[str, str], slot_types: frozenset[str], avoid: dict[str, str] | None = None
    ) -> dict[str, str]:
        """A second (or third) unit for comparisons: at the deepest level of ``slot_types``,
        another entry — a sibling of the first where the split's pool has one, so that the
        shared parent fits all — and its chain; never the first unit nor ``avoid``'s."""
        level = max(slot_types, key=self.levels.__getitem__)
        first = chain.get(level)
        taken = {first, (avoid or {}).get(level)} - {None}
        pool = self.pool_sets.get(level, frozenset())
        siblings = []
        if first is not None:
            parent = self.gazetteer.get(first).parent
            siblings = [c for c in self.gazetteer.children(parent) if c not in taken and c in pool]
        if siblings:
            return self.gazetteer.chain_ids(_pick(self.rng, siblings))
        for _ in range(8):
            other = self.cycles[level].draw() if level in self.cycles else None
            if other is not None and other not in taken:
                return self.gazetteer.chain_ids(other)
        return {}

    def _render(self, ops: tuple[Op, ...], state: _RenderState) -> None:
        rng = self.rng
        parts = state.parts
        for kind, value, form, probability in ops:
            if probability < 1.0 and rng.random() >= probability:
                continue
            if kind == LITERAL:  # state.add, inlined: most ops are literals
                parts.append(value)
                state.length += len(value)
            elif kind == SLOT:
                self._slot(value, form, state)
            elif kind == OTHER_SLOT:
                self._slot(value, form, state, unit=2)
            elif kind == THIRD_SLOT:
                self._slot(value, form, state, unit=3)
            elif kind == FRAGMENT:
                fragment = self.grammar.fragments[value]
                if fragment.probability < 1.0 and rng.random() >= fragment.probability:
                    continue
                pick = bisect(fragment.cum_weights, rng.random() * fragment.cum_weights[-1])
                self._render(fragment.alternatives[pick], state)
            elif kind == DISTRACTOR:
                state.add(_pick(rng, self.distractors[value]))

    def _other_date(self, first: str | None) -> str:
        """A date that differs from the sample's first one (a few draws; dates repeat rarely)."""
        surface = sample_date(self.rng, self.reference)[0]
        for _ in range(3):
            if surface != first:
                break
            surface = sample_date(self.rng, self.reference)[0]
        return surface

    def _slot(self, type_name: str, form: str, state: _RenderState, unit: int = 1) -> None:
        rng = self.rng
        if type_name == "Date":
            if form == "compare":  # 同比, 去年同期: a Date mention without a range
                surface = sample_comparison(rng)
            elif form == "other":  # a second date: 对比今年和去年
                surface = self._other_date(state.drawn.get("Date"))
            else:
                drawn = state.drawn.get("Date")
                if drawn is None:
                    listed = self.cycles.get("Date")
                    if listed and rng.random() < LISTED_DATE_SHARE and (entry_id := listed.draw()):
                        drawn = _pick(rng, self.surfaces[entry_id].any)  # from dates.csv: tagged, no range
                    else:
                        drawn = sample_date(rng, self.reference)[0]
                    state.drawn["Date"] = drawn
                surface = drawn
            state.add_mention(type_name, surface)
            return
        levels = self.levels
        if unit > 1:
            entry_id = (state.other if unit == 2 else state.third).get(type_name)
        else:
            entry_id = state.chain.get(type_name) if type_name in levels else state.drawn.get(type_name)
        if entry_id is None and type_name not in levels:
            entry_id = state.drawn[type_name] = self.cycles[type_name].draw()
        if entry_id is None:
            return  # a level this chain skips (北京市 has no city), or an empty gazetteer file
        choices = self.surfaces[entry_id]
        if form == "full":
            surface = choices.full
        elif form == "alias" and choices.alias:
            surface = _pick(rng, choices.alias)
        elif form == "short" and choices.short:
            surface = _pick(rng, choices.short)
        else:
            surface = _pick(rng, choices.any)
        if (
            state.novel_from is not None
            and self.novel is not None
            and levels.get(type_name, -1) >= levels[state.novel_from]
        ):
            surface = self.novel.rename(type_name, entry_id, surface, rng) or surface
        if self.typo_rate and type_name in levels and rng.random() < self.typo_rate:
            surface = typo(surface, rng) or surface
        split = self.measure_words.split(type_name, surface)
        if split is not None:  # 投诉量 from a user's gazetteer: <Indicator>投诉</Indicator>量
            state.add_mention(type_name, split[0])
            state.add(split[1])
            return
        state.add_mention(type_name, surface)


class _RenderState:
    __slots__ = ("chain", "other", "third", "drawn", "parts", "mentions", "length", "novel_from")

    def __init__(self, chain: dict[str, str], drawn: dict[str, str | None]) -> None:
        self.chain = chain
        self.other: dict[str, str] = {}
        self.third: dict[str, str] = {}
        self.drawn = drawn
        self.parts: list[str] = []
        self.mentions: list[tuple[str, int, int]] = []
        self.length = 0
        self.novel_from: str | None = None  # names at this level and below are invented (generator/novel.py)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def add_mention(self, type_name: str, text: str) -> None:
        self.mentions.append((type_name, self.length, self.length + len(text)))
        self.add(text)
