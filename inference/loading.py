"""Open any model directory as a :class:`~nerloop.tagging.Tagger`, whichever backend trained it.

The backend module is imported by name (:func:`trainer.loading.backend_module`) only when a
directory of its kind is opened, so the tagger never needs the generative code (and the other
way round).
"""

from __future__ import annotations

from pathlib import Path

from gazetteers.matcher import GazetteerMatcher
from gazetteers.model import Gazetteer
from nerloop.tagging import Tagger
from trainer.errors import ModelDirError
from trainer.loading import backend_module
from trainer.model_dir import read_manifest


def open_model(
    model_dir: Path,
    *,
    gazetteer: Gazetteer | None = None,
    device: str | None = None,
    token_probs: bool = True,
    matcher: GazetteerMatcher | None = None,
) -> Tagger:
    """The tagger saved in ``model_dir``; ``gazetteer`` feeds lexicon features where the backend uses them.

    ``token_probs``: keep per-token label distributions in every prediction (what uncertainty
    strategies read); ``tag`` and ``eval`` turn it off for speed.
    ``matcher``: the matcher of ``gazetteer`` that the pipeline runs too: a tagger's lexicon
    features then read the matcher's scan of each query instead of scanning it again.

    Raises:
        ModelDirError: not a model directory, or one that cannot be loaded.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelDirError(f"--model {model_dir}: no such directory")
    manifest = read_manifest(model_dir)
    module = backend_module(manifest.backend)
    if manifest.backend == "tagger":
        return module.load_model(
            model_dir, manifest, device=device, gazetteer=gazetteer, token_probs=token_probs, matcher=matcher
        )
    return module.load_model(model_dir, manifest, device=device)
