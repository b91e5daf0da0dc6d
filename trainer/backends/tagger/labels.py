"""Tag schemes (BIO, BIOES) over tokens, and constrained Viterbi decoding that only yields valid spans.

A token classifier scores each token independently, so its argmax can say ``I-City`` after
``O`` or switch type inside a mention. Decoding the best path under the scheme's allowed
transitions instead gives well-formed spans always, without a CRF layer. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

OUTSIDE = "O"
SCHEMES = {"BIO": ("B", "I"), "BIOES": ("B", "I", "E", "S")}


def tag_labels(types: Sequence[str], scheme: str) -> list[str]:
    """``O`` first (index 0), then every prefix of the scheme per type, types sorted."""
    labels = [OUTSIDE]
    for name in sorted(set(types)):
        labels += [f"{prefix}-{name}" for prefix in SCHEMES[scheme]]
    return labels


def _split(label: str) -> tuple[str, str | None]:
    if label == OUTSIDE:
        return OUTSIDE, None
    prefix, _, name = label.partition("-")
    return prefix, name


def span_tags(n_tokens: int, spans: Sequence[tuple[str, int, int]], scheme: str) -> list[str]:
    """Tags for ``n_tokens`` tokens given mentions as ``(type, first token, end token exclusive)``."""
    tags = [OUTSIDE] * n_tokens
    for type_name, start, end in spans:
        if end - start == 1 and scheme == "BIOES":
            tags[start] = f"S-{type_name}"
            continue
        tags[start] = f"B-{type_name}"
        for i in range(start + 1, end):
            tags[i] = f"I-{type_name}"
        if scheme == "BIOES" and end - start > 1:
            tags[end - 1] = f"E-{type_name}"
    return tags


class Decoder:
    """Constrained Viterbi over one label inventory, plus span extraction from tag ids."""

    def __init__(self, labels: Sequence[str], scheme: str) -> None:
        self.labels = list(labels)
        self.scheme = scheme
        parts = [_split(label) for label in self.labels]
        self.prefix = [p for p, _ in parts]
        self.type = [t for _, t in parts]
        n = len(self.labels)
        inside = ("I", "E") if scheme == "BIOES" else ("I",)
        open_prefixes = ("B", "I") if scheme == "BIOES" else ()
        allowed = np.zeros((n, n), dtype=bool)
        for i, (p_from, t_from) in enumerate(parts):
            for j, (p_to, t_to) in enumerate(parts):
                continues = p_from in ("B", "I") and t_from == t_to
                if p_to in inside:
                    allowed[i, j] = continues
                else:
                    # a mention still open under BIOES must be continued, not abandoned
                    allowed[i, j] = p_from not in open_prefixes
        start = np.array([p not in inside for p in self.prefix])
        end = np.array([p not in open_prefixes for p in self.prefix])
        self.transitions = np.where(allowed, 0.0, -np.inf).astype(np.float32)
        self._into = np.ascontiguousarray(self.transitions.T)
        self.start = np.where(start, 0.0, -np.inf).astype(np.float32)
        self.end = np.where(end, 0.0, -np.inf).astype(np.float32)
        self._allowed, self._can_start, self._can_end = allowed, start, end

    def viterbi(self, logprobs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Best allowed tag ids, shape ``(batch, time)``; ``-1`` beyond each length.

        The transitions only forbid (0 or -inf), so a row whose per-token argmax is an allowed
        path has that path as its best one: such rows (most rows of a trained model) are
        checked with a few array operations and only the others run the Viterbi recursion,
        whose per-step cost is what small server batches pay for.

        Args:
            logprobs: ``(batch, time, labels)`` log-probabilities per token.
            lengths: real tokens per row (the rest is padding).
        """
        batch, time, _ = logprobs.shape
        path = np.full((batch, time), -1, dtype=np.int64)
        if time == 0 or batch == 0:
            return path
        greedy = logprobs.argmax(axis=2)
        real = np.arange(time)[None, :] < lengths[:, None]
        last = greedy[np.arange(batch), np.maximum(lengths - 1, 0)]
        fine = (self._allowed[greedy[:, :-1], greedy[:, 1:]] | ~real[:, 1:]).all(axis=1)
        fine &= (self._can_start[greedy[:, 0]] & self._can_end[last]) | (lengths == 0)
        path[fine] = np.where(real[fine], greedy[fine], -1)
        rest = np.nonzero(~fine)[0]
        if len(rest):
            path[rest] = self.viterbi_recursion(logprobs[rest], lengths[rest])
        return path

    def viterbi_recursion(self, logprobs: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """:meth:`viterbi` by the recursion on every row (no argmax shortcut)."""
        batch, time, n = logprobs.shape
        path = np.full((batch, time), -1, dtype=np.int64)
        if time == 0 or batch == 0:
            return path
        # rows longest first: at step t the rows still running are a prefix, so each step is a
        # handful of numpy calls on views (no masks), which is what small server batches pay for
        order = np.argsort(-lengths, kind="stable")
        emissions = logprobs[order]
        running = np.searchsorted(-lengths[order], -np.arange(time), side="left")  # rows with length > t
        score = emissions[:, 0, :] + self.start
        backpointers = np.empty((batch, time, n), dtype=np.int64)
        backpointers[:] = np.arange(n)  # a finished row stays in its state
        for t in range(1, time):
            k = running[t]
            if k == 0:
                break
            candidates = score[:k, None, :] + self._into  # (rows, to, from): reduce the contiguous axis
            backpointers[:k, t] = candidates.argmax(axis=2)
            score[:k] = candidates.max(axis=2) + emissions[:k, t]
        current = (score + self.end).argmax(axis=1)
        rows = np.arange(batch)
        for t in range(time - 1, 0, -1):
            path[order, t] = current
            current = backpointers[rows, t, current]
        path[order, 0] = current
        path[np.arange(time)[None, :] >= lengths[:, None]] = -1
        return path

    def spans(self, tag_ids: Sequence[int]) -> list[tuple[str, int, int]]:
        """Mentions as ``(type, first token, end token exclusive)`` from a valid tag path."""
        out: list[tuple[str, int, int]] = []
        start = -1
        current: str | None = None
        for i, tag in enumerate(tag_ids):
            if tag < 0:
                break
            prefix, name = self.prefix[tag], self.type[tag]
            if prefix in ("I", "E") and name == current:
                if prefix == "E":
                    out.append((name, start, i + 1))
                    current = None
                continue
            if current is not None:
                out.append((current, start, i))
                current = None
            if prefix == "S" or (prefix in ("I", "E") and name is not None and self.scheme == "BIOES"):
                out.append((name, i, i + 1))  # type: ignore[arg-type]
            elif prefix != OUTSIDE:
                start, current = i, name
        if current is not None:
            n = next((i for i, t in enumerate(tag_ids) if t < 0), len(tag_ids))
            out.append((current, start, n))
        return out
