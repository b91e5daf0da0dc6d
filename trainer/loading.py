"""Open any model directory as a :class:`~nerloop.tagging.Tagger`, whichever backend trained it.

The backend module is imported by name only when a directory of its kind is opened, so
the tagger never needs the generative code (and the other way round).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from gazetteers.model import Gazetteer
from nerloop.tagging import Tagger
from trainer.errors import ModelDirError, TrainingError
from trainer.model_dir import read_manifest


def backend_module(backend: str):
    """``trainer.tagger`` or ``trainer.generative``, imported now."""
    try:
        return importlib.import_module(f"trainer.{backend}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("trainer"):
            raise TrainingError(f"the {backend} backend is not part of this nerloop installation") from None
        raise TrainingError(f"the {backend} backend needs {exc.name}: pip install 'nerloop[train]'") from None


def open_model(
    model_dir: Path, *, gazetteer: Gazetteer | None = None, device: str | None = None, token_probs: bool = True
) -> Tagger:
    """The tagger saved in ``model_dir``; ``gazetteer`` feeds lexicon features where the backend uses them.

    ``token_probs``: keep per-token label distributions in every prediction (what uncertainty
    strategies read); ``tag`` and ``eval`` turn it off for speed.

    Raises:
        ModelDirError: not a model directory, or one that cannot be loaded.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelDirError(f"--model {model_dir}: no such directory")
    manifest = read_manifest(model_dir)
    module = backend_module(manifest.backend)
    if manifest.backend == "tagger":
        return module.load_model(model_dir, manifest, device=device, gazetteer=gazetteer, token_probs=token_probs)
    return module.load_model(model_dir, manifest, device=device)
