"""The seam between the cycle and what it drives: trainer, tagging pipeline, annotation edge.

The cycle's logic (when to retrain, what to compare, what to promote, what to push, how to
resume) is tested with real stand-ins through :class:`CycleDeps`; :func:`default_deps`
binds the real trainer (``trainer.train.train``), pipeline (``inference.pipeline.open_pipeline``)
and Label Studio edge (``active_learning.label_studio``), imported lazily so that this
package imports without torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from active_learning.batch import BatchItem
from active_learning.config import CycleConfig
from active_learning.errors import CycleError
from active_learning.score import ScoringPipeline, ScoringSpec, StochasticTagger
from nerloop.hashing import stable_hex
from trainer.data import DataSpec


@dataclass(frozen=True)
class TrainRequest:
    """One retrain: the weighted data sources, where to write, from what.

    The trainer must write ``out_dir`` atomically (a temporary sibling renamed on success)
    with its manifest last, so a killed retrain leaves no directory that looks finished.
    """

    data_specs: tuple[DataSpec, ...]
    out_dir: Path
    base: str
    finetune: str
    steps: int


@dataclass(frozen=True)
class CycleDeps:
    """Callables the cycle needs.

    Args:
        pull: fetch new annotations into ``GoldLabel`` (idempotent).
        push: send a batch to annotators, one task per text hash (idempotent).
        train: train into ``request.out_dir`` (a nerloop model directory with its manifest).
        open_pipeline: a scoring pipeline for a model directory, plus its tagger when it
            supports MC-dropout (else ``None``).
    """

    pull: Callable[[Engine], Any]
    push: Callable[[Engine, Sequence[BatchItem]], Any]
    train: Callable[[TrainRequest], Any]
    open_pipeline: Callable[[Path], tuple[ScoringPipeline, StochasticTagger | None]]


def require_component(module: str, what: str) -> Any:
    """Import a part another component provides, or say which part is missing (one line, no traceback)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise CycleError(f"this nerloop has no {what} ({module}: {exc})") from exc


def open_scoring_pipeline(
    model_dir: Path | None, gazetteer: Any, *, matcher: bool = False, fuzzy_threshold: float = 75.0
) -> tuple[ScoringPipeline, StochasticTagger | None]:
    """``inference.pipeline.open_pipeline`` plus the tagger when it supports MC-dropout (for BALD)."""
    tagging = require_component("inference.pipeline", "tagging pipeline to score with")
    pipeline = tagging.open_pipeline(model_dir, matcher, gazetteer, fuzzy_threshold, token_probs=True)
    tagger = getattr(pipeline, "tagger", None)
    return pipeline, tagger if isinstance(tagger, StochasticTagger) else None


def open_scorer(spec: ScoringSpec) -> tuple[ScoringPipeline, StochasticTagger | None, tuple[str, ...]]:
    """The scoring pipeline, its MC-dropout sampler and the hierarchy, opened from ``spec`` (this process or a Ray actor)."""

    from gazetteers import load_gazetteer
    from nerloop.heap import settle_after_loading

    gazetteer = load_gazetteer(spec.gazetteer)
    model = Path(spec.model) if spec.model is not None else None
    pipeline, sampler = open_scoring_pipeline(
        model, gazetteer, matcher=spec.matcher, fuzzy_threshold=spec.fuzzy_threshold
    )
    settle_after_loading()  # as in tag: the gazetteer's objects never die
    return pipeline, sampler, tuple(gazetteer.domain.hierarchy)


def default_deps(config: CycleConfig, gazetteer: Any, fuzzy_threshold: float = 75.0) -> CycleDeps:
    """The real trainer, pipeline and Label Studio (or file) edge; see the module docstring."""

    def train(request: TrainRequest) -> Any:
        from trainer.config import TrainConfig

        trainer = require_component("inference.fit", "trainer with calibration")
        options: dict[str, Any] = {"base": request.base, "finetune": request.finetune}
        if request.steps:
            options["max_steps"] = request.steps
        specs = list(request.data_specs)
        return trainer.train_calibrated(TrainConfig(**options), specs, request.out_dir, gazetteer)

    def open_pipeline(model_dir: Path) -> tuple[ScoringPipeline, StochasticTagger | None]:
        return open_scoring_pipeline(model_dir, gazetteer, fuzzy_threshold=fuzzy_threshold)

    def target() -> Any:
        from active_learning.label_studio import LabelStudioTarget

        if not config.label_studio_url:
            if not config.export_dir:
                raise CycleError("set label_studio_url (with NERLOOP_LS_TOKEN) or export_dir in the cycle config")
            return Path(config.export_dir)
        return LabelStudioTarget.from_options(config.label_studio_url, None, config.project, gazetteer.domain)

    def pull(engine: Engine) -> Any:
        from active_learning.label_studio import pull_annotations

        source = target()
        if isinstance(source, Path):  # air-gapped: every Label Studio JSON export dropped into inbox/
            return [pull_annotations(engine, export) for export in sorted((source / "inbox").glob("*.json"))]
        return pull_annotations(engine, source)

    def push(engine: Engine, items: Sequence[BatchItem]) -> Any:
        from active_learning.label_studio import push_batch

        destination = target()
        if isinstance(destination, Path):  # air-gapped: one file per batch in outbox/, named by its content
            key = stable_hex("".join(sorted(i.text_hash for i in items)), 12)
            (destination / "outbox").mkdir(parents=True, exist_ok=True)
            destination = destination / "outbox" / f"batch-{key}.json"
        return push_batch(engine, items, destination)

    return CycleDeps(pull=pull, push=push, train=train, open_pipeline=open_pipeline)


def default_ingest(engine: Engine, path: Path) -> Any:
    """``nerloop logs ingest PATH`` as a library call."""
    from active_learning.ingest import ingest_logs

    return ingest_logs(engine, [path])
