"""The generative backend's own training options (``TrainConfig.backend_options`` when ``backend="generative"``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from trainer.config import BackendOptions, bad_option

PROMPTS = ("plain", "instruct")
# peak learning rate by (base kind, fine-tuning) when --learning-rate is not given
DEFAULT_LR = {
    ("tiny", "full"): 1e-3,
    ("pretrained", "full"): 5e-5,
    ("tiny", "lora"): 1e-3,
    ("pretrained", "lora"): 2e-4,
}


@dataclass
class GenerativeOptions(BackendOptions):
    """What only the generative backend reads.

    Args:
        prompt: ``plain`` (``查询：…标注：``) or ``instruct`` (the type list and an instruction,
            through the base's chat template when it has one). ``None`` lets training resolve
            it: a model directory used as base keeps its own, ``tiny`` takes ``plain``, any
            other base ``instruct``; the saved config records the resolved style, and the
            tagger builds its prompt from it.
        full_vocabulary: give a ``tiny`` base's character tokenizer the whole CJK block, not
            just the characters of the data and gazetteer.
        eval_size: validation queries generated per evaluation (the first N).
        checkpoint_dir: where checkpoints go (kept after training); ``None``: ``checkpoints/``
            in the output directory, removed at the end.
    """

    LEGACY: ClassVar[dict[str, str]] = {
        "generative_prompt": "prompt",
        "generative_full_vocabulary": "full_vocabulary",
        "generative_eval_size": "eval_size",
    }

    prompt: str | None = None
    full_vocabulary: bool = False
    eval_size: int = 200
    checkpoint_dir: str | None = None

    def __post_init__(self) -> None:
        if self.prompt is not None and self.prompt not in PROMPTS:
            raise bad_option(f"unknown generative prompt {self.prompt!r}; choose plain or instruct")
        if int(self.eval_size) < 0:
            raise bad_option(f"the generative eval size must be 0 or more, not {self.eval_size}")
        self.eval_size = int(self.eval_size)
        self.full_vocabulary = bool(self.full_vocabulary)
