"""Gazetteer-match features: positions per type, overlaps kept, hidden mentions dropped."""

from __future__ import annotations

from trainer.backends.tagger.lexicon import POSITIONS, Lexicon, drop_mentions


def test_features_mark_begin_middle_end_for_every_match_including_dates(mini) -> None:
    types = sorted(mini.domain.types)
    lexicon = Lexicon(mini, types)
    text = "本月菏泽投诉𠀀"
    matches = lexicon.matches(text)
    city, date = types.index("City"), types.index("Date")
    assert (2, 4, city) in matches
    assert (0, 2, date) in matches
    features = lexicon.char_features(len(text), matches)
    assert features.shape == (len(text) + 1, len(types) * POSITIONS)
    assert features[2, city * POSITIONS] == 1 and features[3, city * POSITIONS + 2] == 1
    assert features[-1].sum() == 0 and features[len(text) - 1].sum() == 0


def test_hidden_mentions_lose_every_overlapping_match() -> None:
    matches = [(0, 2, 0), (1, 3, 1), (4, 6, 2)]
    assert drop_mentions(matches, [(2, 4)]) == [(0, 2, 0), (4, 6, 2)]


def test_vectorised_features_equal_one_match_at_a_time(mini) -> None:
    import random

    import numpy as np

    lexicon = Lexicon(mini, sorted(mini.domain.types))
    rng = random.Random(0)
    for _ in range(200):
        n = rng.randint(1, 30)
        matches = []
        for _ in range(rng.randint(0, 8)):
            start = rng.randrange(n)
            matches.append((start, rng.randint(start + 1, n), rng.randrange(len(lexicon.types))))
        expected = np.zeros((n + 1, lexicon.n_features), dtype=np.float32)
        for start, end, type_id in matches:
            base = type_id * POSITIONS
            if end - start == 1:
                expected[start, base + 3] = 1.0
                continue
            expected[start, base] = 1.0
            expected[start + 1 : end - 1, base + 1] = 1.0
            expected[end - 1, base + 2] = 1.0
        assert np.array_equal(lexicon.char_features(n, matches), expected)
