"""The tagger's network: a Hugging Face token classifier with gazetteer-match features added to its input.

:class:`LexiconTokenClassifier` wraps any ``AutoModelForTokenClassification`` (or a peft
model around one): the lexicon bits of each token go through one linear map and are added
to the token embeddings, so the encoder reads "this character begins a known substation
name" next to the character itself. The wrapper also computes the example-weighted loss,
which is how ``--data gold.jsonl:3`` counts three times. Bases come from a config
(``tiny``), a local directory, the hub or a nerloop model directory. A model directory
holds ``model/`` (full or merged weights) or ``base/`` + ``adapter/``, ``tokenizer/``,
``lexicon.safetensors`` and ``tagger.json`` (:class:`TaggerSpec`); :mod:`trainer.train`
adds the rest.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from trainer.errors import BaseModelError, ModelDirError
from trainer.model_dir import ModelManifest

LEXICON_FILE = "lexicon.safetensors"
TAGGER_FILE = "tagger.json"
SIZES = {
    "tiny": {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 512},
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}


@dataclass(frozen=True)
class TaggerSpec:
    """``tagger.json``: what decoding and features need besides the weights."""

    labels: tuple[str, ...]
    scheme: str
    lexicon_types: tuple[str, ...]
    max_length: int

    def write(self, model_dir: Path) -> None:
        data = {"labels": list(self.labels), "scheme": self.scheme, "lexicon_types": list(self.lexicon_types)}
        data["max_length"] = self.max_length
        (model_dir / TAGGER_FILE).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")

    @classmethod
    def read(cls, model_dir: Path) -> TaggerSpec:
        try:
            data = json.loads((model_dir / TAGGER_FILE).read_text("utf-8"))
            return cls(tuple(data["labels"]), data["scheme"], tuple(data["lexicon_types"]), int(data["max_length"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelDirError(f"{model_dir}: unreadable {TAGGER_FILE} ({exc}); retrain the model") from None


class LexiconTokenClassifier(nn.Module):
    """Token classifier + lexicon embedding + weighted cross-entropy.

    Args:
        model: a token-classification model (``PreTrainedModel`` or ``PeftModel``).
        n_features: lexicon bits per token (0: no lexicon).
    """

    def __init__(self, model: nn.Module, n_features: int) -> None:
        super().__init__()
        self.model = model
        self.n_features = n_features
        hidden = model.config.hidden_size
        self.lexicon = nn.Linear(n_features, hidden, bias=False) if n_features else None
        if self.lexicon is not None:
            nn.init.normal_(self.lexicon.weight, std=0.02)

    def embed(self, input_ids: torch.Tensor, lexicon: torch.Tensor | None) -> torch.Tensor:
        """Token embeddings plus the lexicon features' linear map: what the encoder reads."""
        embeds = self.model.get_input_embeddings()(input_ids)
        if self.lexicon is not None and lexicon is not None:
            embeds = embeds + self.lexicon(lexicon.to(embeds.dtype))
        return embeds

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        lexicon: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        weights: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor | None]:
        embeds = self.embed(input_ids, lexicon)
        # packed rows (inference) restart positions per query; otherwise the model's own default
        extra = {} if position_ids is None else {"position_ids": position_ids}
        logits = self.model(inputs_embeds=embeds, attention_mask=attention_mask, **extra).logits
        loss = None
        if labels is not None:
            per_token = nn.functional.cross_entropy(
                logits.float().transpose(1, 2), labels, ignore_index=-100, reduction="none"
            )
            mask = (labels != -100).float()
            if weights is not None:
                mask = mask * weights[:, None].float()
            loss = (per_token * mask).sum() / mask.sum().clamp_min(1e-8)
        return {"loss": loss, "logits": logits}


def save_lexicon(wrapper: LexiconTokenClassifier, out_dir: Path) -> None:
    from safetensors.torch import save_file

    if wrapper.lexicon is not None:
        save_file({"weight": wrapper.lexicon.weight.detach().cpu().contiguous()}, str(Path(out_dir) / LEXICON_FILE))


def load_lexicon(wrapper: LexiconTokenClassifier, model_dir: Path) -> None:
    from safetensors.torch import load_file

    path = Path(model_dir) / LEXICON_FILE
    if wrapper.lexicon is not None and path.is_file():
        wrapper.lexicon.weight.data.copy_(load_file(str(path))["weight"])


def build_config_model(vocab_size: int, labels: list[str], size: str = "tiny", max_length: int = 128):
    """A randomly initialised BERT-like token classifier (``tiny``: hidden 128, 2 layers)."""
    from transformers import BertConfig, BertForTokenClassification

    config = BertConfig(
        vocab_size=vocab_size,
        max_position_embeddings=max(512, max_length),
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
        **SIZES[size],
    )
    return BertForTokenClassification(config)


def hub_offline() -> bool:
    """Whether the hub may not be reached: ``HF_HUB_OFFLINE`` (read here and by huggingface_hub at import)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:  # pragma: no cover - transformers depends on it
        return False


def looks_like_path(base: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else with slashes, or starting with . / ~, is a path."""
    return base.startswith((".", "/", "~")) or base.count("/") > 1


def load_pretrained(base: str, labels: list[str]):
    """A token classifier and its tokenizer from a local directory or a hub id.

    Raises:
        BaseModelError: one line saying what could not be loaded and what to pass instead.
    """
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    local = Path(base).expanduser()
    if not local.is_dir() and looks_like_path(base):
        raise BaseModelError(f"--base {base}: no such directory; pass a model directory, a hub id or tiny")
    offline = hub_offline() and not local.is_dir()
    source = str(local) if local.is_dir() else base
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=offline)
        model = AutoModelForTokenClassification.from_pretrained(
            source,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            ignore_mismatched_sizes=True,
            local_files_only=offline,
        )
    except (OSError, ValueError, KeyError) as exc:
        hint = (
            "the hub is offline (HF_HUB_OFFLINE) and it is not in the local cache; pass a local directory "
            "with the model's files, or --base tiny"
            if offline
            else f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; pass a local directory with "
            "the model's files, a reachable hub id, or --base tiny"
        )
        raise BaseModelError(f"--base {base}: cannot load it: {hint}") from None
    if not getattr(tokenizer, "is_fast", False):
        raise BaseModelError(f"--base {base}: its tokenizer has no fast version (offsets are needed); use another base")
    return model, tokenizer


def untrained_rows_to_unk(network: LexiconTokenClassifier, seen: set[int], unk_id: int) -> int:
    """Give every token id training never saw the ``[UNK]`` embedding; returns how many rows changed.

    A ``tiny`` base starts from random embeddings, and a character that no training query
    contains keeps its random row: at inference a new substation made of such characters
    would look like noise. As ``[UNK]`` (which training shows inside hidden mentions) it
    reads as "some character I do not know", which is what it is.
    """
    embeddings = network.model.get_input_embeddings().weight
    unseen = torch.tensor(sorted(set(range(embeddings.shape[0])) - seen - {unk_id}), dtype=torch.long)
    if len(unseen):
        with torch.no_grad():
            embeddings[unseen] = embeddings[unk_id].detach().clone()
    return len(unseen)


def load_network(model_dir: Path, manifest: ModelManifest, *, merge: bool = False):
    """The wrapped network and tokenizer of a tagger model directory (an adapter merged when ``merge``)."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars would break tag's clean stderr
    spec = TaggerSpec.read(model_dir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir / "tokenizer"))
        if manifest.weights in ("full", "merged"):
            model = AutoModelForTokenClassification.from_pretrained(str(model_dir / "model"))
        else:
            from peft import PeftModel

            base_path = Path(manifest.base_path or "base")
            base_path = base_path if base_path.is_absolute() else model_dir / base_path
            base = AutoModelForTokenClassification.from_pretrained(str(base_path))
            model = PeftModel.from_pretrained(base, str(model_dir / "adapter"))
            if merge:
                model = model.merge_and_unload()
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"{model_dir}: cannot load the tagger's weights ({str(exc).splitlines()[0]})") from None
    network = LexiconTokenClassifier(model, len(spec.lexicon_types) * 4)
    load_lexicon(network, model_dir)
    network.eval()
    return network, tokenizer
