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


def test_batched_features_are_each_texts_features_stacked(mini) -> None:
    import random

    import numpy as np

    lexicon = Lexicon(mini, sorted(mini.domain.types))
    rng = random.Random(1)
    for _ in range(50):
        lengths, per_text = [], []
        for _ in range(rng.randint(1, 6)):
            n = rng.randint(0, 20)
            spans = (
                [(s, rng.randint(s + 1, n)) for s in (rng.randrange(n) for _ in range(rng.randint(0, 5)))] if n else []
            )
            per_text.append([(s, e, rng.randrange(len(lexicon.types))) for s, e in spans])
            lengths.append(n)
        stacked, first = lexicon.batch_char_features(lengths, per_text)
        expected = np.concatenate([lexicon.char_features(n, m) for n, m in zip(lengths, per_text)])
        assert np.array_equal(stacked, expected)
        assert list(first) == [sum(n + 1 for n in lengths[:k]) for k in range(len(lengths))]


_SHARED_SCAN_TEXTS = [
    "本月菏泽巨野县供电公司麒麟供电所投诉个数",
    "𠀀２０２４年５月菏泽投诉",  # a character outside the BMP, full-width digits
    "上季度东明县和巨野县的意见对比",
    "",
    "你好",
]


def test_features_read_off_the_matchers_scan_equal_the_lexicons_own(mini) -> None:
    from gazetteers.matcher import GazetteerMatcher

    types = sorted(mini.domain.types)
    matcher = GazetteerMatcher(mini)
    own, shared = Lexicon(mini, types), Lexicon(mini, types, matcher)
    forms = sorted({f for t in types for f in mini.surfaces(t)})
    import random

    rng = random.Random(2)
    texts = _SHARED_SCAN_TEXTS + [
        "".join(rng.choice(forms + ["的", "本月", "2024年"]) for _ in range(5)) for _ in range(300)
    ]
    for text in texts:
        assert sorted(shared.matches(text)) == sorted(own.matches(text)), text
    assert matcher.scan.cache_info().currsize > 0  # the matcher's segment reads the same scans


def test_a_lexicon_refuses_the_matcher_of_another_gazetteer(mini, tmp_path) -> None:
    import pytest

    from gazetteers import load_gazetteer
    from gazetteers.matcher import GazetteerMatcher

    other = load_gazetteer(None)
    with pytest.raises(ValueError, match="own gazetteer"):
        Lexicon(mini, sorted(mini.domain.types), GazetteerMatcher(other))


def test_a_lexicon_of_types_without_forms_marks_only_dates(mini) -> None:
    lexicon = Lexicon(mini, ["Date"])
    assert lexicon.matches("本月菏泽巨野县投诉") == [(0, 2, 0)]
