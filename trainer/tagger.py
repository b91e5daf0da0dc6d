"""The tagger backend's ``train_model`` and ``load_model`` under their old import path.

Kept for :mod:`active_learning.simulate`, which imports ``trainer.tagger``; the code lives in
:mod:`trainer.backends.tagger`.
"""

from trainer.backends.tagger.tagging import load_model
from trainer.backends.tagger.training import train_model

__all__ = ["load_model", "train_model"]
