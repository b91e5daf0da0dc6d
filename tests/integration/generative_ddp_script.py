"""Run by tests/integration/test_generative_model.py under torchrun: train_model in two processes."""

import sys
from pathlib import Path

import torch

from nerloop.domain import load_domain
from nerloop.export import read_jsonl
from trainer.backends.generative.training import train_model
from trainer.config import TrainConfig

torch.set_num_threads(1)
data, out = Path(sys.argv[1]), Path(sys.argv[2])
train = [(r, 1.0) for r in read_jsonl(data / "train.jsonl")][:128]
validation = list(read_jsonl(data / "validation.jsonl"))[:8]
config = TrainConfig(backend="generative", max_steps=6, batch_size=8, eval_steps=3, early_stopping_patience=1)
manifest = train_model(config, train, validation, load_domain(), out)
# One file per rank: two processes printing to one pipe can interleave their lines.
rank = torch.distributed.get_rank()
(out.parent / f"rank-{rank}.txt").write_text(
    f"rank {rank} of {torch.distributed.get_world_size()} ({torch.distributed.get_backend()}): steps={manifest.metrics['steps']}",
    "utf-8",
)
