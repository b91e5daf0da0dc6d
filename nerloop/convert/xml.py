"""Inline-XML annotation: the target of the generative backend.

The model copies the query and wraps each mention in a tag named after its
type; parents that the text omits but the gazetteer determines are written as
extra tags with their canonical name. Parsing checks the copy character by
character against the original text, so a model that rewrites the query is
caught instead of yielding shifted spans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mypy_extensions import mypyc_attr

from nerloop.convert._spans import sorted_flat_entities
from nerloop.convert.errors import XmlParseError
from nerloop.domain import Domain
from nerloop.records import Entity, TaggedQuery

_TAG = re.compile(r"<(/?)([A-Za-z_][A-Za-z0-9_.-]*)>")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def escape(text: str) -> str:
    """Escape the characters that would read as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo :func:`escape` in one pass; a bare ``&`` is kept, as models often write one."""
    return _ENTITY.sub(lambda m: _UNESCAPED[m.group(1)], text)


def _tag(type_name: str, content: str) -> str:
    return f"<{type_name}>{escape(content)}</{type_name}>"


def record_to_xml(record: TaggedQuery, domain: Domain) -> str:
    """The text with inline mention tags and the completed parents.

    A hierarchy level that ``record.resolved`` names but the text does not
    mention goes immediately before the first mention (in text order) of a
    deeper level, so the chain reads outermost first where the text allows.
    A completed level with no deeper mention goes at the start.

    Raises:
        SpanError: a span does not select its text.
        OverlapError: two mentions overlap.
    """
    mentions = sorted_flat_entities(record)
    mentioned = {e.type for e in mentions}
    inserts: dict[int, list[str]] = {}
    for level, type_name in enumerate(domain.hierarchy):
        name = record.resolved.get(type_name)
        if not name or type_name in mentioned:
            continue
        deeper = set(domain.hierarchy[level + 1 :])
        at = next((e.start for e in mentions if e.type in deeper), 0)
        inserts.setdefault(at, []).append(_tag(type_name, name))
    parts: list[str] = []
    pos = 0
    for ent in mentions:
        parts.append(escape(record.text[pos : ent.start]))
        parts.extend(inserts.pop(ent.start, ()))
        parts.append(_tag(ent.type, ent.text))
        pos = ent.end
    parts.append(escape(record.text[pos:]))
    # Only a completion without a deeper mention can be left (position 0, no mention there).
    leftover = [tag for at in sorted(inserts) for tag in inserts[at]]
    return "".join(leftover) + "".join(parts)


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class _Segment:
    type: str | None  # None: untagged text
    content: str


def _segments(xml: str, domain: Domain) -> list[_Segment]:
    segments: list[_Segment] = []
    open_type: str | None = None
    pos = 0
    for match in _TAG.finditer(xml):
        between = unescape(xml[pos : match.start()])
        closing, name = match.group(1) == "/", match.group(2)
        if name not in domain.types:
            raise XmlParseError(
                f"unknown tag <{match.group(1)}{name}> at {match.start()} in {xml!r}; "
                f"known types: {', '.join(domain.types)}"
            )
        if not closing:
            if open_type is not None:
                raise XmlParseError(f"<{name}> opened inside <{open_type}> at {match.start()} in {xml!r}")
            if between:
                segments.append(_Segment(None, between))
            open_type = name
        else:
            if open_type != name:
                raise XmlParseError(
                    f"</{name}> at {match.start()} does not close "
                    f"{'<' + open_type + '>' if open_type else 'any tag'} in {xml!r}"
                )
            if not between:
                raise XmlParseError(f"empty <{name}></{name}> at {match.start()} in {xml!r}")
            segments.append(_Segment(name, between))
            open_type = None
        pos = match.end()
    if open_type is not None:
        raise XmlParseError(f"<{open_type}> is never closed in {xml!r}")
    if pos < len(xml):
        segments.append(_Segment(None, unescape(xml[pos:])))
    return segments


def _describe_failure(segment: _Segment | None, pos: int, text: str) -> str:
    if segment is None:
        return f"the output ends at character {pos} but the text goes on with {text[pos:]!r}"
    found = text[pos : pos + len(segment.content)]
    if segment.type is None:
        return f"untagged {segment.content!r} does not match the text at character {pos} ({found!r})"
    return (
        f"<{segment.type}>{segment.content}</{segment.type}> does not continue the text at "
        f"character {pos} ({found!r}) and is not a hierarchy level that could be a completed parent"
    )


def _align(segments: list[_Segment], text: str, hierarchy: frozenset[str]) -> list[bool]:
    """For each segment, whether it is read from the text (else it is a completion).

    Reading a tag as a mention is tried first; reading a hierarchy tag as a
    completion is the fallback, so a completed name that happens to equal the
    following text does not derail the parse. Depth-first with a memo of dead
    ends, iterative so that long outputs cannot exhaust the stack.
    """
    n = len(segments)

    def options(i: int, pos: int) -> list[tuple[bool, int]]:
        if i == n:
            return []
        seg = segments[i]
        opts = [(True, pos + len(seg.content))] if text.startswith(seg.content, pos) else []
        if seg.type in hierarchy:
            opts.append((False, pos))
        return opts

    dead: set[tuple[int, int]] = set()
    furthest = (-1, -1)
    stack: list[tuple[int, int, list[tuple[bool, int]]]] = [(0, 0, options(0, 0))]
    choices: list[bool] = []
    while stack:
        i, pos, opts = stack[-1]
        if i == n and pos == len(text):
            return choices
        if not opts:
            dead.add((i, pos))
            furthest = max(furthest, (i, pos))
            stack.pop()
            if choices:
                choices.pop()
            continue
        read, new_pos = opts.pop(0)
        if (i + 1, new_pos) not in dead:
            choices.append(read)
            stack.append((i + 1, new_pos, options(i + 1, new_pos)))
    i, pos = furthest
    raise XmlParseError(_describe_failure(segments[i] if i < n else None, pos, text) + f" in {text!r}")


def xml_to_entities(xml: str, text: str, domain: Domain) -> tuple[tuple[Entity, ...], dict[str, str]]:
    """Read model output back into mentions of ``text`` and completed parents.

    Returns:
        The mentions with their spans in ``text``, and ``{type: name}`` for the
        hierarchy tags that do not copy the text (the completions).

    Raises:
        XmlParseError: malformed markup, an unknown tag, untagged text that
            differs from ``text``, or a completion given twice.
    """
    segments = _segments(xml, domain)
    choices = _align(segments, text, frozenset(domain.hierarchy))
    entities: list[Entity] = []
    completions: dict[str, str] = {}
    pos = 0
    for seg, read in zip(segments, choices):
        if read:
            end = pos + len(seg.content)
            if seg.type is not None:
                entities.append(Entity(seg.type, pos, end, seg.content))
            pos = end
        else:
            assert seg.type is not None
            if seg.type in completions:
                raise XmlParseError(
                    f"{seg.type} completed twice ({completions[seg.type]!r}, {seg.content!r}) in {xml!r}"
                )
            completions[seg.type] = seg.content
    return tuple(entities), completions
