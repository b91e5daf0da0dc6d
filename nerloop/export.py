"""Exporters: write one split of records in a format other tools read.

Each exporter is registered by name (``nerloop generate --export NAME``) and
has the same signature, so adding a format is one decorated function. Records
are consumed as a stream; formats that are one JSON document are written
incrementally rather than built in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from nerloop.convert.alpaca import dataset_info, record_to_alpaca
from nerloop.convert.bio import record_to_bio
from nerloop.convert.label_studio import record_to_task
from nerloop.domain import Domain
from nerloop.errors import InputError, NerloopError, Problem
from nerloop.jsonl import read_json_lines
from nerloop.records import TaggedQuery

Exporter = Callable[[str, Iterable[TaggedQuery], Path, Domain], list[Path]]

EXPORTERS: dict[str, Exporter] = {}
# exporter → top-level names it writes (``{split}`` filled in), and the packages it needs
EXPORT_FILES: dict[str, tuple[str, ...]] = {}
EXPORT_REQUIRES: dict[str, tuple[str, ...]] = {}

DATASET_INFO = "dataset_info.json"
GENERATOR_MODEL_VERSION = "generator"
HF_CHUNK = 10_000


def register_exporter(
    name: str, files: tuple[str, ...] = (), requires: tuple[str, ...] = ()
) -> Callable[[Exporter], Exporter]:
    """Register an exporter under ``name``; a second one with the same name is a bug, not an override.

    Args:
        name: the ``--export`` value.
        files: top-level names it writes in the output directory, ``{split}`` for the split;
            a later run without this export removes them, so no stale export survives.
        requires: importable packages it needs, checked before a run starts.
    """

    def decorate(func: Exporter) -> Exporter:
        if name in EXPORTERS:
            raise ValueError(f"exporter {name!r} is already registered ({EXPORTERS[name].__qualname__})")
        EXPORTERS[name] = func
        EXPORT_FILES[name] = files
        EXPORT_REQUIRES[name] = requires
        return func

    return decorate


def export_names(splits: Iterable[str]) -> set[str]:
    """Every top-level name any exporter writes for ``splits``."""
    return {f.format(split=s) for files in EXPORT_FILES.values() for f in files for s in splits}


def check_exports(names: Iterable[str]) -> None:
    """Refuse unknown formats and formats whose packages are missing, before any work is done."""
    from importlib.util import find_spec

    names = list(names)
    unknown = [e for e in names if e not in EXPORTERS]
    if unknown:
        raise NerloopError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(sorted(EXPORTERS))}")
    for name in names:
        missing = [p for p in EXPORT_REQUIRES[name] if find_spec(p) is None]
        if missing:
            raise NerloopError(
                f"--export {name} needs the {', '.join(missing)} package(s): pip install 'nerloop[datasets]'"
            )


def _checked(records: Iterable[TaggedQuery]) -> Iterator[TaggedQuery]:
    for record in records:
        record.check_spans()
        yield record


def _write_json_array(path: Path, items: Iterable[Any]) -> None:
    """A JSON list written item by item, one item per line."""
    with path.open("w", encoding="utf-8") as f:
        f.write("[")
        for i, item in enumerate(items):
            f.write(",\n" if i else "\n")
            f.write(json.dumps(item, ensure_ascii=False))
        f.write("\n]\n")


def _write_lines(f: IO[str], lines: Iterable[str]) -> None:
    for line in lines:
        f.write(line + "\n")


@register_exporter("jsonl", files=("{split}.jsonl",))
def export_jsonl(split: str, records: Iterable[TaggedQuery], out_dir: Path, domain: Domain) -> list[Path]:
    """``{split}.jsonl``: our own records (CONTRACTS.md §2), lossless."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{split}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        _write_lines(f, (r.to_json() for r in _checked(records)))
    return [path]


@register_exporter("bio", files=("{split}.bio.jsonl",))
def export_bio(split: str, records: Iterable[TaggedQuery], out_dir: Path, domain: Domain) -> list[Path]:
    """``{split}.bio.jsonl``: ``{"tokens", "tags"}`` per line, one token per character."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{split}.bio.jsonl"
    with path.open("w", encoding="utf-8") as f:
        _write_lines(
            f,
            (
                json.dumps({"tokens": list(r.text), "tags": record_to_bio(r)}, ensure_ascii=False)
                for r in _checked(records)
            ),
        )
    return [path]


@register_exporter("alpaca", files=("{split}_alpaca.json", DATASET_INFO))
def export_alpaca(split: str, records: Iterable[TaggedQuery], out_dir: Path, domain: Domain) -> list[Path]:
    """``{split}_alpaca.json`` for LLaMA-Factory, registered in ``dataset_info.json`` beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{split}_alpaca.json"
    _write_json_array(path, (record_to_alpaca(r, domain) for r in _checked(records)))
    info_path = out_dir / DATASET_INFO
    info: dict[str, Any] = {}
    if info_path.exists():
        try:
            info = json.loads(info_path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            problem = Problem(str(info_path), exc.lineno, f"not valid JSON ({exc.msg}); fix or delete it")
            raise InputError(problem) from exc
        if not isinstance(info, dict):
            raise InputError(Problem(str(info_path), 1, "expected a JSON object; fix or delete it"))
    info.update(dataset_info({split: path.name}))
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [path, info_path]


@register_exporter("label-studio", files=("{split}_label_studio.json",))
def export_label_studio(split: str, records: Iterable[TaggedQuery], out_dir: Path, domain: Domain) -> list[Path]:
    """``{split}_label_studio.json``: tasks with the generated labels as predictions, for import."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{split}_label_studio.json"
    tasks = (
        record_to_task(r, task_key=f"{split}-{i}", model_version=GENERATOR_MODEL_VERSION)
        for i, r in enumerate(_checked(records))
    )
    _write_json_array(path, tasks)
    return [path]


@register_exporter("hf", files=("hf", "{split}.parquet"), requires=("datasets", "pyarrow"))
def export_hf(split: str, records: Iterable[TaggedQuery], out_dir: Path, domain: Domain) -> list[Path]:
    """``hf/{split}`` (``datasets.load_from_disk``) and ``{split}.parquet``.

    Records are converted in chunks, so only Arrow tables, not Python objects,
    accumulate.
    """
    from datasets import concatenate_datasets

    from nerloop.convert.hf import records_to_dataset

    out_dir.mkdir(parents=True, exist_ok=True)
    stream = _checked(records)
    chunks = []
    while chunk := list(islice(stream, HF_CHUNK)):
        chunks.append(records_to_dataset(chunk, domain))
    ds = concatenate_datasets(chunks) if chunks else records_to_dataset([], domain)
    hf_dir = out_dir / "hf" / split
    ds.save_to_disk(str(hf_dir))
    parquet = out_dir / f"{split}.parquet"
    ds.to_parquet(str(parquet))
    return [hf_dir, parquet]


def read_jsonl(path: Path) -> Iterator[TaggedQuery]:
    """Records from a JSON Lines file, lazily; blank lines are skipped.

    Raises:
        InputError: naming ``file:line`` for the first line that is not a valid record.
    """
    for lineno, data in read_json_lines(path):
        try:
            record = TaggedQuery.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError, NerloopError) as exc:
            what = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            raise InputError(Problem(str(path), lineno, f"not a tagged-query record: {what}")) from exc
        yield record
