"""The token-classification backend (``--backend tagger``), registered under its name.

Character-level BIO/BIOES labels over a Hugging Face token classifier, gazetteer-match
features as extra input (:mod:`.lexicon`), constrained Viterbi decoding (:mod:`.labels`),
LoRA through peft or full fine-tuning. Files: ``config.py`` (:class:`TaggerOptions`),
``model.py`` (the network, ``tagger.json``, loading), ``data.py`` (examples and batches),
``hf_trainer.py`` (the transformers ``Trainer`` around it), ``training.py``
(``train_model``), ``tagging.py`` (``load_model``, :class:`TokenTagger`). Importing this
package needs no torch; the registry imports the training and tagging modules when used.
"""

from trainer.backends.tagger.config import TaggerOptions
from trainer.registry import Backend, register_backend

BACKEND = register_backend(
    Backend(
        "tagger",
        TaggerOptions,
        training="trainer.backends.tagger.training",
        tagging="trainer.backends.tagger.tagging",
    )
)

__all__ = ["BACKEND", "TaggerOptions"]
