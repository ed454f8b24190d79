"""The window of a fine-tuned model: the most tokens one model call reads, [CLS] and [SEP] included. The
predictors and the export read it alike."""

from __future__ import annotations

from typing import Any

from ..errors import DataError

__all__ = ["model_window"]


def model_window(model: Any, tokenizer: Any) -> int:
    """Tokens per model call: the length the model was fine-tuned with, within its positions.

    Raises:
        DataError: the model's configuration allows fewer than 3 tokens.
    """
    limits = [getattr(model.config, "max_position_embeddings", 512), 512]
    trained = getattr(model.config, "zhbert_max_length", None)
    if trained:
        limits.append(int(trained))
    if getattr(tokenizer, "model_max_length", None) and tokenizer.model_max_length < 100_000:
        limits.append(int(tokenizer.model_max_length))
    window = min(limits)
    if window < 3:
        raise DataError(
            f"the model reads at most {window} tokens (its config's zhbert_max_length, max_position_embeddings or "
            "the tokenizer's model_max_length): too few for [CLS], one token and [SEP]"
        )
    return window
