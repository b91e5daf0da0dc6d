"""``load_model``: a generative model directory as a :class:`~nerloop.tagging.Tagger`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from nerloop.domain import load_domain
from nerloop.tagging import Prediction
from trainer.errors import ModelDirError
from trainer.generative.codec import Codec
from trainer.generative.decode import generate
from trainer.generative.model import load_weights, read_training_config
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
        import torch

        device = next(self.model.parameters()).device
        return device.type == "cuda" and torch.cuda.is_bf16_supported()


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
    style = read_training_config(model_dir).get("extra", {}).get("generative_prompt", "plain")
    codec = Codec(tokenizer, load_domain(model_dir / "domain.yaml"), style)
    return GenerativeTagger(model, codec, manifest.version)
