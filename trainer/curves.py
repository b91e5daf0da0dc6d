"""Training loss and validation entity F1 over steps, saved as ``curves.png`` in the model directory."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from trainer.progress import TrainProgress

CURVES = "curves.png"


def save_curves(events: Iterable[TrainProgress], path: Path) -> None:
    """Two panels: training loss and validation entity F1 (an empty panel when nothing was logged)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    events = list(events)
    losses = [(e.step, e.loss) for e in events if e.loss is not None]
    scores = [(e.step, e.eval_f1) for e in events if e.eval_f1 is not None]
    fig, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    if losses:
        loss_ax.plot(*zip(*losses))
    if scores:
        f1_ax.plot(*zip(*scores), marker="o")
    loss_ax.set(title="training loss", xlabel="step")
    f1_ax.set(title="validation entity F1", xlabel="step", ylim=(0, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
