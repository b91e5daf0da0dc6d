"""``nerloop al score|select|simulate``; ``al push|pull`` (nerloop/cli/label_studio.py) join the same group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from active_learning.config import SimulationConfig
from active_learning.strategies import strategy_names
from nerloop.atomic import atomic_write_text
from nerloop.cli.common import (
    DbOpt,
    GazetteerOpt,
    RayAddressOpt,
    RayGpusOpt,
    RayWorkersOpt,
    ReferenceDateOpt,
    reference_for,
)
from nerloop.cli.output import stderr, stdout, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from active_learning.score import ScoreReport, ScoringSpec

app = typer.Typer(
    help="Active learning: score the logged pool, select what to annotate, push it to Label Studio, pull annotations back, simulate strategies.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


def _domain(gazetteer: Path | None):
    from gazetteers.default import default_directory
    from nerloop.domain import domain_for_directory

    return domain_for_directory(gazetteer or default_directory())


def _bar(total: int | None = None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


@app.command("score")
def score(
    model: Annotated[
        Optional[Path],
        typer.Option("--model", "-m", help="Model directory to score with; default: the champion in the registry."),
    ] = None,
    matcher: Annotated[
        bool, typer.Option("--matcher", help="Score with the gazetteer matcher alone (resolver signals only).")
    ] = False,
    gazetteer: GazetteerOpt = None,
    reference_date: ReferenceDateOpt = None,
    batch_size: Annotated[int, typer.Option(help="Queries tagged and stored per transaction.")] = 256,
    limit: Annotated[
        Optional[int], typer.Option(help="Score at most this many queries (default: the whole pool).")
    ] = None,
    mc_samples: Annotated[
        int,
        typer.Option(
            help="MC-dropout passes for BALD (taggers only; 8 is a good choice). Each pass costs a tagging "
            "pass, so the default 0 scores every other strategy at the speed of tag --model."
        ),
    ] = 0,
    fuzzy_threshold: Annotated[float, typer.Option(help="Minimum rapidfuzz ratio for linking misspelt names.")] = 75.0,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="local (this process) or ray: batches scored by a pool of Ray actors that each load the model "
            "once, stored in pool order batch by batch; the same rows as local, BALD included "
            "(needs pip install 'nerloop[scale]').",
        ),
    ] = "local",
    ray_address: RayAddressOpt = None,
    ray_workers: RayWorkersOpt = None,
    ray_gpus_per_worker: RayGpusOpt = 0.0,
    db: DbOpt = None,
) -> None:
    """Tag every logged query the model has not scored yet; store its prediction, every strategy's score
    and the resolver signals (unlinked, ambiguous, conflict, unparseable). Safe to rerun or interrupt.

    On a cluster: nerloop al score --engine ray --ray-address auto --ray-workers 8 --ray-gpus-per-worker 1
    (the model directory and the gazetteer must be at the same path on every node)."""
    from active_learning.ray_score import score_pool_on_ray
    from active_learning.score import ScoringSpec
    from nerloop.errors import UsageError
    from nerloop.store import open_store

    with user_errors():
        if engine not in ("local", "ray"):
            raise UsageError(f"--engine must be local or ray, not {engine!r}")
        store = open_store(db)
        model, version = _scoring_model(store, model, matcher)
        reference = reference_for(reference_date)
        with _bar() as bar:
            task = bar.add_task(f"scoring with {version}", total=limit)
            options = {"batch_size": batch_size, "limit": limit, "progress": lambda k: bar.advance(task, k)}
            job = ScoringSpec(
                None if model is None else str(model.resolve()),  # Ray actors may start in another directory
                matcher,
                None if gazetteer is None else str(gazetteer.resolve()),
                fuzzy_threshold,
                version,
                reference,
                mc_samples,
            )
            if engine == "ray":
                ray = {"address": ray_address, "workers": ray_workers, "gpus_per_worker": ray_gpus_per_worker}
                report = score_pool_on_ray(store, job, **options, **ray)
            else:
                report = _score_locally(store, job, options)
        rate = report.scored / report.seconds if report.seconds else 0.0
        stdout.print(f"scored {report.scored} queries with {version} in {report.seconds:.1f} s ({rate:,.0f}/s)")


def _scoring_model(store: Engine, model: Path | None, matcher: bool) -> tuple[Path | None, str]:
    """The model directory to score with (``--model``, else the champion; ``None`` with --matcher) and its version."""
    from nerloop.errors import NerloopError
    from nerloop.store.registry import champion
    from trainer.model_dir import read_manifest

    if model is not None and matcher:
        raise NerloopError("give either --model or --matcher, not both")
    if matcher:
        return None, "matcher"
    if model is None:
        best = champion(store)
        if best is None:
            raise NerloopError("no champion model in the store; pass --model DIR or --matcher, or promote one")
        model = Path(best.path)
    return model, read_manifest(model).version


def _score_locally(store: Engine, job: ScoringSpec, options: dict[str, Any]) -> ScoreReport:
    """``al score --engine local``: the pipeline opened in this process, ``score_pool`` over the store."""
    from active_learning.deps import open_scorer
    from active_learning.score import score_pool

    pipeline, sampler, hierarchy = open_scorer(job)
    return score_pool(
        store,
        pipeline,
        model_version=job.model_version,
        reference=job.reference,
        hierarchy=hierarchy,
        sampler=sampler,
        mc_samples=job.mc_samples,
        **options,
    )


@app.command("select")
def select(
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            "-s",
            help=f"{', '.join(strategy_names()[:-1])} or {strategy_names()[-1]}.",
        ),
    ] = "mnlp",
    top: Annotated[int, typer.Option("--top", "-k", help="Batch size.")] = 50,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            "-o",
            help="Write the batch as JSON Lines (records with text_hash, "
            "uncertainty, model, strategy) for al push --from.",
        ),
    ] = None,
    model_version: Annotated[
        Optional[str], typer.Option(help="Select among this version's predictions; default: the champion's.")
    ] = None,
    near_duplicate: Annotated[
        float, typer.Option(help="rapidfuzz ratio (0-100) from which two queries are near-duplicates.")
    ] = 90.0,
    per_entry_cap: Annotated[int, typer.Option(help="At most this many queries per linked gazetteer entry.")] = 3,
    per_shape_cap: Annotated[
        int, typer.Option(help="At most this many queries per template-like shape (mentions replaced by types).")
    ] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the random strategy.")] = 0,
    source: Annotated[
        list[str], typer.Option("--source", help="Only queries ingested from this source (repeatable); default: all.")
    ] = [],  # noqa: B006 - typer needs a literal default
    gazetteer: GazetteerOpt = None,
    db: DbOpt = None,
) -> None:
    """Choose the next batch: most useful first, no near-duplicates, capped per entry and per shape,
    never a query already pushed or labelled. Prints a table (or JSON Lines when piped)."""
    from active_learning.config import SelectConfig
    from active_learning.select import item_to_dict, select_batch
    from nerloop.store import open_store

    with user_errors():
        config = SelectConfig(near_duplicate=near_duplicate, per_entry_cap=per_entry_cap, per_shape_cap=per_shape_cap)
        items = select_batch(
            open_store(db),
            strategy,
            top,
            hierarchy=_domain(gazetteer).hierarchy,
            model_version=model_version,
            config=config,
            seed=seed,
            sources=source or None,
        )
        lines = [json.dumps(item_to_dict(i), ensure_ascii=False) for i in items]
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out, "".join(line + "\n" for line in lines))
        if stdout.is_terminal:
            table = Table(title=f"{len(items)} queries by {strategy}" + (f" → {out}" if out else ""))
            for column in ("#", "score", "query", "mentions"):
                table.add_column(column)
            for n, item in enumerate(items, 1):
                mentions = " ".join(f"{e.text}/{e.type}" for e in item.record.entities)
                table.add_row(str(n), f"{item.uncertainty:.3f}", item.record.text, mentions)
            stdout.print(table)
        elif out is None:
            print("\n".join(lines))


_SIM = SimulationConfig()


@app.command("simulate")
def simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for curves.json, curves.png and the data.")],
    strategies: Annotated[str, typer.Option(help="Comma-separated strategies to compare with random.")] = ",".join(
        _SIM.strategies
    ),
    seeds: Annotated[int, typer.Option(help="Seeds; ratios are averaged over them.")] = _SIM.seeds,
    rounds: Annotated[int, typer.Option(help="Annotation rounds after the warm start.")] = _SIM.rounds,
    batch_size: Annotated[int, typer.Option(help="Queries annotated per round.")] = _SIM.batch_size,
    pool_size: Annotated[int, typer.Option(help="Gold-labelled pool (simulation grammar).")] = _SIM.pool_size,
    test_size: Annotated[int, typer.Option(help="Held-out test queries (simulation grammar).")] = _SIM.test_size,
    warm_size: Annotated[
        int, typer.Option(help="Synthetic warm-start training queries (training grammar).")
    ] = _SIM.warm_size,
    steps: Annotated[int, typer.Option(help="Training steps per (re)training.")] = _SIM.train_steps,
    human_weight: Annotated[
        float, typer.Option(help="Weight of annotated queries vs synthetic ones.")
    ] = _SIM.human_weight,
    mc_samples: Annotated[int, typer.Option(help="MC-dropout passes for bald.")] = _SIM.mc_samples,
    routine_share: Annotated[
        float,
        typer.Option(
            help="Share of the pool and test set drawn from the training grammar: real logs are mostly routine "
            "shapes the generator covers, plus a long tail it does not (0: long tail only)."
        ),
    ] = _SIM.routine_share,
    base: Annotated[str, typer.Option(help="Trainer --base (tiny, a local path, a model dir).")] = "tiny",
    grammar: Annotated[Optional[Path], typer.Option(help="Training grammar of the warm start.")] = None,
    simulation_grammar: Annotated[
        Optional[Path], typer.Option(help="Grammar of the annotators' pool; default: the shipped simulation grammar.")
    ] = None,
    gazetteer: GazetteerOpt = None,
    reference_date: ReferenceDateOpt = None,
) -> None:
    """Learning curves (entity F1 vs human labels) of each strategy and random from the same warm start,
    with a gold-labelled pool written by a different grammar standing in for annotators; prints the
    label-efficiency ratio (labels random needs / labels the strategy needs for random's final F1)."""
    from active_learning.simulate import SIMULATION_GRAMMAR, TrainerLearner, prepare_data, write_results
    from active_learning.simulate import simulate as run
    from gazetteers import load_gazetteer
    from nerloop.outdir import output_lock

    with user_errors(), output_lock(out):
        config = SimulationConfig(
            strategies=tuple(s.strip() for s in strategies.split(",") if s.strip()),
            seeds=seeds,
            rounds=rounds,
            batch_size=batch_size,
            pool_size=pool_size,
            test_size=test_size,
            warm_size=warm_size,
            train_steps=steps,
            human_weight=human_weight,
            mc_samples=mc_samples,
            routine_share=routine_share,
        )
        gaz = load_gazetteer(gazetteer)
        reference = reference_for(reference_date)
        data = prepare_data(gaz, config, out / "data", reference, grammar, simulation_grammar or SIMULATION_GRAMMAR)
        learner = TrainerLearner(gaz.domain, gaz, out / "models", steps, base)
        total = config.seeds * (len(set(config.strategies) | {"random"})) * config.rounds
        with _bar() as bar:
            task = bar.add_task("simulating", total=total)
            result = run(data, learner, gaz, config, reference, progress=lambda _e: bar.advance(task))
        json_path, png_path = write_results(result, out)
        for name, ratio in result["label_efficiency"].items():
            mean = "not reached" if ratio["mean"] is None else f"×{ratio['mean']:.2f}"
            final = result["curves"][name]["mean"][-1][1]
            stdout.print(
                f"{name:>18}: final F1 {final:.3f}, label efficiency {mean} "
                f"(reached in {ratio['reached']}/{ratio['seeds']} seeds)"
            )
        stdout.print(f"curves: {json_path}, plot: {png_path}")
