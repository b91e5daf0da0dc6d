"""Tag schemes and constrained Viterbi: decoding never yields an invalid span."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.backends.tagger.labels import Decoder, span_tags, tag_labels

TYPES = ["City", "Date", "Substation"]


@pytest.mark.parametrize("scheme", ["BIO", "BIOES"])
def test_span_tags_round_trip_through_decoder(scheme: str) -> None:
    labels = tag_labels(TYPES, scheme)
    decoder = Decoder(labels, scheme)
    spans = [("City", 0, 2), ("Substation", 2, 3), ("Date", 5, 9)]
    ids = [labels.index(t) for t in span_tags(10, spans, scheme)]
    assert decoder.spans(ids) == spans


def _valid(labels: list[str], path: list[int], scheme: str) -> bool:
    previous = "O"
    for tag in (labels[i] for i in path):
        prefix, _, name = tag.partition("-")
        if prefix in ("I", "E"):
            p_prefix, _, p_name = previous.partition("-")
            if p_prefix not in ("B", "I") or p_name != name:
                return False
        elif scheme == "BIOES" and previous[0] in ("B", "I"):
            return False
        previous = tag
    return scheme == "BIO" or previous[0] not in ("B", "I")


@settings(max_examples=60, deadline=None)
@given(
    scheme=st.sampled_from(["BIO", "BIOES"]),
    lengths=st.lists(st.integers(0, 9), min_size=1, max_size=4),
    seed=st.integers(0, 10_000),
)
def test_viterbi_paths_are_always_valid_and_padding_is_marked(scheme: str, lengths: list[int], seed: int) -> None:
    labels = tag_labels(TYPES, scheme)
    decoder = Decoder(labels, scheme)
    rng = np.random.default_rng(seed)
    width = max(lengths) or 1
    logits = rng.normal(size=(len(lengths), width, len(labels))).astype(np.float32) * 4
    logprobs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    paths = decoder.viterbi(logprobs, np.array(lengths))
    for row, n in enumerate(lengths):
        assert (paths[row, n:] == -1).all()
        path = paths[row, :n].tolist()
        assert _valid(labels, path, scheme), [labels[i] for i in path]
        for _, start, end in decoder.spans(path):
            assert 0 <= start < end <= n


def test_viterbi_beats_argmax_when_argmax_is_invalid() -> None:
    labels = tag_labels(["City"], "BIO")  # O, B-City, I-City
    decoder = Decoder(labels, "BIO")
    probs = np.array([[[0.5, 0.1, 0.4], [0.1, 0.2, 0.7]]], dtype=np.float32)  # argmax: O, I-City
    path = decoder.viterbi(np.log(probs), np.array([2]))[0].tolist()
    assert [labels[i] for i in path] in (["B-City", "I-City"], ["O", "B-City"])
    assert decoder.spans(path)


@settings(max_examples=40, deadline=None)
@given(
    scheme=st.sampled_from(["BIO", "BIOES"]),
    lengths=st.lists(st.integers(0, 5), min_size=1, max_size=5),
    seed=st.integers(0, 10_000),
)
def test_viterbi_finds_the_best_valid_path_of_each_row_whatever_its_batch(
    scheme: str, lengths: list[int], seed: int
) -> None:
    import itertools

    labels = tag_labels(["City", "Date"], scheme)
    decoder = Decoder(labels, scheme)
    rng = np.random.default_rng(seed)
    width = max(lengths) or 1
    logprobs = np.log(rng.dirichlet(np.ones(len(labels)) * 0.5, size=(len(lengths), width))).astype(np.float32)
    paths = decoder.viterbi(logprobs, np.array(lengths))
    for row, n in enumerate(lengths):
        alone = decoder.viterbi(logprobs[row : row + 1, : max(n, 1)], np.array([n]))[0, :n]
        assert paths[row, :n].tolist() == alone.tolist()  # rows do not depend on each other
        if n == 0:
            continue
        best = max(
            sum(logprobs[row, t, tag] for t, tag in enumerate(path))
            for path in itertools.product(range(len(labels)), repeat=n)
            if _valid(labels, list(path), scheme)
        )
        found = sum(logprobs[row, t, tag] for t, tag in enumerate(paths[row, :n]))
        assert found == pytest.approx(best, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    scheme=st.sampled_from(["BIO", "BIOES"]),
    lengths=st.lists(st.integers(0, 8), min_size=1, max_size=6),
    seed=st.integers(0, 10_000),
    peak=st.sampled_from([0.05, 0.5, 5.0]),
)
def test_the_argmax_shortcut_scores_what_the_recursion_scores(
    scheme: str, lengths: list[int], seed: int, peak: float
) -> None:
    # peaked distributions make most argmax paths valid (the shortcut), flat ones most invalid
    labels = tag_labels(["City", "Date"], scheme)
    decoder = Decoder(labels, scheme)
    rng = np.random.default_rng(seed)
    width = max(lengths) or 1
    probs = rng.dirichlet(np.ones(len(labels)) * peak, size=(len(lengths), width))
    logprobs = np.log(np.maximum(probs, 1e-30)).astype(np.float32)
    fast = decoder.viterbi(logprobs, np.array(lengths))
    full = decoder.viterbi_recursion(logprobs, np.array(lengths))
    for row, n in enumerate(lengths):
        assert (fast[row, n:] == -1).all()
        assert _valid(labels, fast[row, :n].tolist(), scheme)
        scored = [sum(float(logprobs[row, t, tag]) for t, tag in enumerate(p[row, :n])) for p in (fast, full)]
        assert scored[0] == pytest.approx(scored[1], abs=1e-4)
        greedy = logprobs[row, :n].argmax(axis=1).tolist()
        if _valid(labels, greedy, scheme):
            assert fast[row, :n].tolist() == greedy
