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
    """The inference forward of one ``BertForTokenClassification``, over its own (shared) weights.

    The weight tensors are looked up once here, not through ``nn.Module.__getattr__`` on every
    call: they are the model's own tensors, so in-place updates (``load_state_dict``) show.
    """

    def __init__(self, model: nn.Module) -> None:
        bert = model.bert
        config = model.config
        self.model = model
        e = bert.embeddings
        self.token_type = e.token_type_embeddings.weight[0]  # every token is of type 0, as the model's default
        self.positions = e.position_embeddings.weight
        self.embedding_norm = _norm_args(e.LayerNorm)
        self.layers = [_layer_weights(layer) for layer in bert.encoder.layer]
        self.classifier = (model.classifier.weight, model.classifier.bias)
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
        hidden = inputs_embeds + self.token_type + functional.embedding(position_ids, self.positions)
        hidden = functional.layer_norm(hidden, *self.embedding_norm)
        rows, width, _ = hidden.shape
        for weights in self.layers:
            hidden = self._layer(weights, hidden, mask, rows, width)
        return functional.linear(hidden, *self.classifier)

    def _layer(
        self, weights: _LayerWeights, hidden: torch.Tensor, mask: torch.Tensor, rows: int, width: int
    ) -> torch.Tensor:
        query, key, value, output, attention_norm, intermediate, out, out_norm = weights
        shape = (rows, width, -1, self.head_size)
        q = functional.linear(hidden, *query).view(shape).transpose(1, 2)
        k = functional.linear(hidden, *key).view(shape).transpose(1, 2)
        v = functional.linear(hidden, *value).view(shape).transpose(1, 2)
        context = functional.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=0.0, scale=self.scaling, is_causal=False
        )
        context = context.transpose(1, 2).contiguous().reshape(rows, width, -1).contiguous()
        attended = functional.layer_norm(functional.linear(context, *output) + hidden, *attention_norm)
        inner = functional.gelu(functional.linear(attended, *intermediate))
        return functional.layer_norm(functional.linear(inner, *out) + attended, *out_norm)


_Linear = tuple[torch.Tensor, torch.Tensor]
_Norm = tuple[tuple[int, ...], torch.Tensor, torch.Tensor, float]
_LayerWeights = tuple[_Linear, _Linear, _Linear, _Linear, _Norm, _Linear, _Linear, _Norm]


def _layer_weights(layer: nn.Module) -> _LayerWeights:
    """One encoder layer's tensors, in the order :meth:`LeanBert._layer` uses them."""
    own, attention = layer.attention.self, layer.attention
    return (
        (own.query.weight, own.query.bias),
        (own.key.weight, own.key.bias),
        (own.value.weight, own.value.bias),
        (attention.output.dense.weight, attention.output.dense.bias),
        _norm_args(attention.output.LayerNorm),
        (layer.intermediate.dense.weight, layer.intermediate.dense.bias),
        (layer.output.dense.weight, layer.output.dense.bias),
        _norm_args(layer.output.LayerNorm),
    )


def _norm_args(layer: nn.LayerNorm) -> _Norm:
    return (tuple(layer.normalized_shape), layer.weight, layer.bias, layer.eps)
