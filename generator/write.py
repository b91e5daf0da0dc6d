"""Sampling every split into its JSONL stream: the kind of each record, duplicates, held-out leaks, give-ups.

This is generation's inner loop: it runs once per sample, so its state stays in local variables.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

from generator.config import NEGATIVE_SOURCES, GeneratorConfig
from generator.dedup import SeenHashes
from generator.errors import GrammarExhausted
from generator.grammar import Template
from generator.negatives import HARD_SOURCES, NegativeSampler
from generator.sampler import Sampler
from generator.splits import SplitPlan
from nerloop.draws import shuffle
from nerloop.records import TaggedQuery

Progress = Callable[[str, int], None]
# Failed draws of entity-free or mixed records in a row (checks, duplicates) after which a split stops asking
# for more: a small gazetteer or grammar runs out of unique ones, and the split is filled with queries.
NEGATIVE_GIVE_UP = 500
QUERY, NEGATIVE, MIXED = 0, 1, 2


class TemplateChooser:
    """Every template once (coverage), then by weight."""

    def __init__(self, templates: Sequence, rng: random.Random) -> None:
        self.templates = list(templates)
        self.cum = list(accumulate(t.weight for t in self.templates))
        self.rng = rng
        self.first_round = list(self.templates)
        shuffle(rng, self.first_round)

    def next(self):
        if self.first_round:
            return self.first_round.pop()
        return self.templates[bisect(self.cum, self.rng.random() * self.cum[-1])]


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """Add ``path`` to an OS error that names no file (a full disk on write), so the message says where."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise


@dataclass
class _Run:
    """What every split of a run shares: its settings, the texts seen so far, the running tallies."""

    config: GeneratorConfig
    plan: SplitPlan
    negatives: NegativeSampler | None
    progress: Progress | None
    heldout: frozenset[str]
    seen: SeenHashes = field(default_factory=SeenHashes)
    by_source: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*NEGATIVE_SOURCES, "grammar"), 0))
    warnings: list[str] = field(default_factory=list)
    attempts: int = 0
    duplicates: int = 0
    rejected: int = 0
    mixed: int = 0


def write_splits(
    staging: Path,
    config: GeneratorConfig,
    plan: SplitPlan,
    sampler_for: Callable[[str, random.Random], Sampler],
    progress: Progress | None,
    negatives: NegativeSampler | None = None,
) -> tuple[dict[str, int], dict[str, int], dict[str, Any], list[str]]:
    """Sample every split into ``staging/{split}.jsonl``; return counts, statistics, negatives report, warnings.

    Per split, ``negative_share`` of the records hold no entity (the grammar's own entity-free
    records count towards it; ``negatives`` draws the rest) and ``mixed_share`` are mixed records;
    which record comes next is drawn in proportion to what each kind still lacks.
    """
    # a train sample must not name a held-out entry, not even as one candidate of an ambiguous bare name
    heldout = frozenset(i for i, s in plan.assignment.items() if s in ("validation", "test"))
    run = _Run(config, plan, negatives, progress, heldout)
    counts: dict[str, int] = {}
    if negatives is not None:
        run.warnings += negatives.warnings
        if not negatives.sources:
            run.warnings.append(
                "no negative source has candidates in this gazetteer; only the grammar writes negatives"
            )
            run.negatives = None
    for split, size in config.split_sizes().items():
        rng = random.Random(f"{config.seed}:{split}")
        sampler = sampler_for(split, rng)
        chooser = TemplateChooser(plan.templates[split], rng)
        path = staging / f"{split}.jsonl"
        with naming(staging.parent / path.name), path.open("wb") as stream:  # UTF-8 lines, as orjson writes them
            written = _write_split(run, split, size, stream, rng, sampler, chooser)
        if progress is not None and written % 1000:
            progress(split, written % 1000)
        counts[split] = written
    total = sum(counts.values())
    by_source = run.by_source
    entity_free = sum(by_source.values())
    report = {
        "share": round(entity_free / total, 4) if total else 0.0,
        "entity_free": entity_free,
        "by_source": by_source,
        "mixed": run.mixed,
        "hard_negatives": sum(by_source[s] for s in HARD_SOURCES),
        "dropped_by_check": run.negatives.dropped if run.negatives is not None else 0,
    }
    stats = {"attempts": run.attempts, "duplicates": run.duplicates, "rejected": run.rejected}
    return counts, stats, report, run.warnings


def _write_split(
    run: _Run,
    split: str,
    size: int,
    stream: BinaryIO,
    rng: random.Random,
    sampler: Sampler,
    chooser: TemplateChooser,
) -> int:
    """Write ``size`` records of ``split`` to ``stream``; the run's tallies count its draws."""
    config, plan, negatives, progress = run.config, run.plan, run.negatives, run.progress
    heldout, seen, by_source, warnings = run.heldout, run.seen, run.by_source, run.warnings
    attempts, duplicates, rejected, mixed_total = run.attempts, run.duplicates, run.rejected, run.mixed
    want = {NEGATIVE: 0, MIXED: 0}
    if negatives is not None:
        want = {NEGATIVE: round(size * config.negative_share), MIXED: round(size * config.mixed_share)}
    have = {NEGATIVE: 0, MIXED: 0}
    written = streak = failed = 0
    while written < size:
        kind = _next_kind(rng, size - written, want[NEGATIVE] - have[NEGATIVE], want[MIXED] - have[MIXED])
        record, template = _draw(kind, chooser, sampler, negatives, rng)
        attempts += 1
        key = hash(record.text) if record is not None else 0  # read only when there is a record
        leaks = record is not None and split == "train" and bool(heldout) and _names_any(record, heldout)
        if record is None or key in seen or leaks:
            rejected += leaks
            duplicates += record is not None and not leaks
            if kind != QUERY:
                failed += 1
                if failed >= NEGATIVE_GIVE_UP:
                    warnings.append(_gave_up(split, kind, have[kind], want[kind]))
                    want[kind] = have[kind]
                    failed = 0
                continue
            streak += 1
            if streak >= config.max_duplicate_streak:
                raise GrammarExhausted(
                    f"the grammar yielded only {len(seen)} unique samples ({written} of {size} for {split}) "
                    f"after {attempts} attempts ({duplicates} duplicates, {rejected} naming held-out entries); "
                    "add templates or fragments, use a larger gazetteer, or lower -n"
                )
            continue
        streak = failed = 0
        seen.add(key)
        if not record.entities:
            have[NEGATIVE] += 1
            if "negative" not in record.extra:
                record = record.with_extra(negative="grammar")
            by_source[record.extra["negative"]] += 1
        elif kind == MIXED:
            have[MIXED] += 1
            mixed_total += 1
        if split == "test":
            record = record.with_extra(unseen_template=template is not None and template.id in plan.unseen_templates)
        record.check_spans()
        stream.write(record.to_json_line())
        written += 1
        if progress is not None and written % 1000 == 0:
            progress(split, 1000)
    run.attempts, run.duplicates, run.rejected, run.mixed = attempts, duplicates, rejected, mixed_total
    return written


def _draw(
    kind: int, chooser: TemplateChooser, sampler: Sampler, negatives: NegativeSampler | None, rng: random.Random
) -> tuple[TaggedQuery | None, Template | None]:
    """A record of ``kind`` and the grammar template it came from (``None`` for an entity-free draw)."""
    if kind == NEGATIVE:
        assert negatives is not None, "negative draws are planned only with a negative sampler"
        return negatives.sample(rng), None
    template = chooser.next()
    record = sampler.sample(template)
    if kind == MIXED:
        assert negatives is not None, "mixed draws are planned only with a negative sampler"
        return negatives.mix(record, rng), template
    return record, template


def _next_kind(rng: random.Random, remaining: int, negatives: int, mixed: int) -> int:
    """What the next record is: in proportion to how many entity-free and mixed records the split still lacks."""
    negatives, mixed = max(negatives, 0), max(mixed, 0)
    if not negatives and not mixed:
        return QUERY  # no draw: with both shares 0 a seed writes what it wrote before they existed
    u = rng.random() * remaining
    return NEGATIVE if u < negatives else MIXED if u < negatives + mixed else QUERY


def _gave_up(split: str, kind: int, have: int, want: int) -> str:
    what = "entity-free" if kind == NEGATIVE else "mixed"
    return (
        f"{split}: only {have} of {want} {what} records: the negative sources ran out of unique texts that pass "
        "the gazetteer check; the rest are queries (lower --negative-share/--mixed-share or -n)"
    )


def _names_any(record: TaggedQuery, ids: frozenset[str]) -> bool:
    """Whether a record links or lists as a candidate chain (of any target) any of ``ids``."""
    chains = [*record.ambiguous, *(chain for t in record.targets or () for chain in t.ambiguous)]
    return any(e.id in ids for e in record.entities) or any(i in ids for chain in chains for i in chain)
