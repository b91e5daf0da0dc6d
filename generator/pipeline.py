"""``nerloop generate``: sample every split, stream it to disk, export, write a manifest.

The run holds a lock on its output directory and writes into a staging area that
is moved into place only when everything is complete (:mod:`nerloop.outdir`), so
an interrupted or concurrent run never leaves a truncated file that looks finished.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nerloop
from gazetteers.config import ResolverConfig
from gazetteers.matcher import GazetteerMatcher
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolver
from gazetteers.writer import write_gazetteer_dir
from generator.config import SPLITS, GeneratorConfig
from generator.distractors import distractor_pools
from generator.errors import GrammarError
from generator.estimate import SAMPLE_SIZE, check_free_space, estimate_bytes
from generator.grammar import LITERAL, Grammar
from generator.negatives import NegativeSampler, load_negatives_grammar
from generator.novel import NovelNames
from generator.sampler import Sampler, surface_choices
from generator.splits import SplitPlan, plan_splits
from generator.write import Progress, TemplateChooser, naming, write_splits
from nerloop.errors import Problem
from nerloop.export import EXPORTERS, check_exports, export_names, read_jsonl
from nerloop.heap import settled_heap
from nerloop.outdir import MANIFEST, OutputTransaction, output_lock
from nerloop.records import TaggedQuery

# The gazetteer without the held-out entries, beside the splits: tag the test split against it
# to measure how a model finds names the gazetteer lacks (docs/training.md).
TRAIN_GAZETTEER = "gazetteer_train"


@dataclass
class GenerationSummary:
    out_dir: str
    counts: dict[str, int]
    attempts: int
    duplicates: int
    seconds: float
    rejected: int = 0
    sampling_seconds: float = 0.0
    files: list[str] = field(default_factory=list)
    unseen_templates: list[str] = field(default_factory=list)
    heldout: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    negatives: dict[str, Any] = field(default_factory=dict)

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


def build_distractors(grammar: Grammar, matcher: GazetteerMatcher, seed: int) -> dict[str, tuple[str, ...]]:
    """The grammar's distractor pools: faker items free of mentions, lookalikes built on weak forms."""
    towns = matcher.weak_forms(matcher.gazetteer.domain.hierarchy[-1])
    sample = tuple(random.Random(seed).sample(towns, min(len(towns), 400)))

    def has_form(text: str) -> bool:  # any form at all, weak ones included: faker items teach nothing else
        weak, other = matcher.forms_in(text)
        return bool(weak) or other > 0

    return distractor_pools(grammar.distractors, seed, has_form, matcher.forms_in, sample)


def generate_dataset(
    gazetteer: Gazetteer,
    grammar: Grammar,
    out_dir: Path,
    config: GeneratorConfig,
    exports: Sequence[str] = (),
    progress: Progress | None = None,
    *,
    force: bool = False,
    gazetteer_dir: Path | None = None,
) -> GenerationSummary:
    """Generate ``config.n`` unique samples into train/validation/test JSONL plus the asked exports.

    The output directory is locked for the run and written as a transaction
    (:mod:`nerloop.outdir`): files appear under their final names only when all are
    complete, the manifest comes last, and files of an earlier run that this one does
    not write are removed.

    Args:
        force: skip the free-space check (the estimate from a sample of the run).
        gazetteer_dir: where ``gazetteer`` was loaded from (``None``: the embedded one), written to
            the manifest so that training can calibrate against the gazetteer the data came from.

    Raises:
        OutputBusy: another run holds ``out_dir``.
        DiskSpaceError: the estimated output does not fit (unless ``force``).
        GrammarExhausted: the grammar cannot yield ``config.n`` unique samples.
    """
    check_exports(exports)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    matcher = GazetteerMatcher(gazetteer)
    literal_warnings = check_literals(grammar, matcher)
    plan = plan_splits(gazetteer, grammar, config)
    sampler_for, negatives = _samplers(gazetteer, grammar, config, plan, matcher)
    with output_lock(out_dir):
        transaction = OutputTransaction(out_dir)
        staging = transaction.begin()
        try:
            if not force:
                sample = _estimation_sample(plan, sampler_for, config.seed)
                check_free_space(out_dir, estimate_bytes(sample, config.n, exports, gazetteer.domain))
            # what the setup built (matcher, pools, candidate lists) stays out of the collector's passes
            with settled_heap():
                counts, stats, report, negative_warnings = write_splits(
                    staging, config, plan, sampler_for, progress, negatives
                )
            sampling_seconds = time.perf_counter() - started
            heldout = frozenset(i for i, s in plan.assignment.items() if s in ("validation", "test"))
            write_gazetteer_dir(gazetteer, staging / TRAIN_GAZETTEER, heldout)
            _export(exports, staging, out_dir, gazetteer)
            summary = GenerationSummary(
                out_dir=str(out_dir),
                counts=counts,
                **stats,
                seconds=round(time.perf_counter() - started, 3),
                sampling_seconds=round(sampling_seconds, 3),
                unseen_templates=sorted(plan.unseen_templates),
                heldout=_heldout_counts(plan, gazetteer),
                warnings=[*plan.warnings, *literal_warnings, *negative_warnings],
                negatives=report,
            )
            with naming(out_dir):
                entries = transaction.commit(
                    _manifest(summary, config, gazetteer, grammar, gazetteer_dir), stale_names=_stale_names()
                )
        except BaseException:
            transaction.abort()
            raise
    summary.files = [str(out_dir / e.path) for e in entries]
    return summary


def _samplers(
    gazetteer: Gazetteer, grammar: Grammar, config: GeneratorConfig, plan: SplitPlan, matcher: GazetteerMatcher
) -> tuple[Callable[[str, random.Random], Sampler], NegativeSampler | None]:
    """What draws the records: a sampler per split (over its own random stream), the negatives' sampler."""
    pools = build_distractors(grammar, matcher, config.seed)
    resolver = Resolver(gazetteer, ResolverConfig(fuzzy=False))
    surfaces = surface_choices(gazetteer)
    novel = NovelNames(matcher) if config.novel_rate else None
    negatives = None
    if config.negative_share or config.mixed_share:
        negatives = NegativeSampler(
            matcher, load_negatives_grammar(gazetteer.domain), config.negative_weights, config.seed
        )

    def sampler_for(split: str, rng: random.Random) -> Sampler:
        return Sampler(
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
            novel,
            config.novel_rate,
        )

    return sampler_for, negatives


def _export(exports: Sequence[str], staging: Path, out_dir: Path, gazetteer: Gazetteer) -> None:
    for name in exports:
        if name == "jsonl":
            continue
        for split in SPLITS:
            with naming(out_dir):
                EXPORTERS[name](split, read_jsonl(staging / f"{split}.jsonl"), staging, gazetteer.domain)


def _estimation_sample(
    plan: SplitPlan, sampler_for: Callable[[str, random.Random], Sampler], seed: int
) -> list[TaggedQuery]:
    """Train-like samples for the size estimate, from their own random stream (the run's files do not change)."""
    rng = random.Random(f"{seed}:estimate")
    chooser = TemplateChooser(plan.templates["train"], rng)
    sampler = sampler_for("train", rng)
    return [sampler.sample(chooser.next()) for _ in range(SAMPLE_SIZE)]


def _stale_names() -> set[str]:
    """Names an earlier run may have left: every export, and the ``.partial`` files of older versions."""
    return export_names(SPLITS) | {f"{s}.jsonl.partial" for s in SPLITS} | {MANIFEST + ".partial"}


def _heldout_counts(plan: SplitPlan, gazetteer: Gazetteer) -> dict[str, dict[str, int]]:
    """How many entries of each type only validation or only test sees."""
    counts: dict[str, dict[str, int]] = {}
    for entry_id, split in plan.assignment.items():
        if split in ("validation", "test"):
            per_type = counts.setdefault(split, {})
            type_name = gazetteer.get(entry_id).type
            per_type[type_name] = per_type.get(type_name, 0) + 1
    return counts


def _manifest(
    summary: GenerationSummary,
    config: GeneratorConfig,
    gazetteer: Gazetteer,
    grammar: Grammar,
    gazetteer_dir: Path | None,
) -> dict[str, Any]:
    return {
        "nerloop_version": nerloop.__version__,
        "config": config.to_dict(),
        "gazetteer_dir": str(Path(gazetteer_dir).resolve()) if gazetteer_dir is not None else None,
        "gazetteer_fingerprint": gazetteer.fingerprint,
        "grammar": grammar.source,
        "grammar_fingerprint": grammar.fingerprint,
        **summary.to_dict(),
    }
