"""``nerloop generate``: sample every split, stream it to disk, export, write a manifest.

Files are written as ``*.partial`` and renamed when complete, so an interrupted
run never leaves a truncated split that looks finished.
"""

from __future__ import annotations

import json
import random
import time
from bisect import bisect
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from pathlib import Path

import nerloop
from gazetteers.config import ResolverConfig
from gazetteers.matcher import GazetteerMatcher
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolver
from gazetteers.writer import write_gazetteer_dir
from generator.config import SPLITS, GeneratorConfig
from generator.distractors import distractor_pools
from generator.errors import GrammarError, GrammarExhausted
from generator.grammar import LITERAL, Grammar
from generator.sampler import Sampler, surface_choices
from generator.splits import SplitPlan, plan_splits
from nerloop.errors import NerloopError, Problem
from nerloop.export import EXPORTERS, read_jsonl
from nerloop.records import TaggedQuery

Progress = Callable[[str, int], None]
MANIFEST = "manifest.json"
TRAIN_GAZETTEER = "gazetteer_train"


@dataclass
class GenerationSummary:
    out_dir: str
    counts: dict[str, int]
    attempts: int
    duplicates: int
    seconds: float
    rejected: int = 0
    files: list[str] = field(default_factory=list)
    unseen_templates: list[str] = field(default_factory=list)
    heldout: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def check_literals(grammar: Grammar, matcher: GazetteerMatcher) -> list[str]:
    """Template text must not itself contain a mention: it would be unlabelled.

    Dates, indicators and written names or aliases of gazetteer entries are errors. A
    generated short form inside a word (the township 新一 in 刷新一次) is what a person
    would not label either, so it only warrants a warning.
    """
    gazetteer = matcher.gazetteer
    problems, warnings = [], []
    sources = [(f"template {t.id!r}", t.line, t.ops) for t in grammar.templates]
    sources += [(f"fragment {f.name!r}", f.line, alt) for f in grammar.fragments.values() for alt in f.alternatives]
    for where, line, ops in sources:
        for literal in (value for kind, value, _, _ in ops if kind == LITERAL):
            for entity in matcher.find(literal):
                written = entity.type not in gazetteer.domain.hierarchy or any(
                    entity.text == e.name or entity.text in e.aliases
                    for e in map(gazetteer.get, gazetteer.lookup(entity.text, entity.type))
                )
                message = f"{where}: literal text {literal!r} contains {entity.type} mention {entity.text!r}"
                if written:
                    problems.append(
                        Problem(grammar.source, line, f"{message}; it would be unlabelled — use a slot or reword it")
                    )
                else:
                    warnings.append(f"{grammar.source}:{line}: {message} (a generated short form; left unlabelled)")
    if problems:
        raise GrammarError(
            problems, summary=f"grammar {grammar.source} has {len(problems)} problem(s) with this gazetteer"
        )
    return warnings


class _TemplateChooser:
    """Every template once (coverage), then by weight."""

    def __init__(self, templates: Sequence, rng: random.Random) -> None:
        self.templates = list(templates)
        self.cum = list(accumulate(t.weight for t in self.templates))
        self.rng = rng
        self.first_round = list(self.templates)
        rng.shuffle(self.first_round)

    def next(self):
        if self.first_round:
            return self.first_round.pop()
        return self.templates[bisect(self.cum, self.rng.random() * self.cum[-1])]


def generate_dataset(
    gazetteer: Gazetteer,
    grammar: Grammar,
    out_dir: Path,
    config: GeneratorConfig,
    exports: Sequence[str] = (),
    progress: Progress | None = None,
) -> GenerationSummary:
    """Generate ``config.n`` unique samples into train/validation/test JSONL plus the asked exports."""
    unknown = [e for e in exports if e not in EXPORTERS]
    if unknown:
        raise NerloopError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(sorted(EXPORTERS))}")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)  # a failed run must not leave the last run's manifest standing
    matcher = GazetteerMatcher(gazetteer)
    literal_warnings = check_literals(grammar, matcher)
    plan = plan_splits(gazetteer, grammar, config)
    pools = distractor_pools(grammar.distractors, config.seed, lambda text: bool(matcher.find(text)))
    resolver = Resolver(gazetteer, ResolverConfig(fuzzy=False))
    surfaces = surface_choices(gazetteer)
    # a train sample must not name a held-out entry, not even as one candidate of an ambiguous bare name
    heldout = frozenset(i for i, s in plan.assignment.items() if s in ("validation", "test"))
    seen: set[int] = set()
    counts: dict[str, int] = {}
    attempts = duplicates = rejected = 0
    files: list[str] = []
    finished: list[tuple[Path, Path]] = []
    for split, size in config.split_sizes().items():
        rng = random.Random(f"{config.seed}:{split}")
        sampler = Sampler(
            gazetteer,
            grammar,
            resolver,
            plan.pools[split],
            pools,
            surfaces,
            config.reference_date,
            rng,
            config.typo_rate,
            config.fullwidth_rate,
            config.conflict_rate,
        )
        chooser = _TemplateChooser(plan.templates[split], rng)
        path = out_dir / f"{split}.jsonl"
        partial = path.with_suffix(".jsonl.partial")
        written = streak = 0
        with partial.open("w", encoding="utf-8") as stream:
            while written < size:
                template = chooser.next()
                record = sampler.sample(template)
                attempts += 1
                key = hash(record.text)
                leaks = split == "train" and bool(heldout) and _names_any(record, heldout)
                if key in seen or leaks:
                    rejected += leaks
                    duplicates += not leaks
                    streak += 1
                    if streak >= config.max_duplicate_streak:
                        raise GrammarExhausted(
                            f"the grammar yielded only {len(seen)} unique samples ({written} of {size} for {split}) "
                            f"after {attempts} attempts ({duplicates} duplicates, {rejected} naming held-out entries); "
                            "add templates or fragments, use a larger gazetteer, or lower -n"
                        )
                    continue
                streak = 0
                seen.add(key)
                if split == "test":
                    record = record.with_extra(unseen_template=template.id in plan.unseen_templates)
                record.check_spans()
                stream.write(record.to_json())
                stream.write("\n")
                written += 1
                if progress is not None and written % 1000 == 0:
                    progress(split, 1000)
        if progress is not None and written % 1000:
            progress(split, written % 1000)
        finished.append((partial, path))
        counts[split] = written
        files.append(str(path))
    for partial, path in finished:  # only now: a run that fails in a later split leaves no finished-looking file
        partial.replace(path)
    # the gazetteer a model may be trained with: test on names it lacks (docs/training.md)
    write_gazetteer_dir(gazetteer, out_dir / TRAIN_GAZETTEER, heldout)
    for name in exports:
        if name == "jsonl":
            continue
        for split in SPLITS:
            files += [
                str(p)
                for p in EXPORTERS[name](split, read_jsonl(out_dir / f"{split}.jsonl"), out_dir, gazetteer.domain)
            ]
    summary = GenerationSummary(
        out_dir=str(out_dir),
        counts=counts,
        attempts=attempts,
        duplicates=duplicates,
        rejected=rejected,
        seconds=round(time.perf_counter() - started, 3),
        files=files,
        unseen_templates=sorted(plan.unseen_templates),
        heldout=_heldout_counts(plan, gazetteer),
        warnings=[*plan.warnings, *literal_warnings],
    )
    _write_manifest(out_dir, summary, config, gazetteer, grammar)
    return summary


def _names_any(record: TaggedQuery, ids: frozenset[str]) -> bool:
    """Whether a record links or lists as a candidate chain any of ``ids``."""
    return any(e.id in ids for e in record.entities) or any(i in ids for chain in record.ambiguous for i in chain)


def _heldout_counts(plan: SplitPlan, gazetteer: Gazetteer) -> dict[str, dict[str, int]]:
    """How many entries of each type only validation or only test sees."""
    counts: dict[str, dict[str, int]] = {}
    for entry_id, split in plan.assignment.items():
        if split in ("validation", "test"):
            per_type = counts.setdefault(split, {})
            type_name = gazetteer.get(entry_id).type
            per_type[type_name] = per_type.get(type_name, 0) + 1
    return counts


def _write_manifest(
    out_dir: Path, summary: GenerationSummary, config: GeneratorConfig, gazetteer: Gazetteer, grammar: Grammar
) -> None:
    manifest = {
        "nerloop_version": nerloop.__version__,
        "config": config.to_dict(),
        "gazetteer_fingerprint": gazetteer.fingerprint,
        "grammar": grammar.source,
        "grammar_fingerprint": grammar.fingerprint,
        **summary.to_dict(),
    }
    tmp = out_dir / (MANIFEST + ".partial")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    tmp.replace(out_dir / MANIFEST)
