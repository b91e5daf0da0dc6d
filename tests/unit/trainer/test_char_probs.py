"""Per-character probabilities spread from tokens, for a whole batch at once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.backends.tagger.tagging import batch_char_probs


def _one_text(n_chars: int, offsets: list[tuple[int, int]], values: list[float]) -> np.ndarray:
    out = np.zeros(n_chars, dtype=np.float32)
    for (start, end), value in zip(offsets, values):
        for i in range(start, min(end, n_chars)):
            out[i] = max(out[i], np.float32(value))
    return out


_text = st.integers(0, 12).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n + 2), st.integers(0, 3), st.floats(0, 1, width=32)), min_size=0, max_size=8
        ),
    )
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_text, min_size=1, max_size=5))
def test_batch_char_probs_equal_a_token_by_token_spread(texts) -> None:
    """Tokens of several characters, tokens sharing characters, tokens past the end, empty texts."""
    lengths = np.array([len(tokens) for _, tokens in texts], dtype=np.int64)
    values = np.zeros((len(texts), max(1, lengths.max())), dtype=np.float32)
    offsets = []
    for k, (_, tokens) in enumerate(texts):
        offsets.append(np.array([(s, s + w) for s, w, _ in tokens], dtype=np.int64).reshape(-1, 2))
        values[k, : len(tokens)] = [v for _, _, v in tokens]
    got = batch_char_probs([n for n, _ in texts], offsets, values, lengths)
    for (n, tokens), row in zip(texts, got):
        expected = _one_text(n, [(s, s + w) for s, w, _ in tokens], [v for _, _, v in tokens])
        assert np.array_equal(row, expected)
        assert not row.flags.writeable
