"""The tagging pipeline: a tagger finds mentions, the gazetteer matcher may add its own, the resolver links.

``nerloop tag``/``eval``, ``al score`` and a future server all open taggers through
:func:`open_pipeline`, so the choice between the matcher and a model, and how a model's
spans are combined with the matcher's, is made in one place. Torch-free: a model backend
is imported only when a model directory is opened.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from gazetteers.config import ResolverConfig
from gazetteers.matcher import GazetteerMatcher, ambiguity_uncertainty
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolution, Resolver
from gazetteers.tagging import MatcherTagger
from inference.calibration import PlattCalibration
from inference.combine import Thresholds, check_mode, combine_calibrated, combine_entities
from inference.evidence import EvidenceFinder
from nerloop.errors import NerloopError, UsageError
from nerloop.records import Entity
from nerloop.rounding import round4
from nerloop.tagging import Prediction, Tagger

CALIBRATION_CACHE = 1 << 16
"""(raw score, evidence kind) pairs whose calibrated confidence is kept (a bounded LRU)."""


def query_uncertainty(prediction: Prediction, entities: Sequence[Entity]) -> float:
    """The tagger's own uncertainty if it has one, else 1 − the lowest mention score (0 with none)."""
    if prediction.unparseable:
        return 1.0
    if prediction.uncertainty is not None:
        return round4(prediction.uncertainty)
    scores = [e.score for e in entities if e.score is not None]
    return round4(1.0 - min(scores)) if scores else 0.0


class TaggingPipeline:
    """Tagger → (optional merge with the matcher) → resolver, over batches of texts.

    Args:
        tagger: finds mentions (the matcher itself, or a model).
        resolver: links and completes against the gazetteer in use.
        matcher: the gazetteer matcher for ``combine`` modes other than ``model``.
        combine: one of ``COMBINE_MODES``; ignored when ``tagger`` is the matcher.
        batch_size: texts per ``tagger.predict`` call.
        calibration, thresholds: for ``calibrated`` (the model directory's ``calibration.json``).
        overlap: predict the next batch in a thread while this one is combined and resolved;
            ``None``: where that can pay (:meth:`overlapping`).
    """

    def __init__(
        self,
        tagger: Tagger,
        resolver: Resolver,
        *,
        matcher: Tagger | None = None,
        combine: str = "model",
        batch_size: int = 256,
        calibration: PlattCalibration | None = None,
        thresholds: Thresholds | None = None,
        overlap: bool | None = None,
    ) -> None:
        check_mode(combine)
        if combine != "model" and matcher is None and not isinstance(tagger, MatcherTagger):
            raise NerloopError(f"combination {combine!r} needs the gazetteer matcher")
        self.tagger = tagger
        self.resolver = resolver
        self.matcher = matcher
        self.combine = "model" if isinstance(tagger, MatcherTagger) else combine
        self.batch_size = batch_size
        self.overlap = overlap
        self.calibration = calibration or PlattCalibration()
        self.thresholds = thresholds or Thresholds()
        self._evidence = EvidenceFinder(matcher.matcher) if isinstance(matcher, MatcherTagger) else None
        self._find = matcher.matcher.find if isinstance(matcher, MatcherTagger) else None
        # raw scores are rounded to 4 places and evidence kinds are few: each pair is worked out once
        self._calibrate = lru_cache(maxsize=CALIBRATION_CACHE)(self.calibration.__call__)
        if self.combine == "calibrated" and self._evidence is None:
            raise NerloopError("the calibrated combination needs the gazetteer matcher")

    @property
    def version(self) -> str:
        return self.tagger.version

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The tagger's predictions with the entities replaced by the combined ones."""
        return [prediction for prediction, _ in self.predict_explained(texts)]

    def predict_explained(self, texts: Sequence[str]) -> list[tuple[Prediction, list | None]]:
        """Combined predictions and, for ``calibrated``, every span decision (``--explain``)."""
        return [
            pair for batch, predictions in self._model_batches(texts) for pair in self._combined(batch, predictions)
        ]

    def _model_batches(self, texts: Iterable[str]) -> Iterator[tuple[list[str], list[Prediction]]]:
        """Each batch of ``texts`` with the tagger's predictions, in order; ``texts`` is read lazily.

        Where the model has a GPU (:meth:`overlapping`) and there is more than one batch, the next
        batch is predicted in a background thread while the caller combines, resolves and writes this one: torch releases the GIL in its kernels, so the
        gazetteer's work no longer waits for the model.
        """
        batches = chunks(texts, self.batch_size)
        first = next(batches, None)
        if first is None:
            return
        second, failure = _next_or_failure(batches)
        if second is None or not self.overlapping():
            yield first, self.tagger.predict(first)
            if failure is not None:
                raise failure
            if second is None:
                return
            for following_batch in itertools.chain([second], batches):
                yield following_batch, self.tagger.predict(following_batch)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nerloop-model") as pool:
            current: list[str] | None = first
            following = itertools.chain([second], batches)
            pending = pool.submit(self.tagger.predict, first)
            while current is not None:
                upcoming, failure = _next_or_failure(following)
                predictions = pending.result()
                if upcoming is not None:
                    pending = pool.submit(self.tagger.predict, upcoming)
                yield current, predictions
                if failure is not None:
                    raise failure
                current = upcoming

    def overlapping(self) -> bool:
        """Whether the model runs a batch ahead in a thread: ``overlap`` if set, else when the model is
        on a GPU, whose kernels run while the host combines. On CPU the thread gained nothing
        (bench/infer.py, 2 cores, tiny tagger, one or two torch threads: the small ops' GIL hand-offs
        serialise the two), so there it stays off."""
        if self.overlap is not None:
            return self.overlap
        device = getattr(self.tagger, "device", None)
        return getattr(device, "type", "cpu") != "cpu"

    def _combined(self, batch: list[str], predictions: list[Prediction]) -> list[tuple[Prediction, list | None]]:
        """The tagger's predictions of one batch merged with the matcher's as ``combine`` says."""
        return self.merge(predictions, self.matcher_mentions(batch))

    def matcher_mentions(self, batch: Sequence[str]) -> list[Sequence[Entity]] | None:
        """The matcher's mentions of each text of ``batch``: the combination's second input (``None``
        for ``combine="model"``, which takes the model's mentions alone)."""
        if self.combine == "model":
            return None
        if self._find is not None:  # the gazetteer matcher: no Prediction to wrap and unwrap per query
            return [self._find(text) for text in batch]
        assert self.matcher is not None
        return [p.entities for p in self.matcher.predict(batch)]

    def merge(
        self, predictions: Sequence[Prediction], mentions: Sequence[Sequence[Entity]] | None
    ) -> list[tuple[Prediction, list | None]]:
        """Each prediction with its mentions merged with the matcher's (:meth:`matcher_mentions`) as
        ``combine`` says, and for ``calibrated`` every span decision; unchanged without ``mentions``."""
        if mentions is None:
            return [(p, None) for p in predictions]
        out: list[tuple[Prediction, list | None]] = []
        for prediction, found in zip(predictions, mentions, strict=True):
            decisions = None
            if self.combine == "calibrated":
                assert self._evidence is not None
                merged, decisions = combine_calibrated(
                    prediction.entities,
                    found,
                    prediction.char_entity_probs,
                    self._evidence,
                    self._calibrate,
                    self.thresholds,
                )
            else:
                merged = combine_entities(self.combine, prediction.entities, found)
            combined = Prediction(
                tuple(merged),
                prediction.token_probs,
                prediction.token_logprobs,
                prediction.unparseable,
                prediction.uncertainty,
                prediction.char_entity_probs,
            )
            out.append((combined, decisions))
        return out

    def tag_with_predictions(self, texts: Sequence[str], reference: dt.date) -> list[tuple[Resolution, Prediction]]:
        """Resolved records (with ``score``, ``uncertainty`` and ``model``) and the predictions behind them.

        ``uncertainty`` is the tagger's, raised to what the resolver could not settle (a query whose
        mentions fit k chains is at least 1 − 1/k uncertain), so ambiguous queries reach annotators.
        """
        return list(self.tag_stream(texts, reference))

    def tag_stream(self, texts: Iterable[str], reference: dt.date) -> Iterator[tuple[Resolution, Prediction]]:
        """:meth:`tag_with_predictions` over any iterable, read and answered a batch at a time (a log
        of any length in flat memory), with the model a batch ahead where :meth:`overlapping`."""
        if isinstance(self.tagger, MatcherTagger):  # the matcher's own records (its uncertainty, its --explain)
            for text in texts:
                yield self._matcher_record(text, reference)
            return
        for batch, predictions in self._model_batches(texts):
            for text, (prediction, decisions) in zip(batch, self._combined(batch, predictions)):
                yield self._resolved(text, reference, prediction, decisions)

    def _resolved(
        self, text: str, reference: dt.date, prediction: Prediction, decisions: list | None
    ) -> tuple[Resolution, Prediction]:
        resolution = self.resolver.resolve(text, prediction.entities, reference, {"model": self.version})
        if decisions is not None and resolution.record.conflict:
            resolution, prediction, decisions = self._without_contradictions(
                text, reference, resolution, prediction, decisions
            )
        record = resolution.record
        value = max(query_uncertainty(prediction, prediction.entities), ambiguity_uncertainty(record))
        # the record holds the ``extra`` given to ``resolve``: filled in place, not copied by ``with_extra``
        record.extra["uncertainty"] = round4(value)
        account = None if decisions is None else CombinationAccount(self.thresholds, tuple(decisions))
        return Resolution(record, resolution.links, account), prediction

    def _without_contradictions(
        self, text: str, reference: dt.date, resolution: Resolution, prediction: Prediction, decisions: list
    ) -> tuple[Resolution, Prediction, list]:
        """Drop the model's own spans when they alone make the chain contradict the gazetteer.

        A span the model found where the gazetteer has a form of another branch (冯家 in
        南皮县冯家口, a township of another county) turns a consistent query into a conflict; the
        gazetteer's chain is the stronger word, so those spans go, and ``--explain`` says why.
        """
        own = {(d.entity.start, d.entity.end) for d in decisions if d.kept and d.source == "model"}
        if not own:
            return resolution, prediction, decisions
        rest = tuple(e for e in prediction.entities if (e.start, e.end) not in own)
        retry = self.resolver.resolve(text, rest, reference, {"model": self.version})
        if retry.record.conflict:
            return resolution, prediction, decisions
        reason = "contradicts the chain of the other mentions"
        decisions = [
            d._replace(kept=False, reason=reason) if d.kept and (d.entity.start, d.entity.end) in own else d
            for d in decisions
        ]
        return retry, replace(prediction, entities=rest), decisions

    def _matcher_record(self, text: str, reference: dt.date) -> tuple[Resolution, Prediction]:
        resolution = self.tagger.matcher.tag(text, reference)  # type: ignore[attr-defined]
        record = resolution.record
        entities = tuple(e._replace(id=None) for e in record.entities)
        return resolution, Prediction(entities, uncertainty=record.extra.get("uncertainty"))

    def tag(self, texts: Sequence[str], reference: dt.date) -> list[Resolution]:
        return [resolution for resolution, _ in self.tag_with_predictions(texts, reference)]


class CombinationAccount:
    """How the calibrated combination decided each span of one query (``tag --explain``'s ``combination``)."""

    explain_key = "combination"

    def __init__(self, thresholds: Thresholds, decisions: tuple) -> None:
        self.thresholds = thresholds
        self.decisions = decisions

    def explain(self) -> dict:
        return {"thresholds": self.thresholds.to_dict(), "spans": [d.to_dict() for d in self.decisions]}


def chunks(texts: Iterable[str], size: int) -> Iterator[list[str]]:
    """``texts`` in lists of ``size`` (the last may be shorter), read lazily: the one batch
    splitter for every engine (``tag_stream`` here, ``tag --engine ray``'s driver)."""
    iterator = iter(texts)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _next_or_failure(batches: Iterator[list[str]]) -> tuple[list[str] | None, Exception | None]:
    """The next batch, or the error reading it (a bad line ahead): raised only once the batches
    before it are answered, so reading ahead loses no output."""
    try:
        return next(batches, None), None
    except Exception as exc:
        return None, exc


def resolver_config(fuzzy_threshold: float) -> ResolverConfig:
    """``--fuzzy-threshold``: 100 turns fuzzy linking off."""
    return ResolverConfig(fuzzy=fuzzy_threshold < 100, fuzzy_threshold=min(fuzzy_threshold, 100.0))


def open_pipeline(
    model: Path | None,
    matcher: bool,
    gazetteer: Gazetteer,
    fuzzy_threshold: float = 75.0,
    *,
    combine: str | None = None,
    device: str | None = None,
    token_probs: bool = False,
) -> TaggingPipeline:
    """The pipeline ``--model``/``--matcher`` ask for, resolving against ``gazetteer``.

    Args:
        model: a model directory from ``nerloop train`` (``None`` with ``matcher``).
        matcher: the gazetteer alone, no model.
        gazetteer: what mentions are linked to; may be newer than the one the model saw.
        fuzzy_threshold: see :func:`resolver_config`.
        combine: override the model's default combination with the matcher (its manifest's ``combine``).
        device: ``cpu``, ``cuda``…; default: the best available.
        token_probs: keep the model's per-token label distributions in the predictions (active
            learning needs them; tagging is faster without).

    Raises:
        NerloopError: neither or both of ``model`` and ``matcher``; a model directory that cannot be opened.
    """
    check_selection(model, matcher)
    resolver = Resolver(gazetteer, resolver_config(fuzzy_threshold))
    gazetteer_matcher = MatcherTagger(GazetteerMatcher(gazetteer, resolver))
    if model is None:
        if combine is not None and combine != "matcher":
            raise UsageError(f"--combine {combine} merges a model with the matcher; it needs --model")
        return TaggingPipeline(gazetteer_matcher, resolver)
    from inference.fit import read_calibration
    from inference.loading import open_model
    from trainer.model_dir import read_manifest

    manifest = read_manifest(model)
    mode = check_mode(combine or manifest.combine)
    calibration, thresholds = read_calibration(model) if mode == "calibrated" else (None, None)
    # the model's lexicon features and the matcher read one scan of each query (the combination runs both)
    shared = gazetteer_matcher.matcher if mode != "model" else None
    tagger = open_model(model, gazetteer=gazetteer, device=device, token_probs=token_probs, matcher=shared)
    return TaggingPipeline(
        tagger,
        resolver,
        matcher=gazetteer_matcher,
        combine=mode,
        calibration=calibration,
        thresholds=thresholds,
    )


def check_selection(model: Path | None, matcher: bool) -> None:
    """Exactly one of ``--model`` and ``--matcher``; checked before anything slow is loaded."""
    if model is not None and matcher:
        raise UsageError("give either --model or --matcher, not both")
    if model is None and not matcher:
        raise UsageError("give --model MODEL_DIR or --matcher")
