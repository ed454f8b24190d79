"""Dropout whose masks come from cheap random bits: the semantics of ``torch.nn.Dropout``, at a fraction of the
cost of torch's ``bernoulli_`` on a CPU.

On a CPU, torch draws each dropout mask with ``bernoulli_``, about 5 ns per element; a bf16 pretraining step of a
4-layer BERT spent a quarter of its time there (docs/benchmarks.md). Here the mask comes from ``int64``
``random_()`` over the full 64-bit range, read as four 16-bit lanes per draw and compared with a threshold: an
element is kept when its lane is at or above ``round(p * 65536)`` (counted from the lowest lane value), so
**the drop probability is p rounded to the nearest multiple of 1/65536** (0.1 becomes 6554/65536 = 0.100006).
Where that rounding would move p by more than 1% (p below ~0.0008 or above ~0.9992), for dtypes other than
bf16, float16, float32 and float64, and inside ``torch.compile`` (where inductor fuses torch's dropout into its
kernels), torch's own dropout runs instead.

Otherwise it is dropout: in training each element is kept independently with probability 1 - p and multiplied by
``1 / (1 - p)``, rounded to the input's dtype, as torch's CPU dropout does; in eval it is the identity; the
gradient is the same mask times the same scale (a plain multiply that autograd differentiates). The computation
stays in the input's dtype (bf16 under autocast). The bits come from the default generator of the input's device,
so ``torch.manual_seed`` reproduces the masks.

    from zhbert.models import use_fast_dropout
    use_fast_dropout(model)     # every nn.Dropout, and BERT's dropout of attention probabilities

``wwm-pretrain`` and ``zhbert train`` call ``use_fast_dropout`` when ``--fast_dropout`` is on (the default when
training on a CPU; see ``default_fast_dropout``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UsageError

__all__ = [
    "FAST_DROPOUT_ATTENTION",
    "DropoutSwap",
    "FastDropout",
    "default_fast_dropout",
    "fast_dropout",
    "fast_dropout_attention",
    "keep_mask",
    "quantized_p",
    "use_fast_dropout",
    "uses_fast_dropout",
]

FAST_DROPOUT_ATTENTION = "zhbert_fast_dropout"
_LEVELS = 1 << 16  # 16-bit lanes: p is resolved to 1/65536
_SAME_WIDTH_INT = {
    torch.bfloat16: torch.int16,
    torch.float16: torch.int16,
    torch.float32: torch.int32,
    torch.float64: torch.int64,
}


def quantized_p(p: float) -> float:
    """The drop probability ``fast_dropout`` realises for ``p``: p rounded to the nearest multiple of 1/65536."""
    return round(p * _LEVELS) / _LEVELS


def _threshold(p: float) -> int | None:
    """The lowest int16 lane value that is kept, or ``None`` where the 16-bit rounding of p is too coarse."""
    k = round(p * _LEVELS)
    if k <= 0 or k >= _LEVELS or abs(k / _LEVELS - p) > 0.01 * min(p, 1 - p):
        return None
    return k - _LEVELS // 2


def keep_mask(
    shape: torch.Size | tuple[int, ...],
    p: float,
    dtype: torch.dtype,
    device: torch.device | str = "cpu",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A dropout mask of ``shape`` in ``dtype``: ``1 / (1 - p)`` (rounded to ``dtype``) where an element is kept,
    0 where it is dropped, each element dropped independently with probability ``quantized_p(p)``.

    Args:
        shape: the mask's shape (the input's).
        p: drop probability, in [1/65536, 1 - 1/65536] to within the 1% ``fast_dropout`` accepts.
        dtype: bf16, float16, float32 or float64.
        device: where the bits are drawn (with that device's default generator unless ``generator`` is given).
        generator: a ``torch.Generator`` of ``device`` to draw from instead.

    Raises:
        UsageError: p is outside what 16-bit lanes resolve, or ``dtype`` is not one of those four.
    """
    threshold = _threshold(p)
    if threshold is None:
        raise UsageError(f"p={p} is too close to 0 or 1 for a mask of 16-bit lanes", argument="p")
    if dtype not in _SAME_WIDTH_INT:
        raise UsageError(f"dtype must be bf16, float16, float32 or float64, got {dtype}", argument="dtype")
    n = 1
    for size in shape:
        n *= size
    bits = torch.empty((n + 3) // 4, dtype=torch.int64, device=device)
    bits.random_(-(1 << 63), None, generator=generator)  # the full 64 bits: random_() alone leaves the top one 0
    lanes = bits.view(torch.int16)[:n].view(shape)  # (n,) 16-bit draws, uniform over [-32768, 32767]
    same_width = _SAME_WIDTH_INT[dtype]
    # 0 or 1 in an integer of the dtype's width, times the bit pattern of the scale: 0.0 or the scale in dtype.
    scale_bits = int(torch.tensor(1.0 / (1.0 - p), dtype=dtype).view(same_width).item())
    mask = torch.ge(lanes, threshold, out=torch.empty(shape, dtype=same_width, device=device))
    return mask.mul_(scale_bits).view(dtype)


def fast_dropout(
    x: torch.Tensor, p: float, training: bool = True, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``torch.nn.functional.dropout(x, p, training)`` with the mask of ``keep_mask`` (p resolved to 1/65536).

    Raises:
        UsageError: p is not a probability.
    """
    if not 0.0 <= p <= 1.0:
        raise UsageError(f"dropout probability must lie in [0, 1], got {p}", argument="p")
    if not training or p == 0.0 or x.numel() == 0:
        return x
    if _threshold(p) is None or x.dtype not in _SAME_WIDTH_INT or torch.compiler.is_compiling():
        # Under torch.compile, torch's dropout: inductor draws its mask inside the fused kernel (and the int64
        # view of a bf16 tensor does not compile).
        return F.dropout(x, p, training=True)
    return x * keep_mask(x.shape, p, x.dtype, x.device, generator)


class FastDropout(nn.Dropout):
    """``nn.Dropout`` drawing its masks with ``fast_dropout``; ``p`` keeps its meaning (transformers' BERT reads
    ``self.dropout.p`` of its attention for the attention probabilities)."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return fast_dropout(input, self.p, self.training)


def fast_dropout_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """transformers' eager BERT attention (``eager_attention_forward``) with ``fast_dropout`` on the attention
    probabilities; registered as the attention implementation ``"zhbert_fast_dropout"``."""
    if scaling is None:
        scaling = query.size(-1) ** -0.5
    weights = torch.matmul(query, key.transpose(2, 3)) * scaling  # (B, H, T, T)
    if attention_mask is not None:
        weights = weights + attention_mask
    weights = F.softmax(weights, dim=-1)
    weights = fast_dropout(weights, dropout, module.training)
    output = torch.matmul(weights, value).transpose(1, 2).contiguous()  # (B, T, H, D)
    return output, weights


def _register_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, eager_mask

    AttentionInterface.register(FAST_DROPOUT_ATTENTION, fast_dropout_attention)
    ALL_MASK_ATTENTION_FUNCTIONS.register(FAST_DROPOUT_ATTENTION, eager_mask)


@dataclass(frozen=True)
class DropoutSwap:
    """What ``use_fast_dropout`` changed in a model.

    Attributes:
        modules: how many ``nn.Dropout`` modules became ``FastDropout``.
        attention: whether the attention now drops its probabilities with ``fast_dropout`` (the implementation
            ``"zhbert_fast_dropout"``, replacing ``previous_attention``).
        previous_attention: the attention implementation the model had, or ``None``.
    """

    modules: int
    attention: bool
    previous_attention: str | None


def use_fast_dropout(model: nn.Module) -> DropoutSwap:
    """Swap every ``nn.Dropout`` of ``model`` for a ``FastDropout`` of the same p, in place, and make a BERT's
    attention drop its probabilities with ``fast_dropout`` too.

    The attention (when ``attention_probs_dropout_prob`` > 0 and the model runs eager or SDPA attention) becomes
    ``"zhbert_fast_dropout"``: transformers' eager BERT attention with the fast mask, in training and in eval. On a
    CPU that is also the faster kernel at 128 tokens (``benchmarks/pretrain_step.py``). ``save_pretrained`` does not
    record an attention implementation, so a saved model loads with plain transformers as before.

    Returns:
        What was swapped (see ``DropoutSwap``).
    """
    swapped = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if type(child) is nn.Dropout:
                fast = FastDropout(child.p)
                fast.train(child.training)
                setattr(parent, name, fast)
                swapped += 1
    config: Any = getattr(model, "config", None)
    previous = getattr(config, "_attn_implementation", None)
    attention = previous == FAST_DROPOUT_ATTENTION
    if (
        not attention
        and getattr(config, "model_type", None) == "bert"
        and previous in ("eager", "sdpa")
        and getattr(config, "attention_probs_dropout_prob", 0.0) > 0
        and hasattr(model, "set_attn_implementation")
    ):
        _register_attention()
        set_attention: Any = model.set_attn_implementation
        set_attention(FAST_DROPOUT_ATTENTION)
        attention = config._attn_implementation == FAST_DROPOUT_ATTENTION
    return DropoutSwap(swapped, attention, previous)


def uses_fast_dropout(model: nn.Module) -> bool:
    """Whether ``model`` holds a ``FastDropout`` or runs the ``"zhbert_fast_dropout"`` attention."""
    config = getattr(model, "config", None)
    return any(isinstance(m, FastDropout) for m in model.modules()) or (
        getattr(config, "_attn_implementation", None) == FAST_DROPOUT_ATTENTION
    )


def default_fast_dropout(bf16: bool, use_cpu: bool) -> bool:
    """``--fast_dropout`` when the user leaves it unset: on for bf16 training on a CPU, where ``bernoulli_`` was a
    quarter of a step; off in float32 (which trains exactly as before) and where a GPU trains (its fused dropout
    kernel is cheap there)."""
    from .precision import accelerator_available

    return bf16 and (use_cpu or not accelerator_available())
