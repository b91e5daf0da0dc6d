"""The gazetteer matcher behind the :class:`~nerloop.tagging.Tagger` protocol.

Everything that combines it with a model (the tagging pipeline, combination modes,
calibration) lives in :mod:`inference`, above both ``gazetteers`` and ``trainer``.
"""

from __future__ import annotations

from collections.abc import Sequence

from gazetteers.matcher import MATCHER_VERSION, GazetteerMatcher
from nerloop.tagging import Prediction


class MatcherTagger:
    """The gazetteer matcher as a tagger: every mention the segmentation chooses, no model."""

    version = MATCHER_VERSION

    def __init__(self, matcher: GazetteerMatcher) -> None:
        self.matcher = matcher

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [Prediction(tuple(self.matcher.find(text))) for text in texts]
