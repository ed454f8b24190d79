"""Constrained Viterbi in NumPy, vectorised over the batch: the decoder after an exported graph, with no torch.

    start, trans, end = decoding_scores(allowed, crf_scores)       # -inf where the scheme forbids a move
    paths = viterbi(emissions, lengths, start, trans, end)        # emissions (B, T, L) float32

The same paths as ``zhbert.tagging.viterbi.constrained_viterbi`` (the torch decoder; both checked against brute
force in the tests): ties go to the lowest label id in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import UsageError

__all__ = ["decoding_scores", "log_softmax", "viterbi"]

# Most float32 values (4 bytes each) of the per-step scores computed ahead of the steps: 16 MB.
PRECOMPUTE_LIMIT = 1 << 22
_max = np.maximum.reduce  # ndarray.max without its Python wrapper


def log_softmax(scores: np.ndarray) -> np.ndarray:
    """``log_softmax`` over the last axis, in float32."""
    x = scores.astype(np.float32, copy=False)
    top = x.max(axis=-1, keepdims=True)
    shifted = x - top
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def decoding_scores(
    allowed: Sequence[np.ndarray], learned: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start (L,), transition (L, L) ``[from, to]`` and end (L,) scores: ``learned`` (a CRF's, or zeros) with
    ``-inf`` wherever ``allowed`` (boolean, from the labels' scheme) forbids the move."""
    out = []
    for i, mask in enumerate(allowed):
        base = np.zeros(mask.shape, np.float32) if learned is None else np.asarray(learned[i], np.float32)
        out.append(np.where(np.asarray(mask, bool), base, np.float32(-np.inf)).astype(np.float32))
    return out[0], out[1], out[2]


def viterbi(
    emissions: np.ndarray, lengths: Sequence[int] | np.ndarray, start: np.ndarray, trans: np.ndarray, end: np.ndarray
) -> list[list[int]]:
    """The best label path of each row: ``start[y0] + sum_t emissions[t, y_t] + sum_t trans[y_{t-1}, y_t] +
    end[y_last]`` over the first ``lengths[b]`` positions of row ``b``.

    Raises:
        UsageError: shapes disagree, a length is outside ``[0, T]``, or a row has no allowed path.
    """
    if emissions.ndim != 3:
        raise UsageError(f"emissions must be (B, T, L), got shape {emissions.shape}")
    batch, width, labels = emissions.shape
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.shape != (batch,) or (lengths < 0).any() or (lengths > width).any():
        raise UsageError(f"lengths must be {batch} whole numbers in [0, {width}], got {lengths.tolist()}")
    if start.shape != (labels,) or trans.shape != (labels, labels) or end.shape != (labels,):
        raise UsageError(f"start, transitions and end must be ({labels},), ({labels}, {labels}), ({labels},)")
    if width == 0 or batch == 0:
        return [[] for _ in range(batch)]
    x = emissions.astype(np.float32, copy=False)
    delta = start[None, :] + x[:, 0]  # (B, L)
    pointers = np.empty((max(width - 1, 0), batch, labels), dtype=np.int64)
    identity = np.broadcast_to(np.arange(labels), (batch, labels))
    ragged = bool((lengths != width).any())  # rows that end before the last position
    # Each step's transition and emission scores added in one operation for the whole batch when that is small:
    # one NumPy call fewer per step, which is most of a short sentence's decoding time.
    ahead = x[:, 1:, None, :] + trans if batch * width * labels * labels <= PRECOMPUTE_LIMIT else None
    for t in range(1, width):
        if ahead is not None:
            candidates = delta[:, :, None] + ahead[:, t - 1]  # (B, L from, L to), the emission included
        else:
            candidates = delta[:, :, None] + trans + x[:, t, None, :]
        best_from = candidates.argmax(axis=1)  # (B, L): the first best previous label, as torch's max
        best = _max(candidates, axis=1)
        if ragged:  # past a row's end its last label is carried back
            active = (t < lengths)[:, None]  # (B, 1)
            best = np.where(active, best, delta)
            best_from = np.where(active, best_from, identity)
        delta = best
        pointers[t - 1] = best_from
    final = delta + end[None, :]
    last = final.argmax(axis=1)  # (B,)
    bad = np.isneginf(final[np.arange(batch), last]) & (lengths > 0)
    if bad.any():
        raise UsageError(f"no label path satisfies the constraints for sequence(s) {np.flatnonzero(bad).tolist()}")
    if batch == 1:  # one row: list lookups are cheaper than a NumPy call per step
        back = pointers[:, 0].tolist()
        path = [int(last[0])]
        for step in reversed(back):
            path.append(step[path[-1]])
        return [path[::-1][: int(lengths[0])]]
    tags = np.empty((batch, width), dtype=np.int64)
    tags[:, -1] = last
    rows = np.arange(batch)
    for t in range(width - 2, -1, -1):
        tags[:, t] = pointers[t][rows, tags[:, t + 1]]
    return [row[:n] for row, n in zip(tags.tolist(), lengths.tolist(), strict=True)]
