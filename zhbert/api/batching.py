"""Length-sorted, right-padded batches for the predictors, capped in padded tokens per call on CPU."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["CPU_TOKENS_PER_CALL", "ONNX_TOKENS_PER_CALL", "length_batches", "pad_batch"]

# On CPU, at most this many padded tokens per model call: 1.08x the texts/s of no cap (docs/benchmarks.md).
CPU_TOKENS_PER_CALL = 2048
# An exported graph on ONNX Runtime (1 thread, the shipped int8 models, length-sorted dev texts): batches of 4-8
# texts (about 160-320 tokens) ran 1.3-1.4x the texts/s of batches of 32; so at most this many padded tokens.
ONNX_TOKENS_PER_CALL = 256


def pad_batch(rows: list[list[int]], pad: int, types: list[list[int]] | None = None) -> dict[str, torch.Tensor]:
    """``input_ids`` and ``attention_mask`` (and ``token_type_ids`` when ``types`` is given), right-padded."""
    width = max(len(r) for r in rows)
    # Filled in NumPy (a list copies into a NumPy row several times faster than into a tensor), shared with torch.
    input_ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    token_types = np.zeros((len(rows), width), dtype=np.int64)
    for r, row in enumerate(rows):
        input_ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
        if types is not None:
            token_types[r, : len(row)] = types[r]
    batch = {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask)}
    if types is not None:
        batch["token_type_ids"] = torch.from_numpy(token_types)
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
