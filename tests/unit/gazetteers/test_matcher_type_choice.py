"""The type choice (gazetteers/type_choice.py) costs assignments part by part: the same pick as ``min`` over the whole cost."""

from __future__ import annotations

import itertools

import pytest

from gazetteers import load_gazetteer
from gazetteers.matcher import GazetteerMatcher

MATCHER = GazetteerMatcher(load_gazetteer(None, use_cache=False))
QUERIES = [
    "滨城市中投诉",
    "济南的市中投诉",
    "德州的市中投诉",
    "市中投诉",
    "吉林投诉",
    "吉林市中和历下两个所的投诉",
    "城关、市中两个所本月投诉",
    "菏泽市中区和市中供电所对比",
]


@pytest.mark.parametrize("text", QUERIES)
def test_cheapest_assignment_is_the_first_of_least_cost(text):
    segmentation = MATCHER.segment(text)
    folded = segmentation.folded
    matches = [m for m in segmentation.chosen if m.types != ("Date",)]
    options = [(m.start, m.end, m.types, False) for m in matches]
    weak = [m.weak for m in matches]
    hints = MATCHER.types.hints(folded)
    every = list(itertools.product(*(o[2] for o in options)))
    expected = min(every, key=lambda a: MATCHER.types.cost(folded, options, a, weak, hints))
    assert MATCHER.types.cheapest(folded, options, weak) == expected
