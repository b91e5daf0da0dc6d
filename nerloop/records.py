"""The one representation of a tagged query, shared by every part of nerloop.

A record is the query text, the mentions found in it as code-point spans, the
hierarchy chain resolved from the gazetteer, and the normalized date. Converters
to BIO, XML, Label Studio and the like live at the edges and start from here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mypy_extensions import mypyc_attr

from nerloop.errors import NerloopError
from nerloop.frozen import fast_init
from nerloop.jsonl import compact_json, compact_json_line


class SpanError(NerloopError):
    """A span's offsets do not select its text: the record would teach the wrong thing."""


def _offset(data: dict[str, Any], key: str) -> int:
    """An offset as written: an integer, never a float silently truncated (3.7 is not 3)."""
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"entity {key} must be an integer code-point offset, not {value!r}")
    return value


class Entity(NamedTuple):
    """One mention: ``text == query[start:end]`` (Python code-point offsets, end exclusive).

    A named tuple rather than a dataclass: immutable all the same, and generation and
    tagging build millions of them.
    """

    type: str
    start: int
    end: int
    text: str
    id: str | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _entity_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(
            type=str(data["type"]),
            start=_offset(data, "start"),
            end=_offset(data, "end"),
            text=str(data["text"]),
            id=data.get("id"),
            score=data.get("score"),
        )


class DateRange(NamedTuple):
    """An inclusive day range, the normalized meaning of a Date mention.

    A named tuple, as :class:`Entity` is, built with ``tuple.__new__`` by :func:`date_range`: the
    date grammar makes one per date it reads or samples, and caches keep them by the ten thousand
    (a frozen dataclass ran an interpreted ``__init__`` and took twice the memory).
    """

    start: dt.date
    end: dt.date

    def to_dict(self) -> dict[str, str]:
        return _date_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> DateRange:
        return date_range(dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"]))


def _entity_dict(entity: Entity) -> dict[str, Any]:
    """:meth:`Entity.to_dict`; a function, so that compiled callers call it natively (a named tuple's
    methods are called through Python's protocol)."""
    kind, start, end, text, entity_id, score = entity
    out: dict[str, Any] = {"type": kind, "start": start, "end": end, "text": text}
    if entity_id is not None:
        out["id"] = entity_id
    if score is not None:
        out["score"] = score
    return out


# ISO forms of the days written lately: date.isoformat formats through PyUnicode_FromFormat, ~4,500
# instructions a call, and a generated set writes the same days again and again.
_ISO_DAYS: dict[dt.date, str] = {}
_ISO_DAYS_LIMIT = 65_536


def _iso(day: dt.date) -> str:
    found = _ISO_DAYS.get(day)
    if found is None:
        if len(_ISO_DAYS) >= _ISO_DAYS_LIMIT:
            _ISO_DAYS.clear()
        found = _ISO_DAYS[day] = day.isoformat()
    return found


def _date_dict(date: DateRange) -> dict[str, str]:
    """:meth:`DateRange.to_dict` (a function for the reason :func:`_entity_dict` is one)."""
    start, end = date
    return {"start": _iso(start), "end": _iso(end)}


def _target_dict(target: Target) -> dict[str, Any]:
    """:meth:`Target.to_dict` (a function for the reason :func:`_entity_dict` is one)."""
    mentions, resolved, ambiguous, conflict = target
    return {
        "mentions": list(mentions),
        "resolved": dict(resolved),
        "ambiguous": [list(chain) for chain in ambiguous],
        "conflict": conflict,
    }


def date_range(start: dt.date, end: dt.date) -> DateRange:
    """``DateRange(start, end)``, built in C (the named tuple's own ``__new__`` is Python)."""
    return tuple.__new__(DateRange, (start, end))  # type: ignore[type-var]


class Target(NamedTuple):
    """One organisation a query is about (CONTRACTS.md §2, ``targets``).

    ``mentions`` index the record's ``entities``; a higher-level mention that fits
    several targets (a city over two of its companies) is listed in each. A named tuple (the
    resolver builds one per target of every record with ``tuple.__new__``); ``resolved`` is
    the target's own dict, not to be shared.
    """

    mentions: tuple[int, ...]
    resolved: dict[str, str | None]
    ambiguous: tuple[tuple[str, ...], ...] = ()
    conflict: bool = False

    def to_dict(self) -> dict[str, Any]:
        return _target_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Target:
        return cls(
            mentions=tuple(int(i) for i in data.get("mentions") or ()),
            resolved=dict(data.get("resolved") or {}),
            ambiguous=tuple(tuple(chain) for chain in data.get("ambiguous") or ()),
            conflict=bool(data.get("conflict", False)),
        )


@fast_init
@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class TaggedQuery:
    """A query with its mentions, resolved hierarchy chain and date (CONTRACTS.md §2).

    ``resolved`` maps every hierarchy level to a canonical gazetteer name or ``None``;
    ``ambiguous`` lists candidate chains (lists of ids) when the mentions fit several;
    ``conflict`` says the mentions contradict the gazetteer. ``extra`` carries
    optional fields (``template``, ``split``, ``uncertainty``, ``xml``, ``model``…)
    that are written out as top-level keys. ``targets`` lists the organisations the
    query is about, one per compared or listed unit; ``None`` for records written
    before targets existed (they load as they are and are written back without them).
    """

    text: str
    entities: tuple[Entity, ...] = ()
    resolved: dict[str, str | None] = field(default_factory=dict)
    ambiguous: tuple[tuple[str, ...], ...] = ()
    conflict: bool = False
    date: DateRange | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    targets: tuple[Target, ...] | None = None

    def check_spans(self) -> None:
        """Raise :class:`SpanError` unless every span selects its text; call at every edge."""
        text = self.text
        for kind, start, end, mention, _, _ in self.entities:  # unpacked in C, not read by name
            if not (0 <= start < end <= len(text)) or text[start:end] != mention:
                raise SpanError(
                    f"span {kind} [{start}:{end}] {mention!r} does not match {text[start:end]!r} in {text!r}"
                )
        for target in self.targets or ():
            if any(not 0 <= i < len(self.entities) for i in target.mentions):
                raise SpanError(f"target mentions {list(target.mentions)} point outside the entities of {self.text!r}")

    def with_extra(self, **extra: Any) -> TaggedQuery:
        """A copy with ``extra`` added to (or replacing) the extra fields.

        Built field by field rather than by ``dataclasses.replace``, which reads every field by
        name first: this runs on every line ``tag`` prints and on every test-split sample
        ``generate`` writes (a test compares it with ``replace`` over all fields).
        """
        return TaggedQuery(
            self.text,
            self.entities,
            self.resolved,
            self.ambiguous,
            self.conflict,
            self.date,
            {**self.extra, **extra},
            self.targets,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "entities": [_entity_dict(e) for e in self.entities],
            "resolved": dict(self.resolved),
            "ambiguous": [list(chain) for chain in self.ambiguous],
            "conflict": self.conflict,
            "date": _date_dict(self.date) if self.date else None,
        }
        if self.targets is not None:
            out["targets"] = [_target_dict(t) for t in self.targets]
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out

    def to_json(self) -> str:
        return compact_json(self.to_dict())

    def to_json_line(self) -> bytes:
        """``to_json()`` and a newline, as UTF-8 bytes: what a JSON Lines file of records holds."""
        return compact_json_line(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaggedQuery:
        known = {"text", "entities", "resolved", "ambiguous", "conflict", "date", "targets"}
        targets = data.get("targets")
        record = cls(
            text=str(data["text"]),
            entities=tuple(Entity.from_dict(e) for e in data.get("entities") or ()),
            resolved=dict(data.get("resolved") or {}),
            ambiguous=tuple(tuple(chain) for chain in data.get("ambiguous") or ()),
            conflict=bool(data.get("conflict", False)),
            date=DateRange.from_dict(data["date"]) if data.get("date") else None,
            extra={k: v for k, v in data.items() if k not in known},
            targets=None if targets is None else tuple(Target.from_dict(t) for t in targets),
        )
        record.check_spans()
        return record

    @classmethod
    def from_json(cls, line: str) -> TaggedQuery:
        return cls.from_dict(json.loads(line))
