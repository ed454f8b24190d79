"""Length-sorted, right-padded batches for the predictors, capped in padded tokens per call on CPU."""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["CPU_TOKENS_PER_CALL", "length_batches", "pad_batch"]

# On CPU, at most this many padded tokens per model call: 1.08x the texts/s of no cap (docs/benchmarks.md).
CPU_TOKENS_PER_CALL = 2048


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
