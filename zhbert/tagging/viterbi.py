"""Scheme-constrained Viterbi decoding: the best label path that is a valid sequence of the labels' tag scheme.

    scheme, constraints = scheme_constraints(model.config.id2label)   # IOB2, BIOES or BMES, read from the labels
    paths = constrained_viterbi(logits.log_softmax(-1), attention_mask.sum(-1), constraints)

The rules are those of the label set's tag scheme (``zhbert.tagging.schemes.transitions``): strict BIOES for
zhbert's own taggers, IOB2 or BMES for others; ``bioes_constraints`` asks for BIOES by name. Per-token argmax
can give ``O I-A``; the Viterbi path never does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ..errors import UsageError
from .schemes import label_scheme, transitions

__all__ = ["Constraints", "bioes_constraints", "constrained_viterbi", "scheme_constraints"]

Constraints = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
"""Boolean ``(start (L,), transitions (L, L) [from, to], end (L,))``: which moves are allowed."""


def _label_list(id2label: Mapping[int, str] | Sequence[str]) -> list[str]:
    if isinstance(id2label, Mapping):
        ids = sorted(int(key) for key in id2label)
        if ids != list(range(len(ids))):
            raise UsageError(f"id2label keys must be 0..{len(ids) - 1}, got {ids}")
        return [id2label[key] for key in sorted(id2label, key=int)]
    return list(id2label)


def bioes_constraints(id2label: Mapping[int, str] | Sequence[str]) -> Constraints:
    """Which labels may start a sequence, follow one another, and end a sequence under strict BIOES.

    Args:
        id2label: label strings by id, as a ``{id: label}`` mapping (a transformers config's ``id2label``)
            or a list.

    Returns:
        Boolean tensors ``start (L,)``, ``transitions (L, L)`` indexed ``[from, to]`` and ``end (L,)``.

    Raises:
        UsageError: a label is neither ``O`` nor ``<B|I|E|S>-<TYPE>``, or the mapping's ids are not 0..L-1.
    """
    return _as_tensors(transitions(_label_list(id2label), "BIOES"))


def scheme_constraints(id2label: Mapping[int, str] | Sequence[str]) -> tuple[str, Constraints]:
    """The tag scheme of a label set (IOB2, BIOES or BMES, from the labels) and its strict constraints.

    Raises:
        UsageError: the labels are not a tag scheme zhbert reads, or the mapping's ids are not 0..L-1.
    """
    labels = _label_list(id2label)
    scheme = label_scheme(labels)
    return scheme, _as_tensors(transitions(labels, scheme))


def _as_tensors(rules: tuple[list[bool], list[list[bool]], list[bool]]) -> Constraints:
    start, moves, end = rules
    n = len(start)
    return (
        torch.tensor(start, dtype=torch.bool),
        torch.tensor(moves, dtype=torch.bool).reshape(n, n),  # (L, L)
        torch.tensor(end, dtype=torch.bool),
    )


@torch.no_grad()
def constrained_viterbi(
    scores: torch.Tensor,
    lengths: torch.Tensor,
    constraints: Sequence[torch.Tensor] | None,
    transition_scores: torch.Tensor | None = None,
    *,
    start_scores: torch.Tensor | None = None,
    end_scores: torch.Tensor | None = None,
) -> list[list[int]]:
    """The highest-scoring allowed label path of each sequence, vectorised over the batch.

    A path scores ``start[y0] + sum_t scores[t, y_t] + sum_t transition[y_{t-1}, y_t] + end[y_last]``; moves
    the constraints forbid score ``-inf``.

    Args:
        scores: ``(B, T, L)`` emission scores, e.g. per-token log-probabilities.
        lengths: ``(B,)`` number of real positions of each sequence, a left-aligned prefix of ``T``.
        constraints: ``(start, transitions, end)`` boolean masks from ``scheme_constraints`` (any scheme) or
            ``bioes_constraints``; ``None`` allows all.
        transition_scores: optional ``(L, L)`` learned ``[from, to]`` scores (e.g. a CRF's) added on top.
        start_scores: optional ``(L,)`` scores of the first label.
        end_scores: optional ``(L,)`` scores of the last label.

    Returns:
        One list of label ids per sequence, of that sequence's length (``[]`` for length 0).

    Raises:
        ValueError: shapes disagree, a length is outside ``[0, T]``, or no allowed path exists for a sequence.
    """
    if scores.dim() != 3:
        raise UsageError(f"scores must be (B, T, L), got shape {tuple(scores.shape)}")
    batch, seq_len, num_labels = scores.shape
    lengths = torch.as_tensor(lengths, device=scores.device).long()
    if lengths.shape != (batch,):
        raise UsageError(f"lengths must have shape ({batch},), got {tuple(lengths.shape)}")
    if bool(((lengths < 0) | (lengths > seq_len)).any()):
        raise UsageError(f"lengths must lie in [0, {seq_len}], got {lengths.tolist()}")
    if seq_len == 0:
        return [[] for _ in range(batch)]

    dtype = torch.promote_types(scores.dtype, torch.float32)
    emissions = scores.to(dtype)
    allowed: tuple[torch.Tensor | None, ...] = tuple(constraints) if constraints is not None else (None,) * 3
    if len(allowed) != 3:
        raise UsageError(f"constraints must be (start, transitions, end), got {len(allowed)} tensors")
    start = _combine(allowed[0], start_scores, (num_labels,), emissions, "start")
    trans = _combine(allowed[1], transition_scores, (num_labels, num_labels), emissions, "transition")
    end = _combine(allowed[2], end_scores, (num_labels,), emissions, "end")

    delta = start + emissions[:, 0]  # (B, L)
    backpointers = []
    identity = torch.arange(num_labels, device=scores.device).expand(batch, num_labels)
    for t in range(1, seq_len):
        best, argbest = (delta[:, :, None] + trans).max(dim=1)  # (B, L): best previous label for each label
        active = (t < lengths)[:, None]  # (B, 1)
        delta = torch.where(active, best + emissions[:, t], delta)
        # past a sequence's end the pointer keeps the label, so backtracking carries the last real label back
        backpointers.append(torch.where(active, argbest, identity))

    final = delta + end  # (B, L)
    best_final, last = final.max(dim=1)
    impossible = (best_final == float("-inf")) & (lengths > 0)
    if bool(impossible.any()):
        rows = impossible.nonzero().flatten().tolist()
        raise UsageError(f"no label path satisfies the constraints for sequence(s) {rows}")
    tags = [last]
    for pointers in reversed(backpointers):
        tags.append(pointers.gather(1, tags[-1][:, None]).squeeze(1))
    paths = torch.stack(tags[::-1], dim=1).tolist()  # (B, T)
    return [path[:length] for path, length in zip(paths, lengths.tolist(), strict=True)]


def _combine(
    allowed: torch.Tensor | None, learned: torch.Tensor | None, shape: tuple[int, ...], like: torch.Tensor, name: str
) -> torch.Tensor:
    values = torch.zeros(shape, dtype=like.dtype, device=like.device)
    if learned is not None:
        if tuple(learned.shape) != shape:
            raise UsageError(f"{name} scores must have shape {shape}, got {tuple(learned.shape)}")
        values = values + learned.to(like)
    if allowed is not None:
        if tuple(allowed.shape) != shape:
            raise UsageError(f"{name} constraint must have shape {shape}, got {tuple(allowed.shape)}")
        values = values.masked_fill(~allowed.to(device=like.device, dtype=torch.bool), float("-inf"))
    return values
