"""The tagging pipeline without a model: matcher behind the Tagger protocol, combinations, selection."""

from __future__ import annotations

import datetime as dt

import pytest

from gazetteers.matcher import GazetteerMatcher
from gazetteers.resolver import Resolver
from gazetteers.tagging import MatcherTagger
from inference.combine import COMBINE_MODES, combine_entities
from inference.pipeline import TaggingPipeline, open_pipeline
from nerloop.errors import NerloopError
from nerloop.records import Entity
from nerloop.tagging import Prediction, Tagger

REF = dt.date(2026, 11, 25)


def test_matcher_pipeline_gives_the_records_the_matcher_always_gave(mini) -> None:
    texts = ["本月菏泽巨野县供电公司投诉个数", "城关供电所投诉", "𠀀菏泽投诉"]
    pipeline = open_pipeline(None, True, mini)
    assert isinstance(pipeline.tagger, Tagger)
    matcher = GazetteerMatcher(mini, Resolver(mini, pipeline.resolver.config))
    for text, resolution in zip(texts, pipeline.tag(texts, REF)):
        assert resolution.record == matcher.tag(text, REF).record


def test_combinations_keep_one_side_whole_and_add_only_non_overlapping_spans() -> None:
    model = [Entity("Substation", 0, 4, "新名字所", score=0.6), Entity("Indicator", 6, 8, "投诉", score=0.9)]
    matcher = [Entity("City", 0, 2, "新名", score=1.0), Entity("Date", 4, 6, "本月", score=1.0)]
    assert combine_entities("model", model, matcher) == model
    assert combine_entities("matcher", model, matcher) == matcher
    assert combine_entities("union", model, matcher) == [model[0], matcher[1], model[1]]
    assert combine_entities("matcher-first", model, matcher) == [matcher[0], matcher[1], model[1]]
    with pytest.raises(NerloopError):
        combine_entities("vote", model, matcher)


class _FixedTagger:
    version = "fixed-1"

    def predict(self, texts):
        return [Prediction((Entity("Substation", 0, 3, text[:3], score=0.25),), uncertainty=0.5) for text in texts]


def test_pipeline_records_carry_score_uncertainty_and_model_and_unlinked_mentions_keep_no_id(mini) -> None:
    resolver = Resolver(mini)
    pipeline = TaggingPipeline(_FixedTagger(), resolver, matcher=MatcherTagger(GazetteerMatcher(mini)), combine="union")
    ((resolution, prediction),) = pipeline.tag_with_predictions(["无名所菏泽投诉"], REF)
    record = resolution.record
    assert record.extra["model"] == "fixed-1" and record.extra["uncertainty"] == 0.5
    unlinked = next(e for e in record.entities if e.type == "Substation")
    assert unlinked.id is None and unlinked.score == 0.25
    assert record.resolved["City"] == "菏泽市" and not record.conflict
    assert {e.type for e in prediction.entities} == {"Substation", "City", "Indicator"}


@pytest.mark.parametrize("combine", ["union", "matcher-first", "model", "calibrated"])
def test_the_combination_taken_apart_gives_what_predict_explained_gives(mini, combine: str) -> None:
    """matcher_mentions + merge are the two halves of the combination (bench/infer.py times them apart)."""
    texts = ["无名所菏泽投诉", "本月城关供电所投诉", "𠀀菏泽", ""]
    matcher = GazetteerMatcher(mini)
    # the calibrated combination weighs the gazetteer matcher's evidence: it takes no other tagger
    sides = (MatcherTagger(matcher),) if combine == "calibrated" else (MatcherTagger(matcher), _FixedTagger())
    for side in sides:
        pipeline = TaggingPipeline(_FixedTagger(), Resolver(mini), matcher=side, combine=combine)
        mentions = pipeline.matcher_mentions(texts)
        if combine == "model":
            assert mentions is None
        elif isinstance(side, MatcherTagger):
            assert mentions == [matcher.find(text) for text in texts]
        else:
            assert mentions == [p.entities for p in side.predict(texts)]
        predictions = _FixedTagger().predict(texts)
        merged = pipeline.merge(predictions, mentions)
        assert merged == pipeline.predict_explained(texts)
        if mentions is None:
            assert merged == [(p, None) for p in predictions]
        elif combine == "calibrated":
            assert all(decisions for _, decisions in merged[:3])  # every text with a span has its decisions
        else:
            assert [p.entities for p, _ in merged] == [
                tuple(combine_entities(combine, p.entities, m)) for p, m in zip(predictions, mentions)
            ]
        if mentions is not None:
            with pytest.raises(ValueError):  # one list of mentions per prediction, or an error
                pipeline.merge(predictions, mentions[:1])


def test_selection_needs_exactly_one_of_model_and_matcher(mini, tmp_path) -> None:
    with pytest.raises(NerloopError, match="either"):
        open_pipeline(tmp_path, True, mini)
    with pytest.raises(NerloopError, match="--model MODEL_DIR or --matcher"):
        open_pipeline(None, False, mini)
    with pytest.raises(NerloopError, match="not a nerloop model directory"):
        open_pipeline(tmp_path, False, mini)
    assert set(COMBINE_MODES) >= {"model", "matcher", "union", "matcher-first"}


class _ThreadRecordingTagger:
    """Predicts as _FixedTagger and notes which thread ran each batch."""

    version = "fixed-1"

    def __init__(self) -> None:
        self.threads: list[str] = []

    def predict(self, texts):
        import threading

        self.threads.append(threading.current_thread().name)
        return _FixedTagger().predict(texts)


@pytest.mark.parametrize("combine", ["union", "model"])
def test_the_model_a_batch_ahead_in_a_thread_gives_the_same_records_in_order(mini, combine: str) -> None:
    texts = [f"{name}{i}号线路" for i in range(7) for name in ("无名所菏泽投诉", "本月城关供电所投诉", "𠀀菏泽")]
    records = {}
    for overlap in (False, True):
        tagger = _ThreadRecordingTagger()
        pipeline = TaggingPipeline(
            tagger,
            Resolver(mini),
            matcher=MatcherTagger(GazetteerMatcher(mini)),
            combine=combine,
            batch_size=4,
            overlap=overlap,
        )
        records[overlap] = [r.record.to_dict() for r in pipeline.tag(texts, REF)]
        assert len(tagger.threads) == 6
        assert all(name.startswith("nerloop-model") for name in tagger.threads) == overlap
    assert records[True] == records[False]
    assert [r["text"] for r in records[True]] == texts


def test_a_model_error_in_the_background_thread_reaches_the_caller(mini) -> None:
    class Failing(_FixedTagger):
        calls = 0

        def predict(self, texts):
            Failing.calls += 1
            if Failing.calls == 2:
                raise RuntimeError("device lost")
            return super().predict(texts)

    pipeline = TaggingPipeline(
        Failing(), Resolver(mini), matcher=MatcherTagger(GazetteerMatcher(mini)), combine="union"
    )
    pipeline.batch_size, pipeline.overlap = 2, True
    with pytest.raises(RuntimeError, match="device lost"):
        pipeline.tag(["菏泽投诉"] * 6, REF)


@pytest.mark.parametrize("overlap", [False, True])
def test_a_bad_line_ahead_is_raised_only_after_the_batches_before_it_are_answered(mini, overlap: bool) -> None:
    """Reading ahead for the model loses no output: what came before the bad input is yielded first."""

    def lines():
        yield from ["菏泽投诉"] * 5
        raise ValueError("line 6: not UTF-8")

    pipeline = TaggingPipeline(
        _FixedTagger(), Resolver(mini), matcher=MatcherTagger(GazetteerMatcher(mini)), combine="union", batch_size=2
    )
    pipeline.overlap = overlap
    answered = []
    with pytest.raises(ValueError, match="line 6"):
        for resolution, _ in pipeline.tag_stream(lines(), REF):
            answered.append(resolution.record.text)
    assert len(answered) == 4  # the two whole batches; the half-read third batch is the bad one's


def test_tag_stream_reads_its_input_lazily(mini) -> None:
    pipeline = TaggingPipeline(
        _FixedTagger(), Resolver(mini), matcher=MatcherTagger(GazetteerMatcher(mini)), combine="union", batch_size=2
    )
    pipeline.overlap = True
    read = []

    def lines():
        for i in range(100):
            read.append(i)
            yield "菏泽投诉"

    stream = pipeline.tag_stream(lines(), REF)
    next(stream)
    assert len(read) <= 6  # this batch, the one the model works on, and the one read ahead of it
