"""Write a gazetteer back to CSV files (CONTRACTS.md §1), optionally without some entries.

``nerloop generate`` uses it for ``gazetteer_train/``: the gazetteer minus the entries held
out for validation and test, so that anyone can measure how a model and the matcher do on
names the gazetteer does not know.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Collection
from pathlib import Path

from gazetteers.model import Gazetteer
from nerloop.domain import DOMAIN_FILE, dump_domain
from nerloop.errors import NerloopError
from nerloop.textfiles import read_utf8

ALIAS_SEPARATOR = "|"


def write_gazetteer_dir(gazetteer: Gazetteer, out_dir: Path, exclude: Collection[str] = ()) -> dict[str, int]:
    """Write every entry not in ``exclude`` (nor below an excluded one); returns counts per type.

    Ids are written explicitly and parents by id, so the result loads back to the same ids.
    The directory is written beside as ``*.partial`` and renamed when complete.
    """
    out_dir = Path(out_dir)
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    excluded = set(exclude)
    counts: dict[str, int] = {}
    hierarchy = gazetteer.domain.hierarchy
    for type_name, entity_type in gazetteer.domain.types.items():
        entries = [
            e
            for e in gazetteer.entries(type_name)
            if not excluded.intersection(gazetteer.path(e.id) if type_name in hierarchy else (e.id,))
        ]
        if not entries and not entity_type.file_required:
            continue
        meta_keys = sorted({k for e in entries for k in e.meta})
        header = ["name", "parent", "aliases", "id"] if type_name in hierarchy else ["name", "aliases"]
        with (partial / entity_type.file).open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header + meta_keys)
            for e in entries:
                cells = {
                    "name": e.name,
                    "parent": e.parent or "",
                    "aliases": ALIAS_SEPARATOR.join(e.aliases),
                    "id": e.id,
                }
                writer.writerow([cells[h] for h in header] + [e.meta.get(k, "") for k in meta_keys])
        counts[type_name] = len(entries)
    (partial / DOMAIN_FILE).write_text(dump_domain(gazetteer.domain), "utf-8")
    shutil.rmtree(out_dir, ignore_errors=True)
    partial.replace(out_dir)
    return counts


def read_id_list(path: Path) -> list[str]:
    """Entry ids, one per line; ``#`` starts a comment, blank lines are skipped."""
    ids = []
    for line in read_utf8(Path(path)).splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.append(line)
    return ids


def drop_entries(gazetteer: Gazetteer, out_dir: Path, ids: Collection[str], source: str = "ids") -> dict[str, int]:
    """Write ``gazetteer`` without ``ids`` (and everything below them) into ``out_dir``.

    Evaluating on names a gazetteer lacks needs a gazetteer that lacks them; an id that names
    nothing is refused (a typo would silently measure nothing).
    """
    unknown = [i for i in ids if i not in gazetteer]
    if unknown:
        raise NerloopError(
            f"{source}: {len(unknown)} id(s) not in the gazetteer: {', '.join(unknown[:5])}"
            f"{' …' if len(unknown) > 5 else ''}; ids are the `id` column of the level CSVs"
        )
    return write_gazetteer_dir(gazetteer, out_dir, ids)
