"""The built-in trainer backends, one sub-package each, with the same file roles.

Importing this package registers them (:mod:`trainer.registry`), the tagger first (the
default, listed first in messages). Each sub-package holds ``__init__.py`` (the
registration), ``config.py`` (its options dataclass), ``model.py`` (building, saving and
loading the network), ``training.py`` (``train_model``) and ``tagging.py`` (``load_model``
and the :class:`~nerloop.tagging.Tagger`), plus helpers of its own. A new backend is one
more sub-package and one more import line here (docs/backends.md).
"""

# isort: off
from trainer.backends import tagger
from trainer.backends import generative

# isort: on

__all__ = ["generative", "tagger"]
