"""Models: the CRF head and the span head (GlobalPointer) for token classifiers and their loading, a fast
inference forward pass for stock BERT heads, loading with clear errors, the choice of float type (bf16 or
float32) and the training arguments that follow it, a cheaper dropout for training on CPUs, and the mix-in helper
that keeps saved checkpoints plain.

Names are imported on first use: ``zhbert.models.loading`` checks a model path without importing torch, so a
mistyped path fails in a moment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .crf_head import CrfLoss, add_crf, load_token_classifier
    from .dropout import DropoutSwap, FastDropout, fast_dropout, use_fast_dropout, uses_fast_dropout
    from .fast_bert import FastBert
    from .loading import fit_tokenizer_length, load_pretrained
    from .mixin import mix_in
    from .precision import bf16_supported, cpu_bf16_supported, resolve_dtype
    from .span_head import GlobalPointer, SpanLoss, add_span_head, has_span_head, load_span_model
    from .training_args import PrecisionTrainingArguments
    from .window import model_window

_EXPORTS = {
    "CrfLoss": ".crf_head",
    "add_crf": ".crf_head",
    "load_token_classifier": ".crf_head",
    "DropoutSwap": ".dropout",
    "FastDropout": ".dropout",
    "fast_dropout": ".dropout",
    "use_fast_dropout": ".dropout",
    "uses_fast_dropout": ".dropout",
    "FastBert": ".fast_bert",
    "fit_tokenizer_length": ".loading",
    "load_pretrained": ".loading",
    "mix_in": ".mixin",
    "bf16_supported": ".precision",
    "cpu_bf16_supported": ".precision",
    "resolve_dtype": ".precision",
    "PrecisionTrainingArguments": ".training_args",
    "GlobalPointer": ".span_head",
    "SpanLoss": ".span_head",
    "add_span_head": ".span_head",
    "has_span_head": ".span_head",
    "load_span_model": ".span_head",
    "model_window": ".window",
}

__all__ = [
    "CrfLoss",
    "DropoutSwap",
    "FastBert",
    "FastDropout",
    "GlobalPointer",
    "PrecisionTrainingArguments",
    "SpanLoss",
    "add_crf",
    "add_span_head",
    "bf16_supported",
    "cpu_bf16_supported",
    "fast_dropout",
    "fit_tokenizer_length",
    "has_span_head",
    "load_pretrained",
    "load_span_model",
    "load_token_classifier",
    "mix_in",
    "model_window",
    "resolve_dtype",
    "use_fast_dropout",
    "uses_fast_dropout",
]


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, __all__)
