"""The trainer backends by name: the module that trains (and loads) a model of each kind.

The backend module is imported only when asked for, so the tagger never needs the
generative code (and the other way round). Opening a model directory for inference is
:func:`inference.loading.open_model`.
"""

from __future__ import annotations

import importlib

from trainer.errors import TrainingError


def backend_module(backend: str):
    """``trainer.tagger`` or ``trainer.generative``, imported now."""
    try:
        return importlib.import_module(f"trainer.{backend}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("trainer"):
            raise TrainingError(f"the {backend} backend is not part of this nerloop installation") from None
        raise TrainingError(f"the {backend} backend needs {exc.name}: pip install 'nerloop[train]'") from None
