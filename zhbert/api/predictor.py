"""What ``TextClassifier``, ``EntityTagger`` and ``MaskFiller`` share: the model loaded, placed on its device in
its float type and in eval mode, the tokenizer, and the window, ``max_length``: the most tokens one model call
reads, [CLS] and [SEP] included."""

from __future__ import annotations

import os
from typing import Any, TypeVar

import torch

from ..models.loading import load_pretrained
from ..models.window import model_window
from .batching import CPU_TOKENS_PER_CALL
from .device import place_model

__all__ = ["Predictor", "model_window"]

PredictorT = TypeVar("PredictorT", bound="Predictor")


class Predictor:
    """A fine-tuned model and its tokenizer, ready to predict.

    Attributes:
        model: the model, on ``device``, cast to ``dtype``, in eval mode.
        max_length: tokens per model call, [CLS] and [SEP] included (``model_window``).
        tokens_per_call: on CPU, the most padded tokens one call takes (``None``: no cap, on a GPU).
    """

    def __init__(self, model: Any, tokenizer: Any, device: str | torch.device | None = None, dtype: Any = None) -> None:
        self.model, self.device, self.dtype = place_model(model, device, dtype)
        self.tokenizer = tokenizer
        self.max_length = model_window(model, tokenizer)
        self.tokens_per_call: int | None = CPU_TOKENS_PER_CALL if self.device.type == "cpu" else None

    @classmethod
    def load_model(cls, path: str | os.PathLike[str]) -> Any:
        """The model saved in ``path``, checked to be of the kind this predictor reads."""
        raise NotImplementedError

    @classmethod
    def from_pretrained(
        cls: type[PredictorT], path: str | os.PathLike[str], device: str | torch.device | None = None, dtype: Any = None
    ) -> PredictorT:
        """The model and tokenizer saved in ``path`` (``save_pretrained``), on ``device`` in ``dtype``."""
        from transformers import AutoTokenizer

        model = cls.load_model(path)
        return cls(model, load_pretrained(AutoTokenizer, path), device=device, dtype=dtype)
