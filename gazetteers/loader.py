"""Read and validate a gazetteer directory (CONTRACTS.md §1).

Every problem is collected with its file and line, so a user fixes a CSV in one
pass instead of one error per run. Parents are resolved level by level, top down,
because default ids are paths of names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import pickle
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import process

from gazetteers.aliases import surface_forms
from gazetteers.encoding import EncodingProblem, decode_bytes, sniff_delimiter
from gazetteers.model import Entry, Gazetteer
from nerloop.atomic import atomic_open
from nerloop.domain import DOMAIN_FILE, Domain, EntityType, domain_for_directory
from nerloop.errors import InputError, NerloopError, Problem
from nerloop.hashing import stable_hex

ALIAS_SEPARATOR = "|"


@dataclass
class Row:
    """One CSV row before validation."""

    line: int
    name: str
    parent: str
    aliases: tuple[str, ...]
    id: str
    meta: dict[str, str]


@dataclass
class _Table:
    file: Path
    encoding: str
    rows: list[Row] = field(default_factory=list)
    # names and ids of rows refused for a problem already reported: children naming them are not reported again
    refused: set[str] = field(default_factory=set)


def read_table(path: Path, entity_type: EntityType, needs_parent: bool, problems: list[Problem]) -> _Table | None:
    """Decode one CSV and check its header; row-level checks come later."""
    try:
        text, encoding = decode_bytes(path.read_bytes())
    except EncodingProblem as exc:
        problems.append(Problem(str(path), exc.line, str(exc)))
        return None
    if not text.strip():
        problems.append(Problem(str(path), 1, "empty file; expected a header row"))
        return None
    delimiter = sniff_delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        problems.append(Problem(str(path), 1, f"bad CSV header: {exc}"))
        return None
    required = ["name"] + (["parent"] if needs_parent else [])
    missing = [c for c in required if c not in header]
    if missing:
        problems.append(
            Problem(
                str(path),
                1,
                f"missing required column(s) {', '.join(missing)} (header: {', '.join(header)}); "
                f"{entity_type.file} needs {', '.join(required)}",
            )
        )
        return None
    table = _Table(path, encoding)
    while True:
        line = reader.line_num + 1  # where the record starts (a quoted field may span lines)
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(str(path), line, f"bad CSV: {exc}; the rest of the file is not read"))
            return None
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            problems.append(Problem(str(path), line, f"{len(values)} fields but the header has {len(header)}"))
            continue
        cells = dict(zip(header, (v.strip() for v in values)))
        name = cells.get("name", "")
        if not name:
            problems.append(Problem(str(path), line, "empty name"))
            continue
        unprintable = _unprintable(cells)
        if unprintable:
            problems.append(Problem(str(path), line, unprintable))
            # children may name it as written or as it reads without the stray character
            table.refused.update({name, _printable(name), cells.get("id", ""), _printable(cells.get("id", ""))} - {""})
            continue
        aliases = tuple(a.strip() for a in cells.get("aliases", "").split(ALIAS_SEPARATOR) if a.strip())
        meta = {k: v for k, v in cells.items() if k not in ("name", "parent", "aliases", "id") and k}
        table.rows.append(Row(line, name, cells.get("parent", ""), aliases, cells.get("id", ""), meta))
    if not table.rows and not table.refused and entity_type.file_required:
        problems.append(
            Problem(
                str(path),
                1,
                f"a header and no rows; {entity_type.name} entries are required "
                "(mark the type file_required: false in domain.yaml if it may be empty)",
            )
        )
        return None
    return table


_UNPRINTABLE = ("Cc", "Cf", "Zl", "Zp")


def _printable(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) not in _UNPRINTABLE)


def _unprintable(cells: dict[str, str]) -> str | None:
    """Why a row's name, aliases, parent or id hold a character no query can contain, or ``None``.

    Line breaks and tabs would split a generated query in two; zero-width and other
    format characters make a name that never matches what people type.
    """
    for column in ("name", "aliases", "parent", "id"):
        for ch in cells.get(column, ""):
            if unicodedata.category(ch) in _UNPRINTABLE:
                return (
                    f"{column} {cells[column]!r} contains U+{ord(ch):04X} "
                    f"({unicodedata.name(ch, 'a control character')}); remove it"
                )
    return None


def _suggest(ref: str, names: list[str]) -> str:
    match = process.extractOne(ref, names, score_cutoff=60) if names else None
    return f"; did you mean {match[0]!r}?" if match else ""


def _build_entries(directory: Path, domain: Domain) -> tuple[list[Entry], list[Problem]]:
    problems: list[Problem] = []
    entries: list[Entry] = []
    by_id: dict[str, Entry] = {}
    # name -> ids, per hierarchy level, for parents written by name
    names_at_level: list[dict[str, list[str]]] = []
    failed_refs: set[str] = set()

    for type_name, entity_type in domain.types.items():
        path = directory / entity_type.file
        in_hierarchy = type_name in domain.hierarchy
        level = domain.level(type_name) if in_hierarchy else -1
        if not path.is_file():
            if entity_type.file_required:
                problems.append(Problem(str(path), 0, f"file not found; {type_name} entries are required"))
            if in_hierarchy:
                names_at_level.append({})
            continue
        table = read_table(path, entity_type, needs_parent=in_hierarchy and level > 0, problems=problems)
        failed_refs |= table.refused if table else set()
        level_names: dict[str, list[str]] = defaultdict(list)
        seen_under: dict[tuple[str | None, str], int] = {}
        for row in table.rows if table else ():
            where = f"{path}:{row.line}"
            parent_id: str | None = None
            if in_hierarchy and level > 0:
                parent_id = _resolve_parent(row, path, level, domain, by_id, names_at_level, failed_refs, problems)
                if parent_id is None:
                    failed_refs.update({row.name, row.id} - {""})
                    continue
            if in_hierarchy:
                entry_id = row.id or (f"{parent_id}/{row.name}" if parent_id else row.name)
            else:
                entry_id = row.id or f"{type_name}:{row.name}"
            key = (parent_id, row.name)
            if key in seen_under:
                under = f"under {parent_id!r}" if parent_id else f"in {entity_type.file}"
                problems.append(
                    Problem(
                        str(path), row.line, f"duplicate name {row.name!r} {under} (first at line {seen_under[key]})"
                    )
                )
                failed_refs.add(row.name)
                continue
            if entry_id in by_id:
                problems.append(
                    Problem(str(path), row.line, f"duplicate id {entry_id!r} (first at {by_id[entry_id].source})")
                )
                continue
            seen_under[key] = row.line
            entry = Entry(
                id=entry_id,
                type=type_name,
                name=row.name,
                parent=parent_id,
                aliases=row.aliases,
                surfaces=surface_forms(row.name, row.aliases, entity_type.short_forms),
                meta=row.meta,
                source=where,
            )
            by_id[entry_id] = entry
            entries.append(entry)
            level_names[row.name].append(entry_id)
        if in_hierarchy:
            names_at_level.append(level_names)
    return entries, problems


def _resolve_parent(
    row: Row,
    path: Path,
    level: int,
    domain: Domain,
    by_id: dict[str, Entry],
    names_at_level: list[dict[str, list[str]]],
    failed_refs: set[str],
    problems: list[Problem],
) -> str | None:
    """Parent id of a row: an id of a higher level, or a name unique at the nearest level having it."""
    ref = row.parent
    if not ref:
        problems.append(Problem(str(path), row.line, "empty parent; give the parent's id or unique name"))
        return None
    if ref in by_id and by_id[ref].type in domain.hierarchy and domain.level(by_id[ref].type) < level:
        return ref
    for parent_level in range(level - 1, -1, -1):
        candidates = names_at_level[parent_level].get(ref, [])
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            problems.append(
                Problem(
                    str(path),
                    row.line,
                    f"ambiguous parent {ref!r}: {len(candidates)} {domain.hierarchy[parent_level]} entries have this "
                    f"name ({', '.join(candidates[:5])}); write the parent's id instead",
                )
            )
            return None
    if ref not in failed_refs and not failed_refs.intersection(ref.split("/")):
        parent_type = domain.hierarchy[level - 1]
        known = list(names_at_level[level - 1])
        problems.append(
            Problem(
                str(path),
                row.line,
                f"unknown parent {ref!r}: no {parent_type} has this id or name{_suggest(ref, known)}",
            )
        )
    return None


def _code_fingerprint() -> str:
    """Hash of the code that builds a Gazetteer, so a cached pickle never outlives its class."""
    import gazetteers.aliases
    import gazetteers.model
    import nerloop.domain

    digest = hashlib.sha256(nerloop.__version__.encode())
    for module in (gazetteers.model, gazetteers.aliases, nerloop.domain, sys.modules[__name__]):
        if module.__file__:
            digest.update(_source_of(Path(module.__file__)).read_bytes())
    return digest.hexdigest()


def _source_of(path: Path) -> Path:
    """The ``.py`` a compiled module was built from (its extension beside it is only a stub that names the
    shared library, the same bytes whatever the source says); ``path`` itself for a source module."""
    source = path.with_name(path.name.split(".", 1)[0] + ".py")
    return source if path.suffix != ".py" and source.is_file() else path


def fingerprint_directory(directory: Path) -> str:
    """Content hash of the CSVs and domain file; keys the cache and is recorded with models."""
    digest = hashlib.sha256(b"nerloop-gazetteer-v1")
    for path in sorted(Path(directory).iterdir()):
        if path.suffix == ".csv" or path.name == DOMAIN_FILE:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _cache_dir() -> Path:
    return Path(os.environ.get("NERLOOP_CACHE", Path.home() / ".cache" / "nerloop"))


def load_gazetteer(directory: Path | str | None = None, *, use_cache: bool = True) -> Gazetteer:
    """Load and validate a gazetteer directory; ``None`` gives the embedded default.

    Raises:
        InputError: listing every problem as ``file:line: message``.
    """
    if directory is None:
        from gazetteers.default import default_directory

        directory = default_directory()
    directory = Path(directory)
    if not directory.is_dir():
        raise NerloopError(f"gazetteer directory {directory} does not exist")
    fingerprint = fingerprint_directory(directory)
    cache_key = stable_hex(fingerprint + _code_fingerprint(), 32)
    cache_file = _cache_dir() / f"gazetteer-{cache_key}.pickle"
    if use_cache and cache_file.is_file():
        try:
            with cache_file.open("rb") as stream:
                cached = pickle.load(stream)
            if isinstance(cached, Gazetteer) and cached.fingerprint == fingerprint:
                return cached
        except Exception:  # a stale or truncated cache is rebuilt, never trusted
            pass
    domain = domain_for_directory(directory)
    entries, problems = _build_entries(directory, domain)
    if problems:
        raise InputError(problems, summary=f"gazetteer {directory} has {len(problems)} problem(s)")
    gazetteer = Gazetteer(domain, entries, fingerprint)
    if use_cache:
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(cache_file, "wb") as stream:
                pickle.dump(gazetteer, stream, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError:  # a full or read-only cache directory only costs speed; atomic_open leaves nothing behind
            pass
    return gazetteer
