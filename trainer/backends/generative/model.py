"""Building, adapting, saving and loading the causal LM behind the generative backend.

``tiny`` is a small Qwen2-shaped model built from a config with a character tokenizer; any
other base goes through the real ``from_pretrained`` code (a local directory or a hub id),
and a nerloop generative model directory is itself a base. LoRA on a pretrained base keeps
the new tag tokens trainable (``trainable_token_indices``). An adapter is saved over a base
that is on disk: the base's own directory, or ``base/`` in the model directory when the base
exists only in memory (built from a config, or a merged parent), saved before
``get_peft_model`` injects the adapter layers (../shared/STACK.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nerloop.domain import Domain
from trainer.backends.generative.codec import END_TOKEN, add_tag_tokens
from trainer.backends.generative.markup import tag_strings
from trainer.config import TrainConfig
from trainer.errors import BaseModelError, ModelDirError
from trainer.model_dir import ModelManifest, is_model_dir, read_manifest

ADAPTER_DIR = "adapter"
BASE_DIR = "base"
TINY = {
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}
DEFAULT_LORA_TARGETS = ["q_proj", "v_proj"]


@dataclass
class Base:
    """A base ready for training: the model, its tokenizer (tags added) and where it came from.

    Args:
        on_disk: a directory or hub id holding exactly these base weights (the adapter's base
            when saved), or ``None`` when the base must be saved beside the adapter.
        parent: the version of a nerloop model directory used as base.
        new_token_ids: ids of the tag tokens this base did not know.
    """

    model: object
    tokenizer: object
    on_disk: str | None
    parent: str | None
    new_token_ids: list[int]


def tiny_base(domain: Domain, texts: list[str], *, full_vocabulary: bool = False, max_length: int = 2048) -> Base:
    """A random Qwen2-like model over a character vocabulary with the tags as single tokens."""
    from transformers import AutoModelForCausalLM, Qwen2Config

    from trainer.tokenizer import build_char_tokenizer

    tokenizer = build_char_tokenizer(
        texts, [*tag_strings(domain.type_names), END_TOKEN], model_max_length=max_length, full=full_vocabulary
    )
    end = tokenizer.convert_tokens_to_ids(END_TOKEN)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        max_position_embeddings=max_length,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.cls_token_id,
        eos_token_id=end,
        pad_token_id=tokenizer.pad_token_id,
        **TINY,
    )
    model = AutoModelForCausalLM.from_config(config)
    return Base(model, tokenizer, on_disk=None, parent=None, new_token_ids=[])


def load_tokenizer(source: str, *, local_files_only: bool = False):
    """``AutoTokenizer``, except for a plain ``tokenizer.json`` tokenizer (our character one).

    transformers 5 picks the tokenizer class from ``config.json``'s model type when the saved
    class is the generic backend, and rebuilds a Qwen2 BPE tokenizer around our character
    vocabulary: every character then encodes to nothing.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    saved = Path(source) / "tokenizer_config.json"
    if saved.is_file():
        kind = json.loads(saved.read_text("utf-8")).get("tokenizer_class")
        if kind in ("TokenizersBackend", "PreTrainedTokenizerFast"):
            return PreTrainedTokenizerFast.from_pretrained(source)
    return AutoTokenizer.from_pretrained(source, local_files_only=local_files_only)


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the model hub answers at all: offline, ``from_pretrained`` retries for a minute."""
    import os
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def pretrained_base(base: str, domain: Domain) -> Base:
    """Load a local directory, a hub id, or a nerloop generative model directory as base.

    Raises:
        BaseModelError: nothing loadable under that name (one line, saying what to pass).
    """
    from transformers import AutoModelForCausalLM

    if Path(base).is_dir() and is_model_dir(Path(base)):
        manifest = read_manifest(Path(base))
        if manifest.backend != "generative":
            raise BaseModelError(f"{base} is a {manifest.backend} model; a generative --base must be generative")
        model, tokenizer = load_weights(Path(base), manifest, merge_adapter=True)
        on_disk = str(Path(base).resolve()) if manifest.weights != "adapter" else None
        new = add_tag_tokens(tokenizer, domain)
        if new:
            model.resize_token_embeddings(len(tokenizer))
            on_disk = None
        return Base(model, tokenizer, on_disk=on_disk, parent=manifest.version, new_token_ids=new)
    local = Path(base)
    offline = not local.is_dir() and not hub_reachable()
    try:  # offline, a hub id still loads from the local cache
        tokenizer = load_tokenizer(base, local_files_only=offline)
        model = AutoModelForCausalLM.from_pretrained(base, local_files_only=offline)
    except (OSError, ValueError, KeyError) as exc:
        why = "the model hub is unreachable and it is not cached" if offline else _one_line(exc)
        raise BaseModelError(
            f"cannot load --base {base!r} ({why}); pass a local model directory, a hub id while online, or tiny"
        ) from exc
    new = add_tag_tokens(tokenizer, domain)
    if new:
        model.resize_token_embeddings(len(tokenizer))
    return Base(model, tokenizer, str(local.resolve()) if local.is_dir() else base, None, new)


def add_lora(base: Base, config: TrainConfig):
    """Wrap the base in a LoRA adapter; new tag tokens get trainable embedding rows."""
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(
        task_type=TaskType.CAUSAL_LM,
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.lora_targets or DEFAULT_LORA_TARGETS),
        trainable_token_indices={"embed_tokens": base.new_token_ids} if base.new_token_ids else None,
    )
    return get_peft_model(base.model, lora)


def save_model(model, tokenizer, out_dir: Path, *, merge: bool) -> str:
    """Write the weights and tokenizer; returns the manifest's ``weights`` value."""
    from peft import PeftModel

    tokenizer.save_pretrained(str(out_dir))
    if isinstance(model, PeftModel):
        if not merge:
            model.save_pretrained(str(out_dir / ADAPTER_DIR))
            return "adapter"
        model = model.merge_and_unload()
        model.save_pretrained(str(out_dir))
        return "merged"
    model.save_pretrained(str(out_dir))
    return "full"


def _base_location(model_dir: Path, manifest: ModelManifest) -> str:
    if not manifest.base_path:
        raise ModelDirError(f"{model_dir}: an adapter model without base_path in its manifest")
    local = model_dir / manifest.base_path
    return str(local) if local.is_dir() else manifest.base_path


def load_weights(model_dir: Path, manifest: ModelManifest, *, merge_adapter: bool = False):
    """The model and tokenizer of a generative model directory (adapter over its base, or full).

    Raises:
        ModelDirError: the weights or the adapter's base are missing or unreadable.
    """
    from transformers import AutoModelForCausalLM

    try:
        tokenizer = load_tokenizer(str(model_dir))
        if manifest.weights != "adapter":
            return AutoModelForCausalLM.from_pretrained(str(model_dir)), tokenizer
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(_base_location(model_dir, manifest))
        if base.get_input_embeddings().num_embeddings != len(tokenizer):
            base.resize_token_embeddings(len(tokenizer))
        model = PeftModel.from_pretrained(base, str(model_dir / ADAPTER_DIR))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelDirError(f"cannot load the generative model in {model_dir}: {_one_line(exc)}") from exc
    return (model.merge_and_unload() if merge_adapter else model), tokenizer
