"""The tagger's own training options (``TrainConfig.backend_options`` when ``backend="tagger"``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from trainer.config import BackendOptions, bad_option

SCHEMES = ("BIO", "BIOES")
# peak learning rate by (fine-tuning, tiny base) when --learning-rate is not given
DEFAULT_LR = {("full", True): 1e-3, ("full", False): 5e-5, ("lora", True): 5e-4, ("lora", False): 2e-4}


@dataclass
class TaggerOptions(BackendOptions):
    """What only the tagger reads.

    Args:
        label_scheme: ``BIOES`` (default: explicit ends and single-character mentions find the
            boundaries of unknown names far better) or ``BIO``.
        lexicon_dropout: chance to hide gazetteer-match features from an example in training,
            so the model still finds names the gazetteer lacks.
        lexicon_types: the entity types whose gazetteer matches the model reads as features.
            ``None`` lets training resolve it (every type of the domain when there is a
            gazetteer, none without; a model directory used as base keeps its own); the saved
            config records the resolved list.
    """

    LEGACY: ClassVar[dict[str, str]] = {}  # label_scheme and lexicon_dropout sat at the top level

    label_scheme: str = "BIOES"
    lexicon_dropout: float = 0.5
    lexicon_types: list[str] | None = None

    def __post_init__(self) -> None:
        if self.label_scheme not in SCHEMES:
            raise bad_option(f"unknown label scheme {self.label_scheme!r}; choose BIO or BIOES")
        if not 0.0 <= self.lexicon_dropout <= 1.0:
            raise bad_option(f"--lexicon-dropout must be between 0 and 1, not {self.lexicon_dropout}")
        if self.lexicon_types is not None:
            self.lexicon_types = [str(t) for t in self.lexicon_types]
