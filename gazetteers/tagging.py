"""The tagging pipeline: a tagger finds mentions, the gazetteer matcher may add its own, the resolver links.

``nerloop tag``/``eval``, ``al score`` and a future server all open taggers through
:func:`open_pipeline`, so the choice between the matcher and a model, and how a model's
spans are combined with the matcher's, is made in one place. Torch-free: a model backend
is imported only when a model directory is opened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from gazetteers.config import ResolverConfig
from gazetteers.matcher import MATCHER_VERSION, GazetteerMatcher, ambiguity_uncertainty
from gazetteers.model import Gazetteer
from gazetteers.resolver import Resolution, Resolver
from nerloop.errors import NerloopError, UsageError
from nerloop.records import Entity
from nerloop.tagging import Prediction, Tagger

# How a model's mentions meet the matcher's:
#   model:         the model's mentions only (a lexicon-enhanced model already reads the gazetteer);
#   matcher:       the matcher's only (the baseline);
#   union:         the model's, plus the matcher's that overlap none of them;
#   matcher-first: the matcher's (near perfect on known names), plus the model's that overlap none
#                  of them (the names the gazetteer lacks).
COMBINE_MODES = ("model", "matcher", "union", "matcher-first")


class MatcherTagger:
    """The gazetteer matcher behind the :class:`~nerloop.tagging.Tagger` protocol."""

    version = MATCHER_VERSION

    def __init__(self, matcher: GazetteerMatcher) -> None:
        self.matcher = matcher

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [Prediction(tuple(self.matcher.find(text))) for text in texts]


def _disjoint_from(base: Sequence[Entity], extra: Sequence[Entity]) -> list[Entity]:
    """``base`` plus the mentions of ``extra`` that overlap none of ``base``, in text order."""
    kept = list(base)
    for entity in extra:
        if all(entity.end <= b.start or entity.start >= b.end for b in base):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end))


def combine_entities(mode: str, model: Sequence[Entity], matcher: Sequence[Entity]) -> list[Entity]:
    """Merge a model's and the matcher's mentions of one text as ``mode`` says (see ``COMBINE_MODES``)."""
    if mode == "model":
        return list(model)
    if mode == "matcher":
        return list(matcher)
    if mode == "union":
        return _disjoint_from(model, matcher)
    if mode == "matcher-first":
        return _disjoint_from(matcher, model)
    raise UsageError(f"unknown combination {mode!r}; choose one of: {', '.join(COMBINE_MODES)}")


def query_uncertainty(prediction: Prediction, entities: Sequence[Entity]) -> float:
    """The tagger's own uncertainty if it has one, else 1 − the lowest mention score (0 with none)."""
    if prediction.unparseable:
        return 1.0
    if prediction.uncertainty is not None:
        return round(prediction.uncertainty, 4)
    scores = [e.score for e in entities if e.score is not None]
    return round(1.0 - min(scores), 4) if scores else 0.0


class TaggingPipeline:
    """Tagger → (optional merge with the matcher) → resolver, over batches of texts.

    Args:
        tagger: finds mentions (the matcher itself, or a model).
        resolver: links and completes against the gazetteer in use.
        matcher: the gazetteer matcher for ``combine`` modes other than ``model``.
        combine: one of ``COMBINE_MODES``; ignored when ``tagger`` is the matcher.
        batch_size: texts per ``tagger.predict`` call.
    """

    def __init__(
        self,
        tagger: Tagger,
        resolver: Resolver,
        *,
        matcher: Tagger | None = None,
        combine: str = "model",
        batch_size: int = 256,
    ) -> None:
        if combine not in COMBINE_MODES:
            raise UsageError(f"unknown combination {combine!r}; choose one of: {', '.join(COMBINE_MODES)}")
        if combine != "model" and matcher is None and not isinstance(tagger, MatcherTagger):
            raise NerloopError(f"combination {combine!r} needs the gazetteer matcher")
        self.tagger = tagger
        self.resolver = resolver
        self.matcher = matcher
        self.combine = "model" if isinstance(tagger, MatcherTagger) else combine
        self.batch_size = batch_size

    @property
    def version(self) -> str:
        return self.tagger.version

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """The tagger's predictions with the entities replaced by the combined ones."""
        out: list[Prediction] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            predictions = self.tagger.predict(batch)
            if self.combine == "model":
                out.extend(predictions)
                continue
            assert self.matcher is not None
            for prediction, found in zip(predictions, self.matcher.predict(batch)):
                merged = combine_entities(self.combine, prediction.entities, found.entities)
                out.append(
                    Prediction(
                        tuple(merged),
                        prediction.token_probs,
                        prediction.token_logprobs,
                        prediction.unparseable,
                        prediction.uncertainty,
                    )
                )
        return out

    def tag_with_predictions(self, texts: Sequence[str], reference: dt.date) -> list[tuple[Resolution, Prediction]]:
        """Resolved records (with ``score``, ``uncertainty`` and ``model``) and the predictions behind them.

        ``uncertainty`` is the tagger's, raised to what the resolver could not settle (a query whose
        mentions fit k chains is at least 1 − 1/k uncertain), so ambiguous queries reach annotators.
        """
        if isinstance(self.tagger, MatcherTagger):  # the matcher's own records (its uncertainty, its --explain)
            return [self._matcher_record(text, reference) for text in texts]
        out = []
        for text, prediction in zip(texts, self.predict(texts)):
            resolution = self.resolver.resolve(text, prediction.entities, reference, {"model": self.version})
            record = resolution.record
            value = max(query_uncertainty(prediction, prediction.entities), ambiguity_uncertainty(record))
            record = record.with_extra(uncertainty=round(value, 4))
            out.append((Resolution(record, resolution.links, resolution.segmentation), prediction))
        return out

    def _matcher_record(self, text: str, reference: dt.date) -> tuple[Resolution, Prediction]:
        resolution = self.tagger.matcher.tag(text, reference)  # type: ignore[attr-defined]
        record = resolution.record
        entities = tuple(e._replace(id=None) for e in record.entities)
        return resolution, Prediction(entities, uncertainty=record.extra.get("uncertainty"))

    def tag(self, texts: Sequence[str], reference: dt.date) -> list[Resolution]:
        return [resolution for resolution, _ in self.tag_with_predictions(texts, reference)]


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
    from trainer.loading import open_model
    from trainer.model_dir import read_manifest

    manifest = read_manifest(model)
    tagger = open_model(model, gazetteer=gazetteer, device=device, token_probs=token_probs)
    return TaggingPipeline(tagger, resolver, matcher=gazetteer_matcher, combine=combine or manifest.combine)


def check_selection(model: Path | None, matcher: bool) -> None:
    """Exactly one of ``--model`` and ``--matcher``; checked before anything slow is loaded."""
    if model is not None and matcher:
        raise UsageError("give either --model or --matcher, not both")
    if model is None and not matcher:
        raise UsageError("give --model MODEL_DIR or --matcher")
