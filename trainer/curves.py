"""Loss and validation F1 over steps, saved as a PNG in the model directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def save_curves(history: Sequence[dict], path: Path) -> None:
    """Two panels: training loss and validation entity F1 (empty panels when none was logged)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, f1_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    losses = [(h["step"], h["loss"]) for h in history if "loss" in h]
    scores = [(h["step"], h["entity_f1"]) for h in history if "entity_f1" in h]
    if losses:
        loss_ax.plot(*zip(*losses))
    if scores:
        f1_ax.plot(*zip(*scores), marker="o")
    loss_ax.set(title="training loss", xlabel="step")
    f1_ax.set(title="validation entity F1", xlabel="step", ylim=(0, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
