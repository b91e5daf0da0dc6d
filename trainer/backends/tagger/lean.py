"""A lean forward pass for plain BERT token classifiers: the same tensor operations, without the module tree.

A server batch of a few short queries spends more time in Python than in arithmetic: about
fifty module calls, each through ``nn.Module.__call__`` and the transformers decorators
around them (output capturing, keyword deprecation, config defaults), cost about 1 ms on a
2-layer model, as much as the matrix products of eight queries. :class:`LeanBert` holds
references to the same weights and runs the same operations in the same order (embedding
sums, layer norms, linear maps, ``scaled_dot_product_attention`` with the given mask, exact
GELU), so its logits are those of the model (a test compares them to the bit).

It is used only where it is exactly that model: a plain ``BertForTokenClassification``
(no adapters left unmerged: peft's layers are not ``nn.Linear``), absolute positions, exact
GELU, SDPA attention, in eval mode, with a 4-D boolean mask and explicit positions (packed
rows, and padded rows with one segment each). Anything else goes through the model itself.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional


class LeanBert:
    """The inference forward of one ``BertForTokenClassification``, over its own (shared) weights."""

    def __init__(self, model: nn.Module) -> None:
        bert = model.bert
        config = model.config
        self.model = model
        self.embeddings = bert.embeddings
        self.layers = list(bert.encoder.layer)
        self.classifier = model.classifier
        self.head_size = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_size**-0.5

    @classmethod
    def of(cls, model: nn.Module) -> LeanBert | None:
        """A lean forward for ``model``, or None where it would not be exactly the model's own."""
        from transformers import BertForTokenClassification

        if type(model) is not BertForTokenClassification:  # a peft wrapper, or another architecture
            return None
        config = model.config
        if (
            config.hidden_act != "gelu"
            or getattr(config, "position_embedding_type", "absolute") != "absolute"
            or getattr(config, "_attn_implementation", None) != "sdpa"
            or config.is_decoder
        ):
            return None
        used = [model.classifier]
        for layer in model.bert.encoder.layer:
            own = layer.attention.self
            used += [own.query, own.key, own.value, layer.attention.output.dense]
            used += [layer.intermediate.dense, layer.output.dense]
        if any(type(m) is not nn.Linear for m in used):  # adapters injected in place
            return None
        return cls(model)

    def __call__(self, inputs_embeds: torch.Tensor, mask: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
        """Logits ``(rows, width, labels)`` for embedded tokens, a ``(rows, 1, width, width)`` boolean mask and positions."""
        if self.model.training:
            raise RuntimeError("LeanBert is for inference: put the model in eval mode (dropout is not applied here)")
        e = self.embeddings
        token_types = e.token_type_embeddings.weight[0]  # every token is of type 0, as the model's default
        hidden = inputs_embeds + token_types + functional.embedding(position_ids, e.position_embeddings.weight)
        hidden = _norm(hidden, e.LayerNorm)
        rows, width, _ = hidden.shape
        for layer in self.layers:
            hidden = self._layer(layer, hidden, mask, rows, width)
        return functional.linear(hidden, self.classifier.weight, self.classifier.bias)

    def _layer(self, layer: nn.Module, hidden: torch.Tensor, mask: torch.Tensor, rows: int, width: int) -> torch.Tensor:
        attention = layer.attention
        shape = (rows, width, -1, self.head_size)
        query = _linear(hidden, attention.self.query).view(shape).transpose(1, 2)
        key = _linear(hidden, attention.self.key).view(shape).transpose(1, 2)
        value = _linear(hidden, attention.self.value).view(shape).transpose(1, 2)
        context = functional.scaled_dot_product_attention(
            query, key, value, attn_mask=mask, dropout_p=0.0, scale=self.scaling, is_causal=False
        )
        context = context.transpose(1, 2).contiguous().reshape(rows, width, -1).contiguous()
        attended = _norm(_linear(context, attention.output.dense) + hidden, attention.output.LayerNorm)
        inner = functional.gelu(_linear(attended, layer.intermediate.dense))
        return _norm(_linear(inner, layer.output.dense) + attended, layer.output.LayerNorm)


def _linear(x: torch.Tensor, layer: nn.Linear) -> torch.Tensor:
    return functional.linear(x, layer.weight, layer.bias)


def _norm(x: torch.Tensor, layer: nn.LayerNorm) -> torch.Tensor:
    return functional.layer_norm(x, layer.normalized_shape, layer.weight, layer.bias, layer.eps)
