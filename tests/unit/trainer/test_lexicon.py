"""Gazetteer-match features: positions per type, overlaps kept, hidden mentions dropped."""

from __future__ import annotations

from trainer.lexicon import POSITIONS, Lexicon, drop_mentions


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
