"""Label efficiency: labels random needs / labels a strategy needs to reach random's final F1."""

from __future__ import annotations

import pytest

from active_learning.simulate import label_efficiency, labels_to_reach

RANDOM = [(0, 0.50), (20, 0.60), (40, 0.70), (60, 0.80)]


@pytest.mark.parametrize(
    ("curve", "target", "expected"),
    [
        (RANDOM, 0.80, 60.0),
        (RANDOM, 0.65, 30.0),  # halfway between 20 and 40
        (RANDOM, 0.50, 0.0),
        (RANDOM, 0.90, None),
        ([(0, 0.5), (10, 0.9), (20, 0.8)], 0.85, 8.75),
        ([(0, 0.5), (10, 0.5), (20, 0.5)], 0.6, None),
    ],
)
def test_labels_to_reach_interpolates_between_rounds(curve, target, expected):
    assert labels_to_reach(curve, target) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("curve", "expected"),
    [
        ([(0, 0.50), (20, 0.80), (40, 0.85), (60, 0.86)], 3.0),  # reaches 0.80 with 20 labels: 60 / 20
        ([(0, 0.50), (20, 0.70), (40, 0.90), (60, 0.90)], 60 / 30),
        (RANDOM, 1.0),
        ([(0, 0.50), (20, 0.55), (40, 0.60), (60, 0.65)], None),
    ],
)
def test_label_efficiency_against_random(curve, expected):
    got = label_efficiency(RANDOM, curve)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_label_efficiency_is_undefined_when_random_never_improved():
    flat = [(0, 0.7), (20, 0.6), (40, 0.65)]
    assert label_efficiency(flat, [(0, 0.7), (20, 0.9), (40, 0.9)]) is None
