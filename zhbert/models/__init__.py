"""Models: the CRF head for token classifiers and its loading, a fast inference forward pass for stock BERT
heads, loading with clear errors, the choice of float type (bf16 or float32), and the mix-in helper that keeps
saved checkpoints plain."""

from __future__ import annotations

from .crf_head import CrfLoss, add_crf, load_token_classifier
from .fast_bert import FastBert
from .loading import fit_tokenizer_length, load_pretrained
from .mixin import mix_in
from .precision import bf16_supported, cpu_bf16_supported, resolve_dtype

__all__ = [
    "CrfLoss",
    "FastBert",
    "add_crf",
    "bf16_supported",
    "cpu_bf16_supported",
    "fit_tokenizer_length",
    "load_pretrained",
    "load_token_classifier",
    "mix_in",
    "resolve_dtype",
]
