"""Inference forward passes for BERT classifiers that skip work whose result is never read.

Two savings, both exact (the same scores as the model's own ``forward``, up to float rounding):

- **No padding in the dense layers.** The real tokens of a padded batch are packed into one (tokens, hidden)
  matrix for the query/key/value projections, the attention output and the feed-forward block; only the
  attention itself runs on the padded (batch, length) layout, with the padding masked. On Resume NER's short
  sentences a length-sorted batch of 32 is ~19% padding, all of which the dense layers would otherwise compute.
- **The last layer only where the head reads it.** ``BertForSequenceClassification`` reads the last layer at
  [CLS] alone (through the pooler): that layer still needs keys and values from every token, but its queries,
  attention output and feed-forward block run for [CLS] only, about (L - 1) layers' work instead of L.

``FastBert.for_model(model)`` returns ``None`` for any model this does not reproduce: not a BERT, a subclass with
a forward of its own, swapped-in layers, a decoder, cross-attention. Callers then use the model's ``forward``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..errors import UsageError

__all__ = ["MATH_ATTENTION_MAX_LENGTH", "FastBert", "dense", "onednn_works", "use_onednn"]


class FastBert:
    """Runs a stock ``BertForSequenceClassification`` or ``BertForTokenClassification`` (zhbert's CRF variant
    included) in eval mode, packed, with a last layer limited to what its head reads."""

    def __init__(self, model: Any, kind: str) -> None:
        self.model = model
        self.kind = kind  # "sequence" or "token"
        self.bert = model.bert

    @classmethod
    def for_model(cls, model: Any) -> FastBert | None:
        """A ``FastBert`` for ``model``, or ``None`` when its own forward may compute something else."""
        from transformers.models.bert import modeling_bert as mb

        from .crf_head import CrfLoss

        heads: dict[type, str] = {mb.BertForSequenceClassification: "sequence", mb.BertForTokenClassification: "token"}
        # The class whose forward runs must be a stock head, or zhbert's CRF mix-in directly over the stock token
        # classifier (without labels, its forward is the stock one). A user's subclass with a forward keeps it.
        defining = [c for c in type(model).__mro__ if "forward" in c.__dict__]
        if defining and defining[0] is CrfLoss:
            defining = defining[1:]
        kind = heads.get(defining[0]) if defining else None
        bert = getattr(model, "bert", None)
        if kind is None or type(bert) is not mb.BertModel or type(bert.embeddings) is not mb.BertEmbeddings:
            return None
        config = model.config
        if config.is_decoder or getattr(config, "add_cross_attention", False) or not len(bert.encoder.layer):
            return None
        if kind == "sequence" and not (
            type(bert.pooler) is mb.BertPooler
            and type(bert.pooler.dense) is torch.nn.Linear
            and type(bert.pooler.activation) is torch.nn.Tanh
        ):
            return None
        parts = {
            "": mb.BertLayer,
            "attention.self": mb.BertSelfAttention,
            "attention.output": mb.BertSelfOutput,
            "intermediate": mb.BertIntermediate,
            "output": mb.BertOutput,
            **{
                name: torch.nn.Linear for name in ("attention.self.query", "attention.self.key", "attention.self.value")
            },
            **{name: torch.nn.Linear for name in ("attention.output.dense", "intermediate.dense", "output.dense")},
            **{name: torch.nn.LayerNorm for name in ("attention.output.LayerNorm", "output.LayerNorm")},
        }
        for layer in bert.encoder.layer:
            if not all(type(layer.get_submodule(name)) is part for name, part in parts.items()):
                return None
        return cls(model, kind)

    def __call__(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits: (B, labels) for a sequence classifier; (N, labels) for a token classifier, one row per real
        token (``attention_mask`` 1) in row-major order, i.e. ``model(...).logits[attention_mask.bool()]``."""
        if self.model.training:
            raise RuntimeError("FastBert runs models in eval mode only; call model.eval() first")
        bert = self.bert
        hidden = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)  # (B, T, H)
        real = attention_mask.bool()  # (B, T)
        if self.kind == "sequence" and not bool(real[:, 0].all()):
            raise UsageError("FastBert needs right padding: every row's [CLS] at position 0")
        keep = real[:, None, None, :]  # (B, 1, 1, T): the keys each query may see
        x = hidden[real]  # (N, H): the real tokens, packed
        layers = bert.encoder.layer
        for i, layer in enumerate(layers):
            if i == len(layers) - 1 and self.kind == "sequence":
                cls_rows = torch.zeros_like(real)
                cls_rows[:, 0] = True
                x = _layer(layer, x, real, keep, queries=cls_rows[real])  # (B, H): [CLS] of each row
            else:
                x = _layer(layer, x, real, keep, queries=None)  # (N, H)
        model = self.model
        if self.kind == "sequence":
            pooled = torch.tanh(dense(x, bert.pooler.dense.weight, bert.pooler.dense.bias))
            return model.classifier(model.dropout(pooled))  # (B, labels)
        return model.classifier(model.dropout(x))  # (N, labels)


def onednn_works() -> bool:
    """Whether oneDNN's fused linear runs here and agrees with ``F.linear`` (checked once, on a small case)."""
    op = getattr(torch.ops.mkldnn, "_linear_pointwise", None)
    if op is None or not torch.backends.mkldnn.is_available():
        return False
    try:
        g = torch.Generator().manual_seed(0)
        x, w, b = (torch.randn(*shape, generator=g) for shape in ((8, 16), (32, 16), (32,)))
        with torch.inference_mode():
            plain = op(x, w, b, "none", [], "")
            fused = op(x, w, b, "gelu", [], "none")
        return torch.allclose(plain, F.linear(x, w, b), atol=1e-5) and torch.allclose(
            fused, F.gelu(F.linear(x, w, b)), atol=1e-5
        )
    except (RuntimeError, TypeError, NotImplementedError):
        return False


_ONEDNN: bool | None = None  # whether dense layers use oneDNN; decided by onednn_works() on first use
# Attention over at most this many positions runs as two batched products and a softmax; longer, as PyTorch's
# fused kernel. At Resume NER's lengths (B=32, T=48) the products took 0.57 ms against 1.13 ms in float32
# (2 cores); the fused kernel keeps memory flat for long texts.
MATH_ATTENTION_MAX_LENGTH = 128


def _onednn_dtype(dtype: torch.dtype) -> bool:
    if dtype == torch.float32:
        return True
    if dtype == torch.bfloat16:
        from .precision import cpu_bf16_supported

        return cpu_bf16_supported()
    return False


def use_onednn(flag: bool | None) -> None:
    """Force the dense layers onto oneDNN's kernel (True) or ``F.linear`` (False); None checks again on first use."""
    global _ONEDNN
    _ONEDNN = flag


def dense(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, gelu: bool = False) -> torch.Tensor:
    """``F.linear`` (then exact GELU when ``gelu``) on a 2-D input.

    On CPU in float32 this runs oneDNN's linear with the GELU fused in: the same float32 arithmetic as the BLAS
    behind ``F.linear``, with kernels that use AVX-512 on every x86 vendor (docs/benchmarks.md: about twice the
    matmul throughput of the default path on the AMD machine measured). In bf16 on a CPU with native bf16 it
    runs there too (float32 accumulation, as ``F.linear``; measured 754 against 670 GFLOP/s, with the GELU
    fused). Elsewhere, ``F.linear`` and ``F.gelu``.
    """
    global _ONEDNN
    if x.device.type == "cpu" and x.dtype == weight.dtype and _onednn_dtype(x.dtype):
        if _ONEDNN is None:
            _ONEDNN = onednn_works()
        if _ONEDNN:
            return torch.ops.mkldnn._linear_pointwise(
                x, weight, bias, "gelu" if gelu else "none", [], "none" if gelu else ""
            )
    y = F.linear(x, weight, bias)
    return F.gelu(y) if gelu else y


def _layer(
    layer: Any, x: torch.Tensor, real: torch.Tensor, keep: torch.Tensor, queries: torch.Tensor | None
) -> torch.Tensor:
    """One ``BertLayer`` in eval mode on packed tokens ``x`` (N, H); ``real`` (B, T) says where they sit.

    With ``queries`` (a bool mask over the N tokens, one True per row of the batch), only those tokens are
    computed past the keys and values, and the result is (B, H).
    """
    att = layer.attention.self
    b, t = real.shape
    heads, size = att.num_attention_heads, att.attention_head_size
    hidden = heads * size
    # One projection for queries, keys and values; the weights are joined on every call, so they follow the model.
    weight = torch.cat([att.query.weight, att.key.weight, att.value.weight])
    bias = torch.cat([att.query.bias, att.key.bias, att.value.bias])
    if queries is None:
        qkv = x.new_zeros(b, t, 3 * hidden)
        qkv[real] = dense(x, weight, bias)  # (B, T, 3H), zeros at the padding
        q, k, v = qkv.view(b, t, 3, heads, size).permute(2, 0, 3, 1, 4)  # each (B, heads, T, size)
        residual = x
    else:
        kv = x.new_zeros(b, t, 2 * hidden)
        kv[real] = dense(x, weight[hidden:], bias[hidden:])
        k, v = kv.view(b, t, 2, heads, size).permute(2, 0, 3, 1, 4)
        residual = x[queries]  # (B, H): one query per row
        q = dense(residual, weight[:hidden], bias[:hidden]).view(b, 1, heads, size).transpose(1, 2)
    if t <= MATH_ATTENTION_MAX_LENGTH:
        mixed = _attention(q, k, v, keep, att.scaling)  # (B, heads, Q, size)
    else:
        mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, scale=att.scaling)
    mixed = mixed.transpose(1, 2).reshape(b, -1, hidden)  # (B, Q, H)
    mixed = mixed[real] if queries is None else mixed[:, 0]  # (N, H) or (B, H)
    out = layer.attention.output  # dense, (dropout), LayerNorm of the sum with the residual
    attended = _norm(out.LayerNorm, dense(mixed, out.dense.weight, out.dense.bias) + residual)
    inner = layer.intermediate
    if _is_exact_gelu(inner.intermediate_act_fn):
        up = dense(attended, inner.dense.weight, inner.dense.bias, gelu=True)
    else:
        up = inner.intermediate_act_fn(dense(attended, inner.dense.weight, inner.dense.bias))
    down = layer.output
    return _norm(down.LayerNorm, dense(up, down.dense.weight, down.dense.bias) + attended)


def _attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep: torch.Tensor, scale: float) -> torch.Tensor:
    """Softmax attention of queries (B, heads, Q, size) over keys and values (B, heads, T, size), each key seen
    where ``keep`` (B, 1, 1, T) is True; what ``F.scaled_dot_product_attention`` computes, up to rounding."""
    b, heads, n_q, size = q.shape
    t = k.shape[2]
    # Scores and softmax in float32 whatever the model's dtype (as the fused kernel keeps them): a bf16 score is
    # off by up to 0.4%, which moves probabilities by as much as 3% at the score sizes seen. They are a small part
    # of the work at these lengths.
    bias = torch.zeros(keep.shape, dtype=torch.float32, device=q.device).masked_fill_(~keep, float("-inf"))
    bias = bias.expand(b, heads, 1, t).reshape(b * heads, 1, t)
    queries = q.reshape(b * heads, n_q, size).float()
    keys = k.reshape(b * heads, t, size).float().transpose(1, 2)
    probs = torch.softmax(torch.baddbmm(bias, queries, keys, alpha=scale), -1).to(v.dtype)
    return torch.bmm(probs, v.reshape(b * heads, t, size)).view(b, heads, n_q, size)


def _norm(norm: Any, x: torch.Tensor) -> torch.Tensor:
    return F.layer_norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)


def _is_exact_gelu(fn: Any) -> bool:
    from transformers.activations import GELUActivation

    return type(fn) is GELUActivation and getattr(fn, "act", None) is F.gelu
