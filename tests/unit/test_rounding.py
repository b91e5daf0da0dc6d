"""round4: round(x, 4) to the bit, however often a value comes back."""

from __future__ import annotations

import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from nerloop import rounding
from nerloop.rounding import round4


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


@given(st.floats(allow_nan=False))
def test_is_round_to_four_places_to_the_bit(x: float) -> None:
    for _ in range(2):  # computed, then remembered
        assert _bits(round4(x)) == _bits(round(x, 4))


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_fractions_of_counts(a: int, b: int) -> None:
    """The values a pipeline rounds: scores of fractions, halves included (0.00005 rounds by its binary value)."""
    x = a / max(b, 1)
    assert _bits(round4(x)) == _bits(round(x, 4))
    assert _bits(round4(1.0 - x)) == _bits(round(1.0 - x, 4))


def test_zeros_keep_their_sign_and_nan_stays_nan() -> None:
    assert _bits(round4(0.0)) == _bits(0.0)
    assert _bits(round4(-0.0)) == _bits(-0.0)
    assert math.isnan(round4(math.nan))


def test_the_table_is_bounded() -> None:
    for i in range(rounding.ROUNDED_LIMIT + 10):
        round4(0.5 + i * 1e-9)
    assert len(rounding._rounded) <= rounding.ROUNDED_LIMIT
