"""``load_model``: a generative model directory as a :class:`~nerloop.tagging.Tagger`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from nerloop.domain import load_domain
from nerloop.tagging import Prediction
from trainer.backends.generative.codec import Codec
from trainer.backends.generative.config import GenerativeOptions
from trainer.backends.generative.decode import generate
from trainer.backends.generative.model import load_weights
from trainer.config import read_training_config
from trainer.errors import ModelDirError
from trainer.model_dir import ModelManifest


@dataclass
class GenerativeTagger:
    """Tags by greedy generation; ``constrained=False`` takes the raw, validated path.

    Args:
        model: the causal LM (adapter over its base, or full weights), in eval mode.
        codec: prompt and answer ids.
        version: the model version, written into records' ``model`` field.
        constrained: copy-constrained decoding (every output valid by construction).
        batch_size: queries per ``generate`` call.
    """

    model: object
    codec: Codec
    version: str
    constrained: bool = True
    batch_size: int = 32

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        import torch

        autocast = torch.autocast("cuda", dtype=torch.bfloat16) if self._bf16() else nullcontext()
        with autocast:
            return generate(
                self.model, self.codec, list(texts), constrained=self.constrained, batch_size=self.batch_size
            )

    def _bf16(self) -> bool:
        from trainer.precision import fast_bf16

        device = next(self.model.parameters()).device
        return device.type == "cuda" and fast_bf16(device)


def load_model(model_dir: Path, manifest: ModelManifest, *, device: str | None = None) -> GenerativeTagger:
    """Open a generative model directory for tagging.

    Args:
        model_dir: the directory ``train_model`` wrote (and the caller completed with its manifest).
        manifest: its manifest.
        device: ``cpu``, ``cuda``, ``cuda:1`` …; ``None`` picks CUDA when available.

    Raises:
        ModelDirError: missing weights, tokenizer or ``domain.yaml``.
    """
    import torch

    model_dir = Path(model_dir)
    if not (model_dir / "domain.yaml").is_file():
        raise ModelDirError(f"{model_dir}: no domain.yaml; the model directory is incomplete")
    model, tokenizer = load_weights(model_dir, manifest)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device).eval()
    codec = Codec(tokenizer, load_domain(model_dir / "domain.yaml"), prompt_style(model_dir))
    return GenerativeTagger(model, codec, manifest.version)


def prompt_style(model_dir: Path) -> str:
    """The prompt style the model was trained with, from its ``training_config.json`` (old ones: ``extra``).

    A directory without the file, or with no style recorded, was trained on ``plain``.
    """
    config = read_training_config(model_dir)
    options = config.backend_options if config is not None else None
    if isinstance(options, GenerativeOptions) and options.prompt:
        return options.prompt
    return "plain"
