"""Loading checkpoints with errors a user can act on: a missing folder, or one that holds no usable model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import DataError, MissingFileError

__all__ = ["check_architecture", "fit_tokenizer_length", "load_pretrained"]


def load_pretrained(loader: Any, path: str | os.PathLike[str], **kwargs: Any) -> Any:
    """``loader.from_pretrained(path, **kwargs)`` (a transformers ``Auto*`` class, say), with user errors raised
    as ``MissingFileError`` (no such folder, and no such hub model) or ``DataError`` (a folder that holds no
    usable checkpoint).
    """
    name = str(path)
    local = Path(name).expanduser()
    if local.is_file():
        raise DataError(f"{name}: a file, not a model directory: give the folder that holds config.json")
    try:
        return loader.from_pretrained(str(local) if local.exists() else name, **kwargs)
    except OSError as err:
        reason = _first_line(err)
        if not local.exists():
            raise MissingFileError(f"{name}: no such model directory ({reason})") from err
        raise DataError(f"{name}: cannot load a model from it ({reason})") from err


def check_architecture(path: str | os.PathLike[str], kinds: tuple[str, ...], wanted: str) -> None:
    """Refuse a saved model whose ``config.json`` names only architectures that end in none of ``kinds``
    (``("ForSequenceClassification",)``, say): loading it would give a head of fresh random weights. A config
    that names no architecture passes.

    Raises:
        DataError: the checkpoint is of another kind; ``wanted`` says what was expected.
    """
    from transformers import AutoConfig

    architectures = list(getattr(load_pretrained(AutoConfig, path), "architectures", None) or [])
    if architectures and not any(name.endswith(kinds) for name in architectures):
        raise DataError(f"{path}: a {', '.join(architectures)} checkpoint, not {wanted}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def fit_tokenizer_length(tokenizer: Any, model: Any) -> None:
    """Give a tokenizer without a maximum length (one built from a bare ``vocab.txt``) the model's
    ``max_position_embeddings``, so that what is saved beside the model truncates where the model must:
    ``pipeline(..., truncation=True)`` on a saved model otherwise passes 600-token texts to 512 positions."""
    positions = getattr(model.config, "max_position_embeddings", None)
    current = getattr(tokenizer, "model_max_length", None)
    if positions and (current is None or current > 100_000):
        tokenizer.model_max_length = int(positions)
