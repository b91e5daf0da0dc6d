"""Entity-free records ("negatives") and mixed records for ``nerloop generate``.

A model trained only on queries that name units learns to find a unit in every text. So a
share of the generated records holds no entity at all, from four sources:

* ``ood``: out-of-domain assistant traffic (greetings, thanks, questions about the system,
  weather, English, codes, emoji, pasted paragraphs): the templates of ``data/negatives.yaml``.
* ``person``: person names in sentences about people; faker's and ones whose given name is a
  short form of a company or substation (赵建国, where 建国 names a township).
* ``place_name``: schools, hospitals, streets, shops and brands named after a short form
  (千佛山中学, 麒麟大厦, 平安银行), and dishes, products, universities, papers and teams named
  after a city or province (兰州拉面, 青岛啤酒, 山东大学): the short form of a city there names
  no unit, though the matcher reads one.
* ``word``: words of jieba's dictionary that contain a short form (刷新一次 holds 新一).

The last three are *hard* negatives: they hold a short form and name no organisation. Every
item is checked against the gazetteer matcher when it is drawn and dropped when it fails, so
no text that the gazetteer resolves as an entity is ever labelled as none: an ``ood`` text
must hold no candidate mention at all; a hard negative no mention that the matcher takes
with a strong form (a name, an explicit alias other than a weak two-character one, a date,
an indicator, a guessed name) — except the city or province short form a ``place_name`` item
was built on, inside that item — and neither it nor its name may itself be a surface form.

A *mixed* record is an in-domain query with such a clause before or after it (你好，…;
…，谢谢; 王建国让我来问一下，…), labelled for the query only.

The hard negatives' material (short forms, brands, jieba words, faker names) is gathered in
:mod:`generator.hard_negatives`.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Sequence
from itertools import accumulate
from pathlib import Path

from gazetteers.matcher import GazetteerMatcher
from gazetteers.segmentation import ALIAS, FULL
from generator.distractors import SURNAMES
from generator.errors import GrammarError
from generator.grammar import DISTRACTOR, FRAGMENT, LITERAL, Fragment, Grammar, Op, load_grammar
from generator.hard_negatives import dictionary_words, faker_people, hard_negative_candidates
from nerloop.domain import Domain
from nerloop.errors import Problem
from nerloop.records import Entity, TaggedQuery

NEGATIVES_GRAMMAR = Path(__file__).parent / "data" / "negatives.yaml"
# The frame fragment each hard-negative source writes its item into.
FRAMES = {"person": "person_frame", "place_name": "place_frame", "word": "word_frame"}
HARD_SOURCES = tuple(FRAMES)
REQUIRED_FRAGMENTS = (*FRAMES.values(), "place_suffix", "mixed_before", "mixed_after", "mixed_joiner")
# Optional: a grammar without it builds no place names on city and province forms.
OUTER_SUFFIX = "outer_suffix"
# Shares within a source: persons named after a short form (the rest from faker), brands (the rest short form + suffix).
BUILT_PERSON_SHARE = 0.5
BRAND_SHARE = 0.1
# Share of place names built on a city or province short form (兰州 + 拉面) rather than a company's or township's.
OUTER_SHARE = 0.25
# Gazetteer checks remembered by text (the frequent ood ones repeat) before the memory starts over.
VERDICTS_KEPT = 1 << 16
# Where a clause ends in one of these, a query follows it without a joiner.
_CLOSING = frozenset("，,。！!？?~～…：: ")


def strong_mention(matcher: GazetteerMatcher, entity: Entity) -> bool:
    """Whether the matcher tags ``entity`` as more than a short form: what a negative must not hold.

    Dates, indicators and guessed names count, and so do canonical names and explicit
    aliases, except the weak two-character ones (which the matcher treats as short forms).
    """
    if entity.type not in matcher.gazetteer.domain.hierarchy:
        return True
    info = matcher.form_info(entity.text)
    if info is None:  # a guessed name or a misspelt suffix taken in
        return True
    _, strength, weak = info
    return strength == FULL or (strength == ALIAS and not weak)


def load_negatives_grammar(domain: Domain, path: Path | None = None) -> Grammar:
    """The negatives grammar (default: ``data/negatives.yaml``), checked for what this module needs.

    Raises:
        GrammarError: a fragment is missing, or a template has an entity slot or a distractor.
    """
    grammar = load_grammar(path or NEGATIVES_GRAMMAR, domain)
    problems = [
        Problem(grammar.source, 1, f"the negatives grammar needs a fragment {name!r}")
        for name in REQUIRED_FRAGMENTS
        if name not in grammar.fragments
    ]
    for template in grammar.templates:
        if template.slot_types or template.other_slot_types or _uses_distractor(template.ops, grammar.fragments):
            problems.append(
                Problem(
                    grammar.source,
                    template.line,
                    f"ood template {template.id!r} has an entity slot or a distractor; write plain text and fragments",
                )
            )
    if problems:
        raise GrammarError(problems, summary=f"negatives grammar {grammar.source} has {len(problems)} problem(s)")
    return grammar


def _uses_distractor(ops: tuple[Op, ...], fragments: dict[str, Fragment], seen: frozenset[str] = frozenset()) -> bool:
    for kind, value, _, _ in ops:
        if kind == DISTRACTOR:
            return True
        if kind == FRAGMENT and value not in seen:
            if any(_uses_distractor(alt, fragments, seen | {value}) for alt in fragments[value].alternatives):
                return True
    return False


def render(
    ops: Sequence[Op], fragments: dict[str, Fragment], rng: random.Random, fill: Callable[[str], str] | None = None
) -> str:
    """Text of slot-free ``ops``: literals, fragments by weight, ``fill(kind)`` for each distractor."""
    parts: list[str] = []
    _render(ops, fragments, rng, fill, parts)
    return "".join(parts)


def _render(ops, fragments, rng, fill, parts: list[str]) -> None:
    for kind, value, _, probability in ops:
        if probability < 1.0 and rng.random() >= probability:
            continue
        if kind == LITERAL:
            parts.append(value)
        elif kind == FRAGMENT:
            fragment = fragments[value]
            if fragment.probability < 1.0 and rng.random() >= fragment.probability:
                continue
            _render(_alternative(fragment, rng)[1], fragments, rng, fill, parts)
        elif kind == DISTRACTOR and fill is not None:
            parts.append(fill(value))


def _alternative(fragment: Fragment, rng: random.Random) -> tuple[int, tuple[Op, ...]]:
    pick = bisect(fragment.cum_weights, rng.random() * fragment.cum_weights[-1])
    return pick, fragment.alternatives[pick]


class NegativeSampler:
    """Draws checked entity-free records and mixed records; candidate lists are built once per run.

    Holds no random state: every draw takes the caller's ``rng``. ``dropped`` counts the
    drawn items that failed the gazetteer check.
    """

    def __init__(
        self, matcher: GazetteerMatcher, grammar: Grammar, weights: Sequence[tuple[str, float]], seed: int
    ) -> None:
        self.matcher = matcher
        self.grammar = grammar
        self.dropped = 0
        self.warnings: list[str] = []
        self._verdicts: dict[tuple[str, str], bool] = {}
        self._unresolved = {level: None for level in matcher.gazetteer.domain.hierarchy}
        with_words = bool(dict(weights).get("word"))
        candidates = hard_negative_candidates(matcher, with_words)
        if with_words and not dictionary_words():
            self.warnings.append("jieba is not installed: no `word` negatives (pip install jieba)")
        self.given_names, self.place_forms, self.brands, self.words, self.outer_forms = candidates
        if OUTER_SUFFIX not in grammar.fragments:
            self.outer_forms = ()
        self.people = faker_people(seed)
        self.available = {
            "ood": bool(grammar.templates),
            "person": bool(self.people or self.given_names),
            "place_name": bool(self.place_forms or self.brands),
            "word": bool(self.words),
        }
        self.sources = tuple(s for s, w in weights if w > 0 and self.available.get(s))
        self._cum = list(accumulate(w for s, w in weights if s in self.sources))
        self._template_cum = list(accumulate(t.weight for t in grammar.templates))

    def pick_source(self, rng: random.Random) -> str | None:
        if not self.sources:
            return None
        return self.sources[bisect(self._cum, rng.random() * self._cum[-1])]

    def sample(self, rng: random.Random, source: str | None = None) -> TaggedQuery | None:
        """One entity-free record (of ``source``, or one drawn by weight); ``None`` when the draw failed the check."""
        source = source or self.pick_source(rng)
        if source is None or not self.available.get(source):
            return None
        drawn = self._ood(rng) if source == "ood" else self._hard(source, rng)
        if drawn is None:
            return None
        text, item_id = drawn
        return TaggedQuery(
            text,
            resolved=dict(self._unresolved),
            targets=(),
            extra={"template": f"negative:{source}:{item_id}", "negative": source},
        )

    def mix(self, record: TaggedQuery, rng: random.Random) -> TaggedQuery | None:
        """``record`` with an out-of-domain or hard-negative clause before or after it; ``None`` when that failed."""
        source = self.pick_source(rng)
        if source is None or not record.entities:
            return None
        before = rng.random() < 0.5
        if source == "ood":
            fragment = self.grammar.fragments["mixed_before" if before else "mixed_after"]
            clause = render(_alternative(fragment, rng)[1], self.grammar.fragments, rng)
            if not self._checked(clause, (), ood=True):
                return None
        else:
            drawn = self._hard(source, rng)
            if drawn is None:
                return None
            clause = drawn[0]
        joiner = render(_alternative(self.grammar.fragments["mixed_joiner"], rng)[1], self.grammar.fragments, rng)
        first = clause if before else record.text
        if first and first[-1] in _CLOSING:
            joiner = ""
        text = f"{clause}{joiner}{record.text}" if before else f"{record.text}{joiner}{clause}"
        boundary = len(clause) + len(joiner) if before else len(record.text)
        if not joiner and self._spans(text, boundary):
            self.dropped += 1
            return None
        shift = boundary if before else 0
        new = tuple.__new__  # Entity._replace runs two interpreted frames: the same tuple, built in C
        entities = tuple([new(Entity, (t, s + shift, e + shift, x, i, c)) for t, s, e, x, i, c in record.entities])
        return TaggedQuery(
            text,
            entities,
            record.resolved,
            record.ambiguous,
            record.conflict,
            record.date,
            {**record.extra, "mixed": source},
            record.targets,
        )

    def _ood(self, rng: random.Random) -> tuple[str, str] | None:
        templates = self.grammar.templates
        template = templates[bisect(self._template_cum, rng.random() * self._template_cum[-1])]
        text = render(template.ops, self.grammar.fragments, rng).strip()
        return (text, template.id) if text and self._checked(text, (), ood=True) else None

    def _hard(self, source: str, rng: random.Random) -> tuple[str, str] | None:
        items: list[str] = []
        allowed: list[str] = []

        def fill(_kind: str) -> str:
            item, form = self._item(source, rng)
            items.append(item)
            if form is not None:
                allowed.append(form)
            return item

        index, ops = _alternative(self.grammar.fragments[FRAMES[source]], rng)
        text = render(ops, self.grammar.fragments, rng, fill).strip()
        ok = text and self._checked(text, tuple(items), allowed=frozenset(allowed))
        return (text, f"frame{index + 1}") if ok else None

    def _item(self, source: str, rng: random.Random) -> tuple[str, str | None]:
        """One item, and the city or province form it was built on (which the check then allows in it)."""
        if source == "person":
            if self.given_names and (not self.people or rng.random() < BUILT_PERSON_SHARE):
                return _pick(rng, SURNAMES) + _pick(rng, self.given_names), None
            return _pick(rng, self.people), None
        if source == "place_name":
            if self.outer_forms and (not self.place_forms or rng.random() < OUTER_SHARE):
                form = _pick(rng, self.outer_forms)
                return form + self._fragment(OUTER_SUFFIX, rng), form
            if self.brands and (not self.place_forms or rng.random() < BRAND_SHARE):
                return _pick(rng, self.brands), None
            return _pick(rng, self.place_forms) + self._fragment("place_suffix", rng), None
        return _pick(rng, self.words), None

    def _fragment(self, name: str, rng: random.Random) -> str:
        return render(_alternative(self.grammar.fragments[name], rng)[1], self.grammar.fragments, rng)

    def _checked(
        self, text: str, items: tuple[str, ...], ood: bool = False, allowed: frozenset[str] = frozenset()
    ) -> bool:
        """The gazetteer check, remembered per text; a failed draw counts as dropped."""
        key = (text, "\0".join((*items, "", *sorted(allowed))) if not ood else "\0ood")
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) >= VERDICTS_KEPT:  # most texts are drawn once: start over, memory stays flat
                self._verdicts.clear()
            verdict = self._verdicts[key] = self._passes(text, items, ood, allowed)
        if not verdict:
            self.dropped += 1
        return verdict

    def _passes(self, text: str, items: tuple[str, ...], ood: bool, allowed: frozenset[str] = frozenset()) -> bool:
        matcher = self.matcher
        if ood:
            return not matcher.candidates(text)
        if any(matcher.form_info(x) is not None for x in (text, *items)):
            return False
        return not any(
            strong_mention(matcher, e) and not _inside_item(e, text, items, allowed) for e in matcher.find(text)
        )

    def _spans(self, text: str, boundary: int) -> bool:
        """Whether a candidate mention crosses ``boundary`` (a clause and a query written together)."""
        return any(m.start < boundary < m.end for m in self.matcher.candidates(text))


def _inside_item(mention: Entity, text: str, items: tuple[str, ...], allowed: frozenset[str]) -> bool:
    """Whether ``mention`` is an allowed city or province form inside one of ``items`` in ``text``."""
    if mention.text not in allowed:
        return False
    for item in items:
        at = text.find(item)
        while at != -1:
            if at <= mention.start and mention.end <= at + len(item):
                return True
            at = text.find(item, at + 1)
    return False


def _pick(rng: random.Random, items: Sequence[str]) -> str:
    return items[int(rng.random() * len(items))]
