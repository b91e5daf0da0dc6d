"""``nerloop tag``, ``nerloop resolve`` and ``nerloop eval``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO, Optional

import typer
from rich.table import Table

from nerloop.cli.common import GazetteerOpt, RayAddressOpt, RayGpusOpt, RayWorkersOpt, ReferenceDateOpt, reference_for
from nerloop.cli.output import stdout, user_errors, utf8_stdout
from nerloop.errors import InputError, NerloopError, Problem, UsageError

InputArg = Annotated[str, typer.Argument(help="Input file, or - for standard input.")]
ModelOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--model", "-m", help="Model directory from nerloop train; mentions are resolved against --gazetteer."
    ),
]
CombineOpt = Annotated[
    Optional[str],
    typer.Option(
        "--combine",
        help="How --model meets the gazetteer matcher: calibrated (span by span, thresholds fitted on the "
        "development set), model, matcher, union or matcher-first; default: the model's own choice (see its README.md).",
    ),
]
BATCH = 256
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="local (this process) or ray: batches tagged by a pool of Ray actors that each load the model once; "
        "the same records in the same order (needs pip install 'nerloop[scale]').",
    ),
]
MatcherOpt = Annotated[bool, typer.Option("--matcher", help="Use the gazetteer alone, no model: the baseline.")]
FuzzyOpt = Annotated[
    float,
    typer.Option(
        "--fuzzy-threshold",
        help="Minimum rapidfuzz ratio (0-100) for linking a misspelt name; 100 turns fuzzy linking off.",
    ),
]
ExplainOpt = Annotated[
    bool,
    typer.Option(
        "--explain",
        help="Add an 'explain' field: how each mention was linked, with candidates and scores; with --matcher also "
        "'segmentation': the matches chosen and every alternative considered, with why it lost; with a calibrated "
        "--model 'combination': every model and gazetteer span, kept or dropped, with its confidence, the gazetteer "
        "evidence and the threshold.",
    ),
]


@contextmanager
def _open_input(path: str) -> Iterator[tuple[BinaryIO, str]]:
    """The input as bytes: decoding is strict and line splitting at ``\n`` only (nerloop.queries)."""
    if path == "-":
        yield sys.stdin.buffer, "<stdin>"
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise NerloopError(f"cannot read {path}: {exc.strerror}") from exc
    with stream:
        yield stream, path


def _pipeline(model: Path | None, matcher: bool, gazetteer: Path | None, fuzzy_threshold: float, combine: str | None):
    """The tagging pipeline the flags ask for, and the gazetteer it resolves against."""
    from gazetteers import load_gazetteer
    from inference.pipeline import check_selection, open_pipeline
    from nerloop.heap import settle_after_loading

    check_selection(model, matcher)  # before loading anything slow
    gaz = load_gazetteer(gazetteer)
    pipeline = open_pipeline(model, matcher, gaz, fuzzy_threshold, combine=combine)
    settle_after_loading()  # the gazetteer's millions of objects never die: collections skip them
    return pipeline, gaz


def _output(resolution, domain, explain: bool) -> str:
    from inference.render import render_line

    return render_line(resolution, domain, explain)


def tag(
    input: InputArg = "-",
    model: ModelOpt = None,
    matcher: MatcherOpt = False,
    gazetteer: GazetteerOpt = None,
    reference_date: ReferenceDateOpt = None,
    explain: ExplainOpt = False,
    fuzzy_threshold: FuzzyOpt = 75.0,
    combine: CombineOpt = None,
    engine: EngineOpt = "local",
    ray_address: RayAddressOpt = None,
    ray_workers: RayWorkersOpt = None,
    ray_gpus_per_worker: RayGpusOpt = 0.0,
) -> None:
    """Tag queries: one per line (plain text, or JSON Lines with a 'text' field) → records on stdout.

    Each output record has the mentions with scores, the hierarchy completed from the gazetteer
    (never guessed), the normalized date, a query-level uncertainty and the inline-XML form. Example:

        echo 本月菏泽麒麟供电所投诉个数 | nerloop tag --matcher --reference-date 2026-11-25
    """
    from nerloop.queries import decode_lines, read_queries

    with user_errors():
        utf8_stdout()
        if engine not in ("local", "ray"):
            raise UsageError(f"--engine must be local or ray, not {engine!r}")
        if engine == "ray":
            _tag_with_ray(
                input,
                model,
                matcher,
                gazetteer,
                reference_date,
                explain,
                fuzzy_threshold,
                combine,
                ray_address,
                ray_workers,
                ray_gpus_per_worker,
            )
            return
        pipeline, gaz = _pipeline(model, matcher, gazetteer, fuzzy_threshold, combine)
        reference = reference_for(reference_date)
        with _open_input(input) as (stream, source):
            # read, tagged and printed a batch at a time: a log of any length in flat memory
            for resolution, _ in pipeline.tag_stream(read_queries(decode_lines(stream, source), source), reference):
                print(_output(resolution, gaz.domain, explain), flush=False)
        sys.stdout.flush()


def _tag_with_ray(
    input: str, model, matcher, gazetteer, reference_date, explain, fuzzy_threshold, combine, address, workers, gpus
) -> None:
    """``tag --engine ray``: the CLI's batches, tagged by Ray actors, printed in input order."""
    from inference.pipeline import check_selection, chunks
    from inference.ray_engine import PipelineSpec, tag_batches
    from nerloop.queries import decode_lines, read_queries

    check_selection(model, matcher)
    spec = PipelineSpec(
        str(model) if model is not None else None,
        matcher,
        str(gazetteer) if gazetteer is not None else None,
        fuzzy_threshold,
        combine,
        reference_for(reference_date),
        explain,
    )
    with _open_input(input) as (stream, source):
        queries = read_queries(decode_lines(stream, source), source)
        for line in tag_batches(chunks(queries, BATCH), spec, workers=workers, address=address, gpus_per_worker=gpus):
            print(line, flush=False)
    sys.stdout.flush()


def resolve(
    input: InputArg = "-",
    gazetteer: GazetteerOpt = None,
    reference_date: ReferenceDateOpt = None,
    explain: ExplainOpt = False,
    fuzzy_threshold: FuzzyOpt = 75.0,
) -> None:
    """Re-resolve records' mentions against a gazetteer, keeping the mentions as they are.

    For output of any model or annotator: links each mention, completes the hierarchy and
    normalizes the date anew, so a gazetteer updated today applies without retraining.
    """
    from gazetteers import load_gazetteer
    from gazetteers.resolver import Resolver
    from inference.pipeline import resolver_config
    from nerloop.export import read_jsonl

    with user_errors():
        utf8_stdout()
        gaz = load_gazetteer(gazetteer)
        resolver = Resolver(gaz, resolver_config(fuzzy_threshold))
        reference = reference_for(reference_date)
        path = Path("/dev/stdin") if input == "-" else Path(input)
        for record in read_jsonl(path):
            resolution = resolver.resolve(record.text, record.entities, reference)
            print(_output(resolution, gaz.domain, explain))


def evaluate(
    gold: Annotated[
        Path, typer.Option("--gold", help="Gold records (JSON Lines), e.g. test.jsonl from nerloop generate.")
    ],
    model: ModelOpt = None,
    matcher: MatcherOpt = False,
    gazetteer: GazetteerOpt = None,
    reference_date: ReferenceDateOpt = None,
    fuzzy_threshold: FuzzyOpt = 75.0,
    combine: CombineOpt = None,
) -> None:
    """Score a tagger against gold records; prints a JSON object (and a table on a terminal).

    Entity precision/recall/F1 (exact type and span, overall and per type), resolved accuracy
    (all hierarchy levels equal), ambiguity accuracy, date accuracy, target accuracy (every
    organisation the query names: its mentions and chain) and the same over multi-unit queries. The reference date defaults
    to the one in the gold file's manifest.json, if there is one.
    """
    from nerloop.evaluation import evaluate as score
    from nerloop.export import read_jsonl

    with user_errors():
        pipeline, gaz = _pipeline(model, matcher, gazetteer, fuzzy_threshold, combine)
        reference = reference_for(reference_date, gold)
        gold_records = list(read_jsonl(gold))
        if not gold_records:
            raise InputError(Problem(str(gold), 0, "no gold records; nothing to evaluate"))
        predicted = [r.record for r in pipeline.tag([g.text for g in gold_records], reference)]
        metrics = score(gold_records, predicted, gaz.domain.hierarchy)
        print(json.dumps(metrics, ensure_ascii=False))
        if sys.stdout.isatty():
            _print_table(metrics)


def _print_table(metrics: dict) -> None:
    table = Table(title=f"n = {metrics['n']}")
    for column in ("type", "precision", "recall", "f1", "support"):
        table.add_column(column, justify="right" if column != "type" else "left")
    for type_name, m in sorted(metrics["per_type"].items()):
        table.add_row(type_name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    table.add_row(
        "all",
        f"{metrics['entity_precision']:.3f}",
        f"{metrics['entity_recall']:.3f}",
        f"{metrics['entity_f1']:.3f}",
        "",
    )
    stdout.print(table)
    for key in ("resolved_accuracy", "ambiguity_accuracy", "date_accuracy", "target_accuracy", "multi_target_accuracy"):
        value = metrics.get(key)
        stdout.print(f"{key}: {'n/a' if value is None else f'{value:.3f}'}")
