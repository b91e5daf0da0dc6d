"""``gazetteer suggest``: organisation names annotators marked that the gazetteer does not know.

Human-labelled mentions of a hierarchy level that link to nothing are new entries waiting
to be added (a substation opened last month). The other mentions of the query, resolved
without it, imply its parent: the deepest level above it that they resolve to. A name the
gazetteer knows only elsewhere (新华供电所 exists in 43 places, none under this company) is
new here too; a known name that is merely ambiguous under that parent is not suggested. Rows are grouped by (level, name, parent) with counts and example queries, so a
reviewer can append them to the level's CSV file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolver
from nerloop.records import Entity, TaggedQuery

MAX_EXAMPLES = 3


@dataclass
class Suggestion:
    """A name to add to ``file``: its implied ``parent`` (an id, valid in the CSV ``parent`` column)."""

    type: str
    file: str
    name: str
    parent: str
    count: int = 0
    examples: list[str] = field(default_factory=list)


def implied_parent(gazetteer: Gazetteer, resolved: dict[str, str | None], type_name: str) -> str:
    """The id of the deepest entry above ``type_name`` that ``resolved`` names, or ``""``.

    Walks down the hierarchy from the roots, following each resolved name; a level that
    is ``None`` (unknown, or skipped as for municipalities) is stepped over.
    """
    hierarchy = gazetteer.domain.hierarchy
    current: str | None = None
    for level in hierarchy[: hierarchy.index(type_name)]:
        name = resolved.get(level)
        if name is None:
            continue
        matches = [i for i in gazetteer.descendants(current, level) if gazetteer.get(i).name == name]
        if len(matches) != 1:
            break
        current = matches[0]
    return current or ""


def _context_parent(resolver: Resolver, text: str, entities: tuple[Entity, ...], index: int, reference: dt.date) -> str:
    """The parent the query's other mentions imply for mention ``index``.

    Resolved without the mention itself: a new name that exists elsewhere in the country
    would otherwise make the whole query a conflict and leave nothing resolved.
    """
    others = [Entity(e.type, e.start, e.end, e.text) for j, e in enumerate(entities) if j != index]
    context = resolver.resolve(text, others, reference)
    return implied_parent(resolver.gazetteer, context.record.resolved, entities[index].type)


def suggest_entries(
    records: Iterable[TaggedQuery], resolver: Resolver, reference: dt.date | None = None, min_count: int = 1
) -> list[Suggestion]:
    """Unknown organisation names in gold records, most frequent first.

    Args:
        records: human-labelled records (their mentions are re-linked against ``resolver``'s
            gazetteer, so a name added since is no longer suggested).
        min_count: leave out names seen in fewer queries.
    """
    gazetteer = resolver.gazetteer
    domain = gazetteer.domain
    reference = reference or dt.date.today()
    found: dict[tuple[str, str, str], Suggestion] = {}
    for record in records:
        mentions = [Entity(e.type, e.start, e.end, e.text) for e in record.entities]
        resolution = resolver.resolve(record.text, mentions, reference)
        entities = resolution.record.entities
        for i, (entity, link) in enumerate(zip(entities, resolution.links)):
            if entity.type not in domain.hierarchy or entity.id is not None:
                continue
            parent = _context_parent(resolver, record.text, entities, i, reference)
            if link.candidates and (not parent or any(parent in gazetteer.path_set(c) for c in link.candidates)):
                continue  # a known name, merely ambiguous here
            key = (entity.type, entity.text, parent)
            suggestion = found.get(key)
            if suggestion is None:
                suggestion = found[key] = Suggestion(entity.type, domain.types[entity.type].file, entity.text, parent)
            suggestion.count += 1
            if record.text not in suggestion.examples and len(suggestion.examples) < MAX_EXAMPLES:
                suggestion.examples.append(record.text)
    ordered = sorted(found.values(), key=lambda s: (-s.count, domain.level(s.type), s.name, s.parent))
    return [s for s in ordered if s.count >= min_count]


def suggestions_csv(suggestions: Iterable[Suggestion]) -> str:
    """CSV with ``file,name,parent,count,examples`` (examples joined by ``|``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "name", "parent", "count", "examples"])
    for s in suggestions:
        writer.writerow([s.file, s.name, s.parent, s.count, "|".join(s.examples)])
    return out.getvalue()
