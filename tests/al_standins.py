"""Real, cheap stand-ins for the trainer, for testing active learning in seconds.

Not shipped and not a result: a tiny PyTorch character CNN tagger with dropout (token
probabilities, MC-dropout samples), small enough to train in a second or two on one core,
run through the real ``TaggingPipeline``. Its predictions are real; nothing here returns
canned scores.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from gazetteers.resolver import Resolver
from inference.pipeline import TaggingPipeline
from nerloop.records import Entity, TaggedQuery
from nerloop.tagging import Prediction, Tagger

_BUCKETS = 2048


def bio_labels(types: Sequence[str]) -> list[str]:
    return ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]


class _CharCNN(nn.Module):
    def __init__(self, n_labels: int, dim: int = 48, dropout: float = 0.25) -> None:
        super().__init__()
        self.embed = nn.Embedding(_BUCKETS, dim)
        self.conv1 = nn.Conv1d(dim, dim, 5, padding=2)
        self.conv2 = nn.Conv1d(dim, dim, 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(dim, n_labels)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.embed(ids)).transpose(1, 2)
        x = self.drop(torch.relu(self.conv1(x)))
        x = self.drop(torch.relu(self.conv2(x))).transpose(1, 2)
        return self.out(x)


def _ids(texts: Sequence[str]) -> torch.Tensor:
    width = max((len(t) for t in texts), default=1) or 1
    return torch.tensor([[ord(c) % (_BUCKETS - 1) + 1 for c in t] + [0] * (width - len(t)) for t in texts])


class TinyTagger:
    """A character CNN tagger: token probabilities per character, MC-dropout samples for BALD."""

    def __init__(self, labels: Sequence[str], version: str, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.labels = list(labels)
        self.version = version
        self.net = _CharCNN(len(self.labels))

    def fit(self, train: Sequence[tuple[TaggedQuery, float]], steps: int, seed: int, batch: int = 32) -> TinyTagger:
        index = {label: i for i, label in enumerate(self.labels)}
        generator = torch.Generator().manual_seed(seed)
        optim = torch.optim.Adam(self.net.parameters(), lr=4e-3)
        self.net.train()
        for _ in range(steps):
            picks = torch.randint(len(train), (min(batch, len(train)),), generator=generator).tolist()
            records = [train[i] for i in picks]
            ids = _ids([r.text for r, _ in records])
            target = torch.full(ids.shape, -100)
            for row, (record, _) in enumerate(records):
                target[row, : len(record.text)] = 0
                for e in record.entities:
                    target[row, e.start] = index[f"B-{e.type}"]
                    target[row, e.start + 1 : e.end] = index[f"I-{e.type}"]
            weights = torch.tensor([w for _, w in records]).unsqueeze(1).expand(ids.shape)
            loss = nn.functional.cross_entropy(
                self.net(ids).transpose(1, 2), target, reduction="none", ignore_index=-100
            )
            mask = target != -100
            loss = (loss * weights * mask).sum() / (weights * mask).sum()
            optim.zero_grad()
            loss.backward()
            optim.step()
        self.net.eval()
        return self

    def _probs(self, texts: Sequence[str]) -> list[list[list[float]]]:
        with torch.no_grad():
            probs = torch.softmax(self.net(_ids(texts)), -1)
        return [probs[i, : len(t)].tolist() for i, t in enumerate(texts)]

    def _prediction(self, text: str, probs: list[list[float]]) -> Prediction:
        entities, start, kind, score = [], None, None, []
        for i, row in enumerate([*probs, None]):
            label = self.labels[max(range(len(row)), key=row.__getitem__)] if row is not None else "O"
            if start is not None and (label == "O" or label.startswith("B-") or label[2:] != kind):
                entities.append(Entity(kind, start, i, text[start:i], score=sum(score) / len(score)))
                start = None
            if label != "O" and start is None:
                start, kind, score = i, label[2:], []
            if start is not None:
                score.append(max(row))
        return Prediction(tuple(entities), token_probs=tuple(tuple(r) for r in probs))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        self.net.eval()
        return [self._prediction(t, p) for t, p in zip(texts, self._probs(texts))] if texts else []

    def predict_samples(self, texts: Sequence[str], n: int) -> list[list[Prediction]]:
        self.net.train()  # dropout on
        try:
            passes = [self._probs(texts) for _ in range(n)]
        finally:
            self.net.eval()
        return [[self._prediction(t, passes[k][i]) for k in range(n)] for i, t in enumerate(texts)]

    def save(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.state_dict(), out_dir / "weights.pt")
        (out_dir / "tiny.json").write_text(json.dumps({"labels": self.labels, "version": self.version}), "utf-8")

    @classmethod
    def load(cls, model_dir: Path) -> TinyTagger:
        meta = json.loads((model_dir / "tiny.json").read_text("utf-8"))
        tagger = cls(meta["labels"], meta["version"])
        tagger.net.load_state_dict(torch.load(model_dir / "weights.pt"))
        tagger.net.eval()
        return tagger


class TinyLearner:
    """The simulation's Learner protocol over TinyTagger."""

    def __init__(self, types: Sequence[str], steps: int) -> None:
        self.labels = bio_labels(types)
        self.steps = steps
        self.fits = 0

    def fit(self, train: Sequence[tuple[TaggedQuery, float]], validation: Sequence[TaggedQuery], seed: int) -> Tagger:
        self.fits += 1
        return TinyTagger(self.labels, f"tiny-{self.fits}", seed).fit(train, self.steps, seed)


class TinyTrainer:
    """The trainer seam (TrainRequest → model directory with a manifest) over TinyTagger."""

    def __init__(self, gazetteer, steps: int = 40) -> None:
        self.gazetteer = gazetteer
        self.labels = bio_labels(gazetteer.domain.type_names)
        self.steps = steps
        self.trainings = 0

    def train(self, request) -> None:
        from nerloop.export import read_jsonl
        from trainer.model_dir import ModelManifest, write_manifest

        data: list[tuple[TaggedQuery, float]] = []
        for spec in request.data_specs:
            path = spec.path / "train.jsonl" if spec.path.is_dir() else spec.path
            data += [(r, spec.weight) for r in read_jsonl(path)]
        self.trainings += 1
        tmp = request.out_dir.with_name(request.out_dir.name + ".tmp")
        tagger = TinyTagger(self.labels, f"tiny-{request.out_dir.name}", seed=1).fit(data, self.steps, seed=1)
        tagger.save(tmp)
        write_manifest(tmp, ModelManifest("tagger", tagger.version, request.base, request.finetune, tuple(self.labels)))
        tmp.rename(request.out_dir)

    def open_pipeline(self, path: Path):
        tagger = TinyTagger.load(path)
        return TaggingPipeline(tagger, Resolver(self.gazetteer)), tagger


def ingest_lines(engine, path: Path) -> int:
    """Plain-text log lines into QueryLog (what D1's ingest does, minus near-duplicates and formats)."""
    from sqlalchemy import select

    from active_learning.batch import normalize_query, text_hash
    from nerloop.store.engine import session_scope
    from nerloop.store.models import QueryLog

    added = 0
    with session_scope(engine) as session:
        known = set(session.scalars(select(QueryLog.text_hash)))
        for line in Path(path).read_text("utf-8").splitlines():
            text = normalize_query(line)
            if text and text_hash(text) not in known:
                known.add(text_hash(text))
                session.add(QueryLog(text=text, text_hash=text_hash(text), source=str(path)))
                added += 1
    return added
