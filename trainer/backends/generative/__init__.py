"""The generative backend: a causal LM copies the query and wraps each mention in a type tag.

Exposes exactly the backend interface of LEARNING.md; see docs/generative.md.
"""

from __future__ import annotations

from trainer.generative.tagger import load_model
from trainer.generative.training import train_model

__all__ = ["load_model", "train_model"]
