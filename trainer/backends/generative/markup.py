"""The generative target and its strict reading: the query copied, mentions wrapped in type tags.

The target holds the mentions only, never a completed parent: completion is the resolver's
job, so the model must never learn to write a name the text does not contain. The answer is
a *copy plan* (one or more token ids per character of the query, tokenized character by
character so every mention boundary is a token boundary) with tag tokens inserted. Reading
an answer walks the same plan: tags stripped must reproduce the plan exactly, tags must not
nest, be empty, unknown or left open. Spans are taken from the plan's character indices, so
they select the original text even when the tokenizer normalizes it (NFKC) or drops spaces.
Pure Python: no torch, no XML library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from nerloop.convert._spans import sorted_flat_entities
from nerloop.records import Entity, TaggedQuery

_TAG = re.compile(r"<(/?)([A-Za-z_][A-Za-z0-9_.-]*)>")


def open_tag(type_name: str) -> str:
    return f"<{type_name}>"


def close_tag(type_name: str) -> str:
    return f"</{type_name}>"


def tag_strings(types: Sequence[str]) -> list[str]:
    """Every tag token of a domain, opening then closing per type."""
    return [tag for name in types for tag in (open_tag(name), close_tag(name))]


@dataclass(frozen=True)
class CopyPlan:
    """How the answer copies one query, token by token.

    Args:
        ids: the token ids that render the query, in order.
        chars: for each id, the index of the query character it renders.
    """

    ids: tuple[int, ...]
    chars: tuple[int, ...]

    def boundary(self, pos: int) -> bool:
        """Whether a tag may stand before ``ids[pos]`` (``pos == len(ids)``: the end)."""
        return pos == 0 or pos == len(self.ids) or self.chars[pos] != self.chars[pos - 1]

    def position(self, char: int) -> int:
        """The first plan position whose character is at or after ``char``."""
        return next((i for i, c in enumerate(self.chars) if c >= char), len(self.chars))


def copy_plan(text: str, encode_char: Callable[[str], Sequence[int]]) -> CopyPlan:
    """Tokenize ``text`` one character at a time (``encode_char`` may return no id, e.g. a space)."""
    ids: list[int] = []
    chars: list[int] = []
    for index, ch in enumerate(text):
        for token in encode_char(ch):
            ids.append(token)
            chars.append(index)
    return CopyPlan(tuple(ids), tuple(chars))


def mention_markup(record: TaggedQuery) -> str:
    """The query with a tag pair around each mention and nothing else (no completed parents).

    Raises:
        SpanError: a span does not select its text.
        OverlapError: two mentions overlap.
    """
    parts: list[str] = []
    pos = 0
    for ent in sorted_flat_entities(record):
        parts += [record.text[pos : ent.start], open_tag(ent.type), ent.text, close_tag(ent.type)]
        pos = ent.end
    parts.append(record.text[pos:])
    return "".join(parts)


def answer_ids(record: TaggedQuery, plan: CopyPlan, tag_ids: Mapping[str, int]) -> list[int]:
    """The training answer: ``plan.ids`` with tag ids inserted around the record's mentions.

    Raises:
        SpanError, OverlapError: as :func:`mention_markup`.
    """
    inserts: dict[int, list[int]] = {}
    for ent in sorted_flat_entities(record):
        start, end = plan.position(ent.start), plan.position(ent.end)
        if start == end:  # a mention of characters the tokenizer drops entirely
            continue
        inserts.setdefault(start, []).append(tag_ids[open_tag(ent.type)])
        inserts.setdefault(end, []).insert(0, tag_ids[close_tag(ent.type)])
    out: list[int] = []
    for pos, token in enumerate(plan.ids):
        out += inserts.get(pos, ())
        out.append(token)
    out += inserts.get(len(plan.ids), ())
    return out


def read_answer(
    ids: Sequence[int], plan: CopyPlan, tags: Mapping[int, tuple[str, bool]], text: str
) -> tuple[Entity, ...] | None:
    """The mentions an answer marks, or ``None`` when it is not a valid copy of the query.

    Args:
        ids: the answer's ids up to (not including) the end-of-sequence token.
        plan: the query's copy plan.
        tags: tag id → (type, is_closing) for every known tag.
        text: the query, for the mentions' text.
    """
    pos = 0
    open_type: str | None = None
    open_at = 0
    spans: list[tuple[str, int, int]] = []
    for token in ids:
        tag = tags.get(token)
        if tag is None:
            if pos >= len(plan.ids) or plan.ids[pos] != token:
                return None  # changed, added or extra text
            pos += 1
            continue
        type_name, closing = tag
        if not plan.boundary(pos):
            return None
        if not closing:
            if open_type is not None:
                return None  # nested
            open_type, open_at = type_name, pos
        else:
            if open_type != type_name or pos == open_at:
                return None  # stray, mismatched or empty
            spans.append((type_name, open_at, pos))
            open_type = None
    if open_type is not None or pos != len(plan.ids):
        return None  # unclosed, or text left uncopied
    entities = []
    for type_name, first, stop in spans:
        start, end = plan.chars[first], plan.chars[stop - 1] + 1
        entities.append(Entity(type_name, start, end, text[start:end]))
    return tuple(entities)


def parse_markup(markup: str, text: str, types: Sequence[str]) -> tuple[Entity, ...] | None:
    """Read a written answer (tags as text) strictly against ``text``; ``None`` when invalid.

    The same rules as :func:`read_answer`, over characters: an unknown tag name, nesting,
    an empty or unclosed tag, or any change to the text makes the answer unparseable.
    """
    known = {name: i for i, name in enumerate(types)}
    tags: dict[int, tuple[str, bool]] = {}
    units: list[int] = []
    pos = 0
    for match in _TAG.finditer(markup):
        units += [ord(ch) for ch in markup[pos : match.start()]]
        closing, name = match.group(1) == "/", match.group(2)
        if name not in known:
            return None
        unit = -1 - 2 * known[name] - closing  # negative ids never clash with characters
        tags[unit] = (name, closing)
        units.append(unit)
        pos = match.end()
    units += [ord(ch) for ch in markup[pos:]]
    plan = CopyPlan(tuple(ord(ch) for ch in text), tuple(range(len(text))))
    return read_answer(units, plan, tags, text)
