"""The compact duplicate check answers exactly as a set of the same hashes would."""

from __future__ import annotations

import random

import pytest

from generator.dedup import SeenHashes


@pytest.mark.parametrize("filter_bits", [3, 6, 24])  # a bitmap that says "maybe" often, and the default
def test_seen_hashes_answer_as_a_set_across_merges(filter_bits: int):
    rng = random.Random(0)
    seen, reference = SeenHashes(recent=8, filter_bits=filter_bits), set()
    extremes = [-(2**63), 2**63 - 1, 0, -1, -2]
    for step in range(3000):
        # new keys, repeats of old ones, and the int64 extremes
        key = rng.choice(extremes) if step % 97 == 0 else rng.getrandbits(64) - 2**63
        if reference and rng.random() < 0.3:
            key = rng.choice(sorted(reference))
        assert (key in seen) == (key in reference)
        if key not in reference:
            seen.add(key)
            reference.add(key)
        assert len(seen) == len(reference)
    assert all(k in seen for k in reference)


def test_an_empty_check_holds_nothing():
    seen = SeenHashes()
    assert 0 not in seen and len(seen) == 0 and not seen
    seen.add(0)
    assert 0 in seen and len(seen) == 1 and seen
