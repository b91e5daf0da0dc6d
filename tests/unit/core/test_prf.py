"""The one definition of entity precision, recall and F1."""

from __future__ import annotations

import pytest

from nerloop.evaluation import prf


def test_nothing_predicted_and_nothing_gold_scores_zero_everywhere() -> None:
    assert prf(0, 0, 0) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((0, 3, 0), (0.0, 0.0, 0.0)),  # only false positives
        ((0, 0, 4), (0.0, 0.0, 0.0)),  # nothing predicted
        ((2, 3, 3), (2 / 3, 2 / 3, 2 / 3)),
        ((1, 1, 3), (1.0, 1 / 3, 0.5)),
    ],
)
def test_precision_recall_f1_from_counts(counts: tuple[int, int, int], expected: tuple[float, ...]) -> None:
    assert prf(*counts) == pytest.approx(expected)


def test_equal_ratios_give_equal_f1_so_ties_stay_ties() -> None:
    assert prf(1, 3, 3)[2] == prf(2, 6, 6)[2] == prf(3, 9, 9)[2]
