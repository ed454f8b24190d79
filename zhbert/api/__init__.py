"""The Python API, list in, list out: ``TextClassifier``, ``EntityTagger`` (``SpanTagger`` for a span-head
model) and ``MaskFiller`` over one set-up
(``predictor``: loading, device and float type, tokenizer, window) over PyTorch or an exported graph on ONNX
Runtime (``onnx_model``), with the batching they share, and
``attention_maps`` for the attention weights of the models they hold."""

from __future__ import annotations

from .attention import AttentionMap, attention_maps
from .batching import CPU_TOKENS_PER_CALL, length_batches, pad_batch
from .classifier import Classification, TextClassifier
from .device import resolve_device
from .fill_mask import Candidate, MaskFiller
from .onnx_model import OnnxModel
from .predictor import Predictor, model_window
from .span_tagger import SpanTagger  # registers the span head's tagger with EntityTagger
from .tagger import Entity, EntityTagger, TokenProbabilities

__all__ = [
    "CPU_TOKENS_PER_CALL",
    "AttentionMap",
    "Candidate",
    "Classification",
    "Entity",
    "EntityTagger",
    "MaskFiller",
    "OnnxModel",
    "Predictor",
    "SpanTagger",
    "TextClassifier",
    "TokenProbabilities",
    "attention_maps",
    "length_batches",
    "model_window",
    "pad_batch",
    "resolve_device",
]
