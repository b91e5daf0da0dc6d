"""nerloop.draws asks getrandbits what the standard library's methods ask: same seed, same draws."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerloop.draws import choice, randint, shuffle


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**64), size=st.integers(0, 300))
def test_shuffle_equals_the_standard_librarys(seed: int, size: int) -> None:
    ours, theirs = random.Random(seed), random.Random(seed)
    a, b = list(range(size)), list(range(size))
    shuffle(ours, a)
    theirs.shuffle(b)
    assert a == b
    assert ours.random() == theirs.random()  # and the generator's state moved alike


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**64), items=st.lists(st.integers(), min_size=1, max_size=70), draws=st.integers(1, 20))
def test_choice_equals_the_standard_librarys(seed: int, items: list[int], draws: int) -> None:
    ours, theirs = random.Random(seed), random.Random(seed)
    assert [choice(ours, items) for _ in range(draws)] == [theirs.choice(items) for _ in range(draws)]
    assert ours.random() == theirs.random()


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**64), a=st.integers(-(2**70), 2**70), width=st.integers(0, 2**70), draws=st.integers(1, 20)
)
def test_randint_equals_the_standard_librarys(seed: int, a: int, width: int, draws: int) -> None:
    ours, theirs = random.Random(seed), random.Random(seed)
    assert [randint(ours, a, a + width) for _ in range(draws)] == [theirs.randint(a, a + width) for _ in range(draws)]
    assert ours.random() == theirs.random()


def test_small_ranges_over_many_seeds() -> None:
    """Widths 1..40 (every bit length up to 6, with the rejection loop taken often), 200 seeds each."""
    for seed in range(200):
        ours, theirs = random.Random(seed), random.Random(seed)
        for width in range(1, 41):
            assert randint(ours, 3, 2 + width) == theirs.randint(3, 2 + width)
            assert choice(ours, "abcdefghijklmnopqrstuvwxyz甲乙丙"[:width]) == theirs.choice(
                "abcdefghijklmnopqrstuvwxyz甲乙丙"[:width]
            )


def test_errors_are_the_standard_librarys() -> None:
    with pytest.raises(IndexError):
        choice(random.Random(0), [])
    with pytest.raises(ValueError):
        randint(random.Random(0), 3, 2)


class _Counting(random.Random):
    """A subclass that draws otherwise: the helpers must hand it to its own methods."""

    def choice(self, seq):  # type: ignore[no-untyped-def]
        return seq[0]

    def randint(self, a, b):  # type: ignore[no-untyped-def]
        return a

    def shuffle(self, x):  # type: ignore[no-untyped-def]
        x.reverse()


def test_another_generator_class_keeps_its_own_methods() -> None:
    rng = _Counting(0)
    items = [1, 2, 3]
    shuffle(rng, items)
    assert items == [3, 2, 1]
    assert choice(rng, "xyz") == "x"
    assert randint(rng, 5, 9) == 5
