"""The modules that become ONNX graphs, and the export call itself.

Every graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64, (batch, length), right-padded)
and returns ``logits``: (batch, labels) for a sequence classifier, (batch, length, labels) for a token tagger (the
emissions; a CRF's decoding runs after the graph, from the matrices saved beside it), (batch, length, vocab) for a
masked-language model.

A stock BERT sequence classifier exports as ``ClassifierGraph``: its last layer computes queries, attention output
and feed-forward for [CLS] alone, the only position the pooler reads (``zhbert.models.fast_bert`` does the same in
PyTorch); keys and values still come from every token. The scores are the model's own, with about one layer's
work less per text.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["INPUT_NAMES", "OPSET", "ClassifierGraph", "LogitsGraph", "export_graph", "graph_module"]

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# 17: LayerNormalization as one op, and what onnxruntime's dynamic quantizer reads.
OPSET = 17


class LogitsGraph(nn.Module):
    """The model's own forward, its ``logits`` only."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> Any:
        return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits


class ClassifierGraph(nn.Module):
    """A stock ``BertForSequenceClassification`` in eval mode, with a last layer computed at [CLS] only."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> Any:
        model: Any = self.model
        bert = model.bert
        x = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)  # (B, T, H)
        # (B, 1, 1, T): 0 where a key may be seen, a large negative number at the padding
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        layers = bert.encoder.layer
        for i, layer in enumerate(layers):
            x = _layer(layer, x, bias, cls_only=i == len(layers) - 1)
        pooled = torch.tanh(bert.pooler.dense(x[:, 0]))  # (B, H)
        return model.classifier(pooled)  # (B, labels)


def _layer(layer: Any, x: torch.Tensor, bias: torch.Tensor, cls_only: bool) -> torch.Tensor:
    """One ``BertLayer`` in eval mode on (B, T, H); with ``cls_only``, the result for [CLS] alone, (B, 1, H)."""
    att = layer.attention.self
    b, hidden = x.shape[0], x.shape[2]
    heads, size = att.num_attention_heads, att.attention_head_size
    queries = x[:, :1] if cls_only else x

    def split(y: torch.Tensor) -> torch.Tensor:
        return y.view(b, -1, heads, size).transpose(1, 2)  # (B, heads, T or 1, size)

    q, k, v = split(att.query(queries)), split(att.key(x)), split(att.value(x))
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(size) + bias  # (B, heads, Q, T)
    mixed = torch.matmul(scores.softmax(-1), v).transpose(1, 2).reshape(b, -1, hidden)  # (B, Q, H)
    out = layer.attention.output
    attended = out.LayerNorm(out.dense(mixed) + queries)
    up = layer.intermediate.intermediate_act_fn(layer.intermediate.dense(attended))
    down = layer.output
    return down.LayerNorm(down.dense(up) + attended)


def graph_module(model: nn.Module, kind: str) -> nn.Module:
    """The module to export for ``model`` of ``kind``: ``ClassifierGraph`` for a stock BERT classifier (the same
    checks as ``FastBert.for_model``), else ``LogitsGraph``."""
    if kind == "sequence-classification":
        from ..models.fast_bert import FastBert

        fast = FastBert.for_model(model)
        if fast is not None and fast.kind == "sequence" and _exact_gelu(model):
            return ClassifierGraph(model).eval()
    return LogitsGraph(model).eval()


def _exact_gelu(model: Any) -> bool:
    from transformers.activations import GELUActivation

    fns = [layer.intermediate.intermediate_act_fn for layer in model.bert.encoder.layer]
    return all(type(fn) is GELUActivation and getattr(fn, "act", None) is F.gelu for fn in fns)


def export_graph(model: nn.Module, kind: str, path: Path, vocab_size: int) -> str:
    """Write ``model`` (float32, eval mode) as an ONNX graph with dynamic batch and length at ``path``; returns a
    description of the exporter used.

    The TorchScript exporter (``dynamo=False``) under eager attention. Both exporters gave correct graphs with
    torch 2.13 and transformers 5.25 (logits within 4e-6 of PyTorch), but only this one's attention is the
    MatMul/Softmax pattern that onnxruntime's transformer optimizer recognises (it fused all 4 attention blocks of
    the shipped tagger and none of the dynamo graph's), and it exported in 1.5-2.5 s against 8-10 s.
    """
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")  # type: ignore[operator]  # SDPA's export traces a masked pattern the fusions do not match
    module = graph_module(model, kind)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(100, max(vocab_size, 101), (2, 7), generator=generator)  # (B, T)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # a padded row, so the mask's use is traced
    types = torch.zeros_like(ids)
    dims = {0: "batch", 1: "length"}
    axes = {name: dims for name in INPUT_NAMES}
    axes["logits"] = {0: "batch"} if kind == "sequence-classification" else dims
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            module,
            (ids, mask, types),
            str(path),
            input_names=list(INPUT_NAMES),
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )
    last_layer = "last layer at [CLS] only" if isinstance(module, ClassifierGraph) else "the model's forward"
    return f"torch.onnx.export (TorchScript, opset {OPSET}), {last_layer}"
