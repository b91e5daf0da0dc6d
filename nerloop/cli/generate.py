"""``nerloop generate``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from nerloop.cli.common import DbOpt, GazetteerOpt, ReferenceDateOpt, reference_for
from nerloop.cli.output import stderr, stdout, user_errors
from nerloop.export import EXPORTERS, check_exports

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gazetteers.model import Gazetteer
    from generator.config import GeneratorConfig
    from generator.grammar import Grammar
    from generator.pipeline import GenerationSummary

# The options, declared apart so that the command's signature reads as a list.
OutOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--out",
        "-o",
        help="Directory for train/validation/test.jsonl, exports and manifest.json; locked while the run "
        "writes it, and files appear there only when complete.",
    ),
]
CountOpt = Annotated[int, typer.Option("-n", help="Total number of unique samples over all splits.")]
SeedOpt = Annotated[
    int,
    typer.Option(
        help="Random seed; the same seed, gazetteer, grammar and --reference-date give identical files. "
        "The reference date defaults to today: pass the reference_date that manifest.json records "
        "to reproduce a run on another day."
    ),
]
GrammarOpt = Annotated[Optional[Path], typer.Option(help="Grammar YAML; default: the built-in power-domain grammar.")]
ExportOpt = Annotated[
    list[str],
    typer.Option("--export", "-e", help=f"Extra formats, repeatable: {', '.join(sorted(EXPORTERS))}."),
]
SplitRatiosOpt = Annotated[str, typer.Option(help="Shares of train,validation,test.")]
HoldoutFractionOpt = Annotated[
    float, typer.Option(help="Share of companies and substations held out for validation and for test, each.")
]
TemplateHoldoutOpt = Annotated[float, typer.Option(help="Share of templates only the test split uses.")]
TypoRateOpt = Annotated[float, typer.Option(help="Chance of a typo in a hierarchy mention (labelled, without a link).")]
NovelRateOpt = Annotated[
    float,
    typer.Option(
        help="Chance that a sample's company and substation names (or its substation name alone) are "
        "invented names the gazetteer lacks (a real name's core replaced, its suffix kept: 嘉孚区泉田镇), "
        "labelled as mentions without a link, so a model learns to find names it has never seen. "
        "0 disables them."
    ),
]
FullwidthRateOpt = Annotated[
    float, typer.Option(help="Chance that a sample's ASCII letters and digits are full-width.")
]
ConflictRateOpt = Annotated[
    float, typer.Option(help="Chance that a sample names a wrong parent; labelled conflict, never completed.")
]
NegativeShareOpt = Annotated[
    float,
    typer.Option(
        help="Share of each split's records that hold no entity, so a model learns not to invent mentions: "
        "out-of-domain chat (greetings, system questions, English, codes) and hard negatives (person, "
        "school and street names, dictionary words that contain a short form, checked against the "
        "gazetteer). Records the grammar writes without an entity count towards it; the manifest reports "
        "how many came from each source. 0 keeps only the grammar's own (about 2.5%). At most 0.9 together "
        "with --mixed-share."
    ),
]
MixedShareOpt = Annotated[
    float,
    typer.Option(
        help="Share of records that are a query with an out-of-domain or hard-negative clause before or after "
        "it (你好，…; …，谢谢), labelled for the query only. 0 disables them."
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option("--force", help="Run even when the output size estimated from a sample exceeds the free disk space."),
]
VerifyOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--verify",
        help="Check an output directory instead of generating: exit 0 when every file the manifest lists is "
        "there with its line count and sha256, 1 naming the first file that is wrong.",
    ),
]


def generate(
    out: OutOpt = None,
    n: CountOpt = 10000,
    gazetteer: GazetteerOpt = None,
    seed: SeedOpt = 0,
    grammar: GrammarOpt = None,
    reference_date: ReferenceDateOpt = None,
    export: ExportOpt = [],  # noqa: B006 - typer needs a literal default
    split_ratios: SplitRatiosOpt = "0.8,0.1,0.1",
    holdout_fraction: HoldoutFractionOpt = 0.1,
    template_holdout: TemplateHoldoutOpt = 0.15,
    typo_rate: TypoRateOpt = 0.02,
    novel_rate: NovelRateOpt = 0.2,
    fullwidth_rate: FullwidthRateOpt = 0.05,
    conflict_rate: ConflictRateOpt = 0.01,
    negative_share: NegativeShareOpt = 0.2,
    mixed_share: MixedShareOpt = 0.08,
    db: DbOpt = None,
    force: ForceOpt = False,
    verify: VerifyOpt = None,
) -> None:
    """Synthesize hierarchy-consistent tagged queries from a gazetteer and a template grammar.

    Labels are completed from the gazetteer only as far as the surfaced mentions make the chain
    unique. Validation and test use held-out companies/substations (and test also unseen
    templates), so test scores measure generalization. Example:

        nerloop generate --gazetteer gaz/ --out data/ -n 100000 --export hf --export alpaca

    `nerloop generate --verify data/` tells a complete data set from a broken one.
    """
    from gazetteers import load_gazetteer
    from generator.config import GeneratorConfig
    from generator.grammar import load_grammar
    from nerloop.errors import UsageError
    from nerloop.heap import settle_after_loading
    from nerloop.outdir.lock import busy_error, holder_if_locked
    from nerloop.store import open_store

    with user_errors():
        if verify is not None:
            _verify(verify)
            return
        if out is None:
            raise UsageError("give --out OUT_DIR (or --verify OUT_DIR to check one)")
        busy = holder_if_locked(out)
        if busy is not None:  # fail at once, before loading anything; generate_dataset takes the lock itself
            raise busy_error(out, busy)
        try:
            ratios = tuple(float(x) for x in split_ratios.split(","))
        except ValueError:
            raise UsageError(f"--split-ratios {split_ratios!r}: write three numbers such as 0.8,0.1,0.1") from None
        check_exports(export)  # a missing package (datasets for hf) before minutes of loading and sampling
        config = GeneratorConfig(
            n=n,
            seed=seed,
            reference_date=reference_for(reference_date),
            split_ratios=ratios,  # type: ignore[arg-type]
            holdout_fraction=holdout_fraction,
            template_holdout=template_holdout,
            typo_rate=typo_rate,
            novel_rate=novel_rate,
            fullwidth_rate=fullwidth_rate,
            conflict_rate=conflict_rate,
            negative_share=negative_share,
            mixed_share=mixed_share,
        )
        engine = open_store(db)
        gaz = load_gazetteer(gazetteer)
        compiled = load_grammar(grammar, gaz.domain)
        settle_after_loading()  # the gazetteer lives as long as the process: collections skip it
        summary = _generate_with_progress(gaz, compiled, out, config, export, force, gazetteer)
        _record(engine, out, gaz, compiled, seed, summary, config)
        _print_summary(summary, out)


def _generate_with_progress(
    gaz: Gazetteer,
    compiled: Grammar,
    out: Path,
    config: GeneratorConfig,
    export: list[str],
    force: bool,
    gazetteer: Path | None,
) -> GenerationSummary:
    """``generate_dataset`` with a progress bar per split (on a terminal)."""
    from generator.pipeline import generate_dataset

    sizes = config.split_sizes()
    with Progress(
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    ) as bar:
        tasks = {s: bar.add_task(s, total=size) for s, size in sizes.items()}
        return generate_dataset(
            gaz,
            compiled,
            out,
            config,
            export,
            lambda s, k: bar.advance(tasks[s], k),
            force=force,
            gazetteer_dir=gazetteer,
        )


def _record(
    engine: Engine,
    out: Path,
    gaz: Gazetteer,
    compiled: Grammar,
    seed: int,
    summary: GenerationSummary,
    config: GeneratorConfig,
) -> None:
    """Record the data set in the store; the engine is disposed of either way."""
    from nerloop.errors import NerloopError
    from nerloop.store import StoreError, record_dataset

    try:
        record_dataset(
            engine,
            out_dir=out,
            gazetteer_fingerprint=gaz.fingerprint,
            grammar_fingerprint=compiled.fingerprint,
            seed=seed,
            counts=summary.counts,
            settings=config.to_dict(),
        )
    except StoreError as exc:
        raise NerloopError(
            f"{exc}; the data set in {out} is complete: record it later with "
            f"`nerloop db record-dataset {shlex.quote(str(out))}` (same --db)"
        ) from None
    finally:
        engine.dispose()  # closes the SQLite file cleanly (no -wal/-shm left behind)


def _print_summary(summary: GenerationSummary, out: Path) -> None:
    for warning in summary.warnings:
        stderr.print(f"warning: {warning}")
    # sampling only: exports would make a larger run look slower per sample
    rate = sum(summary.counts.values()) / summary.sampling_seconds if summary.sampling_seconds else 0
    stdout.print(
        ", ".join(f"{s}: {c}" for s, c in summary.counts.items())
        + f" → {out} ({summary.duplicates} duplicates skipped, {rate:,.0f} samples/s)"
    )


def _verify(out: Path) -> None:
    from nerloop.outdir import verify_output

    manifest = verify_output(out)
    counts = ", ".join(f"{s}: {c}" for s, c in (manifest.get("counts") or {}).items())
    stdout.print(
        f"ok: {out} is complete: {len(manifest['files'])} files as the manifest lists them ({counts}; "
        f"seed {manifest.get('config', {}).get('seed')}, reference date "
        f"{manifest.get('config', {}).get('reference_date')})"
    )
