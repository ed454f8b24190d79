"""Models: the CRF head for token classifiers and its loading, a fast inference forward pass for stock BERT
heads, loading with clear errors, the choice of float type (bf16 or float32) and the training arguments that
follow it, a cheaper dropout for training on CPUs, and the mix-in helper that keeps saved checkpoints plain."""

from __future__ import annotations

from .crf_head import CrfLoss, add_crf, load_token_classifier
from .dropout import DropoutSwap, FastDropout, fast_dropout, use_fast_dropout, uses_fast_dropout
from .fast_bert import FastBert
from .loading import fit_tokenizer_length, load_pretrained
from .mixin import mix_in
from .precision import bf16_supported, cpu_bf16_supported, resolve_dtype
from .training_args import PrecisionTrainingArguments

__all__ = [
    "CrfLoss",
    "DropoutSwap",
    "FastBert",
    "FastDropout",
    "PrecisionTrainingArguments",
    "add_crf",
    "bf16_supported",
    "cpu_bf16_supported",
    "fast_dropout",
    "fit_tokenizer_length",
    "load_pretrained",
    "load_token_classifier",
    "mix_in",
    "resolve_dtype",
    "use_fast_dropout",
    "uses_fast_dropout",
]
