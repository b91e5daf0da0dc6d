"""The generative backend (``--backend generative``): a causal LM copies the query and wraps each mention in a type tag.

Files: ``config.py`` (:class:`GenerativeOptions`), ``model.py`` (building, adapting, saving
and loading the causal LM), ``markup.py`` and ``codec.py`` (the inline-XML answer and the
prompt), ``batching.py``, ``decode.py`` (constrained generation), ``training.py``
(``train_model``, an accelerate loop), ``tagging.py`` (``load_model``,
:class:`GenerativeTagger`). Importing this package needs no torch; see docs/generative.md.
"""

from trainer.backends.generative.config import GenerativeOptions
from trainer.registry import Backend, register_backend

BACKEND = register_backend(
    Backend(
        "generative",
        GenerativeOptions,
        training="trainer.backends.generative.training",
        tagging="trainer.backends.generative.tagging",
    )
)

__all__ = ["BACKEND", "GenerativeOptions"]
