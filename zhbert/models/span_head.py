"""A GlobalPointer span head: a score for every (start, end) token pair per entity type, so nested and
overlapping entities are read as easily as flat ones (Su et al., "GlobalPointer", 2021).

Per type, the encoder's hidden states are projected to a start vector q and an end vector k of ``head_size``
each, both rotated by their position (rotary position embedding, as RoFormer does), and the pair's score is
``q_start . k_end / sqrt(head_size)``. Pairs with ``start > end`` or on padding are masked. Training uses the
multilabel categorical cross-entropy over all pairs of a type, in float32 even under bf16 autocast.

``add_span_head(model)`` gives a ``*ForTokenClassification`` the head, in place: its ``classifier`` is replaced
by ``span_head.*`` weights, and ``config.zhbert_head = "span"`` with ``id2label`` holding the entity types. Plain
``AutoModelForTokenClassification`` still loads such a checkpoint (with a fresh, unused ``classifier``);
``load_span_model`` restores the head.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn
from transformers.modeling_outputs import TokenClassifierOutput

from ..errors import DataError
from .loading import checkpoint_tensors
from .mixin import mix_in

__all__ = [
    "DEFAULT_HEAD_SIZE",
    "NEG",
    "GlobalPointer",
    "SpanLoss",
    "add_span_head",
    "has_span_head",
    "load_span_model",
    "multilabel_categorical_crossentropy",
]

DEFAULT_HEAD_SIZE = 64
# The score of a masked pair: far below any real one, and finite in bf16 and float32 alike.
NEG = -1e12


def has_span_head(config: Any) -> bool:
    """Whether a model's config says it was trained with the span head."""
    return getattr(config, "zhbert_head", None) == "span"


class GlobalPointer(nn.Module):
    """Scores (B, types, T, T) for hidden states (B, T, H); masked pairs score ``NEG``."""

    def __init__(self, hidden_size: int, types: int, head_size: int = DEFAULT_HEAD_SIZE) -> None:
        super().__init__()
        if head_size < 2 or head_size % 2:
            raise ValueError(f"head_size must be an even number >= 2, got {head_size}")
        self.types, self.head_size = types, head_size
        self.dense = nn.Linear(hidden_size, types * head_size * 2)

    def rotary(self, length: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """cos and sin (T, head_size) of the rotary embedding, each frequency repeated for its pair of features."""
        half = torch.arange(self.head_size // 2, device=device, dtype=torch.float32)
        freq = torch.pow(10000.0, -2 * half / self.head_size)  # (D/2,)
        angle = torch.arange(length, device=device, dtype=torch.float32)[:, None] * freq  # (T, D/2)
        return angle.cos().repeat_interleave(2, -1), angle.sin().repeat_interleave(2, -1)

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        batch, length, _ = hidden.shape
        qk = self.dense(hidden).view(batch, length, self.types, 2, self.head_size)  # (B, T, E, 2, D)
        q, k = qk[..., 0, :], qk[..., 1, :]  # (B, T, E, D)
        cos, sin = self.rotary(length, hidden.device)
        cos, sin = cos[None, :, None, :].to(q.dtype), sin[None, :, None, :].to(q.dtype)

        def rotate(x: torch.Tensor) -> torch.Tensor:
            # Each feature pair (x0, x1) turned by its angle: (x0 cos - x1 sin, x1 cos + x0 sin).
            pair = torch.stack([-x[..., 1::2], x[..., ::2]], dim=-1).reshape(x.shape)
            return x * cos + pair * sin

        q, k = rotate(q), rotate(k)
        logits = torch.einsum("bmed,bned->bemn", q, k) / self.head_size**0.5  # (B, E, T, T)
        keep = torch.ones(length, length, dtype=torch.bool, device=hidden.device).triu()  # start <= end
        keep = keep[None, None]
        if attention_mask is not None:
            real = attention_mask.bool()
            keep = keep & real[:, None, :, None] & real[:, None, None, :]
        return logits.masked_fill(~keep, NEG)


def multilabel_categorical_crossentropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Su's multilabel categorical cross-entropy, averaged over (batch, type) rows: for each row,
    ``log(1 + sum_neg exp(s)) + log(1 + sum_pos exp(-s))`` over its (T * T) pairs. Float32 throughout.

    Args:
        logits: (B, E, T, T) pair scores (masked pairs at ``NEG``).
        target: (B, E, T, T), 1 where a gold entity is, 0 elsewhere.
    """
    with torch.autocast(device_type=logits.device.type, enabled=False):
        scores = logits.float().flatten(2)  # (B, E, T*T)
        gold = target.to(scores.dtype).flatten(2)
        scores = (1 - 2 * gold) * scores  # positives negated
        neg = scores - gold * 1e12  # positives left out of the negative sum
        pos = scores - (1 - gold) * 1e12
        zeros = torch.zeros_like(scores[..., :1])
        loss = torch.logsumexp(torch.cat([neg, zeros], -1), -1) + torch.logsumexp(torch.cat([pos, zeros], -1), -1)
        return loss.mean()


class SpanLoss:
    """Mixed in front of a ``*ForTokenClassification`` class by ``add_span_head``: its forward returns the pair
    scores (B, types, T, T) as ``logits``, and with ``labels`` (the same shape, 1 at gold pairs) their loss."""

    span_head: GlobalPointer
    base_model_prefix: str
    dropout: nn.Module

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> TokenClassifierOutput:
        kwargs.pop("num_items_in_batch", None)
        encoder = getattr(self, self.base_model_prefix)
        out = encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **kwargs)
        hidden = out[0]  # (B, T, H)
        dropout = getattr(self, "dropout", None)
        if dropout is not None:
            hidden = dropout(hidden)
        logits = self.span_head(hidden, attention_mask)  # (B, E, T, T)
        loss = None if labels is None else multilabel_categorical_crossentropy(logits, labels)
        return TokenClassifierOutput(loss=loss, logits=logits)


def add_span_head(model: nn.Module, head_size: int | None = None) -> nn.Module:
    """Give a token classifier the span head, in place (its class keeps its name): one score matrix per label
    of ``config.id2label``, which name entity types (``PER``, ``LOC``), not tags."""
    config: Any = model.config
    size = int(head_size or getattr(config, "zhbert_span_head_size", None) or DEFAULT_HEAD_SIZE)
    if not isinstance(getattr(model, "span_head", None), GlobalPointer):
        head = GlobalPointer(config.hidden_size, len(config.id2label), size)
        nn.init.normal_(head.dense.weight, std=getattr(config, "initializer_range", 0.02))
        nn.init.zeros_(head.dense.bias)
        model.span_head = head
    if hasattr(model, "classifier"):
        del model.classifier  # the tag scores are never computed
    config.zhbert_head = "span"
    config.zhbert_span_head_size = size
    return mix_in(model, SpanLoss)


def load_span_model(path: str | os.PathLike[str], model: nn.Module) -> nn.Module:
    """``model`` (a token classifier loaded from ``path`` whose config says ``zhbert_head = "span"``) with its
    span head restored.

    Raises:
        DataError: the span head's weights are missing or do not fit the model's types.
    """
    add_span_head(model)
    weights = {k.removeprefix("span_head."): v for k, v in checkpoint_tensors(path, "span_head.").items()}
    if not weights:
        raise DataError(f"{path}: config says the model has a span head, but no span_head.* weights were saved")
    try:
        model.span_head.load_state_dict(weights, strict=True)  # type: ignore[union-attr]
    except RuntimeError as err:
        raise DataError(
            f"{path}: the saved span head does not fit the model's types ({str(err).splitlines()[-1]})"
        ) from None
    return model
