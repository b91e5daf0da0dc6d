"""The hand-written development set: realistic queries that choose thresholds and the combination.

Generated validation data comes from the same grammar as the training data, so choosing on it
rewards recall and never sees what goes wrong in a real log: greetings, pasted text, a person
whose given name is a township, a list of three units. These queries were written by hand over
the national build (``nerloop gazetteer build-cn``), one per line in ``queries.tsv`` as
``CATEGORY<TAB>markup`` with inline tags (``<City>菏泽</City>``). ``removed.txt`` lists entries
to drop from the national build so that names the gazetteer lacks occur (category ``unknown``).

``scripts/build_devset.py`` compiles the markup into records — gold spans resolved against the
*full* national build at :data:`REFERENCE_DATE` — and splits each category alternately into
``dev.jsonl`` (fitting) and ``test.jsonl`` (``bench/quality.py`` reports on it only).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gazetteers.config import ResolverConfig
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolver
from gazetteers.writer import read_id_list
from nerloop.convert.xml import unescape
from nerloop.errors import InputError, Problem
from nerloop.records import Entity, TaggedQuery
from nerloop.textfiles import read_utf8

DEVSET_DIR = Path(__file__).resolve().parent / "data" / "devset"
QUERIES_FILE = "queries.tsv"
REMOVED_FILE = "removed.txt"
SPLITS = ("dev", "test")
# Relative dates (本月, 上季度) in the queries mean what they meant when they were written.
REFERENCE_DATE = dt.date(2026, 11, 25)
CATEGORIES = {
    "routine": "full or partial chains, varied phrasing and dates",
    "ambiguous": "names repeated across the country, with and without a disambiguating parent",
    "noisy": "typos, dropped characters, 所/县公司, fullwidth digits, colloquial endings",
    "list": "two or three units of one level: X和Y, X、Y、Z, X比Y, X与Y对比",
    "unknown": "names the reduced gazetteer lacks (removed.txt, or not in the national build at all)",
    "ood": "an assistant log's out-of-domain traffic: no entity",
    "hard_negative": "person, brand, school, street names and words that contain a place name: no entity",
    "mixed": "an in-domain query inside chat text",
}
ENTITY_FREE = frozenset({"ood", "hard_negative"})
_TAG = re.compile(r"<(/?)([A-Za-z_][A-Za-z0-9_]*)>")


@dataclass(frozen=True)
class DevQuery:
    """One line of ``queries.tsv``: where it is, its category, text and gold spans."""

    line: int
    category: str
    text: str
    entities: tuple[Entity, ...]


def parse_markup(markup: str, types: Iterable[str]) -> tuple[str, tuple[Entity, ...]]:
    """Text and spans of inline-tagged ``markup``; raises ``ValueError`` saying what is wrong.

    Tags do not nest (one mention per span); ``&lt;``, ``&gt;``, ``&amp;`` stand for literal
    characters, so offsets are code points of the unescaped text.
    """
    known = set(types)
    text: list[str] = []
    length = 0
    entities: list[Entity] = []
    open_type: str | None = None
    open_at = 0
    pos = 0
    if "<" in _TAG.sub("", markup) or ">" in _TAG.sub("", markup):
        raise ValueError("a stray < or > (write &lt; and &gt; for literal ones)")
    for match in _TAG.finditer(markup):
        piece = unescape(markup[pos : match.start()])
        text.append(piece)
        length += len(piece)
        closing, name = match.group(1) == "/", match.group(2)
        if name not in known:
            raise ValueError(
                f"unknown tag <{name}> at character {match.start()}; use one of {', '.join(sorted(known))}"
            )
        if not closing:
            if open_type is not None:
                raise ValueError(f"<{name}> opened inside <{open_type}> at character {match.start()}; tags do not nest")
            open_type, open_at = name, length
        else:
            if open_type != name:
                raise ValueError(f"</{name}> at character {match.start()} closes {open_type or 'nothing'}")
            if length == open_at:
                raise ValueError(f"empty <{name}> at character {match.start()}")
            entities.append(Entity(name, open_at, length, "".join(text)[open_at:length]))
            open_type = None
        pos = match.end()
    if open_type is not None:
        raise ValueError(f"<{open_type}> is never closed")
    text.append(unescape(markup[pos:]))
    return "".join(text), tuple(entities)


def read_queries(path: Path, types: Iterable[str]) -> list[DevQuery]:
    """Every query of a ``queries.tsv``; all problems are reported together as ``file:line``."""
    path = Path(path)
    types = tuple(types)
    queries: list[DevQuery] = []
    problems: list[Problem] = []
    for lineno, raw in enumerate(read_utf8(path).splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        category, tab, markup = raw.partition("\t")
        if not tab or not markup.strip():
            problems.append(Problem(str(path), lineno, "expected CATEGORY<TAB>markup"))
            continue
        if category not in CATEGORIES:
            problems.append(Problem(str(path), lineno, f"unknown category {category!r}; use {', '.join(CATEGORIES)}"))
            continue
        try:
            text, entities = parse_markup(markup.strip(), types)
        except ValueError as exc:
            problems.append(Problem(str(path), lineno, str(exc)))
            continue
        if (category in ENTITY_FREE) == bool(entities):
            what = "holds a tag" if entities else "has no tag"
            problems.append(Problem(str(path), lineno, f"a {category} query {what}"))
            continue
        queries.append(DevQuery(lineno, category, text, entities))
    if problems:
        raise InputError(problems, summary=f"{path}: {len(problems)} problem(s) in the development set")
    return queries


def compile_devset(
    queries: Sequence[DevQuery], gazetteer: Gazetteer, reference: dt.date = REFERENCE_DATE
) -> dict[str, list[TaggedQuery]]:
    """Gold records per split: spans as written, chains resolved against ``gazetteer``.

    The split alternates within each category, so dev and test see every kind of query in
    the same proportion and a new line changes only its own category's assignment.
    """
    resolver = Resolver(gazetteer, ResolverConfig())
    seen: dict[str, int] = {}
    out: dict[str, list[TaggedQuery]] = {s: [] for s in SPLITS}
    for query in queries:
        index = seen.get(query.category, 0)
        seen[query.category] = index + 1
        split = SPLITS[index % 2]
        extra = {"category": query.category, "devset_line": query.line, "split": split}
        record = resolver.record(query.text, query.entities, reference, extra=extra)
        record.check_spans()
        out[split].append(record)
    return out


def devset_path(split: str) -> Path:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return DEVSET_DIR / f"{split}.jsonl"


def load_devset(split: str) -> list[TaggedQuery]:
    """The compiled gold records of ``split`` (``dev`` or ``test``)."""
    from nerloop.export import read_jsonl

    return list(read_jsonl(devset_path(split)))


def removed_ids() -> list[str]:
    """Ids to drop from the national build so that the ``unknown`` queries name unknown entries."""
    return read_id_list(DEVSET_DIR / REMOVED_FILE)
