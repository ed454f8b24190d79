"""The Python API, list in, list out: ``TextClassifier``, ``EntityTagger`` and ``MaskFiller``, with the batching
they share."""

from __future__ import annotations

from .batching import CPU_TOKENS_PER_CALL, length_batches, model_window, pad_batch, resolve_device
from .classifier import Classification, TextClassifier
from .fill_mask import Candidate, MaskFiller
from .tagger import Entity, EntityTagger

__all__ = [
    "CPU_TOKENS_PER_CALL",
    "Candidate",
    "Classification",
    "Entity",
    "EntityTagger",
    "MaskFiller",
    "TextClassifier",
    "length_batches",
    "model_window",
    "pad_batch",
    "resolve_device",
]
