"""The attention weights of every layer and head of a BERT-like model for a text, list in, list out.

>>> maps = attention_maps(tagger.model, tagger.tokenizer, ["李强在北京。"])
>>> maps[0].tokens
('[CLS]', '李', '强', '在', '北', '京', '。', '[SEP]')
>>> maps[0].weights.shape  # (layers, heads, T, T); each row sums to 1
(4, 4, 8, 8)
>>> maps[0].matrix(layer=0)  # (T, T): layer 0, the mean over its heads

The weights come from the model's own encoder forward with ``output_attentions=True``, run under eager attention
(the fused kernels return no weights) and in float32, on a copy of the encoder's modules that shares the float32
weights: the model passed in is not touched, so its other users (``predict`` in another thread) see it as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..errors import UsageError
from ..text.checks import check_texts
from .predictor import model_window

__all__ = ["AttentionMap", "attention_maps"]


@dataclass(frozen=True, eq=False)
class AttentionMap:
    """One text's attention weights.

    Attributes:
        tokens: each token as the characters of the text it covers (``[CLS]`` and ``[SEP]`` as such).
        offsets: ``[start, end)`` of each token in the caller's string; ``(0, 0)`` for ``[CLS]`` and ``[SEP]``.
        weights: float32, read-only, shaped (layers, heads, T, T): row ``i`` of a head is how token ``i`` (the
            query) spreads its attention over the T tokens (the keys); each row sums to 1.
        truncated: whether the text ran past the model's window, so that the tokens stop before its end.
    """

    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    weights: np.ndarray
    truncated: bool

    @property
    def layers(self) -> int:
        return int(self.weights.shape[0])

    @property
    def heads(self) -> int:
        return int(self.weights.shape[1])

    def matrix(self, layer: int, head: int | None = None) -> np.ndarray:
        """The (T, T) weights of ``layer`` (0-based) and ``head`` (0-based; ``None``: the mean over the heads).

        Raises:
            UsageError: ``layer`` or ``head`` is not a whole number within the model's layers or heads.
        """
        layer = _index(layer, self.layers, "layer")
        if head is None:
            return self.weights[layer].mean(axis=0)  # (T, T); a mean of rows that sum to 1 sums to 1
        return self.weights[layer, _index(head, self.heads, "head")]


def attention_maps(
    model: Any, tokenizer: Any, texts: Sequence[str], max_length: int | None = None
) -> list[AttentionMap]:
    """The attention weights of every layer and head of ``model`` for each of ``texts``, one map per text.

    ``model`` is any transformers model whose encoder returns attentions: a ``BertFor*`` head (the ``model`` of a
    ``TextClassifier``, ``EntityTagger`` or ``MaskFiller``, a CRF tagger included) or a bare encoder; the heads
    on top change no attention weight. ``tokenizer`` must be a fast tokenizer (offsets). Texts longer than
    ``max_length`` tokens (default: the model's window, ``model_window``) are truncated. Each text runs alone, so
    no row holds padding; the weights of T tokens take layers x heads x T x T x 4 bytes (16 MB for 512 tokens
    of a 4-layer, 4-head model).

    Raises:
        ArgumentTypeError: ``texts`` is a bare string or holds something other than strings.
        UsageError: ``max_length`` is below 3 or beyond the model's positions, the tokenizer is not a fast one, or
            the model returns no attention weights.
    """
    items = check_texts(texts)
    window = model_window(model, tokenizer) if max_length is None else max_length
    positions = int(getattr(model.config, "max_position_embeddings", 512))
    if isinstance(window, bool) or not isinstance(window, int) or not 3 <= window <= positions:
        raise UsageError(
            f"max_length must be a whole number from 3 to {positions} (the model's positions), got {max_length!r}",
            argument="max_length",
        )
    if not getattr(tokenizer, "is_fast", False):
        raise UsageError("attention_maps needs a fast tokenizer (its character offsets)", argument="tokenizer")
    encoder = _float32_eager_copy(getattr(model, "base_model", model))
    device = next(encoder.parameters()).device
    out = []
    with torch.inference_mode():
        for text in items:
            # With overflowing tokens the tokenizer returns the window and the rest: more than one piece means
            # the text was cut.
            enc = tokenizer(
                text, truncation=True, max_length=window, return_offsets_mapping=True, return_overflowing_tokens=True
            )
            truncated = len(enc["input_ids"]) > 1
            offsets = [(int(a), int(b)) for a, b in enc["offset_mapping"][0]]
            ids = enc["input_ids"][0]
            fields = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
            inputs = {k: torch.tensor(enc[k][:1], device=device) for k in fields}  # (1, T) each
            attentions = encoder(**inputs, output_attentions=True).attentions
            if not attentions or any(a is None for a in attentions):
                raise UsageError(
                    f"{type(model).__name__} returned no attention weights under eager attention", argument="model"
                )
            weights = torch.stack([a[0] for a in attentions]).float().cpu().numpy()  # (layers, heads, T, T)
            weights.setflags(write=False)
            names = tokenizer.convert_ids_to_tokens(ids)
            tokens = tuple(text[a:b] if b > a else name for (a, b), name in zip(offsets, names, strict=True))
            out.append(AttentionMap(tokens, tuple(offsets), weights, truncated))
    return out


def _float32_eager_copy(encoder: Any) -> Any:
    """A copy of ``encoder``'s modules in eval mode, under eager attention, with float32 weights: the caller's own
    float32 tensors (shared, not copied), or float32 copies of bf16 ones. ``encoder`` itself is left as it was."""
    memo: dict[int, Any] = {}  # deepcopy takes these in place of the tensors they stand for
    for param in encoder.parameters():
        memo[id(param)] = torch.nn.Parameter(param.detach().to(torch.float32), requires_grad=False)
    for buffer in encoder.buffers():
        memo[id(buffer)] = buffer.to(torch.float32) if buffer.is_floating_point() else buffer
    clone = copy.deepcopy(encoder, memo)
    if hasattr(clone, "set_attn_implementation"):
        clone.set_attn_implementation("eager")
    else:  # a model without the setter reads the configuration's field
        clone.config._attn_implementation = "eager"
    return clone.eval()


def _index(value: Any, size: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= int(value) < size:
        raise UsageError(f"{name} must be a whole number from 0 to {size - 1}, got {value!r}", argument=name)
    return int(value)
