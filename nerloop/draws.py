"""Draws from a ``random.Random`` that are the standard library's own, without its interpreted frames.

``Random.shuffle``, ``choice`` and ``randint`` are Python code around the C ``getrandbits``. The
compiled generator called them several times per sample, and ``shuffle`` runs one interpreted
``_randbelow`` per element: with the national gazetteer's pools, ~2.4 interpreted calls per sample
at 30,000 samples. These functions put the same questions to ``getrandbits`` in the same order
(CPython 3.10-3.13's ``_randbelow_with_getrandbits``), so a seed draws what it drew before:
tests compare them with the standard library's methods over many seeds and sizes. A generator of
another class (a subclass may draw otherwise) is handed to its own method.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def below(rng: random.Random, n: int) -> int:
    """``rng._randbelow(n)``: an integer in ``[0, n)``, for ``n > 0``."""
    getrandbits = rng.getrandbits
    k = n.bit_length()
    r: int = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


def choice(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice(items)``."""
    if type(rng) is not random.Random:
        return rng.choice(items)
    n = len(items)
    if not n:
        raise IndexError("Cannot choose from an empty sequence")
    return items[below(rng, n)]


def randint(rng: random.Random, a: int, b: int) -> int:
    """``rng.randint(a, b)``: an integer in ``[a, b]``."""
    if type(rng) is not random.Random or b < a:
        return rng.randint(a, b)  # its own error for an empty range
    return a + below(rng, b - a + 1)


def shuffle(rng: random.Random, items: list[T]) -> None:
    """``rng.shuffle(items)``: in place."""
    if type(rng) is not random.Random:
        rng.shuffle(items)
        return
    getrandbits = rng.getrandbits
    for i in range(len(items) - 1, 0, -1):
        n = i + 1
        k = n.bit_length()
        j: int = getrandbits(k)
        while j >= n:
            j = getrandbits(k)
        items[i], items[j] = items[j], items[i]
