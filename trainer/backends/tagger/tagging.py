"""``load_model``: a tagger model directory as a :class:`~nerloop.tagging.Tagger` (:class:`TokenTagger`).

Batches of similar length go through the network in one forward pass (bf16 autocast where
the hardware does it fast), and constrained Viterbi decoding (:mod:`.labels`) turns the
label distributions into character spans.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from gazetteers.matcher import GazetteerMatcher
from gazetteers.model import Gazetteer
from nerloop.records import Entity
from nerloop.rounding import round4
from nerloop.tagging import Prediction
from trainer.backends.tagger.data import Encoded, encode
from trainer.backends.tagger.labels import Decoder
from trainer.backends.tagger.lean import LeanBert
from trainer.backends.tagger.lexicon import Lexicon
from trainer.backends.tagger.model import LexiconTokenClassifier, TaggerSpec, load_network
from trainer.backends.tagger.packing import Packing, block_mask, can_pack, pack, worth_packing
from trainer.model_dir import ModelManifest
from trainer.precision import fast_bf16


class TokenTagger:
    """A trained tagger behind the :class:`~nerloop.tagging.Tagger` protocol.

    Args:
        network: the wrapped token classifier, in eval mode.
        tokenizer: a fast tokenizer (offsets).
        spec: labels, scheme, lexicon types.
        version: written into every record's ``model`` field.
        lexicon: gazetteer-match features; ``None`` runs the model without them.
        batch_size: texts per forward pass.
        token_probs: fill ``Prediction.token_probs`` (active learning reads them; off saves time).
        precision: ``fp32``, ``bf16`` (autocast) or ``auto``: bf16 where the hardware does it fast
            (CUDA with bf16, CPUs with AMX), about twice the queries/s of fp32 there.
    """

    def __init__(
        self,
        network: LexiconTokenClassifier,
        tokenizer,
        spec: TaggerSpec,
        version: str,
        lexicon: Lexicon | None = None,
        *,
        batch_size: int = 64,
        token_probs: bool = True,
        precision: str = "auto",
    ) -> None:
        self.network = network
        self.tokenizer = tokenizer
        self.spec = spec
        self.version = version
        self.lexicon = lexicon
        self.batch_size = batch_size
        self.token_probs = token_probs
        self.decoder = Decoder(spec.labels, spec.scheme)
        self.device = next(network.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.bf16 = fast_bf16(self.device) if precision == "auto" else precision == "bf16"
        self._o_index = spec.labels.index("O") if "O" in spec.labels else None
        self._packable = can_pack(network.model)
        self._lean = LeanBert.of(network.model) if self._packable else None  # packed rows skip the module tree
        self._sdpa = getattr(getattr(network.model, "config", None), "_attn_implementation", None) == "sdpa"

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[Prediction | None] = [None] * len(texts)
        for i in range(0, len(order), self.batch_size):
            chunk = order[i : i + self.batch_size]
            for index, prediction in zip(chunk, self._predict_batch([texts[j] for j in chunk])):
                out[index] = prediction
        return out  # type: ignore[return-value]

    def predict_samples(self, texts: Sequence[str], n: int) -> list[list[Prediction]]:
        """``n`` predictions per text with dropout switched on (MC-dropout), for BALD.

        Dropout is active only for these passes; the weights do not change, and ``predict``
        stays deterministic.
        """
        was_training = self.network.training
        self.network.train()
        try:
            passes = [self.predict(texts) for _ in range(n)]
        finally:
            self.network.train(was_training)
        return [list(samples) for samples in zip(*passes)]

    def _predict_batch(self, texts: list[str]) -> list[Prediction]:
        encoded = encode(self.tokenizer, texts, self.spec.max_length)
        logprobs, packing = self._forward(texts, encoded)
        n = len(texts)
        lengths = np.array([len(e.kept) for e in encoded], dtype=np.int64)
        # the scored tokens of every text, gathered from the packed rows in one fancy-index read
        kept = np.concatenate([e.kept for e in encoded]) if n else np.zeros(0, dtype=np.int64)
        compact = np.zeros((n, max(1, lengths.max(initial=0)), logprobs.shape[-1]), dtype=np.float32)
        compact[np.repeat(np.arange(n), lengths), _ranges(lengths)] = logprobs[
            np.repeat(packing.row, lengths), np.repeat(packing.offset, lengths) + kept
        ]
        paths = self.decoder.viterbi(compact, lengths)
        chosen = np.exp(np.take_along_axis(compact, np.maximum(paths, 0)[:, :, None], axis=2)[:, :, 0])
        probs_all = np.exp(compact) if self.token_probs else None
        if probs_all is not None:
            probs_all.setflags(write=False)
        chars = None
        if self._o_index is not None:
            entity_probs = 1.0 - np.exp(compact[:, :, self._o_index])
            chars = batch_char_probs(
                [len(t) for t in texts], [e.offsets[e.kept] for e in encoded], entity_probs, lengths
            )
        predictions = []
        for row, (text, enc) in enumerate(zip(texts, encoded)):
            k = int(lengths[row])
            # Python floats of the float32 values: the same minima as numpy's, without a call per span
            scores = chosen[row, :k].tolist()
            entities = []
            spans = self.decoder.spans(paths[row, :k].tolist())
            if spans:
                offsets = enc.offsets[enc.kept].tolist()
                for type_name, a, b in spans:
                    start, end = offsets[a][0], offsets[b - 1][1]
                    entities.append(Entity(type_name, start, end, text[start:end], score=round4(min(scores[a:b]))))
            uncertainty = round4(1.0 - min(scores)) if k else 0.0
            # a read-only tokens × labels view of the batch array: no per-token Python floats
            probs = None if probs_all is None else probs_all[row, :k]
            predictions.append(
                Prediction(
                    tuple(entities),
                    token_probs=probs,
                    uncertainty=uncertainty,
                    char_entity_probs=None if chars is None else chars[row],
                )
            )
        return predictions

    def _forward(self, texts: list[str], encoded: list[Encoded]) -> tuple[np.ndarray, Packing]:
        """Log-probabilities per row and token, and where each text sits in the rows (:mod:`.packing`).

        Texts of mixed lengths are packed several to a row where the encoder allows it and it
        saves work; otherwise each text is a row of its own, padded to the longest.
        """
        n, sizes = len(texts), [len(e.input_ids) for e in encoded]
        packing = pack(sizes) if self._packable else None
        packed = packing is not None and worth_packing(packing, n)
        if not packed:
            packing = Packing(n, max(sizes), np.arange(n), np.zeros(n, dtype=np.int64))
        # the lean forward takes padded rows too: one segment per row, its mask the padding mask
        lean = self._lean is not None and not self.network.training
        input_ids = np.full((packing.rows, packing.width), self.pad_id, dtype=np.int64)
        segments = np.zeros((packing.rows, packing.width), dtype=np.int64)
        positions = np.zeros((packing.rows, packing.width), dtype=np.int64) if packed or lean else None
        # every token's (row, column) in the batch arrays, so each array is filled in one write
        counts = np.asarray(sizes, dtype=np.int64)
        within = _ranges(counts)
        at = (np.repeat(packing.row, counts), np.repeat(packing.offset, counts) + within)
        input_ids[at] = np.fromiter(itertools.chain.from_iterable(e.input_ids for e in encoded), np.int64, len(within))
        segments[at] = np.repeat(np.arange(1, n + 1), counts)
        if positions is not None:
            positions[at] = within
        features = self._lexicon_features(texts, encoded, packing, at, counts) if self.network.n_features else None
        if packed or lean:
            attention = block_mask(segments, None if self._sdpa else torch.float32).to(self.device)
        else:
            attention = torch.from_numpy((segments > 0).astype(np.int64)).to(self.device)
        ids = torch.from_numpy(input_ids).to(self.device)
        lexicon = torch.from_numpy(features).to(self.device) if features is not None else None
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            if lean:
                position_ids = torch.from_numpy(positions).to(self.device)
                logits = self._lean(self.network.embed(ids, lexicon), attention, position_ids)
            else:
                position_ids = torch.from_numpy(positions).to(self.device) if positions is not None else None
                logits = self.network(ids, attention, lexicon, position_ids=position_ids)["logits"]
            return torch.log_softmax(logits.float(), dim=-1).cpu().numpy(), packing

    def _lexicon_features(
        self,
        texts: list[str],
        encoded: list[Encoded],
        packing: Packing,
        at: tuple[np.ndarray, np.ndarray],
        counts: np.ndarray,
    ) -> np.ndarray:
        """``(rows, width, n_features)``: each token reads its first character's lexicon bits.

        The whole batch's character features are built at once and gathered into the packed
        rows with one fancy-index write (:meth:`Lexicon.batch_char_features`).
        """
        features = np.zeros((packing.rows, packing.width, self.network.n_features), dtype=np.float32)
        if self.lexicon is None or not texts:
            return features
        chars, first = self.lexicon.batch_char_features(
            [enc.n_chars for enc in encoded], [self.lexicon.matches(text) for text in texts]
        )
        source = np.concatenate([enc.char_index for enc in encoded]) + np.repeat(first, counts)
        features[at] = chars[source]
        return features


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``0 … n−1`` for each ``n`` in ``counts``, concatenated."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def batch_char_probs(
    n_chars: Sequence[int], offsets: Sequence[np.ndarray], token_values: np.ndarray, lengths: np.ndarray
) -> list[np.ndarray]:
    """Per text of a batch, per-token values spread over the characters each token covers (the
    highest where tokens share one): what the calibrated combination reads as P(mention).

    ``offsets[k]`` are text ``k``'s scored tokens' character spans, ``token_values[k, :lengths[k]]``
    their values. One set of numpy calls for the batch (per text, numpy's fixed cost per call
    outweighed the work); returns read-only per-text views of one flat array.
    """
    sizes = np.asarray(n_chars, dtype=np.int64)
    first = np.cumsum(sizes) - sizes
    out = np.zeros(int(sizes.sum()), dtype=np.float32)
    if len(offsets) and lengths.sum():
        spans = np.concatenate(offsets).astype(np.int64).reshape(-1, 2)
        text = np.repeat(np.arange(len(sizes)), lengths)
        values = token_values[text, _ranges(lengths)].astype(np.float32)
        starts, ends = spans[:, 0], spans[:, 1]
        covered = np.maximum(ends - starts, 0)
        token = np.repeat(np.arange(len(starts)), covered)
        position = _ranges(covered) + np.repeat(starts, covered)
        inside = position < sizes[text[token]]
        np.maximum.at(out, position[inside] + first[text[token[inside]]], values[token[inside]])
    out.setflags(write=False)
    return [out[a : a + n] for a, n in zip(first.tolist(), sizes.tolist())]


def load_model(
    model_dir: Path,
    manifest: ModelManifest,
    *,
    device: str | None = None,
    gazetteer: Gazetteer | None = None,
    precision: str = "auto",
    token_probs: bool = True,
    matcher: GazetteerMatcher | None = None,
) -> TokenTagger:
    """Open a tagger model directory for inference; ``gazetteer`` feeds its lexicon features.

    ``precision``: see :class:`TokenTagger` (``fp32`` for bit-comparable runs across machines).
    ``token_probs``: keep per-token label distributions (active learning reads them; plain
    tagging is about 20 % faster without).
    ``matcher``: the matcher of ``gazetteer`` that runs beside the model; the lexicon features
    then read its scan of each query (:class:`Lexicon`).
    """
    model_dir = Path(model_dir)
    network, tokenizer = load_network(model_dir, manifest)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    network.to(device)
    spec = TaggerSpec.read(model_dir)
    lexicon = Lexicon(gazetteer, spec.lexicon_types, matcher) if gazetteer is not None and spec.lexicon_types else None
    return TokenTagger(
        network, tokenizer, spec, manifest.version, lexicon, precision=precision, token_probs=token_probs
    )
