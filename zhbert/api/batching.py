"""What the inference classes share: the device and float type, the model's window, and length-sorted,
right-padded batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..errors import ArgumentTypeError, DataError, UsageError
from ..models.precision import resolve_dtype

__all__ = ["CPU_TOKENS_PER_CALL", "length_batches", "model_window", "pad_batch", "place_model", "resolve_device"]

# On CPU, at most this many padded tokens per model call: 1.08x the texts/s of no cap (docs/benchmarks.md).
CPU_TOKENS_PER_CALL = 2048


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``device`` as a ``torch.device``; ``None`` picks CUDA when available, else the CPU.

    Raises:
        TypeError: ``device`` is neither a string nor a ``torch.device``.
        ValueError: it names no device, a kind zhbert does not run on, or one this machine lacks.
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, (str, torch.device)):
        raise ArgumentTypeError(f"device must be a string such as 'cpu' or 'cuda:0', got {type(device).__name__}")
    try:
        where = torch.device(device)
    except (RuntimeError, ValueError):
        raise UsageError(
            f"device {device!r} is not a device name: use 'cpu', 'cuda' or 'cuda:N'", argument="device"
        ) from None
    if where.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"device {device!r}: no CUDA GPU is available here; use 'cpu'", argument="device")
        if where.index is not None and where.index >= torch.cuda.device_count():
            raise UsageError(
                f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)", argument="device"
            )
    elif where.type == "mps":
        if not torch.backends.mps.is_available():
            raise UsageError(f"device {device!r}: no Apple GPU (MPS) is available here; use 'cpu'", argument="device")
    elif where.type != "cpu":
        raise UsageError(f"device {device!r}: zhbert runs on 'cpu', 'cuda' or 'mps'", argument="device")
    return where


def place_model(model: Any, device: str | torch.device | None, dtype: Any) -> tuple[Any, torch.device, torch.dtype]:
    """``model`` moved to ``device`` and cast to ``dtype`` (in place, as ``Module.to`` does), in eval mode.

    ``dtype=None`` picks bf16 where the device computes it natively and float32 elsewhere
    (``zhbert.models.precision.resolve_dtype``).
    """
    where = resolve_device(device)
    kind = resolve_dtype(dtype, where)
    return model.to(device=where, dtype=kind).eval(), where, kind


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


def pad_batch(rows: list[list[int]], pad: int, types: list[list[int]] | None = None) -> dict[str, torch.Tensor]:
    """``input_ids`` and ``attention_mask`` (and ``token_type_ids`` when ``types`` is given), right-padded."""
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    token_types = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        input_ids[r, : len(row)] = torch.tensor(row)
        mask[r, : len(row)] = 1
        if types is not None:
            token_types[r, : len(row)] = torch.tensor(types[r])
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if types is not None:
        batch["token_type_ids"] = token_types
    return batch


def length_batches(
    order: Sequence[int], lengths: Sequence[int], batch_size: int, tokens: int | None = None
) -> list[list[int]]:
    """Split ``order`` (indices sorted by ascending length) into runs of at most ``batch_size`` items whose
    padded size (items x longest) stays within ``tokens``; an item longer than ``tokens`` runs alone."""
    batches: list[list[int]] = []
    for i in order:
        if (
            batches
            and len(batches[-1]) < batch_size
            and (tokens is None or (len(batches[-1]) + 1) * lengths[i] <= tokens)
        ):
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches
